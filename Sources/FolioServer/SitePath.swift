import FolioCore
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
        guard let root = FastFiles.realPath(site) else { return .notFound }
        let path = segments.isEmpty ? root : root + "/" + segments.joined(separator: "/")
        guard let real = FastFiles.realPath(path), let relative = inside(real, root: root) else { return .notFound }
        var info = stat()
        guard stat(real, &info) == 0 else { return .notFound }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // `/index.html/` would break the page's relative links.
            guard !decoded.hasSuffix("/"), files.contains(relative) else { return .notFound }
            return .file(real, relative: relative)
        case S_IFDIR:
            let index = relative.isEmpty ? "index.html" : relative + "/index.html"
            guard let indexReal = FastFiles.realPath(real + "/index.html"), inside(indexReal, root: root) == index, files.contains(index),
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
        guard FastFiles.isInside(real, root) else { return nil }
        let relative = String(decoding: real.utf8.dropFirst(root.utf8.count).drop { $0 == UInt8(ascii: "/") }, as: UTF8.self)
        return relative.split(separator: "/").contains(where: isHidden) ? nil : relative
    }

    /// `%XX` decoded, strictly: a malformed escape or bytes that are not UTF-8 name no file.
    static func percentDecoded(_ text: String) -> String? {
        text.removingPercentEncoding
    }

    /// A path segment for a `Location`: unreserved characters as they are, every other byte escaped.
    static func percentEncoded(_ segment: String) -> String {
        segment.addingPercentEncoding(withAllowedCharacters: unreserved) ?? segment
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
