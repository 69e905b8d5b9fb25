import Foundation

/// One HTTP answer, body collected.
struct HTTPReply: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(body)) }

    /// At most 500 characters of the body for messages, scrubbed before it is cut so no part of a
    /// secret survives. Only the first 64 KB are read: megabytes of base64 need no scrubbing to be dropped.
    func excerpt(scrub: (String) -> String) -> String {
        let text = scrub(String(decoding: body.prefix(64 * 1024), as: UTF8.self))
            .replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
        return text.count > 500 ? String(text.prefix(497)) + "..." : text
    }
}
