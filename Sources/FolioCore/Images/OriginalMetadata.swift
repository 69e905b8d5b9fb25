import CLibXML2
import Foundation

/// What a downloaded original already carries (issue 10, "look before writing"): C2PA Content
/// Credentials, which make Folio publish the file byte for byte, and from its XMP packet the TC260
/// AIGC label (GB 45438-2025), whose producer values Folio's renditions keep, and the IPTC digital
/// source type. Read from the bytes alone, without decoding pixels or trusting any length the file
/// states; the work is linear in the file's size.
public struct OriginalMetadata: Sendable, Hashable {
    /// Whether the original has an XMP packet, and whether it could be read.
    public enum XMP: String, Sendable, Hashable {
        case absent
        case read
        /// Present, but damaged, truncated, compressed by an unknown method, over 16 MiB, or
        /// carrying a DTD (which no XMP packet needs and an entity attack does).
        case unreadable
    }

    /// C2PA Content Credentials are embedded: a PNG `caBX` chunk, a JPEG APP11 segment holding the
    /// C2PA manifest store's JUMBF box, or a WebP `C2PA` chunk. Whether they validate is not checked.
    public var c2pa: Bool
    /// Whether an XMP packet was found, and read.
    public var xmp: XMP
    /// The TC260 producer values (`ContentProducer`, `ProduceID`, `ReservedCode1`); nil when the
    /// label is absent, is not a JSON object, or has none of them.
    public var aigc: ImageProvenance.OriginalLabel?
    /// The TC260 `Label` as found (`1`: generated content), a number written as its digits.
    public var aigcLabel: String?
    /// `Iptc4xmpExt:DigitalSourceType`, a URI of IPTC's digital source type vocabulary.
    public var digitalSourceType: String?

    /// What an original carries; by default nothing.
    public init(
        c2pa: Bool = false, xmp: XMP = .absent, aigc: ImageProvenance.OriginalLabel? = nil, aigcLabel: String? = nil,
        digitalSourceType: String? = nil
    ) {
        self.c2pa = c2pa
        self.xmp = xmp
        self.aigc = aigc
        self.aigcLabel = aigcLabel
        self.digitalSourceType = digitalSourceType
    }

    /// Nothing to record: no credentials, no label, no source type, and no packet that could not be read.
    public var isEmpty: Bool {
        !c2pa && xmp != .unreadable && aigc == nil && aigcLabel == nil && digitalSourceType == nil
    }

    /// What `bytes` (a PNG, JPEG or WebP file) carry; empty for any other bytes.
    public static func read(_ bytes: [UInt8]) -> OriginalMetadata {
        var scan = Scan()
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            scan.png(bytes)
        } else if bytes.starts(with: [0xFF, 0xD8]) {
            scan.jpeg(bytes)
        } else if bytes.count >= 12, bytes.starts(with: Array("RIFF".utf8)), bytes[8..<12].elementsEqual("WEBP".utf8) {
            scan.riff(bytes)
        } else if bytes.count >= 12, bytes[4..<8].elementsEqual("ftyp".utf8) {
            scan.packet = Scan.wrappedPacket(bytes)
        }
        var metadata = OriginalMetadata(c2pa: scan.c2pa)
        switch scan.packet {
        case nil: break
        case .unreadable: metadata.xmp = .unreadable
        case .plain(let range): metadata.readXMP(bytes[range])
        case .zlib(let range):
            if let packet = Inflate.zlib(bytes[range], limit: maxPacket) {
                metadata.readXMP(packet[...])
            } else {
                metadata.xmp = .unreadable
            }
        }
        return metadata
    }

    /// The largest XMP packet read, compressed or not; a packet needs kilobytes.
    static let maxPacket = 16 << 20
}

// MARK: - Containers

extension OriginalMetadata {
    /// Where a file's XMP packet lies.
    enum Packet: Equatable {
        case plain(Range<Int>)
        /// A zlib stream (PNG `iTXt` with its compression flag set, `zTXt`).
        case zlib(Range<Int>)
        case unreadable
    }

