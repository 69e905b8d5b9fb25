import Foundation

/// What every rendition of one original carries (SPEC §7): an XMP packet with the prompt, the
/// parameters and the AI labels, and the A1111-style `parameters` text, which PNG files hold in a
/// text chunk and JPEG, WebP and AVIF files in EXIF `UserComment`.
public struct EmbeddedMetadata: Sendable, Hashable {
    public var xmp: [UInt8]
    public var parameters: String

    public init(xmp: [UInt8], parameters: String) {
        self.xmp = xmp
        self.parameters = parameters
    }

    /// A small stand-in, to ask whether a file can take metadata at all.
    static let probe = EmbeddedMetadata(xmp: Array("<x/>".utf8), parameters: "x")

    /// A digest of what is embedded: a rendition written with other metadata is written again.
    public var digest: String {
        SHA256Hex.of(Array("folio-metadata 1\n".utf8) + xmp + [0] + Array(parameters.utf8))
    }

    /// The EXIF block libvips writes into JPEG, WebP and AVIF files (nil when there is no text).
    var exif: [UInt8]? {
        parameters.isEmpty ? nil : ExifBlock.userComment(parameters)
    }
}

/// A minimal EXIF block: `Exif\0\0`, a big-endian TIFF header, IFD0 pointing to an Exif IFD that
/// holds one `UserComment`, written as A1111 and piexif write it: `UNICODE\0` and UTF-16 (big-endian,
/// as the TIFF header says), so prompts in any script survive. (libvips' own `exif-ifd2-UserComment`
/// field writes ASCII and turns every other character into '?'.)
enum ExifBlock {
    static func userComment(_ text: String) -> [UInt8] {
        var comment = Array("UNICODE\0".utf8)
        for unit in text.utf16 { comment += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
        var tiff: [UInt8] = Array("MM".utf8) + be16(42) + be32(8)
        // IFD0 at 8: one entry, ExifIFDPointer (0x8769, LONG) → the Exif IFD at 26.
        tiff += be16(1) + be16(0x8769) + be16(4) + be32(1) + be32(26) + be32(0)
        // Exif IFD at 26: one entry, UserComment (0x9286, UNDEFINED) → its bytes at 44.
        tiff += be16(1) + be16(0x9286) + be16(7) + be32(UInt32(comment.count)) + be32(44) + be32(0)
        tiff += comment
        return Array("Exif\0\0".utf8) + tiff
    }

    static func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
    static func be32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
