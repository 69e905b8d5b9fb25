import CSimulatorDrawing
import Foundation
@testable import FolioCore
import Testing

/// What a downloaded original already carries, read from files built here: images drawn by the
/// simulator (through libvips), XMP written by `exiftool` or inserted by hand, and C2PA containers
/// (PNG `caBX`, JPEG APP11 JUMBF, WebP `C2PA`) inserted by hand with valid CRCs and sizes. Damaged
/// and hostile files never trap and cost little.
@Suite(.serialized) struct OriginalMetadataTests {
    static let tc260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
    static let iptcExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    static let trained = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    static let label =
        #"{"Label":"1","ContentProducer":"Acme AI 有限公司","ProduceID":"req-42","ReservedCode1":"c1","ContentPropagator":"","PropagateID":"","ReservedCode2":""}"#
    static let producer = ImageProvenance.OriginalLabel(producer: "Acme AI 有限公司", produceID: "req-42", reservedCode1: "c1")

    // MARK: - Building files

    /// A small image drawn by the simulator through libvips: `png`, `jpeg` or `webp`.
    static func draw(_ format: String, width: Int = 64, height: Int = 48, seed: UInt64 = 7) throws -> [UInt8] {
        _ = Libraries.startVips
        var out: UnsafeMutableRawPointer?
        var length = 0
        guard folio_sim_render(Int32(width), Int32(height), seed, "", format, &out, &length) == 0, let out else {
            throw FolioError("could not draw a \(format) fixture")
        }
        defer { folio_sim_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    static let crcTable: [UInt32] = (0..<256).map { n in
        (0..<8).reduce(UInt32(n)) { c, _ in c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    }

    /// CRC-32 as PNG computes it (ISO 3309).
    static func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
        ~bytes.reduce(~UInt32(0)) { crcTable[Int(($0 ^ UInt32($1)) & 0xFF)] ^ ($0 >> 8) }
    }

    static func be32(_ value: Int) -> [UInt8] { ExifBlock.be32(UInt32(truncatingIfNeeded: value)) }
    static func le32(_ value: Int) -> [UInt8] { be32(value).reversed() }

    static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    /// `png` with `chunk` after IHDR (where C2PA recommends it) or just before IEND.
    static func png(_ png: [UInt8], inserting chunk: [UInt8], beforeEnd: Bool = false) -> [UInt8] {
        var file = png
        file.insert(contentsOf: chunk, at: beforeEnd ? file.count - 12 : 33)
        return file
    }

    /// An XMP `iTXt` chunk; compressed with zlib (by Perl's core Compress::Zlib) when asked.
    static func xmpChunk(_ packet: String, compressed: Bool = false) throws -> [UInt8] {
        let text = compressed ? try zlib(Array(packet.utf8)) : Array(packet.utf8)
        return pngChunk("iTXt", Array("XML:com.adobe.xmp".utf8) + [0, compressed ? 1 : 0, 0, 0, 0] + text)
    }

    /// The C2PA manifest store's JUMBF superbox, as far as detection reads it: `jumb`, its `jumd`
    /// (content type, toggles, label), and a content box.
    static func manifestStore(
        uuid: [UInt8] = OriginalMetadata.Scan.manifestStoreUUID, label: String? = "c2pa", extendedLength: Bool = false
    ) -> [UInt8] {
        var description = uuid + [label == nil ? 0x01 : 0x03]
        if let label { description += Array(label.utf8) + [0] }
        let jumd = be32(8 + description.count) + Array("jumd".utf8) + description
        let content = be32(8 + 16) + Array("json".utf8) + Array(#"{"claim":"test"}"#.utf8)
        let payload = jumd + content
        if extendedLength {
            return be32(1) + Array("jumb".utf8) + [0, 0, 0, 0] + be32(16 + payload.count) + payload
        }
        return be32(8 + payload.count) + Array("jumb".utf8) + payload
    }

    /// An APP11 marker segment carrying `box` (ISO/IEC 18477-3): `JP`, box instance 0x0211, packet 1.
    static func app11(_ box: [UInt8], identifier: [UInt8] = Array("JP".utf8)) -> [UInt8] {
        let data = identifier + [0x02, 0x11] + be32(1) + box
        return [0xFF, 0xEB, UInt8(truncatingIfNeeded: (data.count + 2) >> 8), UInt8(truncatingIfNeeded: data.count + 2)] + data
    }

    /// `jpeg` with a segment right after SOI.
    static func jpeg(_ jpeg: [UInt8], inserting segment: [UInt8]) -> [UInt8] {
        var file = jpeg
        file.insert(contentsOf: segment, at: 2)
        return file
    }

    /// `webp` with a RIFF chunk appended (padded to an even size), its RIFF size updated unless it should lie.
    static func webp(_ webp: [UInt8], appending id: String, _ data: [UInt8], fixSize: Bool = true) -> [UInt8] {
        var file = webp + Array(id.utf8) + le32(data.count) + data + (data.count % 2 == 1 ? [0] : [])
        if fixSize { file.replaceSubrange(4..<8, with: le32(file.count - 8)) }
        return file
    }

    /// A complete XMP packet holding `body` inside one `rdf:Description`.
    static func packet(_ body: String, attributes: String = "") -> String {
        """
        <?xpacket begin="\u{FEFF}" id="W5M0MpCehiHzreSzNTczkc9d"?>
        <x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
        <rdf:Description rdf:about="" xmlns:TC260="\(tc260)" xmlns:Iptc4xmpExt="\(iptcExt)" \(attributes)>\(body)</rdf:Description>
        </rdf:RDF></x:xmpmeta>
        <?xpacket end="w"?>
        """
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "<", with: "&lt;")
    }

    // MARK: - Tools

    static let exiftoolConfig = """
        %Image::ExifTool::UserDefined = (
            'Image::ExifTool::XMP::Main' => {
                TC260 => { SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::TC260' } },
            },
        );
        %Image::ExifTool::UserDefined::TC260 = (
            GROUPS => { 0 => 'XMP', 1 => 'XMP-TC260', 2 => 'Image' },
            NAMESPACE => { 'TC260' => '\(tc260)' },
            WRITABLE => 'string',
            AIGC => { },
        );
        1;

        """

    /// Runs `executable` with `arguments`, `input` on its standard input; its standard output.
    static func run(_ executable: String, _ arguments: [String], input: [UInt8] = []) throws -> [UInt8] {
        let folder = TestPaths.temporaryFolder("folio-original")
        defer { try? FileManager.default.removeItem(at: folder) }
        let inURL = folder.appendingPathComponent("in"), outURL = folder.appendingPathComponent("out")
        try Data(input).write(to: inURL)
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Files, not pipes: nothing can block on a full pipe.
        let inHandle = try FileHandle(forReadingFrom: inURL), outHandle = try FileHandle(forWritingTo: outURL)
        process.standardInput = inHandle
        process.standardOutput = outHandle
        try process.run()
        process.waitUntilExit()
        try inHandle.close()
        try outHandle.close()
        #expect(process.terminationStatus == 0, "\(executable) \(arguments)")
        return Array(try Data(contentsOf: outURL))
    }

    /// `bytes` compressed as a zlib stream, by an implementation other than the one under test.
    static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        try run("/usr/bin/perl", ["-MCompress::Zlib", "-0777", "-e", "binmode STDIN; binmode STDOUT; print compress(<STDIN>, 9)"], input: bytes)
    }

    /// Runs exiftool, taught the TC260 namespace, on `file` (of type `ext`) as `in.<ext>` in a
    /// folder of its own; what it wrote to `out.<ext>`, else what it printed.
    static func exiftool(_ arguments: [String], on file: [UInt8], ext: String) throws -> [UInt8] {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/exiftool"), "install libimage-exiftool-perl (see .ci/run)")
        let folder = TestPaths.temporaryFolder("folio-exiftool")
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("tc260.config"), input = folder.appendingPathComponent("in.\(ext)")
        let output = folder.appendingPathComponent("out.\(ext)")
        try exiftoolConfig.write(to: config, atomically: true, encoding: .utf8)
        try Data(file).write(to: input)
        let printed = try run(
            "/usr/bin/exiftool", ["-config", config.path, "-q"] + arguments.map { $0 == "OUT" ? output.path : $0 } + [input.path])
        return (try? Data(contentsOf: output)).map { Array($0) } ?? printed
    }

    /// `file` with the TC260 label and the digital source type written by exiftool. exiftool 12.57
    /// writes no WebP, so a WebP gets the packet exiftool wrote into a PNG, in an `XMP ` chunk.
    static func exiftoolWrite(_ file: [UInt8], format: String) throws -> [UInt8] {
        let tags = ["-XMP-TC260:AIGC=\(label)", "-XMP-iptcExt:DigitalSourceType=\(trained)"]
        guard format == "webp" else { return try exiftool(["-o", "OUT"] + tags, on: file, ext: format == "jpeg" ? "jpg" : format) }
        let png = try exiftool(["-o", "OUT"] + tags, on: try draw("png"), ext: "png")
        let packet = try exiftool(["-b", "-XMP"], on: png, ext: "png")
        return webp(file, addingXMP: packet)
    }

    /// A simple (VP8) WebP made extended: a VP8X chunk announcing XMP, and the `XMP ` chunk after the image data.
    static func webp(_ simple: [UInt8], addingXMP packet: [UInt8], width: Int = 64, height: Int = 48) -> [UInt8] {
        let size: [UInt8] = Array(le32(width - 1).prefix(3)) + Array(le32(height - 1).prefix(3))
        let vp8x: [UInt8] = Array("VP8X".utf8) + le32(10) + [0x04, 0, 0, 0] + size
        return webp(Array(simple[..<12]) + vp8x + simple[12...], appending: "XMP ", packet)
    }

    // MARK: - Nothing there

    @Test func plainFilesCarryNothing() throws {
        for format in ["png", "jpeg", "webp"] {
            let metadata = OriginalMetadata.read(try Self.draw(format))
            #expect(metadata == OriginalMetadata(), "\(format)")
            #expect(metadata.isEmpty, "\(format)")
        }
        for bytes: [UInt8] in [[], [0x89], Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 64), [0xFF, 0xD8], Array("RIFF\0\0\0\0WEBP".utf8)] {
            #expect(OriginalMetadata.read(bytes) == OriginalMetadata())
        }
        #expect(!OriginalMetadata(c2pa: true).isEmpty)
        #expect(!OriginalMetadata(xmp: .unreadable).isEmpty)
        #expect(OriginalMetadata(xmp: .read).isEmpty)
    }

