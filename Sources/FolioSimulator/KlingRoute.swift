import FolioCore
import Foundation
import Hummingbird

extension SimulatedRoute {
    /// api-reference.md §3.
    static let kling = SimulatedRoute(
        route: .kling, path: "/transtreams/kling/v1/images/generations",
        models: ["kling-v2-1"],
        aspectRatios: ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"],
        resolutions: ["1k", "2k"],
        imagesPerRequest: 1...9,
        maxPromptLength: 2500, maxNegativePromptLength: 2500,
        maxReferences: 1, maxReferenceBytes: 10 * 1_000_000, referenceFormats: ["png", "jpeg"],
        urlLifetime: 30 * 24 * 3600,
        handlers: { route, router, core in mountTask(route, router, core) })

    /// api-reference.md §4.
    static let klingOmni = SimulatedRoute(
        route: .klingOmni, path: "/transtreams/kling/v1/images/omni-image",
        models: ["kling-v3-omni"],
        aspectRatios: ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9", "auto"],
        resolutions: ["1k", "2k", "4k"],
        imagesPerRequest: 1...9, seriesAmount: 2...9,
        maxPromptLength: 2500,
        maxReferences: 10, maxReferenceBytes: 10 * 1_000_000, referenceFormats: ["png", "jpeg"],
        urlLifetime: 30 * 24 * 3600,
        handlers: { route, router, core in mountTask(route, router, core) })

    /// A Kling task route: create at `path`, query at `path/{task_id}`.
    static func mountTask(_ route: SimulatedRoute, _ router: Router<BasicRequestContext>, _ core: SimulatorCore) {
        router.post(RouterPath(route.path)) { request, _ in
            try await core.klingCreate(request, on: route)
        }
        router.get(RouterPath(route.path + "/:id")) { request, context in
            try await core.klingQuery(request, route: route.route, id: try context.parameters.require("id"))
        }
    }
}

/// `POST /transtreams/kling/v1/images/{generations|omni-image}` and their queries, as api-reference.md §3–4 describe them.
extension SimulatorCore {
    static func klingError(_ status: Int, _ code: Int, _ message: String, requestID: String) -> Response {
        respond(status, .object([("code", .int(code)), ("message", .string(message)), ("request_id", .string(requestID))]))
    }

    /// The task as the query and create responses show it.
    func klingData(_ task: KlingTask, now: Date) -> JSONValue {
        let status = task.status(at: now)
        var pairs: [(String, JSONValue)] = [
            ("task_id", .string(task.id)), ("task_status", .string(status)),
            ("task_status_msg", .string(status == "failed" ? "Failure to pass the risk control system" : "")),
            ("task_info", .object(task.externalID.map { [("external_task_id", .string($0))] } ?? [])),
        ]
        let createdMs = Int(task.created.timeIntervalSince1970 * 1000)
        if status == "succeed" {
            pairs.append(("final_unit_deduction", .string(task.units)))
            let images: [JSONValue] = task.images.indices.map { index in
                .object([("index", .int(index)), ("url", .string("\(storageBase)/kling/\(task.id)/\(index).png"))])
            }
            pairs.append(("task_result", .object([(task.series ? "series_images" : "images", .array(images))])))
        }
        let updated = status == "succeed" || status == "failed" ? createdMs + Int(task.duration * 1000) : Int(now.timeIntervalSince1970 * 1000)
        pairs.append(("created_at", .int(createdMs)))
        pairs.append(("updated_at", .int(updated)))
        return .object(pairs)
    }

