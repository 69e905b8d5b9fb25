/// Folio's metadata written into a downloaded original without decoding it (SPEC §7, issue 10):
/// the file's chunks or segments are copied as they are, the ones that held an earlier XMP packet,
/// `parameters` text or EXIF block are left out, and Folio's are put in their place. The image
/// data is never touched, so the pixels are the original's, and embedding again gives the same
/// bytes. PNG, JPEG and WebP; the caller decides whether a file may be changed at all (a file with
/// C2PA Content Credentials may not), and this refuses one that carries them in any case.
public enum OriginalEmbedding {
    /// An original with the metadata written in, and what of it could not be.
    public struct Embedded: Sendable, Hashable {
        public var bytes: [UInt8]
        /// One sentence for each part of the metadata the format could not hold and that was left
        /// out (a JPEG segment holds at most 64 KB); empty when everything is in `bytes`.
        public var warnings: [String]

        public init(bytes: [UInt8], warnings: [String] = []) {
            self.bytes = bytes
            self.warnings = warnings
        }
    }

    /// `original` with `metadata` written in; nil when the file is not a PNG, JPEG or WebP, is
    /// malformed (truncated, a length past its end, no image data), carries C2PA Content
    /// Credentials, which any change would invalidate, or is a multi-picture JPEG whose metadata
    /// could not be replaced without moving its other images. Never traps, whatever the bytes.
    ///
    /// With `removingAllText`, every other text the file holds goes too (PNG text chunks, JPEG
    /// comments and IPTC segments): for a prompt with private fields, whatever a provider wrote
    /// there might be the prompt.
    public static func embed(_ metadata: EmbeddedMetadata, into original: [UInt8], removingAllText: Bool = false) -> Embedded? {
        if original.starts(with: PNG.signature) { return PNG.embed(metadata, into: original, removingAllText: removingAllText) }
        if original.starts(with: [0xFF, 0xD8]) { return JPEG.embed(metadata, into: original, removingAllText: removingAllText) }
        if original.count >= 12, original[0..<4].elementsEqual("RIFF".utf8), original[8..<12].elementsEqual("WEBP".utf8) {
            return WebP.embed(metadata, into: original)
        }
        return nil
    }

    /// The text a PNG `parameters` chunk holds, and whether it is `iTXt`: as stable-diffusion-webui
    /// writes it through Pillow's `PngInfo.add_text`, a `tEXt` chunk when every character is Latin-1,
    /// else an uncompressed `iTXt` chunk in UTF-8.
    static func parametersText(_ text: String) -> (bytes: [UInt8], international: Bool) {
        if text.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
            return (text.unicodeScalars.map { UInt8($0.value) }, false)
        }
        return (Array(text.utf8), true)
    }
}

// MARK: - PNG

extension OriginalEmbedding {
    /// Chunks of a PNG file: text chunks with Folio's keywords and any `eXIf` are replaced by an
    /// `iTXt` XMP chunk and a `parameters` chunk, written just before the first `IDAT`.
    enum PNG {
        static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        static let xmpKeyword = Array("XML:com.adobe.xmp".utf8)
        static let parametersKeyword = Array("parameters".utf8)

        /// One chunk: its type and where it lies, length field to CRC.
        struct Chunk {
            var type: String
            var range: Range<Int>
            var data: Range<Int>
        }

