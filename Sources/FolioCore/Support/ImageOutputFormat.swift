/// A format the site's resized images can be written in (`images.formats` in `folio.yml`).
public enum ImageOutputFormat: String, CaseIterable, Sendable, Codable {
    case webp, jpeg, avif

    /// The file extension of the format.
    public var fileExtension: String {
        switch self {
        case .webp: "webp"
        case .jpeg: "jpg"
        case .avif: "avif"
        }
    }

    /// `image/webp`, `image/jpeg`, `image/avif`.
    public var mime: String { "image/\(rawValue)" }
}
