import Foundation
import Glibc

/// Which file of the rendered site a request path names, if any. Only regular files inside the
/// site folder are answered: no `..`, no hidden files, no links that lead out, no listings.
enum SitePath: Equatable {
    /// A regular file inside the site, by its absolute path, and its path inside the site.
    case file(String, relative: String)
    /// A folder asked for without its slash: `/p/fox` → `/p/fox/`, so the page's relative links work.
    case redirect(String)
    case notFound

    /// Resolves the request path `raw` (as sent, percent-encoded, query cut off) against `site`,
    /// answering only `files`, the paths the render wrote (a folder `--force` rendered into may
    /// hold others).
    static func resolve(_ raw: String, site: String, files: Set<String>) -> SitePath {
        guard raw.hasPrefix("/"), let decoded = percentDecoded(raw) else { return .notFound }
        guard !decoded.contains("\0"), !decoded.contains("\\") else { return .notFound }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        // `..` and `.` never reach the file system; hidden files (`.folio/`, the state kept
        // beside the pages) are not part of the site, except the well-known folder hosts read.
        guard !segments.contains(where: isHidden) else { return .notFound }
        guard let root = realPath(site) else { return .notFound }
        let path = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard let real = realPath(path), let relative = inside(real, root: root) else { return .notFound }
        var info = stat()
        guard stat(real, &info) == 0 else { return .notFound }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // `/index.html/` would break the page's relative links.
            guard !decoded.hasSuffix("/"), files.contains(relative) else { return .notFound }
            return .file(real, relative: relative)
        case S_IFDIR:
            let index = relative.isEmpty ? "index.html" : relative + "/index.html"
            guard let indexReal = realPath(real + "/index.html"), inside(indexReal, root: root) == index, files.contains(index),
                stat(indexReal, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG
            else { return .notFound }
            guard decoded.hasSuffix("/") else {
                return .redirect("/" + segments.map(percentEncoded).joined(separator: "/") + "/")
            }
            return .file(indexReal, relative: index)
        default:
            return .notFound
        }
    }

    static func isHidden(_ segment: some StringProtocol) -> Bool {
        segment.hasPrefix(".") && segment != ".well-known"
    }

    /// `real`'s path inside `root` (both resolved), when it is inside and nothing on the way is hidden.
    private static func inside(_ real: String, root: String) -> String? {
        guard real == root || real.hasPrefix(root + "/") else { return nil }
        let relative = String(real.dropFirst(root.count).drop { $0 == "/" })
        return relative.split(separator: "/").contains(where: isHidden) ? nil : relative
    }

    /// `%XX` decoded, strictly: a malformed escape or bytes that are not UTF-8 name no file.
    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var input = Array(text.utf8)[...]
        while let byte = input.popFirst() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard input.count >= 2, let high = hexValue(input.removeFirst()), let low = hexValue(input.removeFirst()) else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func percentEncoded(_ segment: String) -> String {
        var out = ""
        for byte in segment.utf8 {
            let scalar = Unicode.Scalar(byte)
            if (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-._~".unicodeScalars.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
