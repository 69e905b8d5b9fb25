import Foundation

extension RouteID {
    /// Alibaba's Qwen image models through DashScope: one image per request, as a URL that expires.
    public static let dashscope = RouteID(known: "dashscope")
}

/// `POST /dashscope/v1/services/aigc/multimodal-generation/generation` (api-reference.md §2):
/// answered at once with a signed URL valid for 24 hours, one image per request.
struct DashScope: SyncRoute {
    let provider = "Alibaba Cloud"

    let rules = RouteRules(
        route: .dashscope, style: .sync,
        models: ["qwen-image-plus", "qwen-image"],
        defaultModel: "qwen-image-plus",
        keys: [.size, .negativePrompt, .seed, .watermark, .promptExtend],
        aspectRatios: [], defaultAspectRatio: nil,
        sizes: ["1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"], defaultSize: "1664*928",
        resolutions: [], defaultResolution: nil,
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .one,
        maxPromptLength: 800, maxNegativePromptLength: 500, seedRange: 0...2_147_483_647, seriesAmount: nil,
        references: nil,
        resultLifetime: 24 * 3600,
        refusals: [
            .aspectRatio: "set the shape with size: 1664*928 (16:9), 1472*1104 (4:3), 1328*1328 (1:1), 1104*1472 (3:4) or 928*1664 (9:16)",
            .resolution: "set the shape and size with size: 1664*928, 1472*1104, 1328*1328, 1104*1472 or 928*1664",
            .imageSize: "set the shape and size with size: 1664*928, 1472*1104, 1328*1328, 1104*1472 or 928*1664",
            .images: "qwen-image text-to-image takes no reference images; use gemini, kling or kling-omni",
        ]
    )

    let modelledFields = [
        "model", "input", "parameters.size", "parameters.negative_prompt", "parameters.prompt_extend",
        "parameters.watermark", "parameters.seed", "parameters.n",
    ]

    /// `prompt_extend` and `watermark` are always sent, so their defaults are part of the generation.
    func normalise(_ generation: inout Generation, frontMatter: FrontMatterReader, promptLine: Int, imagesRead: Bool) throws(Diagnostic) {
        generation.promptExtend = generation.promptExtend ?? true
        generation.watermark = generation.watermark ?? false
    }

    func parameterRows(_ generation: Generation) -> [(String, String?)] {
        [
            ("Prompt extend", generation.promptExtend.map { $0 ? "on" : "off" }),
            ("Watermark", generation.watermark.map { $0 ? "on" : "off" }),
        ]
    }

    /// Variant `i` is sent seed + i, so the variants differ: read from the body, so the two cannot disagree.
    func seed(_ generation: Generation, variant: Int) -> Int? {
        body(generation, variant: variant, references: [])["parameters"]?["seed"]?.intValue
    }

    func path(_ generation: Generation) -> String {
        "/dashscope/v1/services/aigc/multimodal-generation/generation"
    }

    /// One user message; `watermark` and `prompt_extend` always explicit. With a seed and several
    /// variants, variant `i` takes seed + i so the variants differ.
    func body(_ generation: Generation, variant: Int, references: [Data]) -> JSONValue {
        let g = generation
        var parameters: [(String, JSONValue)] = [("size", .string(g.size ?? "1664*928"))]
        if let negative = g.negativePrompt { parameters.append(("negative_prompt", .string(negative))) }
        parameters.append(("prompt_extend", .bool(g.promptExtend ?? true)))
        parameters.append(("watermark", .bool(g.watermark ?? false)))
        if let seed = g.seed { parameters.append(("seed", .int((seed + variant) % 2_147_483_648))) }
        let body: JSONValue = .object([
            ("model", .string(g.model)),
            ("input", .object([("messages", .array([.object([("role", .string("user")), ("content", .array([.object([("text", .string(g.prompt))])]))])]))])),
            ("parameters", .object(parameters)),
        ])
        return ExtraFields.merge(body, g.extra)
    }

    /// The image URLs of `output.choices`, or an error by its `code`.
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<SyncResult, CallFailure> {
        guard let json = reply.json else { return .failure(Classify.syncNotJSON(reply, scrub: scrub)) }
        if reply.status == 200, let choices = json["output"]?["choices"]?.arrayValue {
            let urls = choices.flatMap { ($0["message"]?["content"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue } }
            guard !urls.isEmpty else {
                return .failure(Classify.uncertain("HTTP 200, but the answer has no image URL", status: 200))
            }
            return .success(SyncResult(images: urls.map { .url($0) }, text: nil, cost: json["usage"], requestID: json["request_id"]?.stringValue))
        }
        guard let code = json["code"]?.stringValue.map(scrub) else { return .failure(Classify.syncGeneric(reply, scrub: scrub)) }
        let message = json["message"]?.stringValue.flatMap { $0.isEmpty ? nil : scrub($0) } ?? reply.excerpt(scrub: scrub)
        var failure = CallFailure(kind: .invalid, code: code, message: message, retryable: false, retryAfter: Classify.retryAfter(reply))
        switch code {
        case "InvalidParameter", "ModelNotFound": failure.kind = .invalid
        case "DataInspectionFailed", "IPInfringementSuspect": failure.kind = .moderation
        case "Arrearage", "Throttling.AllocationQuota", "PrepaidBillOverdue", "PostpaidBillOverdue": failure.kind = .billing
        case "InvalidApiKey", "AllocationQuota.FreeTierOnly": failure.kind = .auth
        case "Throttling", "Throttling.RateQuota", "Throttling.BurstRate": failure.kind = .server; failure.retryable = true
        case "InternalError", "ServiceUnavailable", "GatewayTimeout": failure.kind = .server; failure.retryable = true
        default:
            if code.hasPrefix("AccessDenied") {
                failure.kind = .auth
            } else if reply.status >= 500 {
                // A code the reference does not list: the route's own form, so its server trouble.
                failure.kind = .server
                failure.retryable = true
            }
        }
        return .failure(failure)
    }
}