        static func embed(_ metadata: EmbeddedMetadata, into original: [UInt8], removingAllText: Bool) -> Embedded? {
            guard let (chunks, end) = chunks(of: original), let header = chunks.first, header.type == "IHDR", header.data.count == 13,
                chunks.contains(where: { $0.type == "IDAT" }), !chunks.contains(where: { $0.type == "caBX" })
            else { return nil }
            let text: Set<String> = ["tEXt", "zTXt", "iTXt"]
            let kept = chunks.filter { !isReplaced($0, in: original) && !(removingAllText && text.contains($0.type)) }
            var inserted: [UInt8] = []
            if !metadata.xmp.isEmpty {
                // Keyword, then compression flag and method 0 (none), an empty language tag and translated keyword.
                inserted += chunk("iTXt", xmpKeyword + [0, 0, 0, 0, 0] + metadata.xmp)
            }
            if !metadata.parameters.isEmpty {
                let (text, international) = parametersText(metadata.parameters)
                inserted += international ? chunk("iTXt", parametersKeyword + [0, 0, 0, 0, 0] + text) : chunk("tEXt", parametersKeyword + [0] + text)
            }
            var out = signature
            out.reserveCapacity(original.count + inserted.count)
            var placed = false
            for chunk in kept {
                if !placed, chunk.type == "IDAT" {
                    out += inserted
                    placed = true
                }
                out.append(contentsOf: original[chunk.range])
            }
            // Bytes after IEND are not the image's, but they are the file's: kept as they were.
            out.append(contentsOf: original[end...])
            return Embedded(bytes: out)
        }

        /// The chunks up to and including `IEND`, and where `IEND` ends; nil when a length runs
        /// past the end, a type is not four letters, or there is no `IEND`. CRCs are not checked:
        /// every kept chunk is copied as it was.
        static func chunks(of bytes: [UInt8]) -> ([Chunk], Int)? {
            var chunks: [Chunk] = []
            var at = signature.count
            while true {
                guard let length = be32(bytes, at), length <= 0x7FFF_FFFF, bytes.count - at >= 12 + length else { return nil }
                let typeBytes = bytes[(at + 4)..<(at + 8)]
                guard typeBytes.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else { return nil }
                let type = String(decoding: typeBytes, as: UTF8.self)
                chunks.append(Chunk(type: type, range: at..<(at + 12 + length), data: (at + 8)..<(at + 8 + length)))
                at += 12 + length
                if type == "IEND" { return (chunks, at) }
            }
        }

        /// Whether `chunk` holds what Folio writes: an XMP packet or a `parameters` text (`tEXt`,
        /// `zTXt` or `iTXt`, found by keyword), or an EXIF block.
        static func isReplaced(_ chunk: Chunk, in bytes: [UInt8]) -> Bool {
            switch chunk.type {
            case "eXIf": return true
            case "tEXt", "zTXt", "iTXt":
                let data = bytes[chunk.data]
                guard let zero = data.firstIndex(of: 0) else { return false }
                let keyword = data[data.startIndex..<zero]
                return keyword.elementsEqual(xmpKeyword) || keyword.elementsEqual(parametersKeyword)
            default: return false
            }
        }

        /// A whole chunk: length, type, data and the CRC-32 of type and data.
        static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typeAndData = Array(type.utf8) + data
            return be32Bytes(UInt32(data.count)) + typeAndData + be32Bytes(crc32(typeAndData))
        }
    }
}

// MARK: - JPEG

extension OriginalEmbedding {
    /// Segments of a JPEG file before its first scan: APP1 EXIF and XMP segments (with any
    /// extended XMP, which belongs to the packet it extends) are replaced by an APP1 EXIF segment
    /// holding the `parameters` text in `UserComment` and an APP1 XMP segment, right after SOI
    /// and the APP0 segments (JFIF, JFXX) that follow it. Everything from the first SOS on is
    /// copied as it is, once a walk over it has found EOI.
    enum JPEG {
        static let xmpHeader = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
        static let extendedXMPHeader = Array("http://ns.adobe.com/xmp/extension/\0".utf8)
        static let exifHeader = Array("Exif\0".utf8)
        /// The largest packet one APP1 segment holds, as the XMP specification (part 3) gives it;
        /// a larger one needs extended XMP, which Folio does not write.
        static let maxXMP = 65_502
        /// The largest payload of one segment: its 16-bit length counts itself.
        static let maxPayload = 65_533