    // MARK: - C2PA

    @Test func pngCaBXChunkIsFoundBeforeAndAfterTheImageData() throws {
        let png = try Self.draw("png")
        let chunk = Self.pngChunk("caBX", Self.manifestStore())
        #expect(OriginalMetadata.read(Self.png(png, inserting: chunk)) == OriginalMetadata(c2pa: true))
        #expect(OriginalMetadata.read(Self.png(png, inserting: chunk, beforeEnd: true)).c2pa)
        // After IEND nothing is read, and the type is case-sensitive.
        #expect(!OriginalMetadata.read(png + chunk).c2pa)
        #expect(!OriginalMetadata.read(Self.png(png, inserting: Self.pngChunk("cabx", Self.manifestStore()))).c2pa)
    }

    @Test func jpegAPP11ManifestStoreIsFound() throws {
        let jpeg = try Self.draw("jpeg")
        let zero = [UInt8](repeating: 0, count: 16)
        let found: [(String, [UInt8])] = [
            ("type and label", Self.app11(Self.manifestStore())),
            ("label only", Self.app11(Self.manifestStore(uuid: zero))),
            ("type only", Self.app11(Self.manifestStore(label: nil))),
            ("extended box length", Self.app11(Self.manifestStore(extendedLength: true))),
        ]
        for (name, segment) in found {
            #expect(OriginalMetadata.read(Self.jpeg(jpeg, inserting: segment)) == OriginalMetadata(c2pa: true), "\(name)")
        }
        let notFound: [(String, [UInt8])] = [
            ("another label", Self.app11(Self.manifestStore(uuid: zero, label: "c2pb"))),
            ("a longer label", Self.app11(Self.manifestStore(uuid: zero, label: "c2pa.assertions"))),
            ("no JP identifier", Self.app11(Self.manifestStore(), identifier: Array("XT".utf8))),
            ("APP10", [0xFF, 0xEA] + Self.app11(Self.manifestStore()).dropFirst(2)),
        ]
        for (name, segment) in notFound {
            #expect(!OriginalMetadata.read(Self.jpeg(jpeg, inserting: segment)).c2pa, "\(name)")
        }
        // After the first scan the bytes are image data, not segments.
        var late = jpeg
        late.insert(contentsOf: Self.app11(Self.manifestStore()), at: jpeg.count - 2)
        #expect(!OriginalMetadata.read(late).c2pa)
    }

