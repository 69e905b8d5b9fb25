/// What a published file is, by its extension: the `Content-Type` the preview server answers with
/// and an object store is told, and how long a browser may keep it.
public enum ContentType {
    /// The media type of `path`, from its extension (case-insensitive); text types say UTF-8.
    /// Unknown extensions are `application/octet-stream`, which browsers download rather than run.
    public static func of(_ path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "application/octet-stream" }
        return types[name[name.index(after: dot)...].lowercased()] ?? "application/octet-stream"
    }

    static let types: [String: String] = [
        "html": "text/html; charset=utf-8", "htm": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
        "json": "application/json", "xml": "application/xml", "txt": "text/plain; charset=utf-8",
        "md": "text/markdown; charset=utf-8", "webmanifest": "application/manifest+json",
        "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
        "avif": "image/avif", "gif": "image/gif", "svg": "image/svg+xml", "ico": "image/x-icon",
        "mp4": "video/mp4", "webm": "video/webm",
        "woff": "font/woff", "woff2": "font/woff2", "pdf": "application/pdf",
    ]

    /// `img/<sha256>-<width>.<ext>`: a rendition named by its content, which never changes under
    /// that name, so a cache may keep it for a year.
    public static func isContentAddressed(_ path: String) -> Bool {
        guard path.hasPrefix("img/"), !path.dropFirst(4).contains("/") else { return false }
        let name = path.dropFirst(4)
        guard name.count > 65, name.prefix(64).allSatisfy(\.isHexDigit), name.dropFirst(64).first == "-" else { return false }
        return true
    }

    /// The `Cache-Control` a published file is served with: content-addressed renditions for a year,
    /// immutable; everything else (pages, feeds, scripts) revalidated at once.
    public static func cacheControl(_ path: String) -> String {
        isContentAddressed(path) ? "public, max-age=31536000, immutable" : "public, max-age=0, must-revalidate"
    }
}
