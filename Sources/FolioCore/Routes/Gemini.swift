import Foundation

extension RouteID {
    /// Google's Gemini image models: one image per request, inline.
    public static let gemini = RouteID(known: "gemini")
}

/// `POST /gemini/v1beta/models/{model}:generateContent` (api-reference.md §1): answered at once with
/// the image inline, one image per request.
struct Gemini: SyncRoute {
    let provider = "Google"

    let rules = RouteRules(
        route: .gemini, style: .sync,
        models: ["gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image"],
        defaultModel: "gemini-3.1-flash-image-preview",
        keys: [.aspectRatio, .imageSize, .images],
        aspectRatios: ["1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9"],
        defaultAspectRatio: nil,
        sizes: [], defaultSize: nil,
        resolutions: [], defaultResolution: nil,
        imageSizes: ["512", "1K", "2K", "4K"], defaultImageSize: "1K",
        imagesPerCall: .one,
        maxPromptLength: nil, maxNegativePromptLength: nil, seedRange: nil, seriesAmount: nil,
        references: RouteRules.References(
            maxCount: 14, maxBytes: 7 * 1_000_000, formats: ["png", "jpeg", "webp", "heic", "heif"],
            minSide: nil, aspectRange: nil, fieldName: "inlineData"),
        resultLifetime: nil,
        refusals: [
            .negativePrompt: "it has no negative prompt; say what to avoid in the prompt itself",
            .seed: "its schema has no seed",
            .resolution: "set the output size with image_size (512, 1K, 2K, 4K)",
            .size: "set the shape with aspect_ratio and the output size with image_size (512, 1K, 2K, 4K)",
        ]
    )

    let modelledFields = [
        "contents", "generationConfig.responseModalities", "generationConfig.imageConfig.aspectRatio",
        "generationConfig.imageConfig.imageSize",
    ]

    /// Finish reasons that mean the image was withheld.
    static let moderationReasons: Set<String> = [
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_OTHER", "IMAGE_RECITATION", "NO_IMAGE", "SAFETY",
        "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION",
    ]

    func path(_ generation: Generation) -> String {
        "/gemini/v1beta/models/\(generation.model):generateContent"
    }

    /// The prompt, then each reference image as an `inlineData` part; every variant's body is the same.
    func body(_ generation: Generation, variant: Int, references: [Data]) -> JSONValue {
        let g = generation
        var parts: [JSONValue] = [.object([("text", .string(g.prompt))])]
        for (image, data) in zip(g.images, references) {
            parts.append(.object([("inlineData", .object([("mimeType", .string("image/\(image.format)")), ("data", .string(data.base64EncodedString()))]))]))
        }
        var imageConfig: [(String, JSONValue)] = []
        if let aspect = g.aspectRatio { imageConfig.append(("aspectRatio", .string(aspect))) }
        if let size = g.imageSize { imageConfig.append(("imageSize", .string(size))) }
        let body: JSONValue = .object([
            ("contents", .array([.object([("role", .string("user")), ("parts", .array(parts))])])),
            ("generationConfig", .object([("responseModalities", .array([.string("TEXT"), .string("IMAGE")])), ("imageConfig", .object(imageConfig))])),
        ])
        return ExtraFields.merge(body, g.extra)
    }

    /// Errors by their `status`; a 200 by its block reason, finish reason and parts.
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<SyncResult, CallFailure> {
        guard let json = reply.json else { return .failure(Classify.syncNotJSON(reply, scrub: scrub)) }
        guard reply.status == 200 else {
            guard let error = json["error"], let status = error["status"]?.stringValue else { return .failure(Classify.syncGeneric(reply, scrub: scrub)) }
            let message = error["message"]?.stringValue.flatMap { $0.isEmpty ? nil : scrub($0) } ?? reply.excerpt(scrub: scrub)
            var failure = CallFailure(kind: .invalid, code: status, message: message, retryable: false, retryAfter: Classify.retryAfter(reply))
            switch status {
            case "INVALID_ARGUMENT", "NOT_FOUND", "OUT_OF_RANGE": failure.kind = .invalid
            case "FAILED_PRECONDITION": failure.kind = .billing
            case "PERMISSION_DENIED", "UNAUTHENTICATED": failure.kind = .auth
            case "RESOURCE_EXHAUSTED":
                failure.kind = .server
                failure.retryable = true
                if failure.retryAfter == nil {
                    failure.retryAfter =
                        (error["details"]?.arrayValue ?? []).lazy
                        .filter { $0["@type"]?.stringValue?.hasSuffix("google.rpc.RetryInfo") == true }
                        .compactMap { $0["retryDelay"]?.stringValue.flatMap(Self.protoDuration) }.first
                }
            case "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED": failure.kind = .server; failure.retryable = true
            default: return .failure(Classify.syncGeneric(reply, scrub: scrub))
            }
            return .failure(failure)
        }
        if let reason = json["promptFeedback"]?["blockReason"]?.stringValue.map(scrub) {
            return .failure(CallFailure(kind: .moderation, code: reason, message: "the prompt was blocked (\(reason))", retryable: false))
        }
        guard let candidate = json["candidates"]?.arrayValue?.first else {
            return .failure(Classify.uncertain("HTTP 200, but the answer has neither candidates nor a block reason", status: 200))
        }
        let finish = candidate["finishReason"]?.stringValue.map(scrub)
        let parts = (candidate["content"]?["parts"]?.arrayValue ?? []).filter { $0["thought"]?.boolValue != true }
        let text = scrub(parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n")).trimmingCharacters(in: .whitespacesAndNewlines)
        var images: [ResultImage] = []
        var unreadable = 0
        for part in parts {
            guard let inline = part["inlineData"], let mime = inline["mimeType"]?.stringValue, mime.hasPrefix("image/") else { continue }
            guard let data = inline["data"]?.stringValue, let bytes = Data(base64Encoded: data), !bytes.isEmpty else {
                unreadable += 1
                continue
            }
            images.append(.inline(Array(bytes), mime: mime))
        }
        if images.isEmpty, unreadable > 0 {
            return .failure(Classify.uncertain("HTTP 200, but its image cannot be decoded", status: 200))
        }
        if let finish, Self.moderationReasons.contains(finish) {
            return .failure(CallFailure(kind: .moderation, code: finish, message: "no image: the model stopped with \(finish)", retryable: false))
        }
        guard !images.isEmpty else {
            // Text only is the model's refusal; nothing at all is an answer Folio cannot read.
            guard !text.isEmpty else {
                return .failure(Classify.uncertain("HTTP 200, but the answer holds neither an image nor text (finishReason \(finish ?? "none"))", status: 200))
            }
            let said = ": \(text.count > 200 ? String(text.prefix(197)) + "..." : text)"
            return .failure(CallFailure(kind: .moderation, code: finish ?? "NO_IMAGE", message: "the model answered without an image\(said)", retryable: false))
        }
        return .success(
            SyncResult(
                images: [images.last!], text: text.isEmpty ? nil : text, cost: json["usageMetadata"],
                requestID: json["responseId"]?.stringValue))
    }

    /// `15s`, `0.5s`, `1.5s` → seconds.
    static func protoDuration(_ text: String) -> Double? {
        guard text.hasSuffix("s") else { return nil }
        return Double(text.dropLast())
    }
}
