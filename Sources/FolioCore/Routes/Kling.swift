import Foundation

extension RouteID {
    /// Kling v2.1 images: a task making all `n` images, as URLs kept 30 days.
    public static let kling = RouteID(known: "kling")
}

/// `POST /transtreams/kling/v1/images/generations`, queried at `…/generations/{task_id}`
/// (api-reference.md §3): a task that makes all `n` images, answered by its `code`.
struct Kling: TaskRoute {
    let provider = "Kuaishou"

    /// The aspect ratios Kling's image API takes (Kling Omni adds `auto`).
    static let aspectRatios = ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"]

    let rules = RouteRules(
        route: .kling, style: .task,
        models: ["kling-v2-1"],
        defaultModel: "kling-v2-1",
        keys: [.negativePrompt, .aspectRatio, .resolution, .images, .watermark],
        aspectRatios: Kling.aspectRatios, defaultAspectRatio: "16:9",
        sizes: [], defaultSize: nil,
        resolutions: ["1k", "2k"], defaultResolution: "1k",
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .all,
        maxPromptLength: 2500, maxNegativePromptLength: 2500, seedRange: nil, seriesAmount: nil,
        references: RouteRules.References(
            maxCount: 1, maxBytes: 10 * 1_000_000, formats: ["png", "jpeg"],
            minSide: 300, aspectRange: (1 / 2.5)...2.5, fieldName: "image"),
        resultLifetime: 30 * 24 * 3600,
        refusals: [
            .seed: "Kling's image API has no seed",
            .size: "set the shape with aspect_ratio (\(Kling.aspectRatios.joined(separator: ", "))) and the size with resolution (1k, 2k)",
            .imageSize: "set the output size with resolution (1k, 2k)",
        ]
    )

    let modelledFields = [
        "model_name", "model", "prompt", "negative_prompt", "resolution", "n", "aspect_ratio", "external_task_id",
        "image", "watermark_info",
    ]

    /// Square 1k images unless `folio.yml` or the file says otherwise.
    let builtInDefaults: [FrontMatterKey: String] = [.aspectRatio: "1:1", .resolution: "1k"]

    let path = "/transtreams/kling/v1/images/generations"

    /// The aspect ratio is always sent; a negative prompt and a reference image do not go together.
    func normalise(_ generation: inout Generation, frontMatter: FrontMatterReader, promptLine: Int, imagesRead: Bool) throws(Diagnostic) {
        generation.aspectRatio = generation.aspectRatio ?? rules.defaultAspectRatio
        if generation.negativePrompt != nil, !generation.images.isEmpty, let node = frontMatter.node(.negativePrompt, route: rules.route) {
            throw node.diagnostic("route kling takes no negative_prompt together with a reference image; remove one of them", key: "negative_prompt")
        }
    }

    /// `model_name` and `model` equal, `external_task_id` always, the image as raw base64.
    func body(_ generation: Generation, externalID: String, references: [Data]) -> JSONValue {
        let g = generation
        var pairs: [(String, JSONValue)] = [
            ("model_name", .string(g.model)), ("model", .string(g.model)), ("prompt", .string(g.prompt)),
        ]
        if let negative = g.negativePrompt { pairs.append(("negative_prompt", .string(negative))) }
        if let image = references.first { pairs.append(("image", .string(image.base64EncodedString()))) }
        pairs.append(("resolution", .string(g.resolution ?? "1k")))
        pairs.append(("n", .int(g.n)))
        pairs.append(("aspect_ratio", .string(g.aspectRatio ?? "16:9")))
        if let watermark = g.watermark { pairs.append(("watermark_info", .object([("enabled", .bool(watermark))]))) }
        pairs.append(("external_task_id", .string(externalID)))
        return ExtraFields.merge(.object(pairs), g.extra)
    }

    /// A create or query answer, branched on `code`, not on the HTTP status (Kling Omni answers alike).
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<TaskSnapshot, CallFailure> {
        guard let json = reply.json, let code = json["code"]?.intValue else {
            if reply.status == 200 {
                return .failure(CallFailure(kind: .server, code: nil, message: "the answer is not JSON: \(reply.excerpt(scrub: scrub))", retryable: true))
            }
            return .failure(Classify.generic(reply, scrub: scrub))
        }
        let message = json["message"]?.stringValue.flatMap { $0.isEmpty ? nil : scrub($0) } ?? reply.excerpt(scrub: scrub)
        guard code == 0 else {
            var failure = CallFailure(kind: .invalid, code: String(code), message: message, retryable: false, retryAfter: Classify.retryAfter(reply))
            switch code {
            case 1000...1004, 1103, 1304: failure.kind = .auth
            case 1100...1102: failure.kind = .billing
            case 1200, 1201, 1202: failure.kind = .invalid
            case 1203: failure.kind = .invalid; failure.unknownTask = true
            case 1300, 1301: failure.kind = .moderation
            case 1302, 1303: failure.kind = .server; failure.retryable = true; failure.minimumDelay = 1
            case 5000...5002: failure.kind = .server; failure.retryable = true
            default:
                if reply.status >= 500 { failure.kind = .server; failure.retryable = true }
            }
            return .failure(failure)
        }
        guard let data = json["data"], let taskID = data["task_id"]?.stringValue, !taskID.isEmpty, let status = data["task_status"]?.stringValue else {
            return .failure(CallFailure(kind: .server, code: "0", message: "the answer has no task", retryable: true))
        }
        let result = data["task_result"]
        // Omni answers in `images` or, for a series, `series_images`: whichever holds any.
        let single = result?["images"]?.arrayValue ?? [], series = result?["series_images"]?.arrayValue ?? []
        let images = (single.isEmpty ? series : single)
            .sorted { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }
            .compactMap { $0["url"]?.stringValue }
        let statusMessage = data["task_status_msg"]?.stringValue
        return .success(
            TaskSnapshot(
                taskID: taskID, status: status, message: statusMessage?.isEmpty == false ? scrub(statusMessage!) : nil, urls: images,
                cost: data["final_unit_deduction"].map { .object([("final_unit_deduction", $0)]) }, requestID: json["request_id"]?.stringValue))
    }
}
