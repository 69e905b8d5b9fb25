/// An image's format and pixel size, read from its first bytes without decoding it.
public struct ImageHeader: Sendable, Hashable {
    /// `png`, `jpeg`, `webp`, `heic` or `heif`.
    public var format: String
    /// Nil where the header does not say (HEIF keeps it deep in its boxes).
    public var width: Int?
    public var height: Int?

    /// The MIME type of the format.
    public var mime: String { "image/\(format)" }

    /// The file extension Folio writes for the format.
    public var fileExtension: String { format == "jpeg" ? "jpg" : format }

    /// Reads the header of `bytes`; nil when they are none of the formats Folio knows.
    public static func read(_ bytes: some Collection<UInt8>) -> ImageHeader? {
        let b = Array(bytes.prefix(256 * 1024))
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            guard b.count >= 24 else { return ImageHeader(format: "png") }
            return ImageHeader(format: "png", width: be32(b, 16), height: be32(b, 20))
        }
        if b.starts(with: [0xFF, 0xD8, 0xFF]) {
            return jpeg(b)
        }
        if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) {
            return webp(b)
        }
        if b.count >= 12, Array(b[4..<8]) == Array("ftyp".utf8) {
            let brand = String(decoding: b[8..<12], as: UTF8.self)
            if ["heic", "heix", "hevc", "hevx", "heim", "heis"].contains(brand) { return ImageHeader(format: "heic") }
            if ["mif1", "msf1", "heif"].contains(brand) { return ImageHeader(format: "heif") }
            if brand == "avif" || brand == "avis" { return ImageHeader(format: "avif") }
        }
        return nil
    }

    private static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    private static func be32(_ b: [UInt8], _ i: Int) -> Int { be16(b, i) << 16 | be16(b, i + 2) }
    private static func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func le24(_ b: [UInt8], _ i: Int) -> Int { le16(b, i) | Int(b[i + 2]) << 16 }

    private static func jpeg(_ b: [UInt8]) -> ImageHeader {
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { i += 1; continue }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            let length = be16(b, i + 2)
            // Start-of-frame markers carry the size; C4, C8 and CC are other tables.
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                return ImageHeader(format: "jpeg", width: be16(b, i + 7), height: be16(b, i + 5))
            }
            i += 2 + length
        }
        return ImageHeader(format: "jpeg")
    }

    private static func webp(_ b: [UInt8]) -> ImageHeader {
        guard b.count >= 30 else { return ImageHeader(format: "webp") }
        let chunk = String(decoding: b[12..<16], as: UTF8.self)
        switch chunk {
        case "VP8 ":
            return ImageHeader(format: "webp", width: le16(b, 26) & 0x3FFF, height: le16(b, 28) & 0x3FFF)
        case "VP8L":
            let bits = UInt32(b[21]) | UInt32(b[22]) << 8 | UInt32(b[23]) << 16 | UInt32(b[24]) << 24
            return ImageHeader(format: "webp", width: Int(bits & 0x3FFF) + 1, height: Int((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            return ImageHeader(format: "webp", width: le24(b, 24) + 1, height: le24(b, 27) + 1)
        default:
            return ImageHeader(format: "webp")
        }
    }
}