    /// One pass over a file's chunks or segments: the first XMP packet, and whether C2PA is there.
    struct Scan {
        var c2pa = false
        var packet: Packet?

        /// HEIF and AVIF (ISO BMFF, as libheif writes them): the XMP packet is an uncompressed item,
        /// found by its `<?xpacket begin … ?>` … `<?xpacket end … ?>` wrapper (within 16 MiB).
        static func wrappedPacket(_ b: [UInt8]) -> Packet? {
            let begin = Array("<?xpacket begin".utf8), end = Array("<?xpacket end".utf8), close = Array("?>".utf8)
            func find(_ needle: [UInt8], from start: Int) -> Int? { ByteSearch.firstIndex(of: needle, in: b[...], from: start) }
            guard let first = find(begin, from: 0), let last = find(end, from: first), let stop = find(close, from: last) else { return nil }
            guard stop + 2 - first <= maxPacket else { return .unreadable }
            return .plain(first..<stop + 2)
        }

        /// The PNG keyword of the XMP packet.
        static let xmpKeyword = Array("XML:com.adobe.xmp".utf8)
        /// The name an APP1 segment holding the XMP packet begins with, its NUL included.
        static let xmpSegmentName = Array("http://ns.adobe.com/xap/1.0/\0".utf8)
        /// The content type of the C2PA manifest store's JUMBF box (its first four bytes spell `c2pa`).
        static let manifestStoreUUID: [UInt8] = [
            0x63, 0x32, 0x70, 0x61, 0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
        ]

        /// PNG chunks (length, type, data, CRC) up to `IEND`, after `IDAT` too: C2PA recommends `caBX`
        /// before the image data but does not require it. CRCs are not checked.
        mutating func png(_ b: [UInt8]) {
            var at = 8
            while at + 8 <= b.count {
                let length = Self.be32(b, at)
                guard length <= 0x7FFF_FFFF else { return }
                let type = Self.code(b, at + 4)
                let body = at + 8
                let end = body + length
                if type == Self.code("IEND") { return }
                if type == Self.code("caBX") {
                    c2pa = true
                } else if packet == nil, type == Self.code("iTXt") || type == Self.code("tEXt") || type == Self.code("zTXt") {
                    let found = Self.textPacket(b, body..<min(end, b.count), type: type)
                    packet = found != nil && end > b.count ? .unreadable : found
                }
                at = end + 4
            }
        }

        /// The XMP packet of a PNG text chunk; nil when its keyword is another.
        static func textPacket(_ b: [UInt8], _ chunk: Range<Int>, type: UInt32) -> Packet? {
            let keyword = xmpKeyword.count
            guard chunk.count > keyword, b[chunk.lowerBound..<chunk.lowerBound + keyword].elementsEqual(xmpKeyword),
                b[chunk.lowerBound + keyword] == 0
            else { return nil }
            let rest = chunk.lowerBound + keyword + 1
            switch type {
            case code("tEXt"):
                return .plain(rest..<chunk.upperBound)
            case code("zTXt"):
                guard rest < chunk.upperBound, b[rest] == 0 else { return .unreadable }
                return .zlib(rest + 1..<chunk.upperBound)
            default:
                // iTXt: compression flag, compression method, language tag, translated keyword, text.
                guard rest + 2 <= chunk.upperBound,
                    let language = b[(rest + 2)..<chunk.upperBound].firstIndex(of: 0),
                    let translated = b[(language + 1)..<chunk.upperBound].firstIndex(of: 0)
                else { return .unreadable }
                let text = translated + 1..<chunk.upperBound
                switch (b[rest], b[rest + 1]) {
                case (0, _): return .plain(text)
                case (1, 0): return .zlib(text)
                default: return .unreadable
                }
            }
        }

