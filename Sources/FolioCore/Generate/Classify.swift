import Foundation

/// Reads each route's answers by the tables of api-reference.md: success, or a classified failure.
enum Classify {
    static let geminiModerationReasons: Set<String> = [
        "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_OTHER", "IMAGE_RECITATION", "NO_IMAGE", "SAFETY",
        "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "RECITATION",
    ]

    static func transport(_ error: any Error) -> CallFailure {
        let failure = error as? TransportFailure ?? TransportFailure(message: "\(error)", timedOut: false)
        var call = CallFailure(kind: failure.timedOut ? .timeout : .network, code: nil, message: failure.message, retryable: true)
        call.mayHaveArrived = failure.mayHaveArrived
        return call
    }

    /// A sync route's answer that may stand for a charged call without a usable image: a `200` that
    /// does not parse or holds no image, or a server error outside the route's own error form.
    static func uncertain(_ message: String, status: Int) -> CallFailure {
        CallFailure(kind: .uncertain, code: String(status),
                    message: "\(message); the call may have been charged. It is sent again only with --retry-failed", retryable: false)
    }

    /// `generic`, except that a 2xx or 5xx the route's tables do not describe may have been charged.
    static func syncGeneric(_ reply: HTTPReply, scrub: (String) -> String) -> CallFailure {
        let failure = generic(reply, scrub: scrub)
        guard (200...299).contains(reply.status) || (500...599).contains(reply.status) else { return failure }
        return uncertain(failure.message, status: reply.status)
    }

    /// Seconds from a `Retry-After` header (seconds or an HTTP date).
    static func retryAfter(_ reply: HTTPReply) -> Double? {
        guard let value = reply.header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// A failure for an answer that matches none of a route's forms: its status and a short excerpt.
    static func generic(_ reply: HTTPReply, scrub: (String) -> String) -> CallFailure {
        let kind: LockError.Kind
        var retryable = false
        switch reply.status {
        case 401, 403: kind = .auth
        case 402: kind = .billing
        case 408, 429: kind = .server; retryable = true
        case 500...599: kind = .server; retryable = true
        case 200...299: kind = .server; retryable = true
        default: kind = .invalid
        }
        let body = reply.excerpt(scrub: scrub)
        return CallFailure(kind: kind, code: String(reply.status), message: "HTTP \(reply.status)" + (body.isEmpty ? "" : ": \(body)"),
                           retryable: retryable, retryAfter: retryAfter(reply))
    }

    // MARK: Gemini

    static func gemini(_ reply: HTTPReply, scrub: (String) -> String) -> Result<SyncResult, CallFailure> {
        guard let json = reply.json else {
            if reply.status == 200 {
                return .failure(uncertain("HTTP 200, but the answer is not JSON: \(reply.excerpt(scrub: scrub))", status: 200))
            }
            return .failure(syncGeneric(reply, scrub: scrub))
        }
        guard reply.status == 200 else {
            guard let error = json["error"], let status = error["status"]?.stringValue else { return .failure(syncGeneric(reply, scrub: scrub)) }
            let message = error["message"]?.stringValue.map(scrub) ?? reply.excerpt(scrub: scrub)
            var failure = CallFailure(kind: .invalid, code: status, message: message, retryable: false, retryAfter: retryAfter(reply))
            switch status {
            case "INVALID_ARGUMENT", "NOT_FOUND", "OUT_OF_RANGE": failure.kind = .invalid
            case "FAILED_PRECONDITION": failure.kind = .billing
            case "PERMISSION_DENIED", "UNAUTHENTICATED": failure.kind = .auth
            case "RESOURCE_EXHAUSTED":
                failure.kind = .server
                failure.retryable = true
                if failure.retryAfter == nil {
                    failure.retryAfter = (error["details"]?.arrayValue ?? []).lazy
                        .filter { $0["@type"]?.stringValue?.hasSuffix("google.rpc.RetryInfo") == true }
                        .compactMap { $0["retryDelay"]?.stringValue.flatMap(protoDuration) }.first
                }
            case "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED": failure.kind = .server; failure.retryable = true
            default: return .failure(syncGeneric(reply, scrub: scrub))
            }
            return .failure(failure)
        }
        if let reason = json["promptFeedback"]?["blockReason"]?.stringValue {
            return .failure(CallFailure(kind: .moderation, code: reason, message: "the prompt was blocked (\(reason))", retryable: false))
        }
        guard let candidate = json["candidates"]?.arrayValue?.first else {
            return .failure(uncertain("HTTP 200, but the answer has neither candidates nor a block reason", status: 200))
        }
        let finish = candidate["finishReason"]?.stringValue
        let parts = (candidate["content"]?["parts"]?.arrayValue ?? []).filter { $0["thought"]?.boolValue != true }
        let text = parts.compactMap { $0["text"]?.stringValue }.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
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
            return .failure(uncertain("HTTP 200, but its image cannot be decoded", status: 200))
        }
        if let finish, geminiModerationReasons.contains(finish) {
            return .failure(CallFailure(kind: .moderation, code: finish, message: "no image: the model stopped with \(finish)", retryable: false))
        }
        guard !images.isEmpty else {
            // Text only is the model's refusal; nothing at all is an answer Folio cannot read.
            guard !text.isEmpty else {
                return .failure(uncertain("HTTP 200, but the answer holds neither an image nor text (finishReason \(finish ?? "none"))", status: 200))
            }
            let said = ": \(text.count > 200 ? String(text.prefix(197)) + "..." : text)"
            return .failure(CallFailure(kind: .moderation, code: finish ?? "NO_IMAGE", message: "the model answered without an image\(said)", retryable: false))
        }
        return .success(SyncResult(images: [images.last!], text: text.isEmpty ? nil : text, cost: json["usageMetadata"],
                                   requestID: json["responseId"]?.stringValue))
    }

