import FolioCore
import Foundation

/// A misbehaviour the simulator can put on, in each route's own form.
public enum FaultKind: String, Sendable, CaseIterable, Codable {
    /// 429 in the route's form: Gemini `RESOURCE_EXHAUSTED` with `retryDelay`, DashScope `Throttling.RateQuota`, Kling 1302.
    case rateLimit = "rate-limit"
    /// Kling 429 code 1303 (parallel tasks over the limit); elsewhere as `rate-limit`.
    case concurrency
    /// 500/503 in the route's form.
    case serverError = "server-error"
    /// Gemini 200 with `IMAGE_SAFETY`, DashScope `DataInspectionFailed`, Kling 1301 at submit.
    case moderation
    /// Gemini 200 with `promptFeedback.blockReason`.
    case blocked
    /// Gemini 200 with text parts only.
    case refusal
    /// A Kling task that ends `failed` ("Failure to pass the risk control system").
    case taskFailed = "task-failed"
    /// Kling 1102, DashScope `Arrearage`, Gemini `FAILED_PRECONDITION`.
    case billing
    /// No permission for the model or endpoint: Gemini 403 `PERMISSION_DENIED`, DashScope 403 `AccessDenied`, Kling 403 1103.
    case permission
    /// Quota used up, not retryable: DashScope 429 `Throttling.AllocationQuota`, Kling 429 1101; Gemini as `rate-limit`.
    case quota
    /// The answer comes late by `seconds` (real seconds, not scaled).
    case slow
    /// A Kling create makes the task, then waits `seconds` (real) before answering: a client killed meanwhile has paid without knowing the task id.
    case stall
    /// The connection is closed mid-response (for a Kling create: after the task was created).
    case reset
    /// 200 with a body that is not JSON.
    case malformed
    /// Kling queries answer 500 code 5000.
    case pollError = "poll-error"
    /// Result downloads stop half-way.
    case truncate
    /// Result URLs are already expired (403).
    case expired
    /// Gemini puts an interim `"thought": true` image first.
    case thought
    /// Gemini answers with a JPEG.
    case jpeg
}

/// When and where a fault fires.
public struct FaultRule: Sendable, Hashable {
    public var kind: FaultKind
    /// Only on this route, when set.
    public var route: RouteID?
    /// Only for prompts containing this text, when set.
    public var match: String?
    /// Only the first `times` matching requests, when set.
    public var times: Int?
    /// For `slow`: how long, in real seconds.
    public var seconds: Double?

    public init(kind: FaultKind, route: RouteID? = nil, match: String? = nil, times: Int? = nil, seconds: Double? = nil) {
        self.kind = kind
        self.route = route
        self.match = match
        self.times = times
        self.seconds = seconds
    }
}

/// Reading faults from a file and from markers in prompt text.
public enum Faults {
    /// Markers in prompt text: `[[sim:rate-limit x2]]`, `[[sim:slow 3s]]`, `[[sim:moderation]]`.
    public static func markers(in prompt: String) -> [FaultRule] {
        var rules: [FaultRule] = []
        var rest = prompt[...]
        while let open = rest.range(of: "[[sim:"), let close = rest.range(of: "]]", range: open.upperBound..<rest.endIndex) {
            let words = rest[open.upperBound..<close.lowerBound].split(separator: " ")
            rest = rest[close.upperBound...]
            guard let name = words.first, let kind = FaultKind(rawValue: String(name)) else { continue }
            var rule = FaultRule(kind: kind)
            for word in words.dropFirst() {
                if word.hasPrefix("x"), let n = Int(word.dropFirst()) { rule.times = n }
                if let seconds = DurationText.seconds(String(word)) { rule.seconds = seconds }
            }
            rules.append(rule)
        }
        return rules
    }

    /// Reads a faults file: `faults: [{fault: rate-limit, route: gemini, match: fox, times: 2, seconds: 3}]`.
    public static func load(path: String) throws -> [FaultRule] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SimulatorError("cannot read the faults file \(path)")
        }
        // Folio's own YAML reader, not Yams.load: it refuses alias bombs and never traps on a list or mapping as a key.
        let root: JSONValue?
        do {
            root = try YAMLDocument.parse(text, file: path)?.json
        } catch {
            throw SimulatorError(error.description)
        }
        guard let list = root?["faults"]?.arrayValue else {
            throw SimulatorError("\(path): expected 'faults:' followed by a list of {fault, route, match, times, seconds}")
        }
        return try list.enumerated().map { index, item in
            guard let name = item["fault"]?.stringValue, let kind = FaultKind(rawValue: name) else {
                throw SimulatorError("\(path): faults[\(index)]: 'fault' must be one of \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            var rule = FaultRule(kind: kind)
            if let route = item["route"]?.stringValue {
                guard let id = RouteID(rawValue: route) else { throw SimulatorError("\(path): faults[\(index)]: unknown route '\(route)'") }
                rule.route = id
            }
            rule.match = item["match"]?.stringValue
            rule.times = item["times"]?.intValue
            switch item["seconds"] {
            case .double(let seconds): rule.seconds = seconds
            case .int(let seconds): rule.seconds = Double(seconds)
            default: break
            }
            return rule
        }
    }
}

/// A simulator failure to start or to read its configuration.
public struct SimulatorError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