        /// JPEG marker segments up to the first scan (SOS) or EOI, after which no metadata may come.
        mutating func jpeg(_ b: [UInt8]) {
            var at = 2
            while at + 4 <= b.count {
                guard b[at] == 0xFF else { return }
                let marker = b[at + 1]
                switch marker {
                case 0xFF:  // a fill byte
                    at += 1
                    continue
                case 0xD8, 0x01, 0xD0...0xD7:  // SOI, TEM and RSTn stand alone
                    at += 2
                    continue
                case 0x00, 0xD9, 0xDA:
                    return
                default:
                    break
                }
                let length = Self.be16(b, at + 2)
                guard length >= 2 else { return }
                let body = at + 4
                let end = at + 2 + length
                if marker == 0xEB, Self.isManifestStore(b, body..<min(end, b.count)) {
                    c2pa = true
                } else if marker == 0xE1, packet == nil, b[body..<min(end, b.count)].starts(with: Self.xmpSegmentName) {
                    packet = end <= b.count ? .plain(body + Self.xmpSegmentName.count..<end) : .unreadable
                }
                at = end
            }
        }

        /// Whether an APP11 segment's data starts the C2PA manifest store (C2PA §11.3 with ISO/IEC
        /// 19566-5 and 18477-3): common identifier `JP`, box instance number (2), packet sequence
        /// number (4), then a `jumb` superbox whose first box, `jumd`, has the manifest store's
        /// content type or the label `c2pa`. Continuation segments repeat the `jumb` header but not
        /// the `jumd`, so only a store's first segment matches.
        static func isManifestStore(_ b: [UInt8], _ data: Range<Int>) -> Bool {
            let s = data.lowerBound
            guard data.count >= 16, b[s] == 0x4A, b[s + 1] == 0x50, code(b, s + 12) == code("jumb") else { return false }
            // LBox 1 means an 8-byte XLBox follows the type.
            let description = s + 16 + (be32(b, s + 8) == 1 ? 8 : 0)
            // jumd: LBox, TBox, content type (16), toggles (1), then a NUL-terminated label when toggles has 0x02.
            guard description + 25 <= data.upperBound, code(b, description + 4) == code("jumd") else { return false }
            if b[description + 8..<description + 24].elementsEqual(manifestStoreUUID) { return true }
            let label = description + 25
            return b[description + 24] & 0x02 != 0 && label + 5 <= data.upperBound && b[label..<label + 5].elementsEqual("c2pa\0".utf8)
        }

        /// WebP's RIFF chunks (id, little-endian size, data, a pad byte after an odd size), all of
        /// them: `XMP ` and `C2PA` both follow the image data. The RIFF size is not trusted; the walk
        /// ends with the bytes.
        mutating func riff(_ b: [UInt8]) {
            var at = 12
            while at + 8 <= b.count {
                let id = Self.code(b, at)
                let size = Self.le32(b, at + 4)
                let end = at + 8 + size
                if id == Self.code("C2PA") {
                    c2pa = true
                } else if id == Self.code("XMP "), packet == nil {
                    packet = end <= b.count ? .plain(at + 8..<end) : .unreadable
                }
                at = end + (size & 1)
            }
        }

        /// A four-character code as the big-endian number of its bytes.
        static func code(_ text: StaticString) -> UInt32 {
            text.withUTF8Buffer { $0.reduce(0) { $0 << 8 | UInt32($1) } }
        }

        /// The four-character code at `i`; the caller has checked that four bytes are there.
        static func code(_ b: [UInt8], _ i: Int) -> UInt32 {
            UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
        }

        static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
        static func be32(_ b: [UInt8], _ i: Int) -> Int { Int(code(b, i)) }
        static func le32(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
    }
}

// MARK: - XMP

extension OriginalMetadata {
    /// libxml2 is started once, before any thread parses.
    private static let startLibXML: Void = xmlInitParser()