        /// One marker segment before the first scan: its marker and where it lies, fill bytes and marker to its end.
        struct Segment {
            var marker: UInt8
            var range: Range<Int>
            var payload: Range<Int>
        }

        static func embed(_ metadata: EmbeddedMetadata, into original: [UInt8], removingAllText: Bool) -> Embedded? {
            guard let (segments, scan) = header(of: original), endOfImage(original, from: scan) != nil else { return nil }
            // APP11 carrying JUMBF ("JP") is where C2PA Content Credentials live in a JPEG. Any such
            // box is left alone, even one the detector does not take for a C2PA store: a signature
            // Folio does not recognise is still never broken.
            if segments.contains(where: { $0.marker == 0xEB && original[$0.payload].starts(with: [0x4A, 0x50]) }) { return nil }
            let isReplaced = { (segment: Segment) -> Bool in
                // Comments and IPTC (Photoshop APP13), when every text must go.
                if removingAllText, segment.marker == 0xFE || segment.marker == 0xED { return true }
                guard segment.marker == 0xE1 else { return false }
                let payload = original[segment.payload]
                return payload.starts(with: exifHeader) || payload.starts(with: xmpHeader) || payload.starts(with: extendedXMPHeader)
            }
            // A multi-picture file (MPF: Ultra HDR gain maps, stereo pairs) locates its other images
            // from its APP2 segment: removing a segment after that one would move them out from under it.
            if let index = segments.firstIndex(where: { $0.marker == 0xE2 && original[$0.payload].starts(with: Array("MPF\0".utf8)) }),
                segments[index...].contains(where: isReplaced)
            {
                return nil
            }
            let kept = segments.filter { !isReplaced($0) }
            var inserted: [UInt8] = []
            var warnings: [String] = []
            if let exif = metadata.exif {
                if exif.count <= maxPayload {
                    inserted += segment(0xE1, exif)
                } else {
                    warnings.append(
                        "the parameters text makes an EXIF block of \(exif.count) bytes, over the \(maxPayload) one JPEG segment holds; the original carries it only in XMP"
                    )
                }
            }
            if !metadata.xmp.isEmpty {
                if metadata.xmp.count <= maxXMP {
                    inserted += segment(0xE1, xmpHeader + metadata.xmp)
                } else {
                    warnings.append(
                        "the XMP packet is \(metadata.xmp.count) bytes, over the \(maxXMP) one JPEG segment holds; the original carries no XMP")
                }
            }
            let position = kept.firstIndex(where: { $0.marker != 0xE0 }) ?? kept.count
            var out: [UInt8] = [0xFF, 0xD8]
            out.reserveCapacity(original.count + inserted.count)
            for segment in kept[..<position] { out.append(contentsOf: original[segment.range]) }
            out += inserted
            for segment in kept[position...] { out.append(contentsOf: original[segment.range]) }
            out.append(contentsOf: original[scan...])
            return Embedded(bytes: out, warnings: warnings)
        }

        /// The segments between SOI and the first SOS, and where that SOS begins; nil when a length
        /// runs past the end, a byte that should start a marker does not, or there is no SOS.
        static func header(of bytes: [UInt8]) -> ([Segment], Int)? {
            var segments: [Segment] = []
            var at = 2
            while true {
                guard at < bytes.count, bytes[at] == 0xFF else { return nil }
                var marker = at + 1
                while marker < bytes.count, bytes[marker] == 0xFF { marker += 1 }
                guard marker < bytes.count else { return nil }
                switch bytes[marker] {
                case 0xDA: return (segments, at)
                case 0x01, 0xD0...0xD7:
                    segments.append(Segment(marker: bytes[marker], range: at..<(marker + 1), payload: (marker + 1)..<(marker + 1)))
                    at = marker + 1
                case 0x00, 0xD8, 0xD9: return nil
                default:
                    guard let length = be16(bytes, marker + 1), length >= 2, bytes.count - (marker + 1) >= length else { return nil }
                    let end = marker + 1 + length
                    segments.append(Segment(marker: bytes[marker], range: at..<end, payload: (marker + 3)..<end))
                    at = end
                }
            }
        }