    func klingCreate(_ request: Request, on facts: SimulatedRoute) async throws -> Response {
        let route = facts.route
        let auth = authorize(request)
        let (body, _) = try await json(request)
        let requestID = await state.newID()
        var prompt: String?
        var external: String?
        func done(_ response: Response, fault: FaultKind? = nil, taskID: String? = nil) async -> Response {
            await record(
                route: route, kind: "create", request: request, status: response.status.code, fault: fault,
                prompt: prompt, external: external, taskID: taskID, authorization: auth.rawValue, body: body)
            return response
        }
        func invalid(_ message: String, code: Int = 1201) async -> Response {
            await done(Self.klingError(400, code, message, requestID: requestID))
        }
        switch auth {
        case .missing: return await done(Self.klingError(401, 1001, "Authorization is empty", requestID: requestID))
        case .invalid: return await done(Self.klingError(401, 1002, "Authorization is invalid", requestID: requestID))
        case .valid: break
        }
        guard let body, case .object = body else { return await invalid("Request body is not valid JSON", code: 1200) }
        guard let modelName = body["model_name"]?.stringValue else { return await invalid("model_name is required") }
        if let model = body["model"]?.stringValue, model != modelName {
            return await invalid("model_name '\(modelName)' and model '\(model)' do not match")
        }
        guard facts.models.contains(modelName) else {
            return await done(Self.klingError(404, 1203, "model_name \(modelName) not found", requestID: requestID))
        }
        guard let text = body["prompt"]?.stringValue, !text.isEmpty else { return await invalid("prompt is required") }
        prompt = text
        let promptLimit = facts.maxPromptLength ?? Int.max
        guard text.unicodeScalars.count <= promptLimit else { return await invalid("prompt must be at most \(promptLimit) characters") }
        external = body["external_task_id"]?.stringValue
        let n = body["n"].map { $0.intValue ?? -1 } ?? 1
        guard facts.imagesPerRequest.contains(n) else {
            return await invalid("n must be between \(facts.imagesPerRequest.lowerBound) and \(facts.imagesPerRequest.upperBound)")
        }
        let resolution = body["resolution"]?.stringValue ?? "1k"
        guard facts.resolutions.contains(resolution) else { return await invalid("resolution must be one of \(facts.resolutions.joined(separator: ", "))") }
        let aspect = body["aspect_ratio"]?.stringValue ?? (route == .kling ? "16:9" : "auto")
        guard facts.aspectRatios.contains(aspect) else { return await invalid("aspect_ratio must be one of \(facts.aspectRatios.joined(separator: ", "))") }

        var referenceCount = 0
        var series = false
        var count = n
        if route == .kling {
            if let negative = body["negative_prompt"]?.stringValue {
                let negativeLimit = facts.maxNegativePromptLength ?? Int.max
                guard negative.unicodeScalars.count <= negativeLimit else {
                    return await invalid("negative_prompt must be at most \(negativeLimit) characters")
                }
                if body["image"] != nil { return await invalid("negative_prompt is not supported together with image") }
            }
            if let image = body["image"] {
                if let problem = Self.klingImageProblem(image, facts) { return await invalid("image \(problem)") }
                referenceCount = 1
            }
        } else {
            if body["negative_prompt"] != nil { return await invalid("negative_prompt is not supported by \(modelName)") }
            let list = body["image_list"]?.arrayValue ?? []
            guard list.count <= facts.maxReferences else { return await invalid("image_list supports at most \(facts.maxReferences) images") }
            for (index, item) in list.enumerated() {
                guard let image = item["image"] else { return await invalid("image_list[\(index)].image is required") }
                if let problem = Self.klingImageProblem(image, facts) { return await invalid("image_list[\(index)].image \(problem)") }
            }
            referenceCount = list.count
            var rest = text[...]
            while let open = rest.range(of: "<<<image_"), let close = rest.range(of: ">>>", range: open.upperBound..<rest.endIndex) {
                let number = Int(rest[open.upperBound..<close.lowerBound]) ?? 0
                guard number >= 1, number <= referenceCount else {
                    return await invalid("prompt refers to <<<image_\(number)>>> but image_list has \(referenceCount) images")
                }
                rest = rest[close.upperBound...]
            }
            if aspect == "auto", referenceCount == 0 { return await invalid("aspect_ratio auto requires image_list") }
            let resultType = body["result_type"]?.stringValue ?? "single"
            guard resultType == "single" || resultType == "series" else { return await invalid("result_type must be single or series") }
            if resultType == "series" {
                series = true
                let amount = body["series_amount"].map { $0.intValue ?? -1 } ?? 4
                let amounts = facts.seriesAmount ?? 1...1
                guard amounts.contains(amount) else { return await invalid("series_amount must be between \(amounts.lowerBound) and \(amounts.upperBound)") }
                count = amount
            }
        }

        // A repeated external_task_id is the same task, not a new one.
        if let external, let existing = await state.task(external) {
            let response: JSONValue = .object([
                ("code", .int(0)), ("message", .string("SUCCEED")), ("request_id", .string(requestID)),
                ("data", klingData(existing, now: Date())),
            ])
            return await done(Self.respond(200, response), taskID: existing.id)
        }

        let fingerprint = Self.fingerprint(body, dropping: ["external_task_id"])
        let fired = await faults(route: route, prompt: text, key: fingerprint)
        let kinds = Set(fired.map(\.kind))
        if let slow = fired.first(where: { $0.kind == .slow }) { try? await Task.sleep(for: .seconds(slow.seconds ?? 5)) }
        await sleep(simulated: await latency(0.8, spread: 0.4))
        if kinds.contains(.permission) {
            return await done(Self.klingError(403, 1103, "No permission to access the requested resource", requestID: requestID), fault: .permission)
        }
        if kinds.contains(.quota) {
            return await done(Self.klingError(429, 1101, "Account is in arrears, please recharge", requestID: requestID), fault: .quota)
        }
        if kinds.contains(.rateLimit) {
            return await done(
                Self.klingError(429, 1302, "The API request is too fast, please slow down the request frequency", requestID: requestID), fault: .rateLimit)
        }
        if kinds.contains(.concurrency) {
            return await done(Self.klingError(429, 1303, "parallel task over resource pack limit", requestID: requestID), fault: .concurrency)
        }
        if kinds.contains(.serverError) {
            return await done(Self.klingError(500, 5000, "Server internal error", requestID: requestID), fault: .serverError)
        }
        if kinds.contains(.moderation) {
            return await done(Self.klingError(400, 1301, "Trigger the content security policy of the platform", requestID: requestID), fault: .moderation)
        }
        if kinds.contains(.billing) {
            return await done(Self.klingError(429, 1102, "Resource pack has been used up or has expired", requestID: requestID), fault: .billing)
        }
        if kinds.contains(.malformed) { return await done(Self.malformed(), fault: .malformed) }
        let now = Date()
        if await state.slotsInUse(at: now) + count > configuration.klingSlots {
            return await done(Self.klingError(429, 1303, "parallel task over resource pack limit", requestID: requestID), fault: .concurrency)
        }

        let taskID = await state.newID()
        let variant = await state.variant(of: fingerprint)
        let base: (Int, Int)
        if aspect == "auto" {
            base = ImageSizes.kling(aspectRatio: "1:1", resolution: resolution)
        } else {
            base = ImageSizes.kling(aspectRatio: aspect, resolution: resolution)
        }
        let size = ImageSizes.scaled(base, by: configuration.imageScale)
        let lifetime = scaled(configuration.urlLifetimes[route] ?? 30 * 86400)
        let duration = scaled(await latency(route == .kling ? 25 : 35, spread: 10))
        let images = (0..<count).map { index in
            ImageSpec(
                seed: Self.imageSeed(fingerprint, seed: nil, variant: variant * 16 + index), width: size.0, height: size.1,
                format: "png", title: Self.title(text), detail: configuration.imageDetail,
                expires: kinds.contains(.expired) ? now.addingTimeInterval(-1) : now.addingTimeInterval(duration + lifetime),
                truncate: kinds.contains(.truncate))
        }
        let perImage = resolution == "4k" ? 4 : resolution == "2k" ? 2 : 1
        let task = KlingTask(
            id: taskID, externalID: external, route: route, prompt: text, created: now, duration: duration, images: images,
            series: series, fails: kinds.contains(.taskFailed), units: String(count * perImage),
            pollErrors: fired.first { $0.kind == .pollError }.map { $0.times ?? 1 } ?? 0)
        await state.add(task)
        for (index, image) in images.enumerated() { await state.store(image, at: "/kling/\(taskID)/\(index).png") }

        let data: JSONValue = .object([
            ("task_id", .string(taskID)), ("task_status", .string("submitted")),
            ("task_info", .object(external.map { [("external_task_id", .string($0))] } ?? [])),
            ("created_at", .int(Int(now.timeIntervalSince1970 * 1000))), ("updated_at", .int(Int(now.timeIntervalSince1970 * 1000))),
        ])
        if let stall = fired.first(where: { $0.kind == .stall }) {
            try? await Task.sleep(for: .seconds(stall.seconds ?? 5))
        }
        if kinds.contains(.reset) {
            // The task exists, but the answer never arrives: the case `submitting` recovery is for.
            return await done(Self.reset(partial: "{\"code\": 0, \"message\": \"SUCCEED\", \"request_id\": \""), fault: .reset, taskID: taskID)
        }
        let response: JSONValue = .object([("code", .int(0)), ("message", .string("SUCCEED")), ("request_id", .string(requestID)), ("data", data)])
        let fault: FaultKind? =
            kinds.contains(.taskFailed)
            ? .taskFailed
            : kinds.contains(.truncate)
                ? .truncate
                : kinds.contains(.expired) ? .expired : kinds.contains(.pollError) ? .pollError : nil
        return await done(Self.respond(200, response), fault: fault, taskID: taskID)
    }

