import FolioCore
import Foundation

/// One request the simulator answered, as tests read it. Never holds the key.
public struct SimulatorLogEntry: Sendable {
    /// Seconds since the simulator started.
    public var time: Double
    /// `gateway` or `storage`.
    public var host: String
    public var route: RouteID?
    /// `generate` (sync routes), `create`, `query`, `download`, or `other`.
    public var kind: String
    public var method: String
    public var path: String
    public var status: Int
    /// The fault that fired, if any.
    public var fault: FaultKind?
    /// The prompt text the request carried.
    public var prompt: String?
    public var externalTaskID: String?
    public var taskID: String?
    /// `valid`, `missing` or `invalid` at the gateway; `none` or `present` at the storage host.
    public var authorization: String
    /// The request body, with long base64 strings replaced by a summary.
    public var body: JSONValue?

    var json: JSONValue {
        func s(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
        return .object([
            ("time", .double((time * 1000).rounded() / 1000)), ("host", .string(host)), ("route", s(route?.rawValue)),
            ("kind", .string(kind)), ("method", .string(method)), ("path", .string(path)), ("status", .int(status)),
            ("fault", s(fault?.rawValue)), ("prompt", s(prompt)), ("external_task_id", s(externalTaskID)),
            ("task_id", s(taskID)), ("authorization", .string(authorization)), ("body", body ?? .null),
        ])
    }
}

/// The simulator's request log: kept in memory, and appended to a JSON-lines file when configured.
actor RequestLog {
    private(set) var entries: [SimulatorLogEntry] = []
    private let file: FileHandle?

    init(path: String?) {
        if let path {
            FileManager.default.createFile(atPath: path, contents: nil)
            file = FileHandle(forWritingAtPath: path)
        } else {
            file = nil
        }
    }

    func append(_ entry: SimulatorLogEntry) {
        entries.append(entry)
        if let file {
            file.write(Data((entry.json.compact + "\n").utf8))
        }
    }

    /// Long strings (base64 images) replaced by `<N characters>` so the log stays readable.
    static func summarize(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s) where s.utf8.count > 512:
            return .string("<\(s.utf8.count) characters, sha256 \(SHA256Hex.of(Array(s.utf8)).prefix(12))>")
        case .array(let items):
            return .array(items.map(summarize))
        case .object(let pairs):
            return .object(pairs.map { ($0.0, summarize($0.1)) })
        default:
            return value
        }
    }
}