        /// Where EOI ends, walking the scans and segments from the first SOS: entropy-coded data
        /// (with its stuffed zeros and restart markers) and the tables between progressive scans.
        /// Nil when a segment runs past the end or the file stops before EOI.
        static func endOfImage(_ bytes: [UInt8], from start: Int) -> Int? {
            var at = start
            while let fill = bytes[at...].firstIndex(of: 0xFF) {
                var marker = fill + 1
                while marker < bytes.count, bytes[marker] == 0xFF { marker += 1 }
                guard marker < bytes.count else { return nil }
                switch bytes[marker] {
                case 0x00, 0x01, 0xD0...0xD7: at = marker + 1
                case 0xD9: return marker + 1
                case 0xD8: return nil
                default:
                    guard let length = be16(bytes, marker + 1), length >= 2, bytes.count - (marker + 1) >= length else { return nil }
                    at = marker + 1 + length
                }
            }
            return nil
        }

        /// A whole segment: marker and a length that counts itself.
        static func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
            [0xFF, marker] + be16Bytes(UInt16(payload.count + 2)) + payload
        }
    }
}

// MARK: - WebP

extension OriginalEmbedding {
    /// Chunks of a WebP file: `EXIF` and `XMP ` chunks are replaced by Folio's, written after the
    /// image data as the container specification orders them, and the VP8X flags say so. A simple
    /// (`VP8 ` or `VP8L`) file becomes an extended one, its canvas size read from the bitstream.
    enum WebP {
        static let exifFlag: UInt8 = 0x08
        static let xmpFlag: UInt8 = 0x04
        static let alphaFlag: UInt8 = 0x10

        /// One chunk: its FourCC and where it lies, header to padding.
        struct Chunk {
            var fourCC: String
            var range: Range<Int>
            var data: Range<Int>
        }

        static func embed(_ metadata: EmbeddedMetadata, into original: [UInt8]) -> Embedded? {
            guard let (chunks, end) = chunks(of: original), let first = chunks.first,
                !chunks.contains(where: { $0.fourCC == "C2PA" })
            else { return nil }
            // The WebP container holds EXIF as a bare TIFF structure, without JPEG's "Exif\0\0".
            let exif = metadata.exif.map { Array($0.dropFirst(6)) }
            let xmp = metadata.xmp.isEmpty ? nil : metadata.xmp
            var kept = chunks.filter { $0.fourCC != "EXIF" && $0.fourCC != "XMP " }.map { original[$0.range] }
            let flags = (exif == nil ? 0 : exifFlag) | (xmp == nil ? 0 : xmpFlag)
            let imageTypes: Set<String> = ["VP8 ", "VP8L", "ALPH", "ANMF"]
            var position: Int
            switch first.fourCC {
            case "VP8X":
                guard first.data.count >= 10,
                    let last = chunks.filter({ $0.fourCC != "EXIF" && $0.fourCC != "XMP " }).lastIndex(where: { imageTypes.contains($0.fourCC) })
                else { return nil }
                var vp8x = Array(kept[0])
                vp8x[8] = (vp8x[8] & ~(exifFlag | xmpFlag)) | flags
                kept[0] = vp8x[...]
                position = last + 1
            case "VP8 ", "VP8L":
                guard let (width, height, alpha) = canvas(first, in: original) else { return nil }
                position = 1
                if flags != 0 {
                    let data = [flags | (alpha ? alphaFlag : 0), 0, 0, 0] + le24(width - 1) + le24(height - 1)
                    kept.insert(chunk("VP8X", data)[...], at: 0)
                    position = 2
                }
            default: return nil
            }
            var inserted: [ArraySlice<UInt8>] = []
            if let exif { inserted.append(chunk("EXIF", exif)[...]) }
            if let xmp { inserted.append(chunk("XMP ", xmp)[...]) }
            kept.insert(contentsOf: inserted, at: position)
            let size = kept.reduce(4) { $0 + $1.count }
            guard size <= Int(UInt32.max) else { return nil }
            var out = Array("RIFF".utf8) + le32Bytes(UInt32(size)) + Array("WEBP".utf8)
            out.reserveCapacity(size + 8 + original.count - end)
            for chunk in kept { out.append(contentsOf: chunk) }
            out.append(contentsOf: original[end...])
            return Embedded(bytes: out)
        }

