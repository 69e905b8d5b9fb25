import Foundation

/// What every route's answer reading shares: transport failures, answers outside a route's own
/// forms, `Retry-After`. Each route reads its own answers (`Route.classify`).
enum Classify {
    static func transport(_ error: any Error) -> CallFailure {
        let failure = error as? TransportFailure ?? TransportFailure(message: "\(error)", timedOut: false)
        var call = CallFailure(kind: failure.timedOut ? .timeout : .network, code: nil, message: failure.message, retryable: true)
        call.mayHaveArrived = failure.mayHaveArrived
        return call
    }

    /// A sync route's answer that may stand for a charged call without a usable image: a `200` that
    /// does not parse or holds no image, or a server error outside the route's own error form.
    static func uncertain(_ message: String, status: Int) -> CallFailure {
        CallFailure(
            kind: .uncertain, code: String(status),
            message: "\(message); the call may have been charged. It is sent again only with --retry-failed", retryable: false)
    }

    /// `generic`, except that a 2xx or 5xx the route's tables do not describe may have been charged.
    static func syncGeneric(_ reply: HTTPReply, scrub: (String) -> String) -> CallFailure {
        let failure = generic(reply, scrub: scrub)
        guard (200...299).contains(reply.status) || (500...599).contains(reply.status) else { return failure }
        return uncertain(failure.message, status: reply.status)
    }

    /// A sync route's answer that is not JSON: a 200 may stand for a charged call; anything else
    /// is read by its status.
    static func syncNotJSON(_ reply: HTTPReply, scrub: (String) -> String) -> CallFailure {
        guard reply.status == 200 else { return syncGeneric(reply, scrub: scrub) }
        return uncertain("HTTP 200, but the answer is not JSON: \(reply.excerpt(scrub: scrub))", status: 200)
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
        return CallFailure(
            kind: kind, code: String(reply.status), message: "HTTP \(reply.status)" + (body.isEmpty ? "" : ": \(body)"),
            retryable: retryable, retryAfter: retryAfter(reply))
    }
}