    /// Reads the TC260 label and the digital source type from an XMP packet, as elements or as
    /// attributes of any element. Parsed by libxml2 as UTF-8 (the encoding PNG, JPEG and WebP
    /// require), with no network, no entity substitution and no DTD loading; a packet with a DTD
    /// is refused before parsing.
    mutating func readXMP(_ packet: ArraySlice<UInt8>) {
        var packet = packet
        // Writers pad packets; trailing NULs are not XML.
        while let last = packet.last, last == 0 || last == 0x20 || last == 0x0A || last == 0x0D || last == 0x09 { packet.removeLast() }
        guard !packet.isEmpty, packet.count <= Self.maxPacket, !ByteSearch.contains(packet, Self.doctype) else {
            xmp = .unreadable
            return
        }
        _ = Self.startLibXML
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document = packet.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlReadMemory($0.baseAddress, Int32($0.count), nil, "UTF-8", options) }
        }
        guard let document else {
            xmp = .unreadable
            return
        }
        defer { xmlFreeDoc(document) }
        guard document.pointee.intSubset == nil, let root = xmlDocGetRootElement(document) else {
            xmp = .unreadable
            return
        }
        xmp = .read
        var label: String?
        // Depth first without recursion; only elements are entered.
        var node: xmlNodePtr? = root
        while let current = node, label == nil || digitalSourceType == nil {
            if current.pointee.type == XML_ELEMENT_NODE {
                if label == nil { label = Self.property(current, "AIGC", ImageProvenance.Namespace.tc260) }
                if digitalSourceType == nil {
                    digitalSourceType = Self.property(current, "DigitalSourceType", ImageProvenance.Namespace.iptcExt).flatMap(Self.capped)
                }
            }
            if current.pointee.type == XML_ELEMENT_NODE, let child = current.pointee.children {
                node = child
                continue
            }
            node = nil
            var up: xmlNodePtr? = current
            while let step = up, step != root {
                if let next = step.pointee.next {
                    node = next
                    break
                }
                up = step.pointee.parent
            }
        }
        if let label { readLabel(label) }
    }

    /// The value of the property `name` in `namespace` that `node` holds: as the element itself
    /// (its text, or an `rdf:resource`), or as its attribute. Nil when empty.
    static func property(_ node: xmlNodePtr, _ name: String, _ namespace: String) -> String? {
        var value: String?
        if let ns = node.pointee.ns, xmlStrEqual(ns.pointee.href, namespace) != 0, xmlStrEqual(node.pointee.name, name) != 0 {
            value = take(xmlNodeGetContent(node))
            if value == nil { value = take(xmlGetNsProp(node, "resource", ImageProvenance.Namespace.rdf)) }
        } else if node.pointee.properties != nil {
            value = take(xmlGetNsProp(node, name, namespace))
        }
        return value
    }

    /// A string libxml2 allocated, freed, and trimmed; nil when empty.
    private static func take(_ text: UnsafeMutablePointer<xmlChar>?) -> String? {
        guard let text else { return nil }
        defer { folio_xml_free(text) }
        let value = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }

    /// The TC260 label: a JSON object of strings (GB 45438-2025, appendix E). A value that is not
    /// one, or is over 64 KiB, is no label.
    mutating func readLabel(_ text: String) {
        guard text.utf8.count <= 64 * 1024, let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
            case .object(let pairs) = value
        else { return }
        func field(_ key: String) -> String? {
            let found = value[key] ?? pairs.first { $0.0.caseInsensitiveCompare(key) == .orderedSame }?.1
            switch found {
            case .string(let s): return Self.capped(s)
            case .int(let i): return String(i)
            default: return nil
            }
        }
        aigcLabel = field("Label")
        let producer = field("ContentProducer"), produceID = field("ProduceID"), reservedCode1 = field("ReservedCode1")
        if producer != nil || produceID != nil || reservedCode1 != nil {
            aigc = ImageProvenance.OriginalLabel(producer: producer, produceID: produceID, reservedCode1: reservedCode1)
        }
    }

    /// A value taken from a downloaded file, as Folio keeps it: control characters removed, at most
    /// 1,000 bytes of UTF-8 (cut at a character); nil when nothing is left. The same cap applies
    /// wherever a value is read (the file, `folio.lock`), so each reading gives the same value.
    public static func capped(_ text: String) -> String? {
        var kept = ""
        var bytes = 0
        for scalar in text.unicodeScalars where !(scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)) {
            bytes += String(scalar).utf8.count
            guard bytes <= 1000 else { break }
            kept.unicodeScalars.append(scalar)
        }
        return kept.isEmpty ? nil : kept
    }

    static let doctype = Array("<!DOCTYPE".utf8)
}

