import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where the gateway is and the key it takes. The key goes to this base URL and nowhere else.
public struct GatewayEndpoint: Sendable {
    /// `https://api.anyint.ai`, no trailing slash.
    public var baseURL: String
    var key: String

    /// Checks that the key may be sent to `baseURL`: over HTTPS, or plain HTTP to a loopback address.
    public init(baseURL: String, key: String) throws(FolioError) {
        let trimmed = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            throw FolioError("the gateway URL '\(baseURL)' is not an absolute URL", exit: .invalidInput)
        }
        guard scheme == "https" || (scheme == "http" && Self.isLoopback(host)) else {
            throw FolioError("refusing to send the API key to \(trimmed): use https, or plain http only to a loopback address", exit: .invalidInput)
        }
        guard !key.isEmpty else { throw FolioError("the API key is empty") }
        self.baseURL = trimmed
        self.key = key
    }

    /// The gateway is on this machine (tests, the simulator): only then may waits be sped up.
    public var isLoopback: Bool {
        URL(string: baseURL)?.host.map { Self.isLoopback($0.lowercased()) } ?? false
    }

    /// `localhost`, `::1`, or an IPv4 literal in 127.0.0.0/8 (not a name that merely starts with `127.`).
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && UInt8($0) != nil }) else { return false }
        return octets[0] == "127"
    }

    /// Removes the key from text that may have echoed it (an error body, a message), also when the
    /// echo is escaped: JSON may write `/` as `\/` and any character as `\u002f`, a URL `%2F`.
    public func scrub(_ text: String) -> String {
        guard key.count >= 4 else { return text }
        let plain = text.replacingOccurrences(of: key, with: "[redacted]")
        guard plain.contains("\\") || plain.contains("%") else { return plain }
        // Fails closed: text that cannot be searched for an escaped echo is not shown at all.
        guard let escaped = Self.escapedEcho(of: key) else { return "[redacted: a message that could not be checked for the API key]" }
        return escaped.stringByReplacingMatches(in: plain, range: NSRange(plain.startIndex..., in: plain), withTemplate: "[redacted]")
    }

    /// A gateway answer with every echo of the key redacted, before anything reads it: a task id, a
    /// URL, a cost report or a message that carried it would otherwise reach folio.lock and the site.
    /// Answers are searched first for the key's longest run of letters and digits (which no encoder
    /// escapes), so a megabyte of base64 without it is passed on untouched.
    func scrubbed(_ body: [UInt8]) -> [UInt8] {
        guard key.count >= 4 else { return body }
        let marker = Self.marker(of: key)
        if !marker.isEmpty, !ByteSearch.contains(body[...], marker) { return body }
        return Array(scrub(String(decoding: body, as: UTF8.self)).utf8)
    }

    /// The key's longest run of ASCII letters and digits, when at least 4 long; else empty (search everything).
    static func marker(of key: String) -> [UInt8] {
        var longest: ArraySlice<UInt8> = []
        var start = 0
        let bytes = Array(key.utf8)
        for index in 0...bytes.count {
            let byte = index < bytes.count ? bytes[index] : 0
            let alphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            if !alphanumeric {
                if index - start > longest.count { longest = bytes[start..<index] }
                start = index + 1
            }
        }
        return longest.count >= 4 ? Array(longest) : []
    }

    /// Matches `key` with any of its characters written as itself, a JSON escape or URL escapes
    /// (letter case ignored: a key told apart only by case is redacted too, which costs nothing).
    static func escapedEcho(of key: String) -> NSRegularExpression? {
        var pattern = ""
        for scalar in key.unicodeScalars {
            var ways = [NSRegularExpression.escapedPattern(for: String(scalar))]
            if scalar == "/" { ways.append(#"\\/"#) }
            let utf16 = String(scalar).utf16.map { #"\\u"# + String(format: "%04x", $0) }.joined()
            ways.append(utf16)
            ways.append(String(scalar).utf8.map { String(format: "%%%02x", $0) }.joined())
            pattern += "(?:" + ways.joined(separator: "|") + ")"
        }
        return try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])
    }
}

/// The one HTTP client Folio uses, for the gateway and for downloads.
public final class GatewayHTTP: Sendable {
    let client: HTTPClient
    let endpoint: GatewayEndpoint
    /// How long one gateway call may take before its answer starts.
    let requestTimeout: TimeAmount

    public init(
        endpoint: GatewayEndpoint, connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(120),
        requestTimeout: Duration = .seconds(300)
    ) {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .init(connectTimeout), read: .init(readTimeout))
        // Redirects are followed by hand, so a download can never be sent on to another scheme.
        configuration.redirectConfiguration = .disallow
        configuration.decompression = .disabled
        // Folio retries with its own backoff; a refused connection should fail now, not after the pool's own retries.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.endpoint = endpoint
        self.requestTimeout = .init(requestTimeout)
    }

    public func shutdown() async {
        try? await client.shutdown()
    }

    /// Sends a request to the gateway, with the key, and collects the answer (at most 64 MB).
    func gateway(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws(TransportFailure) -> HTTPReply {
        var request = HTTPClientRequest(url: endpoint.baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(endpoint.key)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "folio/0.1")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json.compact))
        }
        do {
            let response = try await client.execute(request, timeout: requestTimeout)
            let body = try await response.body.collect(upTo: 64 * 1024 * 1024)
            return HTTPReply(
                status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                body: endpoint.scrubbed(Array(buffer: body)))
        } catch {
            throw Self.transportFailure(error, scrub: endpoint.scrub)
        }
    }

    static func transportFailure(_ error: any Error, scrub: (String) -> String) -> TransportFailure {
        if let error = error as? HTTPClientError {
            let timedOut = error == .readTimeout || error == .connectTimeout || error == .deadlineExceeded
            return TransportFailure(message: scrub(Self.describe(error)), timedOut: timedOut, mayHaveArrived: !neverConnected(error))
        }
        return TransportFailure(message: scrub(describe(other: error)), timedOut: false, mayHaveArrived: !neverConnected(error))
    }

    /// A system error in words (`connection refused`), rather than NIO's own description of it
    /// (`connection reset (error set): Connection refused) (errno: 111)`).
    static func describe(other error: any Error) -> String {
        if let error = error as? IOError, error.errnoCode != 0 {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        return "\(error)"
    }

    /// Whether `error` says for certain that no connection was made, so nothing was sent.
    static func neverConnected(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            let before: [HTTPClientError] = [
                .connectTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
                .getConnectionFromPoolTimeout, .invalidURL, .emptyHost, .emptyScheme, .unsupportedScheme("http"),
            ]
            return before.contains(error)
        }
        if let error = error as? IOError {
            return [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(error.errnoCode)
        }
        // NIOPosix's NIOConnectionError (every address refused, or DNS failed) and a failed TLS
        // handshake, named by type so FolioCore need not link NIOPosix and NIOSSL.
        let type = String(reflecting: Swift.type(of: error))
        if type.hasSuffix("NIOConnectionError") || type.hasSuffix("ChannelError") && "\(error)".contains("connectTimeout") { return true }
        if type.hasSuffix("NIOSSLError") || type.hasSuffix("BoringSSLError") { return "\(error)".lowercased().contains("handshake") }
        return false
    }

    private static func describe(_ error: HTTPClientError) -> String {
        switch error {
        case .readTimeout: "no data arrived in time (read timeout)"
        case .connectTimeout: "could not connect in time"
        case .deadlineExceeded: "the answer did not start in time"
        case .remoteConnectionClosed: "the connection was closed before the answer was complete"
        default: "\(error)"
        }
    }
}
