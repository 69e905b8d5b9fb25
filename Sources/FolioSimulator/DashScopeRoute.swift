import FolioCore
import Foundation
import HTTPTypes
import Hummingbird

extension SimulatedRoute {
    /// api-reference.md §2.
    static let dashscope = SimulatedRoute(
        route: .dashscope, path: "/dashscope/v1/services/aigc/multimodal-generation/generation",
        models: ["qwen-image-plus", "qwen-image"],
        sizes: ["1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"],
        maxPromptLength: 800, maxNegativePromptLength: 500, seedRange: 0...2_147_483_647,
        urlLifetime: 24 * 3600,
        handlers: { route, router, core in
            router.post(RouterPath(route.path)) { request, _ in try await core.dashscope(request) }
        })
}

/// `POST /dashscope/v1/services/aigc/multimodal-generation/generation`, as api-reference.md §2 describes it.
extension SimulatorCore {
    static func dashscopeError(_ status: Int, _ code: String, _ message: String, requestID: String) -> Response {
        respond(status, .object([("request_id", .string(requestID)), ("code", .string(code)), ("message", .string(message))]))
    }

    func dashscope(_ request: Request) async throws -> Response {
        let auth = authorize(request)
        let (body, _) = try await json(request)
        let requestID = await Self.uuid(state.newID())
        var prompt: String?
        func done(_ response: Response, fault: FaultKind? = nil) async -> Response {
            await record(
                route: .dashscope, kind: "generate", request: request, status: response.status.code, fault: fault,
                prompt: prompt, authorization: auth.rawValue, body: body)
            return response
        }
        func invalid(_ message: String) async -> Response {
            await done(Self.dashscopeError(400, "InvalidParameter", message, requestID: requestID))
        }
        guard auth == .valid else {
            return await done(Self.dashscopeError(401, "InvalidApiKey", "Invalid API-key provided.", requestID: requestID))
        }
        if request.headers[HTTPField.Name("X-DashScope-Async")!] != nil {
            return await done(Self.dashscopeError(403, "AccessDenied", "current user api does not support asynchronous calls", requestID: requestID))
        }
        guard let body, case .object = body else { return await invalid("The request body is not valid JSON.") }
        guard let model = body["model"]?.stringValue else { return await invalid("Model not specified.") }
        let facts = SimulatedRoute.dashscope
        guard facts.models.contains(model) else {
            return await done(Self.dashscopeError(404, "ModelNotFound", "Model not exist.", requestID: requestID))
        }
        guard let messages = body["input"]?["messages"]?.arrayValue else { return await invalid("Input messages is required.") }
        guard messages.count == 1, messages[0]["role"]?.stringValue == "user" else {
            return await invalid("The input messages must contain exactly one message with role user.")
        }
        let content = messages[0]["content"]?.arrayValue ?? []
        guard content.count == 1, let text = content[0]["text"]?.stringValue, !text.isEmpty else {
            return await invalid("The content of the user message must be exactly one {\"text\": ...} item.")
        }
        prompt = text
        let promptLimit = facts.maxPromptLength ?? Int.max
        guard text.unicodeScalars.count <= promptLimit else { return await invalid("Range of input length should be [1, \(promptLimit)]") }
        let parameters = body["parameters"]
        let size = parameters?["size"]?.stringValue ?? "1664*928"
        guard facts.sizes.contains(size) else {
            return await invalid("The size does not match the allowed size \(facts.sizes.joined(separator: ",")).")
        }
        if let negative = parameters?["negative_prompt"] {
            guard let text = negative.stringValue else { return await invalid("negative_prompt must be a string.") }
            let negativeLimit = facts.maxNegativePromptLength ?? Int.max
            guard text.unicodeScalars.count <= negativeLimit else { return await invalid("Range of negative_prompt length should be [0, \(negativeLimit)]") }
        }
        for key in ["prompt_extend", "watermark"] {
            if let value = parameters?[key], value.boolValue == nil { return await invalid("\(key) must be a boolean.") }
        }
        var seed: Int?
        if let value = parameters?["seed"] {
            let seeds = facts.seedRange ?? 0...Int.max
            guard let s = value.intValue, seeds.contains(s) else { return await invalid("Range of seed should be [\(seeds.lowerBound), \(seeds.upperBound)]") }
            seed = s
        }
        if let n = parameters?["n"], !facts.imagesPerRequest.contains(n.intValue ?? 0) { return await invalid("n must be 1 for \(model).") }

        let fingerprint = Self.fingerprint(body)
        let fired = await faults(route: .dashscope, prompt: text, key: fingerprint)
        let kinds = Set(fired.map(\.kind))
        if let slow = fired.first(where: { $0.kind == .slow }) { try? await Task.sleep(for: .seconds(slow.seconds ?? 5)) }
        await sleep(simulated: await latency(6, spread: 2))
        if kinds.contains(.permission) {
            return await done(
                Self.dashscopeError(
                    403, "AccessDenied.Unpurchased", "Access to model denied. Please make sure you are eligible for using the model.", requestID: requestID),
                fault: .permission)
        }
        if kinds.contains(.quota) {
            return await done(Self.dashscopeError(429, "Throttling.AllocationQuota", "Free allocated quota exceeded.", requestID: requestID), fault: .quota)
        }
        if kinds.contains(.rateLimit) || kinds.contains(.concurrency) {
            return await done(
                Self.dashscopeError(429, "Throttling.RateQuota", "Requests rate limit exceeded, please try again later.", requestID: requestID),
                fault: .rateLimit)
        }
        if kinds.contains(.serverError) {
            return await done(
                Self.dashscopeError(
                    500, "InternalError", "An internal error has occured, please try again later or contact service support.", requestID: requestID),
                fault: .serverError)
        }
        if kinds.contains(.moderation) {
            return await done(
                Self.dashscopeError(400, "DataInspectionFailed", "Input data may contain inappropriate content.", requestID: requestID), fault: .moderation)
        }
        if kinds.contains(.billing) {
            return await done(
                Self.dashscopeError(400, "Arrearage", "Access denied, please make sure your account is in good standing.", requestID: requestID),
                fault: .billing)
        }
        if kinds.contains(.malformed) { return await done(Self.malformed(), fault: .malformed) }
        if kinds.contains(.reset) { return await done(Self.reset(partial: "{\"output\": {\"choices\": [{\"finish_reason\""), fault: .reset) }

        // A given seed fixes the image; without one, each identical request is a new variant.
        let variant = seed == nil ? await state.variant(of: fingerprint) : 0
        let (width, height) = ImageSizes.dashscope(size: size)
        let scaledSize = ImageSizes.scaled((width, height), by: configuration.imageScale)
        let lifetime = scaled(configuration.urlLifetimes[.dashscope] ?? 86400)
        let expires = Date().addingTimeInterval(kinds.contains(.expired) ? -1 : lifetime)
        let spec = ImageSpec(
            seed: Self.imageSeed(fingerprint, seed: seed, variant: variant), width: scaledSize.0, height: scaledSize.1,
            format: "png", title: Self.title(text), detail: configuration.imageDetail, expires: expires, truncate: kinds.contains(.truncate))
        let file = "\(requestID.prefix(8))-\(variant + 1).png"
        let path = "/dashscope/\(requestID)/\(file)"
        await state.store(spec, at: path)
        let signature = SHA256Hex.of(Array("\(path)|\(Int(expires.timeIntervalSince1970))".utf8)).prefix(28)
        let url = "\(storageBase)\(path)?Expires=\(Int(expires.timeIntervalSince1970))&OSSAccessKeyId=LTAI5tSimulator&Signature=\(signature)"
        let response: JSONValue = .object([
            (
                "output",
                .object([
                    (
                        "choices",
                        .array([
                            .object([
                                ("finish_reason", .string("stop")),
                                (
                                    "message",
                                    .object([
                                        ("role", .string("assistant")), ("content", .array([.object([("image", .string(url))])])),
                                    ])
                                ),
                            ])
                        ])
                    ),
                    ("task_metric", .object([("TOTAL", .int(1)), ("SUCCEEDED", .int(1)), ("FAILED", .int(0))])),
                ])
            ),
            ("usage", .object([("width", .int(width)), ("height", .int(height)), ("image_count", .int(1))])),
            ("request_id", .string(requestID)),
        ])
        let fault: FaultKind? = kinds.contains(.truncate) ? .truncate : kinds.contains(.expired) ? .expired : nil
        return await done(Self.respond(200, response), fault: fault)
    }

    /// A request id shaped like DashScope's (a UUID) from a simulator id.
    static func uuid(_ id: String) -> String {
        let hex = SHA256Hex.of(Array(id.utf8))
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-a\(String(c[17..<20]))-\(String(c[20..<32]))"
    }
}