// MARK: - Inflate

/// zlib (RFC 1950) around deflate (RFC 1951), for the compressed XMP a PNG text chunk may hold:
/// Foundation on Linux has no zlib. A direct transcription of the RFC's decoder (as zlib's
/// `contrib/puff` does it): canonical Huffman codes decoded bit by bit. Every read is checked, the
/// output stops at `limit`, and the Adler-32 must match.
enum Inflate {
    static func zlib(_ data: ArraySlice<UInt8>, limit: Int) -> [UInt8]? {
        guard data.count >= 6 else { return nil }
        let cmf = data[data.startIndex], flags = data[data.startIndex + 1]
        // Deflate with a window of at most 32 KiB, a correct header check, and no preset dictionary.
        guard cmf & 0x0F == 8, cmf >> 4 <= 7, (Int(cmf) << 8 | Int(flags)) % 31 == 0, flags & 0x20 == 0 else { return nil }
        var state = Inflater(input: data.dropFirst(2), limit: limit)
        guard state.run(), state.position + 4 <= state.input.endIndex else { return nil }
        let p = state.position
        let stored = UInt32(data[p]) << 24 | UInt32(data[p + 1]) << 16 | UInt32(data[p + 2]) << 8 | UInt32(data[p + 3])
        return adler32(state.output) == stored ? state.output : nil
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < bytes.count {
            // 5552 bytes is the most that cannot overflow before the modulo.
            let end = min(i + 5552, bytes.count)
            while i < end {
                a += UInt32(bytes[i])
                b += a
                i += 1
            }
            a %= 65521
            b %= 65521
        }
        return b << 16 | a
    }

    /// A canonical Huffman code: how many codes each length has, and the symbols in code order.
    struct Huffman {
        var counts: [Int]
        var symbols: [Int]