    func klingQuery(_ request: Request, route: RouteID, id: String) async throws -> Response {
        let auth = authorize(request)
        let requestID = await state.newID()
        let task = await state.task(id)
        func done(_ response: Response, fault: FaultKind? = nil) async -> Response {
            await record(
                route: route, kind: "query", request: request, status: response.status.code, fault: fault, prompt: task?.prompt,
                external: task?.externalID, taskID: task?.id, authorization: auth.rawValue)
            return response
        }
        switch auth {
        case .missing: return await done(Self.klingError(401, 1001, "Authorization is empty", requestID: requestID))
        case .invalid: return await done(Self.klingError(401, 1002, "Authorization is invalid", requestID: requestID))
        case .valid: break
        }
        guard let task, task.route == route else {
            return await done(Self.klingError(404, 1203, "task not found", requestID: requestID))
        }
        await sleep(simulated: await latency(0.3, spread: 0.1))
        if await state.takePollError(task.id) {
            return await done(Self.klingError(500, 5000, "Server internal error", requestID: requestID), fault: .pollError)
        }
        let response: JSONValue = .object([
            ("code", .int(0)), ("message", .string("SUCCEED")), ("request_id", .string(requestID)),
            ("data", klingData(task, now: Date())),
        ])
        return await done(Self.respond(200, response))
    }

    /// What is wrong with a Kling reference image (URL or raw base64), or nil.
    static func klingImageProblem(_ value: JSONValue, _ facts: SimulatedRoute) -> String? {
        guard let text = value.stringValue, !text.isEmpty else { return "must be a URL or base64 text" }
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return nil }
        if text.hasPrefix("data:") { return "must be raw base64 without a data: prefix" }
        guard let bytes = Data(base64Encoded: text) else { return "is not valid base64" }
        guard bytes.count <= facts.maxReferenceBytes ?? Int.max else { return "must be at most \((facts.maxReferenceBytes ?? 0) / 1_000_000) MB" }
        guard let header = ImageHeader.read(bytes), facts.referenceFormats.contains(header.format) else { return "must be a jpg or png image" }
        if let w = header.width, let h = header.height {
            guard min(w, h) >= 300 else { return "sides must be at least 300 px" }
            let ratio = Double(w) / Double(h)
            guard ratio >= 1 / 2.5, ratio <= 2.5 else { return "aspect ratio must be between 1:2.5 and 2.5:1" }
        }
        return nil
    }
}