    /// The hand-built APP11 segment is one an independent reader takes for C2PA JUMBF.
    @Test func exiftoolReadsTheHandBuiltManifestStore() throws {
        let file = Self.jpeg(try Self.draw("jpeg"), inserting: Self.app11(Self.manifestStore()))
        let json = try Self.run("/usr/bin/exiftool", ["-j", "-JUMBF:all", "-"], input: file)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains("\"JUMDLabel\": \"c2pa\""), "\(text)")
    }

    @Test func webpC2PAChunkIsFoundWhateverTheRIFFSizeSays() throws {
        let webp = try Self.draw("webp")
        #expect(OriginalMetadata.read(Self.webp(webp, appending: "C2PA", Self.manifestStore())) == OriginalMetadata(c2pa: true))
        #expect(OriginalMetadata.read(Self.webp(webp, appending: "C2PA", Self.manifestStore(), fixSize: false)).c2pa)
        // After an odd-sized chunk and its pad byte.
        let padded = Self.webp(Self.webp(webp, appending: "JUNK", [1, 2, 3]), appending: "C2PA", Self.manifestStore())
        #expect(OriginalMetadata.read(padded).c2pa)
        #expect(!OriginalMetadata.read(Self.webp(webp, appending: "C2PB", Self.manifestStore())).c2pa)
    }

    // MARK: - XMP

    @Test func labelWrittenByExiftoolIsReadInEveryFormat() throws {
        for format in ["png", "jpeg", "webp"] {
            let file = try Self.exiftoolWrite(try Self.draw(format), format: format)
            let metadata = OriginalMetadata.read(file)
            #expect(metadata == OriginalMetadata(xmp: .read, aigc: Self.producer, aigcLabel: "1", digitalSourceType: Self.trained), "\(format)")
            #expect(!metadata.isEmpty, "\(format)")
        }
        // The hand-made extended WebP is one exiftool reads too.
        let webp = try Self.exiftoolWrite(try Self.draw("webp"), format: "webp")
        let printed = try Self.exiftool(["-s3", "-XMP-TC260:AIGC"], on: webp, ext: "webp")
        #expect(String(decoding: printed, as: UTF8.self) == Self.label + "\n")
    }

    @Test func labelAsAnAttributeAndCompressedIsRead() throws {
        let png = try Self.draw("png")
        let attributes = "TC260:AIGC=\"\(Self.escaped(Self.label))\" Iptc4xmpExt:DigitalSourceType=\"\(Self.trained)\""
        for compressed in [false, true] {
            let file = Self.png(png, inserting: try Self.xmpChunk(Self.packet("", attributes: attributes), compressed: compressed))
            let metadata = OriginalMetadata.read(file)
            #expect(metadata == OriginalMetadata(xmp: .read, aigc: Self.producer, aigcLabel: "1", digitalSourceType: Self.trained), "\(compressed)")
        }
        // The digital source type as a resource, the label in a zTXt chunk.
        let resource = Self.packet("<Iptc4xmpExt:DigitalSourceType rdf:resource=\"\(Self.trained)\"/>")
        let resourceChunk = try Self.xmpChunk(resource)
        #expect(OriginalMetadata.read(Self.png(png, inserting: resourceChunk)).digitalSourceType == Self.trained)
        let compressed = try Self.zlib(Array(Self.packet("<TC260:AIGC>\(Self.escaped(Self.label))</TC260:AIGC>").utf8))
        let ztxt = Self.pngChunk("zTXt", Array("XML:com.adobe.xmp".utf8) + [0, 0] + compressed)
        #expect(OriginalMetadata.read(Self.png(png, inserting: ztxt)).aigc == Self.producer)
    }

    /// What Folio writes into a rendition, Folio reads back: the producer's values are kept.
    @Test func folioOwnPacketIsReadBack() throws {
        let provenance = try ProvenanceTests.harbourProvenance(original: Self.producer)
        let packet = String(decoding: provenance.xmp(), as: UTF8.self)
        let metadata = OriginalMetadata.read(Self.png(try Self.draw("png"), inserting: try Self.xmpChunk(packet)))
        #expect(metadata == OriginalMetadata(xmp: .read, aigc: Self.producer, aigcLabel: "1", digitalSourceType: ImageProvenance.digitalSourceType))
    }

    @Test func labelValuesAreTakenAsFound() throws {
        let png = try Self.draw("png")
        func read(_ aigc: String) throws -> OriginalMetadata {
            OriginalMetadata.read(Self.png(png, inserting: try Self.xmpChunk(Self.packet("<TC260:AIGC>\(Self.escaped(aigc))</TC260:AIGC>"))))
        }
        #expect(try read(#"{"Label":2,"ProduceID":"t-1"}"#) == OriginalMetadata(xmp: .read, aigc: .init(producer: nil, produceID: "t-1"), aigcLabel: "2"))
        #expect(try read(#"{"label":"3","contentproducer":"Lower"}"#).aigc?.producer == "Lower")
        // A label with no producer values is a label, but nothing to copy.
        #expect(try read(#"{"Label":"1","ContentProducer":"","ProduceID":""}"#) == OriginalMetadata(xmp: .read, aigcLabel: "1"))
        for bad in ["Label=1", "[1,2]", #"{"Label":"1""#, "\"text\"", String(repeating: "[", count: 100_000)] {
            #expect(try read(bad) == OriginalMetadata(xmp: .read), "\(bad.prefix(20))")
        }
    }

    @Test func damagedOrHostilePacketsAreUnreadable() throws {
        let png = try Self.draw("png")
        let laughs = """
            <?xml version="1.0"?>
            <!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
            <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
            <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>
            <x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:TC260="\(Self.tc260)"><TC260:AIGC>&i;</TC260:AIGC></x:xmpmeta>
            """
        let external = """
            <!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <x:xmpmeta xmlns:x="adobe:ns:meta/" xmlns:TC260="\(Self.tc260)"><TC260:AIGC>&secret;</TC260:AIGC></x:xmpmeta>
            """
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        for (name, packet) in [("laughs", laughs), ("external", external), ("deep", deep), ("unclosed", "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">")] {
            let clock = ContinuousClock.now
            let metadata = OriginalMetadata.read(Self.png(png, inserting: try Self.xmpChunk(packet)))
            #expect(metadata == OriginalMetadata(xmp: .unreadable), "\(name)")
            #expect(ContinuousClock.now - clock < .seconds(30), "\(name)")
        }
        // Compressed by an unknown method, or not really compressed.
        let unknown = Self.pngChunk("iTXt", Array("XML:com.adobe.xmp".utf8) + [0, 1, 7, 0, 0] + Array("<x/>".utf8))
        #expect(OriginalMetadata.read(Self.png(png, inserting: unknown)).xmp == .unreadable)
        let fake = Self.pngChunk("iTXt", Array("XML:com.adobe.xmp".utf8) + [0, 1, 0, 0, 0] + Array("<x/>".utf8))
        #expect(OriginalMetadata.read(Self.png(png, inserting: fake)).xmp == .unreadable)
        // A packet that is padded with NULs, as some writers leave it, is still read.
        let padded = Self.packet("<TC260:AIGC>\(Self.escaped(Self.label))</TC260:AIGC>") + String(repeating: "\0", count: 100)
        let paddedChunk = try Self.xmpChunk(padded)
        #expect(OriginalMetadata.read(Self.png(png, inserting: paddedChunk)).aigc == Self.producer)
    }

    @Test func tenMegabytePacketIsReadOrRefusedQuickly() throws {
        let filler = String(repeating: "<Iptc4xmpExt:Other>\(String(repeating: "x", count: 80))</Iptc4xmpExt:Other>\n", count: 100_000)
        let packet = Self.packet(filler + "<TC260:AIGC>\(Self.escaped(Self.label))</TC260:AIGC>")
        #expect(packet.utf8.count > 10_000_000)
        let file = Self.png(try Self.draw("png"), inserting: try Self.xmpChunk(packet))
        let clock = ContinuousClock.now
        let metadata = OriginalMetadata.read(file)
        #expect(metadata.aigc == Self.producer)
        #expect(ContinuousClock.now - clock < .seconds(30))
        // Over the limit, the packet is not parsed at all.
        let huge = Self.packet(String(repeating: " ", count: OriginalMetadata.maxPacket) + "<TC260:AIGC>\(Self.escaped(Self.label))</TC260:AIGC>")
        let hugeFile = Self.png(try Self.draw("png"), inserting: try Self.xmpChunk(huge))
        #expect(OriginalMetadata.read(hugeFile) == OriginalMetadata(xmp: .unreadable))
    }

    // MARK: - Inflate

    /// Bits written least significant first, as deflate packs them.
    struct BitWriter {
        var bytes: [UInt8] = []
        var count = 0

        mutating func write(_ value: Int, _ bits: Int) {
            for i in 0..<bits {
                if count % 8 == 0 { bytes.append(0) }
                bytes[bytes.count - 1] |= UInt8((value >> i) & 1) << (count % 8)
                count += 1
            }
        }

        /// A Huffman code, written most significant bit first.
        mutating func code(_ value: Int, _ bits: Int) {
            for i in (0..<bits).reversed() { write((value >> i) & 1, 1) }
        }
    }

    /// A zlib stream of one fixed-Huffman block: `literals`, then `matches` copies of 258 bytes at distance 1.
    static func fixedStream(_ literals: [UInt8], matches: Int = 0, adler: UInt32? = nil) -> [UInt8] {
        var w = BitWriter()
        w.write(1, 1)
        w.write(1, 2)
        for byte in literals {
            if byte < 144 { w.code(0x30 + Int(byte), 8) } else { w.code(0x190 + Int(byte) - 144, 9) }
        }
        for _ in 0..<matches {
            w.code(0xC5, 8)  // length symbol 285: 258 bytes
            w.code(0, 5)  // distance symbol 0: 1 byte back
        }
        w.code(0, 7)  // end of block
        var output = literals
        if let last = literals.last { output += [UInt8](repeating: last, count: 258 * matches) }
        return [0x78, 0x9C] + w.bytes + ExifBlock.be32(adler ?? Inflate.adler32(output))
    }

    @Test func inflateDecodesEveryBlockTypeAndStopsAtTheLimit() throws {
        let text = Array("Fixed Huffman: ÿ and \u{1}".utf8)
        #expect(Inflate.zlib(Self.fixedStream(text)[...], limit: 1 << 20) == text)
        #expect(Inflate.zlib(Self.fixedStream([65], matches: 4)[...], limit: 1 << 20) == [UInt8](repeating: 65, count: 1 + 4 * 258))
        // Dynamic blocks, from an independent compressor, on text and on bytes of every value.
        var random = SplitMix64(seed: 11)
        let noise = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        let prose = Array(String(repeating: "The harbour at dawn, soft mist, golden light. ", count: 2000).utf8)
        for input in [prose, noise, []] {
            let compressed = try Self.zlib(input)
            #expect(Inflate.zlib(compressed[...], limit: 1 << 20) == input)
        }
        // A stored block.
        let stored: [UInt8] = [0x78, 0x01, 0x01, 0x03, 0x00, 0xFC, 0xFF, 0x61, 0x62, 0x63] + ExifBlock.be32(Inflate.adler32(Array("abc".utf8)))
        #expect(Inflate.zlib(stored[...], limit: 100) == Array("abc".utf8))
        // A bomb: 20 MB from 80 kB stops at the limit.
        let bomb = Self.fixedStream([0], matches: 80_000)
        let clock = ContinuousClock.now
        #expect(Inflate.zlib(bomb[...], limit: 1 << 20) == nil)
        #expect(ContinuousClock.now - clock < .seconds(60))
        // A wrong checksum, a truncated stream, a bad header, a distance before the start.
        #expect(Inflate.zlib(Self.fixedStream(text, adler: 1)[...], limit: 1 << 20) == nil)
        let good = try Self.zlib(prose)
        for cut in stride(from: 0, to: good.count, by: 7) { #expect(Inflate.zlib(good[..<cut], limit: 1 << 20) == nil) }
        #expect(Inflate.zlib([0x78, 0x9D] + good.dropFirst(2), limit: 1 << 20) == nil)
        #expect(Inflate.zlib(Self.fixedStream([], matches: 1)[...], limit: 1 << 20) == nil)
    }

    // MARK: - Hostile containers

    @Test func lyingLengthsNeverReadOutOfRange() throws {
        let png = try Self.draw("png"), jpeg = try Self.draw("jpeg"), webp = try Self.draw("webp")
        let xmpChunk = try Self.xmpChunk(Self.packet(""))
        // (file, whether C2PA is found, what becomes of the XMP)
        let cases: [(String, [UInt8], Bool, OriginalMetadata.XMP)] = [
            // PNG: chunks as long as the format allows, one longer than it allows, XMP cut short.
            ("png longest", Self.png(png, inserting: Self.be32(0x7FFF_FFFF) + Array("caBX".utf8)), true, .absent),
            ("png too long", Self.png(png, inserting: [0xFF, 0xFF, 0xFF, 0xFF] + Array("caBX".utf8)), false, .absent),
            ("png xmp too long", Self.png(png, inserting: Self.be32(0x7FFF_FFFF) + Array("iTXt".utf8) + Array("XML:com.adobe.xmp\0".utf8)), false, .unreadable),
            ("png xmp cut", Array(Self.png(png, inserting: xmpChunk).prefix(60)), false, .unreadable),
            // JPEG: segment lengths 0 and 1, a length past the end, an APP11 cut inside its box, an XMP segment with no XML.
            ("jpeg length 0", Self.jpeg(jpeg, inserting: [0xFF, 0xEB, 0x00, 0x00]), false, .absent),
            ("jpeg length 1", Self.jpeg(jpeg, inserting: [0xFF, 0xEB, 0x00, 0x01]), false, .absent),
            ("jpeg length past the end", Array(jpeg.prefix(2)) + [0xFF, 0xEB, 0xFF, 0xFF] + Self.app11(Self.manifestStore()).dropFirst(4), true, .absent),
            ("jpeg app11 cut", Array(Self.jpeg(jpeg, inserting: Self.app11(Self.manifestStore())).prefix(30)), false, .absent),
            ("jpeg empty xmp", Self.jpeg(jpeg, inserting: [0xFF, 0xE1, 0x00, 0x1F] + Array("http://ns.adobe.com/xap/1.0/\0".utf8)), false, .unreadable),
            // WebP: chunk sizes at the maximum, and a RIFF size of zero.
            ("webp xmp too long", webp + Array("XMP ".utf8) + [0xFF, 0xFF, 0xFF, 0xFF], false, .unreadable),
            ("webp c2pa too long", webp + Array("C2PA".utf8) + [0xFE, 0xFF, 0xFF, 0xFF], true, .absent),
            ("webp riff size 0", [UInt8](webp.prefix(4)) + [0, 0, 0, 0] + webp.dropFirst(8), false, .absent),
        ]
        for (name, file, c2pa, xmp) in cases {
            let metadata = OriginalMetadata.read(file)
            #expect(metadata.c2pa == c2pa, "\(name)")
            #expect(metadata.xmp == xmp, "\(name)")
        }
    }

    @Test func aHundredThousandTinyChunksAreWalkedQuickly() throws {
        let count = 100_000
        let clock = ContinuousClock.now
        let png = try Self.draw("png")
        var manyPNG = Array(png[..<33])
        for _ in 0..<count { manyPNG += Self.be32(0) + Array("tEXt".utf8) + [0, 0, 0, 0] }
        manyPNG += Self.pngChunk("caBX", Self.manifestStore()) + png[33...]
        #expect(OriginalMetadata.read(manyPNG).c2pa)
        let jpeg = try Self.draw("jpeg")
        var manyJPEG: [UInt8] = [0xFF, 0xD8]
        for _ in 0..<count { manyJPEG += [0xFF, 0xFE, 0x00, 0x02] }
        manyJPEG += Self.app11(Self.manifestStore()) + jpeg[2...]
        #expect(OriginalMetadata.read(manyJPEG).c2pa)
        var manyWebP = try Self.draw("webp")
        for _ in 0..<count { manyWebP += Array("JUNK".utf8) + [0, 0, 0, 0] }
        #expect(OriginalMetadata.read(Self.webp(manyWebP, appending: "C2PA", Self.manifestStore())).c2pa)
        #expect(ContinuousClock.now - clock < .seconds(60))
    }

    /// Every truncation and thousands of seeded mutations of files that carry everything; none
    /// traps. Where the C2PA container survives whole, it is still found.
    @Test func truncatedAndMutatedFilesNeverTrap() throws {
        let xmp = Self.packet("<TC260:AIGC>\(Self.escaped(Self.label))</TC260:AIGC>")
        let png = Self.png(
            Self.png(try Self.draw("png", width: 24, height: 16), inserting: try Self.xmpChunk(xmp, compressed: true)),
            inserting: Self.pngChunk("caBX", Self.manifestStore()))
        let xmpSegment = [0xFF, 0xE1] + Array(ExifBlock.be16(UInt16(31 + xmp.utf8.count))) + Array("http://ns.adobe.com/xap/1.0/\0".utf8) + Array(xmp.utf8)
        let jpeg = Self.jpeg(Self.jpeg(try Self.draw("jpeg", width: 24, height: 16), inserting: xmpSegment), inserting: Self.app11(Self.manifestStore()))
        let webp = Self.webp(
            Self.webp(try Self.draw("webp", width: 24, height: 16), appending: "XMP ", Array(xmp.utf8)), appending: "C2PA", Self.manifestStore())
        // Where each C2PA container is whole enough to be recognised.
        let needed = [("png", png, 33 + 8), ("jpeg", jpeg, 2 + 4 + 8 + 8 + 25), ("webp", webp, webp.count - Self.manifestStore().count)]
        for (name, file, enough) in needed {
            let full = OriginalMetadata.read(file)
            #expect(full == OriginalMetadata(c2pa: true, xmp: .read, aigc: Self.producer, aigcLabel: "1"), "\(name)")
            for length in 0..<file.count {
                let metadata = OriginalMetadata.read(Array(file[..<length]))
                #expect(metadata.c2pa == (length >= enough), "\(name) cut at \(length)")
            }
        }
        var random = SplitMix64(seed: 2026)
        for round in 0..<3000 {
            var file = needed[round % 3].1
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let at = Int.random(in: 0..<file.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: file[at] = UInt8.random(in: 0...255, using: &random)
                case 1: file[at] ^= 1 << UInt8.random(in: 0..<8, using: &random)
                case 2: file.replaceSubrange(at..<min(at + 4, file.count), with: [0xFF, 0xFF, 0xFF, 0xFF].prefix(min(4, file.count - at)))
                case 3: file.removeSubrange(at..<min(at + Int.random(in: 1...64, using: &random), file.count))
                default: file.insert(contentsOf: (0..<Int.random(in: 1...16, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }, at: at)
                }
                if file.isEmpty { file = [0] }
            }
            _ = OriginalMetadata.read(file)
        }
    }
}
