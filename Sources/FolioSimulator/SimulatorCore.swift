import FolioCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The shared machinery of the simulator's handlers: configuration, state, log, helpers.
struct SimulatorCore: Sendable {
    let configuration: SimulatorConfiguration
    let state: SimulatorState
    let log: RequestLog
    /// `http://127.0.0.1:PORT` of the storage host.
    let storageBase: String

    // MARK: Time

    /// Real seconds for `seconds` of simulated time.
    func scaled(_ seconds: Double) -> Double { seconds * configuration.timeScale }

    func sleep(simulated seconds: Double) async {
        let real = scaled(seconds)
        if real > 0.0005 { try? await Task.sleep(for: .seconds(real)) }
    }

    /// A simulated latency: `base` seconds give or take `spread`, from the simulator's fixed sequence.
    func latency(_ base: Double, spread: Double) async -> Double {
        if let fixed = configuration.fixedLatency { return fixed / max(configuration.timeScale, 1e-9) }
        let u = await state.uniform()
        return max(0, base + (u * 2 - 1) * spread)
    }

    // MARK: Requests

    enum Authorization: String {
        case valid, missing, invalid
    }

    func authorize(_ request: Request) -> Authorization {
        guard let header = request.headers[.authorization], !header.isEmpty else { return .missing }
        guard header.hasPrefix("Bearer ") else { return .invalid }
        let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty else { return .missing }
        if let key = configuration.key { return token == key ? .valid : .invalid }
        return .valid
    }

    /// The body as JSON; nil when it is not JSON.
    func json(_ request: Request) async throws -> (JSONValue?, Int) {
        let buffer = try await request.body.collect(upTo: 200 * 1024 * 1024)
        let data = Data(buffer: buffer)
        return (try? JSONDecoder().decode(JSONValue.self, from: data), data.count)
    }

    /// The faults that fire for this request: the configuration's and the prompt's markers.
    func faults(route: RouteID, prompt: String, key: String) async -> [FaultRule] {
        var fired: [FaultRule] = []
        let candidates =
            configuration.faults.filter { rule in
                (rule.route == nil || rule.route == route) && (rule.match.map { prompt.contains($0) } ?? true)
            } + Faults.markers(in: prompt)
        for rule in candidates where await state.fires(rule, key: key) {
            fired.append(rule)
        }
        return fired
    }

    func record(
        host: String = "gateway", route: RouteID?, kind: String, request: Request, status: Int, fault: FaultKind? = nil,
        prompt: String? = nil, external: String? = nil, taskID: String? = nil, authorization: String, body: JSONValue? = nil
    ) async {
        let entry = SimulatorLogEntry(
            time: Date().timeIntervalSince(state.started), host: host, route: route, kind: kind,
            method: request.method.rawValue, path: request.uri.path, status: status, fault: fault, prompt: prompt,
            externalTaskID: external, taskID: taskID, authorization: authorization, body: body.map(RequestLog.summarize))
        await log.append(entry)
    }

    // MARK: Responses

    static func respond(_ status: Int, _ body: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(string: body.compact)))
    }

    /// A body that is not JSON, as a broken proxy might send.
    static func malformed() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: "{\"candidates\": [{\"content\": <html><body>502 Bad Gateway</body></html>")))
    }

    struct ConnectionReset: Error {}

    /// Starts a response, then drops the connection half-way through the body.
    static func reset(_ status: Int = 200, partial: String) -> Response {
        Response(
            status: .init(code: status), headers: [.contentType: "application/json", .contentLength: String(partial.utf8.count * 4)],
            body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: partial))
                throw ConnectionReset()
            })
    }

    /// A fingerprint of a request for variant counting, leaving out what differs between retries.
    static func fingerprint(_ body: JSONValue, dropping keys: Set<String> = []) -> String {
        guard case .object(let pairs) = body else { return SHA256Hex.of(Array(body.canonical.utf8)) }
        return SHA256Hex.of(Array(JSONValue.object(pairs.filter { !keys.contains($0.0) }).canonical.utf8))
    }

    /// A 64-bit image seed from a fingerprint, an explicit seed and a variant.
    static func imageSeed(_ fingerprint: String, seed: Int?, variant: Int) -> UInt64 {
        let digest = SHA256Hex.of(Array("\(fingerprint)|\(seed.map(String.init) ?? "-")|\(variant)".utf8))
        return UInt64(digest.prefix(16), radix: 16)!
    }

    /// Up to 60 characters of the prompt, for the title drawn on an image.
    static func title(_ prompt: String) -> String {
        let line = prompt.split(separator: "\n").first.map(String.init) ?? prompt
        return line.count > 60 ? String(line.prefix(57)) + "…" : line
    }
}