        /// Nil when the lengths over-subscribe the code; an incomplete code is allowed and fails
        /// only if an unused code turns up.
        init?(lengths: [Int]) {
            counts = [Int](repeating: 0, count: 16)
            for length in lengths { counts[length] += 1 }
            var left = 1
            for length in 1...15 {
                left = left << 1 - counts[length]
                if left < 0 { return nil }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for length in 1..<15 { offsets[length + 1] = offsets[length] + counts[length] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, length) in lengths.enumerated() where length != 0 {
                symbols[offsets[length]] = symbol
                offsets[length] += 1
            }
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
        16385, 24577,
    ]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    /// The order in which a dynamic block lists its code-length code's lengths.
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
    static let fixedLengths = Huffman(
        lengths: [Int](repeating: 8, count: 144) + [Int](repeating: 9, count: 112) + [Int](repeating: 7, count: 24) + [8, 8, 8, 8, 8, 8, 8, 8])!
    static let fixedDistances = Huffman(lengths: [Int](repeating: 5, count: 30))!

    struct Inflater {
        let input: ArraySlice<UInt8>
        let limit: Int
        var position: Int
        var bitBuffer = 0
        var bitCount = 0
        var output: [UInt8] = []

        init(input: ArraySlice<UInt8>, limit: Int) {
            self.input = input
            self.limit = limit
            position = input.startIndex
        }

        /// `count` bits (at most 16), least significant first; nil at the end of the input.
        mutating func bits(_ count: Int) -> Int? {
            while bitCount < count {
                guard position < input.endIndex else { return nil }
                bitBuffer |= Int(input[position]) << bitCount
                position += 1
                bitCount += 8
            }
            let value = bitBuffer & (1 << count - 1)
            bitBuffer >>= count
            bitCount -= count
            return value
        }

        mutating func decode(_ code: Huffman) -> Int? {
            var value = 0, first = 0, index = 0
            for length in 1...15 {
                guard let bit = bits(1) else { return nil }
                value |= bit
                let count = code.counts[length]
                if value - count < first { return code.symbols[index + value - first] }
                index += count
                first = (first + count) << 1
                value <<= 1
            }
            return nil
        }

        /// Decodes every block; true when the last one ended cleanly. Leaves `position` at the byte after it.
        mutating func run() -> Bool {
            var last = 0
            while last == 0 {
                guard let final = bits(1), let type = bits(2) else { return false }
                last = final
                let ok: Bool
                switch type {
                case 0: ok = stored()
                case 1: ok = codes(Inflate.fixedLengths, Inflate.fixedDistances)
                case 2: ok = dynamic()
                default: ok = false
                }
                guard ok else { return false }
            }
            // The Adler-32 starts at the next byte: the bits left in the buffer are padding.
            bitBuffer = 0
            bitCount = 0
            return true
        }

        mutating func stored() -> Bool {
            bitBuffer = 0
            bitCount = 0
            guard position + 4 <= input.endIndex else { return false }
            let length = Int(input[position]) | Int(input[position + 1]) << 8
            let complement = Int(input[position + 2]) | Int(input[position + 3]) << 8
            position += 4
            guard length == ~complement & 0xFFFF, position + length <= input.endIndex, output.count + length <= limit else { return false }
            output += input[position..<position + length]
            position += length
            return true
        }

        mutating func dynamic() -> Bool {
            guard let literals = bits(5).map({ $0 + 257 }), let distances = bits(5).map({ $0 + 1 }), let codeLengths = bits(4).map({ $0 + 4 }),
                literals <= 286, distances <= 30
            else { return false }
            var lengths = [Int](repeating: 0, count: 19)
            for index in 0..<codeLengths {
                guard let length = bits(3) else { return false }
                lengths[Inflate.codeLengthOrder[index]] = length
            }
            guard let lengthCode = Huffman(lengths: lengths) else { return false }
            lengths = []
            lengths.reserveCapacity(literals + distances)
            while lengths.count < literals + distances {
                guard let symbol = decode(lengthCode) else { return false }
                if symbol < 16 {
                    lengths.append(symbol)
                    continue
                }
                let repeated: Int
                let times: Int?
                switch symbol {
                case 16:
                    guard let previous = lengths.last else { return false }
                    repeated = previous
                    times = bits(2).map { $0 + 3 }
                case 17:
                    repeated = 0
                    times = bits(3).map { $0 + 3 }
                default:
                    repeated = 0
                    times = bits(7).map { $0 + 11 }
                }
                guard let times, lengths.count + times <= literals + distances else { return false }
                lengths += repeatElement(repeated, count: times)
            }
            // A block without an end-of-block code could never end.
            guard lengths[256] != 0, let literalCode = Huffman(lengths: Array(lengths[..<literals])),
                let distanceCode = Huffman(lengths: Array(lengths[literals...]))
            else { return false }
            return codes(literalCode, distanceCode)
        }

        mutating func codes(_ literalCode: Huffman, _ distanceCode: Huffman) -> Bool {
            while true {
                guard let symbol = decode(literalCode) else { return false }
                if symbol < 256 {
                    guard output.count < limit else { return false }
                    output.append(UInt8(symbol))
                } else if symbol == 256 {
                    return true
                } else {
                    let index = symbol - 257
                    guard index < 29, let extra = bits(Inflate.lengthExtra[index]), let distanceSymbol = decode(distanceCode), distanceSymbol < 30,
                        let distanceExtra = bits(Inflate.distanceExtra[distanceSymbol])
                    else { return false }
                    let length = Inflate.lengthBase[index] + extra
                    let distance = Inflate.distanceBase[distanceSymbol] + distanceExtra
                    guard distance <= output.count, output.count + length <= limit else { return false }
                    for _ in 0..<length { output.append(output[output.count - distance]) }
                }
            }
        }
    }
}
