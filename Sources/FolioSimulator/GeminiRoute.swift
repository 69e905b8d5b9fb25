import FolioCore
import Foundation
import Hummingbird

extension SimulatedRoute {
    /// api-reference.md §1.
    static let gemini = SimulatedRoute(
        route: .gemini, path: "/gemini/v1beta/models/{model}:generateContent",
        models: ["gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image"],
        aspectRatios: ["1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9"],
        imageSizes: ["512", "1K", "2K", "4K"],
        maxReferences: 14, maxReferenceBytes: 7 * 1_000_000, referenceFormats: ["png", "jpeg", "webp", "heic", "heif"],
        handlers: { route, router, core in
            router.post(RouterPath(route.path)) { request, context in
                try await core.gemini(request, model: try context.parameters.require("model"))
            }
        })
}

/// `POST /gemini/v1beta/models/{model}:generateContent`, as api-reference.md §1 describes it.
extension SimulatorCore {
    static let geminiTopFields: Set<String> = [
        "contents", "generationConfig", "safetySettings", "systemInstruction", "tools", "toolConfig", "cachedContent", "labels",
    ]
    static let geminiConfigFields: Set<String> = [
        "responseModalities", "imageConfig", "temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
        "seed", "presencePenalty", "frequencyPenalty", "responseMimeType", "thinkingConfig", "mediaResolution",
    ]
    static let geminiMimeTypes = Set(SimulatedRoute.gemini.referenceFormats.map { "image/\($0)" })

    static func geminiError(_ code: Int, _ status: String, _ message: String, details: [JSONValue]? = nil) -> Response {
        var error: [(String, JSONValue)] = [("code", .int(code)), ("message", .string(message)), ("status", .string(status))]
        if let details { error.append(("details", .array(details))) }
        return respond(code, .object([("error", .object(error))]))
    }

