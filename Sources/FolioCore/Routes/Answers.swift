/// An image a route returned: inline bytes (Gemini) or a URL to download (DashScope, Kling).
enum ResultImage: Sendable {
    case inline([UInt8], mime: String)
    case url(String)
}

/// A Kling task as a create or query answer shows it.
struct TaskSnapshot: Sendable {
    var taskID: String
    /// `submitted`, `processing`, `succeed` or `failed`.
    var status: String
    var message: String?
    /// Result URLs in index order (`images` or `series_images`).
    var urls: [String]
    var cost: JSONValue?
    var requestID: String?

    var finished: Bool { status == "succeed" || status == "failed" }
}

/// Why a call failed, classified by the reference's tables.
struct CallFailure: Error, Sendable {
    var kind: LockError.Kind
    var code: String?
    var message: String
    /// Whether the reference says to try again.
    var retryable: Bool
    /// How long the provider asked to wait (Retry-After, Gemini's retryDelay), in seconds.
    var retryAfter: Double?
    /// At least this long between tries (Kling's rate limits: 1 s).
    var minimumDelay: Double = 0
    /// Kling's "task not found" (1203): for an external_task_id lookup it means "never created".
    var unknownTask = false

    /// The request may have reached the provider (a transport failure after the connection was made).
    var mayHaveArrived = false

    var lockError: LockError { LockError(kind: kind, code: code, message: message) }

    /// For a paid create on a sync route: a failure after which the call may have been charged
    /// becomes `uncertain`, which is never sent again without `--retry-failed`.
    var forPaidCreate: CallFailure {
        guard mayHaveArrived, kind != .uncertain else { return self }
        return CallFailure(
            kind: .uncertain, code: code,
            message: "\(message); the request had been sent, so the call may have been charged. It is sent again only with --retry-failed",
            retryable: false)
    }

    /// `moderation 1301: Trigger the content security policy…`
    var summary: String { "\(kind.rawValue)\(code.map { " \($0)" } ?? ""): \(message)" }
}

/// A sync route's answer.
struct SyncResult: Sendable {
    var images: [ResultImage]
    var text: String?
    var cost: JSONValue?
    var requestID: String?
}

/// How a request failed before any HTTP answer came back.
struct TransportFailure: Error, Sendable {
    var message: String
    var timedOut: Bool
    /// False only when the connection was never made (refused, unreachable, DNS, TLS handshake), so
    /// the request cannot have reached the provider; anything else may have been received and acted on.
    var mayHaveArrived = true
}