    /// `15s`, `0.5s`, `1.5s` → seconds.
    static func protoDuration(_ text: String) -> Double? {
        guard text.hasSuffix("s") else { return nil }
        return Double(text.dropLast())
    }

    // MARK: DashScope

    static func dashscope(_ reply: HTTPReply, scrub: (String) -> String) -> Result<SyncResult, CallFailure> {
        guard let json = reply.json else {
            if reply.status == 200 {
                return .failure(uncertain("HTTP 200, but the answer is not JSON: \(reply.excerpt(scrub: scrub))", status: 200))
            }
            return .failure(syncGeneric(reply, scrub: scrub))
        }
        if reply.status == 200, let choices = json["output"]?["choices"]?.arrayValue {
            let urls = choices.flatMap { ($0["message"]?["content"]?.arrayValue ?? []).compactMap { $0["image"]?.stringValue } }
            guard !urls.isEmpty else {
                return .failure(uncertain("HTTP 200, but the answer has no image URL", status: 200))
            }
            return .success(SyncResult(images: urls.map { .url($0) }, text: nil, cost: json["usage"], requestID: json["request_id"]?.stringValue))
        }
        guard let code = json["code"]?.stringValue else { return .failure(syncGeneric(reply, scrub: scrub)) }
        let message = json["message"]?.stringValue.map(scrub) ?? reply.excerpt(scrub: scrub)
        var failure = CallFailure(kind: .invalid, code: code, message: message, retryable: false, retryAfter: retryAfter(reply))
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

    // MARK: Kling

    /// A create or query answer: branched on `code`, not on the HTTP status.
    static func kling(_ reply: HTTPReply, scrub: (String) -> String) -> Result<TaskSnapshot, CallFailure> {
        guard let json = reply.json, let code = json["code"]?.intValue else {
            if reply.status == 200 {
                return .failure(CallFailure(kind: .server, code: nil, message: "the answer is not JSON: \(reply.excerpt(scrub: scrub))", retryable: true))
            }
            return .failure(generic(reply, scrub: scrub))
        }
        let message = json["message"]?.stringValue.map(scrub) ?? reply.excerpt(scrub: scrub)
        guard code == 0 else {
            var failure = CallFailure(kind: .invalid, code: String(code), message: message, retryable: false, retryAfter: retryAfter(reply))
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
        guard let data = json["data"], let taskID = data["task_id"]?.stringValue, let status = data["task_status"]?.stringValue else {
            return .failure(CallFailure(kind: .server, code: "0", message: "the answer has no task", retryable: true))
        }
        let result = data["task_result"]
        // Omni answers in `images` or, for a series, `series_images`: whichever holds any.
        let single = result?["images"]?.arrayValue ?? [], series = result?["series_images"]?.arrayValue ?? []
        let images = (single.isEmpty ? series : single)
            .sorted { ($0["index"]?.intValue ?? 0) < ($1["index"]?.intValue ?? 0) }
            .compactMap { $0["url"]?.stringValue }
        let statusMessage = data["task_status_msg"]?.stringValue
        return .success(TaskSnapshot(
            taskID: taskID, status: status, message: statusMessage?.isEmpty == false ? scrub(statusMessage!) : nil, urls: images,
            cost: data["final_unit_deduction"].map { .object([("final_unit_deduction", $0)]) }, requestID: json["request_id"]?.stringValue))
    }
}
