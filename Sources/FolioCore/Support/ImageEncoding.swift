/// How each format of the resized images is encoded (`images.quality` and `images.effort` in
/// `folio.yml`): libvips' quality factor, and for WebP and AVIF how hard the encoder works.
public struct ImageEncoding: Sendable, Hashable {
    /// libvips' Q, 1–100: higher looks better and weighs more.
    public var quality: [ImageOutputFormat: Int] = [.webp: 80, .jpeg: 82, .avif: 55]
    /// The encoder's effort where the format has one (`effortRange`): higher makes slightly smaller
    /// files for much more time. The defaults, measured on photographic 1024×1024 originals
    /// (Benchmarks/encoders.py), keep files within a few percent of effort 4, libvips' own default,
    /// at under half the time for WebP and about a quarter for AVIF.
    public var effort: [ImageOutputFormat: Int] = [.webp: 2, .avif: 3]

    public init() {}

    /// What a format left out of `quality` or `effort` is encoded with.
    static let defaults = ImageEncoding()

    /// The formats that take an effort, and the values libvips accepts for each (JPEG has none).
    public static let effortRange: [ImageOutputFormat: ClosedRange<Int>] = [.webp: 0...6, .avif: 0...9]
    /// The quality factors libvips accepts, for every format.
    public static let qualityRange = 1...100

    /// libvips save options for `format`, in the brackets a target path takes: `[Q=80,effort=2]`.
    public func saveOptions(_ format: ImageOutputFormat) -> String {
        var options = ["Q=\(quality[format] ?? Self.defaults.quality[format]!)"]
        if Self.effortRange[format] != nil, let effort = effort[format] ?? Self.defaults.effort[format] {
            options.append("effort=\(effort)")
        }
        return "[" + options.joined(separator: ",") + "]"
    }

    /// What the renditions of `formats` are encoded with, one `format[options]` a format, sorted:
    /// remembered per original in `.folio/images.json`, so a changed setting renders them again.
    public func record(_ formats: [ImageOutputFormat]) -> String {
        Set(formats).map { "\($0.rawValue)\(saveOptions($0))" }.sorted().joined(separator: " ")
    }

    /// Whether renditions of `formats` made with the settings `record` names are what these
    /// settings make. A record may name more formats than are rendered now: dropping a format
    /// leaves the others as they are.
    public func matches(_ record: String, formats: [ImageOutputFormat]) -> Bool {
        Set(self.record(formats).split(separator: " ")).isSubset(of: record.split(separator: " "))
    }
}