    func gemini(_ request: Request, model: String) async throws -> Response {
        let auth = authorize(request)
        let (body, _) = try await json(request)
        func done(_ response: Response, fault: FaultKind? = nil, prompt: String? = nil) async -> Response {
            await record(
                route: .gemini, kind: "generate", request: request, status: response.status.code, fault: fault,
                prompt: prompt, authorization: auth.rawValue, body: body)
            return response
        }
        guard auth == .valid else {
            return await done(
                Self.geminiError(
                    401, "UNAUTHENTICATED",
                    auth == .missing
                        ? "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential."
                        : "API key not valid. Please pass a valid API key."))
        }
        let facts = SimulatedRoute.gemini
        guard facts.models.contains(model) else {
            return await done(
                Self.geminiError(404, "NOT_FOUND", "models/\(model) is not found for API version v1beta, or is not supported for generateContent."))
        }
        guard let body, case .object(let top) = body else {
            return await done(Self.geminiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token."))
        }
        if let unknown = top.first(where: { !Self.geminiTopFields.contains($0.0) }) {
            return await done(Self.geminiError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"\(unknown.0)\": Cannot find field."))
        }
        let config = body["generationConfig"]
        if case .object(let fields)? = config, let unknown = fields.first(where: { !Self.geminiConfigFields.contains($0.0) }) {
            return await done(
                Self.geminiError(
                    400, "INVALID_ARGUMENT", "Invalid JSON payload received. Unknown name \"\(unknown.0)\" at 'generation_config': Cannot find field."))
        }
        let modalities = Set((config?["responseModalities"]?.arrayValue ?? []).compactMap(\.stringValue).map { $0.uppercased() })
        guard modalities.contains("TEXT"), modalities.contains("IMAGE") else {
            return await done(Self.geminiError(400, "INVALID_ARGUMENT", "responseModalities must contain both TEXT and IMAGE for model \(model)."))
        }
        let imageConfig = config?["imageConfig"]
        if case .object(let fields)? = imageConfig, let unknown = fields.first(where: { $0.0 != "aspectRatio" && $0.0 != "imageSize" }) {
            return await done(
                Self.geminiError(
                    400, "INVALID_ARGUMENT",
                    "Invalid JSON payload received. Unknown name \"\(unknown.0)\" at 'generation_config.image_config': Cannot find field."))
        }
        let aspectRatio = imageConfig?["aspectRatio"]?.stringValue
        if let aspectRatio, !facts.aspectRatios.contains(aspectRatio) {
            return await done(
                Self.geminiError(
                    400, "INVALID_ARGUMENT", "Unsupported aspect ratio: \(aspectRatio). Supported values are \(facts.aspectRatios.joined(separator: ", "))."))
        }
        let imageSize = imageConfig?["imageSize"]?.stringValue
        if let imageSize, !facts.imageSizes.contains(imageSize) {
            return await done(
                Self.geminiError(
                    400, "INVALID_ARGUMENT", "Unsupported image size: \(imageSize). Supported values are \(facts.imageSizes.joined(separator: ", "))."))
        }

        // The prompt: the text parts of the user's content; the reference images: its inlineData parts.
        var texts: [String] = []
        var references = 0
        for content in body["contents"]?.arrayValue ?? [] {
            for part in content["parts"]?.arrayValue ?? [] {
                if let text = part["text"]?.stringValue { texts.append(text) }
                if let inline = part["inlineData"] {
                    references += 1
                    let mime = inline["mimeType"]?.stringValue ?? ""
                    guard Self.geminiMimeTypes.contains(mime) else {
                        return await done(Self.geminiError(400, "INVALID_ARGUMENT", "Unsupported MIME type: \(mime)"))
                    }
                    guard let data = inline["data"]?.stringValue, let bytes = Data(base64Encoded: data) else {
                        return await done(
                            Self.geminiError(
                                400, "INVALID_ARGUMENT",
                                "Invalid value at 'contents[0].parts[\(references)].inline_data.data' (TYPE_BYTES), Base64 decoding failed."))
                    }
                    guard bytes.count <= facts.maxReferenceBytes ?? Int.max else {
                        return await done(Self.geminiError(400, "INVALID_ARGUMENT", "Inline data exceeds the 7 MB limit for an image."))
                    }
                }
            }
        }
        let prompt = texts.joined(separator: "\n")
        guard !prompt.isEmpty else {
            return await done(Self.geminiError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified"))
        }
        guard references <= facts.maxReferences else {
            return await done(Self.geminiError(400, "INVALID_ARGUMENT", "Too many images: at most \(facts.maxReferences) input images are supported."))
        }

        let fingerprint = Self.fingerprint(body)
        let fired = await faults(route: .gemini, prompt: prompt, key: fingerprint)
        let kinds = Set(fired.map(\.kind))
        if let slow = fired.first(where: { $0.kind == .slow }) { try? await Task.sleep(for: .seconds(slow.seconds ?? 5)) }
        await sleep(simulated: await latency(8, spread: 3))
        if kinds.contains(.permission) {
            return await done(
                Self.geminiError(403, "PERMISSION_DENIED", "Permission denied: the caller does not have permission to use model \(model)."), fault: .permission,
                prompt: prompt)
        }
        if kinds.contains(.rateLimit) || kinds.contains(.concurrency) || kinds.contains(.quota) {
            let delay = scaled(15)
            return await done(
                Self.geminiError(
                    429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).",
                    details: [
                        .object([("@type", .string("type.googleapis.com/google.rpc.RetryInfo")), ("retryDelay", .string(String(format: "%.3fs", delay)))])
                    ]), fault: .rateLimit, prompt: prompt)
        }
        if kinds.contains(.serverError) {
            return await done(Self.geminiError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."), fault: .serverError, prompt: prompt)
        }
        if kinds.contains(.billing) {
            return await done(
                Self.geminiError(400, "FAILED_PRECONDITION", "User location is not supported for the API use without a billing account linked."),
                fault: .billing, prompt: prompt)
        }
        if kinds.contains(.malformed) { return await done(Self.malformed(), fault: .malformed, prompt: prompt) }
        if kinds.contains(.reset) {
            return await done(
                Self.reset(partial: "{\"candidates\": [{\"content\": {\"role\": \"model\", \"parts\": [{\"text\": \"Here"), fault: .reset, prompt: prompt)
        }

        let words = prompt.split(whereSeparator: \.isWhitespace).count
        let usage: JSONValue = .object([
            ("promptTokenCount", .int(words * 4 / 3 + 1 + references * 258)), ("candidatesTokenCount", .int(1290)),
            ("totalTokenCount", .int(words * 4 / 3 + 1 + references * 258 + 1290 + 62)),
        ])
        let responseID = await state.newID()
        if kinds.contains(.blocked) {
            return await done(
                Self.respond(
                    200,
                    .object([
                        ("promptFeedback", .object([("blockReason", .string("PROHIBITED_CONTENT"))])),
                        ("usageMetadata", usage), ("modelVersion", .string(model)), ("responseId", .string(responseID)),
                    ])), fault: .blocked, prompt: prompt)
        }
        if kinds.contains(.moderation) {
            return await done(
                Self.respond(
                    200,
                    .object([
                        (
                            "candidates",
                            .array([
                                .object([
                                    ("content", .object([("role", .string("model")), ("parts", .array([]))])),
                                    ("finishReason", .string("IMAGE_SAFETY")), ("index", .int(0)),
                                ])
                            ])
                        ),
                        ("usageMetadata", usage), ("modelVersion", .string(model)), ("responseId", .string(responseID)),
                    ])), fault: .moderation, prompt: prompt)
        }
        if kinds.contains(.refusal) {
            return await done(
                Self.respond(
                    200,
                    .object([
                        (
                            "candidates",
                            .array([
                                .object([
                                    (
                                        "content",
                                        .object([
                                            ("role", .string("model")),
                                            (
                                                "parts",
                                                .array([
                                                    .object([("text", .string("I can't create that image, but I can help with something similar."))])
                                                ])
                                            ),
                                        ])
                                    ), ("finishReason", .string("STOP")), ("index", .int(0)),
                                ])
                            ])
                        ),
                        ("usageMetadata", usage), ("modelVersion", .string(model)), ("responseId", .string(responseID)),
                    ])), fault: .refusal, prompt: prompt)
        }

        let variant = await state.variant(of: fingerprint)
        let seed = Self.imageSeed(fingerprint, seed: nil, variant: variant)
        let size = ImageSizes.scaled(ImageSizes.gemini(aspectRatio: aspectRatio, imageSize: imageSize), by: configuration.imageScale)
        // Like the real model, it answers in JPEG some of the time, and sometimes shows an interim image first.
        let jpeg = kinds.contains(.jpeg) || seed % 3 == 0
        let thought = kinds.contains(.thought) || seed % 4 == 1
        let image = try ImageSpec(
            seed: seed, width: size.0, height: size.1, format: jpeg ? "jpeg" : "png", title: Self.title(prompt), detail: configuration.imageDetail
        ).render()
        var parts: [JSONValue] = []
        if thought {
            let draft = try ImageSpec(
                seed: seed ^ 0xD4AF7, width: max(8, size.0 / 4), height: max(8, size.1 / 4), format: "png", title: "", detail: configuration.imageDetail
            ).render()
            parts.append(.object([("text", .string("Sketching the composition first.")), ("thought", .bool(true))]))
            parts.append(
                .object([
                    ("inlineData", .object([("mimeType", .string("image/png")), ("data", .string(Data(draft).base64EncodedString()))])),
                    ("thought", .bool(true)),
                ]))
        }
        parts.append(.object([("text", .string("Here is \(Self.title(prompt).prefix(1).lowercased() + Self.title(prompt).dropFirst())"))]))
        parts.append(
            .object([
                ("inlineData", .object([("mimeType", .string(jpeg ? "image/jpeg" : "image/png")), ("data", .string(Data(image).base64EncodedString()))])),
                ("thoughtSignature", .string("Cvc" + responseID)),
            ]))
        let response: JSONValue = .object([
            (
                "candidates",
                .array([
                    .object([
                        ("content", .object([("role", .string("model")), ("parts", .array(parts))])),
                        ("finishReason", .string("STOP")), ("index", .int(0)),
                    ])
                ])
            ),
            ("usageMetadata", usage), ("modelVersion", .string(model)), ("responseId", .string(responseID)),
        ])
        return await done(Self.respond(200, response), fault: kinds.contains(.thought) ? .thought : kinds.contains(.jpeg) ? .jpeg : nil, prompt: prompt)
    }
}
