import CSimulatorDrawing
import Foundation
@testable import FolioCore
import Testing
import Vips

/// Originals with Folio's metadata written in, byte by byte: read back with `exiftool`, decoded
/// with libvips to the same pixels as before, the same bytes when written twice, old metadata
/// replaced rather than stacked, and any mangled file refused without a trap.
@Suite struct OriginalEmbeddingTests {
    static let prompt = "A red fox in fresh snow, 狐狸 🦊, watercolour"
    static let digitalSourceType = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

    /// The metadata of a fox prompt, made as the site makes it.
    static func metadata(title: String = "Snow fox") throws -> EmbeddedMetadata {
        let text = "---\ntitle: \(title)\nroute: dashscope\nsize: 1328*1328\nseed: 42\nnegative_prompt: blurry\ntags: [fox]\n---\n\(prompt)\n"
        let (prompt, problems) = decodePrompt(text, config: "title: Fox gallery\n", id: "fox")
        #expect(problems.isEmpty, "\(problems)")
        let (settings, _) = SettingsLoader.load(text: "title: Fox gallery\n")
        let output = LockOutput(
            index: 0, url: nil, asset: StoredAsset(file: "assets/a.png", sha256: "a", bytes: 1, width: 64, height: 48, mime: "image/png"))
        let entry = LockEntry(inputHash: "h", route: .dashscope, model: "qwen-image-plus", state: .succeeded, requestID: "req-1", outputs: [output])
        return ImageProvenance.make(prompt: try #require(prompt), entry: entry, output: output, settings: settings).embedded
    }

    static func image(_ format: String, width: Int = 64, height: Int = 48, seed: UInt64 = 7) throws -> [UInt8] {
        _ = Libraries.startVips
        var out: UnsafeMutableRawPointer?
        var length = 0
        guard folio_sim_render(Int32(width), Int32(height), seed, "", format, &out, &length) == 0, let out else {
            throw FolioError("could not draw a \(format) test image")
        }
        defer { folio_sim_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    /// Writes `bytes` to a temporary file named `name`, runs `body` on it and removes it.
    static func withFile<T>(_ bytes: [UInt8], _ name: String, _ body: (URL) throws -> T) throws -> T {
        let folder = TestPaths.temporaryFolder("folio-embed")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return try body(url)
    }

    /// `exiftool -json` of the XMP, UserComment and PNG `parameters` tags.
    static func tags(_ bytes: [UInt8], _ name: String) throws -> [String: Any] {
        try withFile(bytes, name) { url in try EmbeddedMetadataTests.tags(url) }
    }

    /// What `exiftool -validate` finds wrong with the file, one line a problem (a bad PNG CRC, a
    /// segment that runs past its end, a malformed XMP packet).
    static func warnings(_ bytes: [UInt8], _ name: String) throws -> [String] {
        try withFile(bytes, name) { url in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/exiftool")
            process.arguments = ["-a", "-s3", "-validate", "-warning", "-error", url.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { $0 != "OK" }
        }
    }

    /// The decoded pixels: libvips loads the file and writes its pixels raw (`vips rawsave`).
    static func pixels(_ bytes: [UInt8], _ name: String) throws -> [UInt8] {
        _ = Libraries.startVips
        return try withFile(bytes, name) { url in
            let raw = url.deletingLastPathComponent().appendingPathComponent(name + ".raw")
            guard let operation = vips_operation_new("rawsave") else { throw FolioError("libvips has no rawsave") }
            defer { g_object_unref(operation) }
            var arguments: [UnsafeMutablePointer<CChar>?] = [strdup(url.path), strdup(raw.path)]
            defer { arguments.forEach { free($0) } }
            guard vips_call_argv(operation, 2, &arguments) == 0 else { throw FolioError("libvips cannot decode \(name)") }
            vips_object_unref_outputs(UnsafeMutableRawPointer(operation).assumingMemoryBound(to: VipsObject.self))
            return Array(try Data(contentsOf: raw))
        }
    }

    /// Both files decode to the same pixels, `width`×`height` of them.
    static func expectSamePixels(_ original: [UInt8], _ embedded: [UInt8], _ name: String, width: Int = 64, height: Int = 48) throws {
        let before = try pixels(original, name), after = try pixels(embedded, name)
        #expect([3, 4].map { width * height * $0 }.contains(before.count), "\(name): \(before.count) bytes of pixels")
        #expect(before == after, "\(name): the pixels changed")
    }

    // MARK: - Walking the results

    /// `(type, data)` of every PNG chunk, with each CRC checked against an independent recomputation.
    static func pngChunks(_ bytes: [UInt8]) throws -> [(String, [UInt8])] {
        var chunks: [(String, [UInt8])] = []
        var at = 8
        while at < bytes.count {
            let length = try #require(OriginalEmbedding.be32(bytes, at))
            let type = String(decoding: bytes[(at + 4)..<(at + 8)], as: UTF8.self)
            let data = Array(bytes[(at + 8)..<(at + 8 + length)])
            #expect(OriginalEmbedding.be32(bytes, at + 8 + length) == Int(OriginalEmbedding.crc32(Array(type.utf8) + data)), "CRC of \(type)")
            chunks.append((type, data))
            at += 12 + length
        }
        return chunks
    }

    /// `(marker, payload)` of every JPEG segment before the first scan.
    static func jpegSegments(_ bytes: [UInt8]) throws -> [(UInt8, [UInt8])] {
        let (segments, _) = try #require(OriginalEmbedding.JPEG.header(of: bytes))
        return segments.map { ($0.marker, Array(bytes[$0.payload])) }
    }

    /// `(FourCC, data)` of every WebP chunk, and the RIFF size checked against the file.
    static func webpChunks(_ bytes: [UInt8]) throws -> [(String, [UInt8])] {
        #expect(OriginalEmbedding.le32(bytes, 4) == bytes.count - 8)
        let (chunks, _) = try #require(OriginalEmbedding.WebP.chunks(of: bytes))
        return chunks.map { ($0.fourCC, Array(bytes[$0.data])) }
    }

    // MARK: - CRC

    @Test func crc32GivesTheStandardCheckValues() {
        #expect(OriginalEmbedding.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(OriginalEmbedding.crc32(Array("IEND".utf8)) == 0xAE42_6082)
        #expect(OriginalEmbedding.crc32([]) == 0)
    }

    // MARK: - PNG

    @Test func aPNGOriginalCarriesTheXMPAndTheParametersAndKeepsItsPixels() throws {
        let original = try Self.image("png")
        let metadata = try Self.metadata()
        #expect(metadata.parameters.hasPrefix(Self.prompt + "\nNegative prompt: blurry\nSeed: 42, Size: 64x48, Model: qwen-image-plus"))
        let result = try #require(OriginalEmbedding.embed(metadata, into: original))
        #expect(result.warnings.isEmpty)

        let tags = try Self.tags(result.bytes, "fox.png")
        #expect(tags["Description"] as? String == Self.prompt)
        #expect(tags["Title"] as? String == "Snow fox")
        #expect(tags["DigitalSourceType"] as? String == Self.digitalSourceType)
        #expect(tags["Parameters"] as? String == metadata.parameters)
        #expect(try Self.warnings(result.bytes, "fox.png") == [])

        // The layout: the original's chunks, with the XMP and the parameters (iTXt: not Latin-1) just before IDAT.
        let before = try Self.pngChunks(original).map(\.0), chunks = try Self.pngChunks(result.bytes)
        let idat = try #require(before.firstIndex(of: "IDAT"))
        #expect(chunks.map(\.0) == Array(before[..<idat]) + ["iTXt", "iTXt"] + Array(before[idat...]))
        #expect(chunks[idat].1 == Array("XML:com.adobe.xmp".utf8) + [0, 0, 0, 0, 0] + metadata.xmp)
        #expect(chunks[idat + 1].1 == Array("parameters".utf8) + [0, 0, 0, 0, 0] + Array(metadata.parameters.utf8))
        try Self.expectSamePixels(original, result.bytes, "fox.png")
    }

    @Test func latin1ParametersGoInATextChunkAsWebUIWritesThem() throws {
        let text = "Une rue à Paris, café crème\nSteps: 20, Seed: 7, Size: 64x48"
        let metadata = EmbeddedMetadata(xmp: try Self.metadata().xmp, parameters: text)
        let result = try #require(OriginalEmbedding.embed(metadata, into: try Self.image("png")))
        let chunk = try #require(try Self.pngChunks(result.bytes).first { $0.0 == "tEXt" && $0.1.starts(with: Array("parameters\0".utf8)) })
        // One byte per character: 'à' is 0xE0, not UTF-8's C3 A0.
        #expect(chunk.1.count == "parameters\0".utf8.count + text.unicodeScalars.count)
        #expect(chunk.1.contains(0xE0) && !chunk.1.contains(0xC3))
        #expect(try Self.tags(result.bytes, "rue.png")["Parameters"] as? String == text)
    }

    @Test func earlierMetadataInAPNGIsReplacedAndOtherTextKept() throws {
        let original = try Self.image("png")
        let (chunks, _) = try #require(OriginalEmbedding.PNG.chunks(of: original))
        let (header, end) = (chunks[0].range.upperBound, chunks[chunks.count - 1].range)
        let chunk = OriginalEmbedding.PNG.chunk
        let software = chunk("tEXt", Array("Software\0Some generator".utf8))
        let old =
            chunk("tEXt", Array("parameters\0old prompt".utf8)) + chunk("zTXt", Array("parameters\0\0".utf8) + [0x78, 0x9C, 0x03, 0x00])
            + chunk("iTXt", Array("XML:com.adobe.xmp\0\0\0\0\0<old/>".utf8)) + chunk("eXIf", Array("MM\0*".utf8)) + software
        // Old metadata before the image data and after it, the generator's own text kept.
        let edited =
            Array(original[..<header]) + old + Array(original[header..<end.lowerBound]) + chunk("tEXt", Array("parameters\0after".utf8))
            + Array(original[end])
        let metadata = try Self.metadata()
        let result = try #require(OriginalEmbedding.embed(metadata, into: edited)).bytes
        let texts = try Self.pngChunks(result).filter { ["tEXt", "zTXt", "iTXt", "eXIf"].contains($0.0) }
        #expect(texts.map(\.0) == ["tEXt", "iTXt", "iTXt"])
        let clean = try #require(OriginalEmbedding.embed(metadata, into: original)).bytes
        #expect(result == Array(clean[..<header]) + software + Array(clean[header...]))
    }

    @Test func emptyMetadataLeavesNoTextButStillRemovesTheOld() throws {
        let original = try Self.image("png")
        let withOld = try #require(OriginalEmbedding.embed(try Self.metadata(), into: original)).bytes
        let empty = EmbeddedMetadata(xmp: [], parameters: "")
        #expect(OriginalEmbedding.embed(empty, into: withOld)?.bytes == original)
        #expect(OriginalEmbedding.embed(empty, into: original)?.bytes == original)
    }

    // MARK: - JPEG

    /// `jpeg` with a JFIF APP0 segment right after SOI, as libjpeg writes one (libvips writes none when it writes EXIF).
    static func withJFIF(_ jpeg: [UInt8]) -> [UInt8] {
        let jfif = OriginalEmbedding.JPEG.segment(0xE0, Array("JFIF\0".utf8) + [1, 1, 0, 0, 1, 0, 1, 0, 0])
        return [0xFF, 0xD8] + jfif + Array(jpeg[2...])
    }

    @Test func aJPEGOriginalCarriesTheXMPAndTheUserCommentAndKeepsItsPixels() throws {
        let original = Self.withJFIF(try Self.image("jpeg"))
        let metadata = try Self.metadata()
        let result = try #require(OriginalEmbedding.embed(metadata, into: original))
        #expect(result.warnings.isEmpty)

        let tags = try Self.tags(result.bytes, "fox.jpg")
        #expect(tags["Description"] as? String == Self.prompt)
        #expect(tags["DigitalSourceType"] as? String == Self.digitalSourceType)
        #expect(tags["UserComment"] as? String == metadata.parameters)
        // Only the tags EXIF asks of a camera's JPEG are missing: ExifBlock writes UserComment alone, as A1111's piexif does.
        let problems = try Self.warnings(result.bytes, "fox.jpg").filter { !$0.hasPrefix("Missing required JPEG ") && !$0.hasSuffix(" Warnings") }
        #expect(problems == [])

        // SOI, the JFIF APP0, then EXIF and XMP; libvips' EXIF gone, the rest of the header and every scan as they were.
        let before = try Self.jpegSegments(original), after = try Self.jpegSegments(result.bytes)
        #expect(before.prefix(2).map(\.0) == [0xE0, 0xE1] && before[1].1.starts(with: Array("Exif\0".utf8)))
        #expect(after.map(\.0) == [0xE0, 0xE1, 0xE1] + before.dropFirst(2).map(\.0))
        #expect(after[0].1 == before[0].1)
        #expect(after[1].1 == ExifBlock.userComment(metadata.parameters))
        #expect(after[2].1 == Array("http://ns.adobe.com/xap/1.0/\0".utf8) + metadata.xmp)
        let (_, scan) = try #require(OriginalEmbedding.JPEG.header(of: original))
        #expect(result.bytes.suffix(original.count - scan).elementsEqual(original[scan...]))
        try Self.expectSamePixels(original, result.bytes, "fox.jpg")
    }

    @Test func withoutJFIFTheSegmentsFollowSOI() throws {
        let original = try Self.image("jpeg")
        let before = try Self.jpegSegments(original)
        #expect(!before.contains { $0.0 == 0xE0 })
        let result = try #require(OriginalEmbedding.embed(try Self.metadata(), into: original))
        let after = try Self.jpegSegments(result.bytes)
        #expect(after.map(\.0) == [0xE1, 0xE1] + before.filter { $0.0 != 0xE1 }.map(\.0))
        #expect(try Self.tags(result.bytes, "bare.jpg")["Description"] as? String == Self.prompt)
        try Self.expectSamePixels(original, result.bytes, "bare.jpg")
    }

    @Test func earlierEXIFAndXMPInAJPEGAreReplacedAndTheCommentKept() throws {
        let original = Self.withJFIF(try Self.image("jpeg"))
        let (segments, _) = try #require(OriginalEmbedding.JPEG.header(of: original))
        let app0End = segments[0].range.upperBound
        let segment = OriginalEmbedding.JPEG.segment
        let comment = segment(0xFE, Array("a comment".utf8))
        let foreign =
            segment(0xE1, ExifBlock.userComment("old text")) + segment(0xE1, Array("http://ns.adobe.com/xap/1.0/\0<old/>".utf8))
            + segment(0xE1, Array("http://ns.adobe.com/xmp/extension/\0".utf8) + Array(repeating: 0x41, count: 40)) + comment
        let edited = Array(original[..<app0End]) + foreign + Array(original[app0End...])
        let metadata = try Self.metadata()
        let result = try #require(OriginalEmbedding.embed(metadata, into: edited)).bytes
        #expect(try Self.jpegSegments(result).map(\.0).prefix(4) == [0xE0, 0xE1, 0xE1, 0xFE])
        // The same file as from the original, with the comment after Folio's segments.
        let clean = try #require(OriginalEmbedding.embed(metadata, into: original)).bytes
        let cut = try #require(OriginalEmbedding.JPEG.header(of: clean)?.0[2].range.upperBound)
        let same = result == Array(clean[..<cut]) + comment + Array(clean[cut...])
        #expect(same)
        #expect(try Self.tags(result, "old.jpg")["UserComment"] as? String == metadata.parameters)
    }

    @Test func anXMPPacketTooLargeForOneSegmentIsLeftOutWithAWarning() throws {
        let original = try Self.image("jpeg")
        let large = EmbeddedMetadata(xmp: Array(repeating: 0x20, count: 65_503), parameters: "a fox")
        let result = try #require(OriginalEmbedding.embed(large, into: original))
        #expect(result.warnings == ["the XMP packet is 65503 bytes, over the 65502 one JPEG segment holds; the original carries no XMP"])
        #expect(try Self.jpegSegments(result.bytes).filter { $0.0 == 0xE1 }.map { Array($0.1.prefix(4)) } == [Array("Exif".utf8)])

        let fits = EmbeddedMetadata(xmp: Array(repeating: 0x20, count: 65_502), parameters: "a fox")
        let whole = try #require(OriginalEmbedding.embed(fits, into: original))
        #expect(whole.warnings.isEmpty)
        #expect(try Self.jpegSegments(whole.bytes).filter { $0.0 == 0xE1 }.count == 2)

        let longText = EmbeddedMetadata(xmp: [], parameters: String(repeating: "狐", count: 40_000))
        let noExif = try #require(OriginalEmbedding.embed(longText, into: original))
        #expect(
            noExif.warnings == [
                "the parameters text makes an EXIF block of 80058 bytes, over the 65533 one JPEG segment holds; the original carries it only in XMP"
            ])
        let same = noExif.bytes == OriginalEmbedding.embed(EmbeddedMetadata(xmp: [], parameters: ""), into: original)?.bytes
        #expect(same)
    }

    // MARK: - WebP

    @Test func anExtendedWebPOriginalCarriesTheXMPAndTheUserCommentAndKeepsItsPixels() throws {
        let original = try Self.image("webp")
        let metadata = try Self.metadata()
        let result = try #require(OriginalEmbedding.embed(metadata, into: original))
        let tags = try Self.tags(result.bytes, "fox.webp")
        #expect(tags["Description"] as? String == Self.prompt)
        #expect(tags["DigitalSourceType"] as? String == Self.digitalSourceType)
        #expect(tags["UserComment"] as? String == metadata.parameters)
        #expect(try Self.warnings(result.bytes, "fox.webp") == [])

        // libvips wrote VP8X and its own EXIF: that EXIF is replaced, the XMP flag set.
        let before = try Self.webpChunks(original), after = try Self.webpChunks(result.bytes)
        #expect(before.map(\.0) == ["VP8X", "VP8 ", "EXIF"])
        #expect(after.map(\.0) == ["VP8X", "VP8 ", "EXIF", "XMP "])
        #expect(after[0].1 == [before[0].1[0] | 0x0C] + before[0].1.dropFirst())
        #expect(after[1].1 == before[1].1)
        #expect(after[2].1 == Array(ExifBlock.userComment(metadata.parameters).dropFirst(6)))
        #expect(after[3].1 == metadata.xmp)
        try Self.expectSamePixels(original, result.bytes, "fox.webp")
    }

    @Test func aSimpleWebPBecomesExtended() throws {
        let extended = try Self.image("webp")
        let (chunks, _) = try #require(OriginalEmbedding.WebP.chunks(of: extended))
        let vp8 = try #require(chunks.first { $0.fourCC == "VP8 " })
        let original = Array("RIFF".utf8) + OriginalEmbedding.le32Bytes(UInt32(4 + vp8.range.count)) + Array("WEBP".utf8) + Array(extended[vp8.range])
        let metadata = try Self.metadata()
        let result = try #require(OriginalEmbedding.embed(metadata, into: original))
        let after = try Self.webpChunks(result.bytes)
        #expect(after.map(\.0) == ["VP8X", "VP8 ", "EXIF", "XMP "])
        // EXIF and XMP flags; the canvas, 64×48, stored as width-1 and height-1.
        #expect(after[0].1 == [0x0C, 0, 0, 0, 63, 0, 0, 47, 0, 0])
        let tags = try Self.tags(result.bytes, "simple.webp")
        #expect(tags["Description"] as? String == Self.prompt)
        #expect(tags["UserComment"] as? String == metadata.parameters)
        #expect(try Self.warnings(result.bytes, "simple.webp") == [])
        try Self.expectSamePixels(original, result.bytes, "simple.webp")
    }

    @Test func aLosslessWebPGetsItsCanvasAndAlphaFromTheVP8LHeader() throws {
        // A VP8L header only: 300×200 (stored minus one), alpha hint set, version 0.
        let bits: UInt32 = 299 | (199 << 14) | (1 << 28)
        let vp8l = OriginalEmbedding.WebP.chunk("VP8L", [0x2F] + OriginalEmbedding.le32Bytes(bits) + [1, 2, 3])
        let file = Array("RIFF".utf8) + OriginalEmbedding.le32Bytes(UInt32(4 + vp8l.count)) + Array("WEBP".utf8) + vp8l
        let result = try #require(OriginalEmbedding.embed(EmbeddedMetadata(xmp: Array("<x/>".utf8), parameters: ""), into: file))
        let chunks = try Self.webpChunks(result.bytes)
        #expect(chunks.map(\.0) == ["VP8X", "VP8L", "XMP "])
        #expect(chunks[0].1 == [0x14, 0, 0, 0, 0x2B, 0x01, 0, 0xC7, 0, 0])
    }

    // MARK: - Twice, and signed files

    @Test func embeddingTwiceGivesTheSameBytesAndNewMetadataReplacesTheOld() throws {
        let first = try Self.metadata(), second = try Self.metadata(title: "Arctic fox")
        #expect(first != second)
        for format in ["png", "jpeg", "webp"] {
            let original = try Self.image(format)
            let once = try #require(OriginalEmbedding.embed(first, into: original)?.bytes, "\(format)")
            #expect(once != original)
            #expect(OriginalEmbedding.embed(first, into: once)?.bytes == once, "\(format)")
            #expect(OriginalEmbedding.embed(second, into: once)?.bytes == OriginalEmbedding.embed(second, into: original)?.bytes, "\(format)")
        }
    }

    @Test func aFileWithContentCredentialsIsNeverChanged() throws {
        let metadata = try Self.metadata()
        let png = try Self.image("png")
        let (chunks, _) = try #require(OriginalEmbedding.PNG.chunks(of: png))
        let signedPNG =
            Array(png[..<chunks[1].range.lowerBound]) + OriginalEmbedding.PNG.chunk("caBX", Array("jumb".utf8))
            + Array(png[chunks[1].range.lowerBound...])
        #expect(OriginalEmbedding.PNG.chunks(of: signedPNG) != nil)
        #expect(OriginalEmbedding.embed(metadata, into: signedPNG) == nil)

        let jpeg = try Self.image("jpeg")
        let signedJPEG = [0xFF, 0xD8] + OriginalEmbedding.JPEG.segment(0xEB, [0x4A, 0x50, 0x02, 0x11] + Array("jumbc2pa".utf8)) + Array(jpeg[2...])
        #expect(OriginalEmbedding.JPEG.header(of: signedJPEG) != nil)
        #expect(OriginalEmbedding.embed(metadata, into: signedJPEG) == nil)

        let webp = try Self.image("webp")
        let c2pa = OriginalEmbedding.WebP.chunk("C2PA", Array("jumb".utf8))
        let signedWebP = Array("RIFF".utf8) + OriginalEmbedding.le32Bytes(UInt32(webp.count - 8 + c2pa.count)) + Array(webp[8...]) + c2pa
        #expect(OriginalEmbedding.WebP.chunks(of: signedWebP) != nil)
        #expect(OriginalEmbedding.embed(metadata, into: signedWebP) == nil)
    }

    @Test func aMultiPictureJPEGIsRefusedOnlyWhenAReplacedSegmentFollowsItsMPFSegment() throws {
        let metadata = try Self.metadata()
        // libvips' own EXIF left out, so the only segment to replace is the XMP placed here.
        let jpeg = try #require(OriginalEmbedding.embed(EmbeddedMetadata(xmp: [], parameters: ""), into: try Self.image("jpeg"))).bytes
        let segment = OriginalEmbedding.JPEG.segment
        let mpf = segment(0xE2, Array("MPF\0".utf8) + Array("MM\0*\0\0\0\u{8}".utf8))
        let xmp = segment(0xE1, Array("http://ns.adobe.com/xap/1.0/\0<old/>".utf8))
        // The offsets after MPF's segment stay as they were: accepted, MPF's segment kept.
        let before = [0xFF, 0xD8] + xmp + mpf + Array(jpeg[2...])
        let result = try #require(OriginalEmbedding.embed(metadata, into: before)).bytes
        #expect(try Self.jpegSegments(result).contains { $0.0 == 0xE2 && $0.1.starts(with: Array("MPF\0".utf8)) })
        // Removing the XMP after it would shift the images MPF points to.
        #expect(OriginalEmbedding.embed(metadata, into: [0xFF, 0xD8] + mpf + xmp + Array(jpeg[2...])) == nil)
    }

    // MARK: - Hostile files

    @Test func filesThatAreNotImagesAreRefused() throws {
        let metadata = try Self.metadata()
        for bytes: [UInt8] in [[], [0x89], Array("GIF89a".utf8), [0xFF, 0xD8], [0xFF, 0xD8, 0xFF, 0xD9], Array("RIFF\u{4}\0\0\0WEBP".utf8)] {
            #expect(OriginalEmbedding.embed(metadata, into: bytes) == nil, "\(bytes)")
        }
        // A PNG without IDAT: signature, IHDR, IEND.
        let png = try Self.image("png")
        let (chunks, _) = try #require(OriginalEmbedding.PNG.chunks(of: png))
        let noIDAT = Array(png[..<chunks[0].range.upperBound]) + Array(png[chunks.last!.range])
        #expect(OriginalEmbedding.embed(metadata, into: noIDAT) == nil)
    }

    @Test func everyTruncationIsRefused() throws {
        let metadata = try Self.metadata()
        for format in ["png", "jpeg", "webp"] {
            let original = try Self.image(format, width: 24, height: 16)
            var accepted: [Int] = []
            for length in 0..<original.count where OriginalEmbedding.embed(metadata, into: Array(original[..<length])) != nil {
                accepted.append(length)
            }
            #expect(accepted.isEmpty, "\(format): prefixes of \(accepted) bytes of \(original.count) accepted")
        }
    }

    @Test func mangledFilesNeverTrapAndWhatIsAcceptedIsStable() throws {
        let metadata = try Self.metadata()
        var random = SplitMix64(seed: 0x464F_4C49_4F)
        var accepted = 0, tried = 0
        for format in ["png", "jpeg", "webp"] {
            let original = try Self.image(format, width: 24, height: 16)
            for _ in 0..<1_200 {
                var bytes = original
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    let at = Int(random.next() % UInt64(bytes.count))
                    switch random.next() % 5 {
                    case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                    case 1: bytes[at] ^= 0xFF
                    case 2: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(random.next() % 16)))
                    case 3: bytes.insert(contentsOf: (0..<(1 + random.next() % 8)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: at)
                    default: bytes = Array(bytes[..<at])
                    }
                    if bytes.isEmpty { break }
                }
                tried += 1
                guard let once = OriginalEmbedding.embed(metadata, into: bytes)?.bytes else { continue }
                accepted += 1
                #expect(OriginalEmbedding.embed(metadata, into: once)?.bytes == once, "\(format): not stable after one embedding")
            }
        }
        #expect(tried == 3_600)
        #expect(accepted > 0, "no mangled file was accepted: the stability check checked nothing")
    }
}