        /// The chunks inside the RIFF container, and where it ends; nil when its size or a chunk's
        /// runs past the end of the file or a chunk is not padded to an even length.
        static func chunks(of bytes: [UInt8]) -> ([Chunk], Int)? {
            guard let riffSize = le32(bytes, 4), riffSize >= 4, bytes.count - 8 >= riffSize else { return nil }
            let end = 8 + riffSize
            var chunks: [Chunk] = []
            var at = 12
            while at < end {
                guard end - at >= 8, let size = le32(bytes, at + 4) else { return nil }
                let padded = size + (size & 1)
                guard end - (at + 8) >= padded else { return nil }
                let fourCC = String(decoding: bytes[at..<(at + 4)], as: UTF8.self)
                chunks.append(Chunk(fourCC: fourCC, range: at..<(at + 8 + padded), data: (at + 8)..<(at + 8 + size)))
                at += 8 + padded
            }
            return (chunks, end)
        }

        /// The canvas of a simple file, from its one bitstream: a VP8 key frame's 14-bit sizes,
        /// or a VP8L header's sizes and alpha hint.
        static func canvas(_ chunk: Chunk, in bytes: [UInt8]) -> (Int, Int, Bool)? {
            let data = chunk.data
            if chunk.fourCC == "VP8 " {
                guard data.count >= 10, bytes[data.lowerBound] & 1 == 0,
                    bytes[(data.lowerBound + 3)..<(data.lowerBound + 6)].elementsEqual([0x9D, 0x01, 0x2A]),
                    let width = le16(bytes, data.lowerBound + 6), let height = le16(bytes, data.lowerBound + 8)
                else { return nil }
                let (w, h) = (width & 0x3FFF, height & 0x3FFF)
                return w > 0 && h > 0 ? (w, h, false) : nil
            }
            guard data.count >= 5, bytes[data.lowerBound] == 0x2F, let bits = le32(bytes, data.lowerBound + 1), bits >> 29 == 0 else { return nil }
            return ((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, (bits >> 28) & 1 == 1)
        }

        /// A whole chunk: FourCC, little-endian size, data and a padding byte when the size is odd.
        static func chunk(_ fourCC: String, _ data: [UInt8]) -> [UInt8] {
            Array(fourCC.utf8) + le32Bytes(UInt32(data.count)) + data + (data.count % 2 == 1 ? [0] : [])
        }

        static func le24(_ value: Int) -> [UInt8] {
            [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF)]
        }
    }
}

// MARK: - Bytes

extension OriginalEmbedding {
    /// CRC-32 as PNG computes it (ISO 3309, reflected polynomial 0xEDB88320), from a table.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static let crcTable: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// Integers read at `at`, or nil when they would run past the end.
    static func be16(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, bytes.count - at >= 2 else { return nil }
        return Int(bytes[at]) << 8 | Int(bytes[at + 1])
    }

    static func be32(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, bytes.count - at >= 4 else { return nil }
        return Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
    }

    static func le16(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, bytes.count - at >= 2 else { return nil }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8
    }

    static func le32(_ bytes: [UInt8], _ at: Int) -> Int? {
        guard at >= 0, bytes.count - at >= 4 else { return nil }
        return Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }

    static func be16Bytes(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

    static func be32Bytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func le32Bytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }
}
