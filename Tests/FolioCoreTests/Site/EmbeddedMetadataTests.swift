import Foundation
@testable import FolioCore
import Testing

/// Every rendition carries its prompt, the AI labels and the A1111 `parameters` text (SPEC §7),
/// read back with an independent tool, `exiftool` (Debian's libimage-exiftool-perl, which `.ci/run`
/// installs), for each format written.
@Suite(.serialized) struct EmbeddedMetadataTests {
    static let prompt = "A red fox in fresh snow, 狐狸 🦊, watercolour"
    static let secret = "The confidential launch prompt nobody may read"

    static let items = [
        SiteFixture.Item(
            id: "fox",
            text: """
                ---
                title: Snow fox
                route: dashscope
                size: 1328*1328
                seed: 42
                negative_prompt: blurry
                tags: [fox, winter]
                alt: A red fox standing in snow
                ---
                \(prompt)
                """, images: [(120, 90)]),
        SiteFixture.Item(
            id: "launch",
            text: """
                ---
                title: Launch
                route: gemini
                private: [prompt]
                alt: A poster
                ---
                \(secret)
                """, images: [(100, 80)]),
    ]

    static let config = """
        title: Metadata gallery
        author: Ada Lovelace
        base_url: https://example.com/gallery/
        images:
          widths: [48, 100]
          formats: [webp, jpeg\(Libraries.canEncode(.avif) ? ", avif" : "")]

        """

    /// `exiftool -json` of `file`: the XMP and EXIF tags by their names.
    static func tags(_ file: URL) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/exiftool")
        process.arguments = ["-json", "-XMP:all", "-UserComment", "-Parameters", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let list = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        return try #require(list.first)
    }

    @Test func everyRenditionCarriesThePromptTheLabelsAndTheParameters() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/exiftool"), "install libimage-exiftool-perl (see .ci/run)")
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let lock = try Lockfile.load(project: fixture.root)
        let sha = try #require(lock.entries["fox"]?.outputs.first?.asset?.sha256)
        let renditions = try FileManager.default.contentsOfDirectory(atPath: fixture.root.appendingPathComponent("site/img").path)
            .filter { $0.hasPrefix(sha + "-") }
        #expect(renditions.count == (Libraries.canEncode(.avif) ? 6 : 4), "\(renditions)")
        for name in renditions {
            let tags = try Self.tags(fixture.root.appendingPathComponent("site/img/\(name)"))
            #expect(tags["Title"] as? String == "Snow fox", "\(name)")
            #expect(tags["Description"] as? String == Self.prompt, "\(name)")
            #expect(tags["Subject"] as? [String] == ["fox", "winter"], "\(name)")
            #expect(tags["AltTextAccessibility"] as? String == "A red fox standing in snow", "\(name)")
            #expect(tags["DigitalSourceType"] as? String == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia", "\(name)")
            #expect(tags["AISystemUsed"] as? String == "qwen-image-plus", "\(name)")
            #expect(tags["AIPromptInformation"] as? String == "\(Self.prompt)\nNegative prompt: blurry", "\(name)")
            #expect(tags["AIPromptWriterName"] as? String == "Ada Lovelace", "\(name)")
            let aigc = try #require(tags["Aigc"] as? String, "\(name)")
            #expect(aigc.contains(#""Label":"1""#) && aigc.contains(#""ContentProducer":"Alibaba Cloud""#), "\(aigc)")
            #expect(aigc.contains(#""ContentPropagator":"Metadata gallery""#) && aigc.contains("https://example.com/gallery/p/fox/"), "\(aigc)")
            // The A1111 text, in EXIF UserComment, in UTF-16: the fox and the Chinese survive.
            let comment = try #require(tags["UserComment"] as? String, "\(name)")
            #expect(comment.hasPrefix("\(Self.prompt)\nNegative prompt: blurry\nSeed: 42, Size: 120x90, Model: qwen-image-plus"), "\(name): \(comment)")
        }
    }

    @Test func aPrivatePromptIsInNoPublishedFile() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        // The provider wrote the prompt into the original's own text chunk: it goes too.
        _ = try Self.replaceAsset(of: "launch", in: fixture) { png in
            OriginalMetadataTests.png(png, inserting: OriginalMetadataTests.pngChunk("tEXt", Array("Description\0\(Self.secret)".utf8)))
        }
        _ = try await fixture.build()
        let folder = fixture.root.appendingPathComponent("site/img")
        let utf16 = Data(Self.secret.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        var checked = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "\(name) holds the private prompt")
            #expect(bytes.range(of: utf16) == nil, "\(name) holds the private prompt in UTF-16")
            checked += 1
        }
        #expect(checked >= 6)
        // Its renditions still say what they are.
        let sha = try #require(try Lockfile.load(project: fixture.root).entries["launch"]?.outputs.first?.asset?.sha256)
        let tags = try Self.tags(folder.appendingPathComponent("\(sha)-100.jpg"))
        #expect(tags["DigitalSourceType"] as? String == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
        #expect(tags["Title"] as? String == "Launch")
        #expect(tags["Description"] == nil)
    }

    @Test func aNewTitleIsWrittenIntoTheRenditionsOnTheNextRender() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        let first = try await fixture.build()
        #expect(first.imagesRendered == 2)
        let prompt = fixture.root.appendingPathComponent("prompts/fox.md")
        let text = try String(contentsOf: prompt, encoding: .utf8).replacingOccurrences(of: "title: Snow fox", with: "title: Arctic fox")
        try Data(text.utf8).write(to: prompt)
        let second = try await fixture.build()
        #expect(second.imagesRendered == 1, "only the changed prompt's images")
        let sha = try #require(try Lockfile.load(project: fixture.root).entries["fox"]?.outputs.first?.asset?.sha256)
        let tags = try Self.tags(fixture.root.appendingPathComponent("site/img/\(sha)-48.webp"))
        #expect(tags["Title"] as? String == "Arctic fox")
        let third = try await fixture.build()
        #expect(third.imagesRendered == 0)
    }

    /// Replaces `id`'s asset with `change(bytes)`, renamed to its new hash, and records it in folio.lock.
    static func replaceAsset(of id: String, in fixture: SiteFixture, _ change: ([UInt8]) throws -> [UInt8]) throws -> (sha: String, bytes: [UInt8]) {
        var lock = try Lockfile.load(project: fixture.root)
        var asset = try #require(lock.entries[id]?.outputs.first?.asset)
        let bytes = try change(try #require(FastFiles.read(fixture.root.path + "/" + asset.file)))
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent(asset.file))
        asset.sha256 = SHA256Hex.of(bytes)
        asset.file = "assets/\(asset.sha256).png"
        asset.bytes = bytes.count
        try Data(bytes).write(to: fixture.root.appendingPathComponent(asset.file))
        lock.entries[id]?.outputs[0].asset = asset
        try lock.write(project: fixture.root)
        return (asset.sha256, bytes)
    }

    @Test func aSignedOriginalIsPublishedUnchangedAndMarkedAndALabelledOneKeepsItsProducer() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        // The fox's original carries C2PA Content Credentials (a caBX chunk); the launch poster's a TC260 label.
        let signed = try Self.replaceAsset(of: "fox", in: fixture) { png in
            OriginalMetadataTests.png(png, inserting: OriginalMetadataTests.pngChunk("caBX", OriginalMetadataTests.manifestStore()))
        }
        let labelled = try Self.replaceAsset(of: "launch", in: fixture) { png in
            let body = "<TC260:AIGC>\(OriginalMetadataTests.escaped(OriginalMetadataTests.label))</TC260:AIGC>"
            return OriginalMetadataTests.png(png, inserting: try OriginalMetadataTests.xmpChunk(OriginalMetadataTests.packet(body)))
        }
        _ = try await fixture.build()
        let img = fixture.root.appendingPathComponent("site/img")
        #expect(FastFiles.read(img.path + "/\(signed.sha).png") == signed.bytes, "a signed original is published byte for byte")
        let rendition = try Self.tags(img.appendingPathComponent("\(signed.sha)-48.jpg"))
        #expect(rendition["DigitalSourceType"] as? String == ImageProvenance.digitalSourceType, "its renditions still carry the labels")
        #expect(try fixture.read("p/fox/index.html").contains("Content Credentials present"))
        #expect(try !fixture.read("p/launch/index.html").contains("Content Credentials present"))

        for name in ["\(labelled.sha)-48.webp", "\(labelled.sha).png"] {
            let aigc = try #require(try Self.tags(img.appendingPathComponent(name))["Aigc"] as? String, "\(name)")
            #expect(aigc.contains(#""ContentProducer":"Acme AI 有限公司""#) && aigc.contains(#""ProduceID":"req-42""#), "\(name): \(aigc)")
            #expect(aigc.contains(#""ContentPropagator":"Metadata gallery""#), "\(name): \(aigc)")
        }
    }

    @Test func checkPublishedFailsOnAnUnlabelledImageATamperedSignedOriginalAndALeakedPrivatePrompt() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        let signed = try Self.replaceAsset(of: "fox", in: fixture) { png in
            OriginalMetadataTests.png(png, inserting: OriginalMetadataTests.pngChunk("caBX", OriginalMetadataTests.manifestStore()))
        }
        _ = try await fixture.build()
        let clean = try runFolio(["check", "--published", "--project", fixture.root.path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("0 problems"), "\(clean.stdout)")

        let img = fixture.root.appendingPathComponent("site/img")
        let launch = try #require(try Lockfile.load(project: fixture.root).entries["launch"]?.outputs.first?.asset)
        // A rendition swapped for an unlabelled file, one byte of the signed original changed, and
        // the private prompt written into a published file.
        try Data(try #require(FastFiles.read(fixture.root.path + "/" + launch.file))).write(to: img.appendingPathComponent("\(launch.sha256)-48.jpg"))
        var original = signed.bytes
        original[original.count - 20] ^= 0xFF
        try Data(original).write(to: img.appendingPathComponent("\(signed.sha).png"))
        try Data("<p>\(Self.secret)</p>".utf8).write(to: fixture.root.appendingPathComponent("site/p/launch/notes.html"))

        let failed = try runFolio(["check", "--published", "--project", fixture.root.path])
        #expect(failed.status == 4, "\(failed.stdout)\(failed.stderr)")
        #expect(failed.stderr.contains("img/\(launch.sha256)-48.jpg is missing its AI label"), "\(failed.stderr)")
        #expect(failed.stderr.contains("img/\(signed.sha).png carries Content Credentials but is no longer the signed original"), "\(failed.stderr)")
        #expect(failed.stderr.contains("p/launch/notes.html holds the private prompt of 'launch'"), "\(failed.stderr)")
        #expect(failed.stdout.contains("3 problems"), "\(failed.stdout)")
    }

    @Test func privateParametersKeepTheRouteOutOfTheLabelAndALongPromptStillFitsAJPEG() throws {
        let text = "---\nroute: dashscope\nseed: 7\nprivate: [parameters]\n---\nA quiet harbour at dawn\n"
        let prompt = try #require(decodePrompt(text).0)
        let entry = LockEntry(
            inputHash: prompt.inputHash, route: prompt.generation.route, model: prompt.generation.model, state: .succeeded,
            taskID: nil, requestID: "req-secret-route", outputs: [])
        let output = LockOutput(index: 0, url: nil, asset: nil)
        let xmp = String(decoding: ImageProvenance.make(prompt: prompt, entry: entry, output: output, settings: Settings()).embedded.xmp, as: UTF8.self)
        #expect(!xmp.contains("Alibaba") && !xmp.contains("req-secret-route") && !xmp.contains("dashscope"), "\(xmp)")
        #expect(xmp.contains("trainedAlgorithmicMedia") && xmp.contains("TC260:AIGC"))

        // Gemini takes prompts of any length: the packet still fits libvips' 60,000-byte JPEG limit, labels kept.
        let long = String(repeating: "狐狸在雪中 ", count: 8000)
        let big = try #require(decodePrompt("---\nroute: gemini\n---\n\(long)\n").0)
        let packet = ImageProvenance.make(prompt: big, entry: nil, output: output, settings: Settings()).embedded.xmp
        #expect(packet.count <= 60_000, "\(packet.count) bytes")
        let kept = String(decoding: packet, as: UTF8.self)
        #expect(kept.contains("trainedAlgorithmicMedia") && kept.contains("TC260:AIGC") && kept.contains("狐狸在雪中"))
    }

    @Test func aForgedImagesJSONCannotMakeAnOriginalSignedAndCheckPublishedNeedsThisProjectsSite() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let sha = try #require(try Lockfile.load(project: fixture.root).entries["fox"]?.outputs.first?.asset?.sha256)
        // images.json sits in the output folder: a copied one says every original is signed.
        let cache = fixture.root.appendingPathComponent("site/.folio/images.json")
        let text = try String(contentsOf: cache, encoding: .utf8)
        var forged = text.replacingOccurrences(of: "\"carries\": {}", with: "\"carries\": {\"c2pa\": true}")
        forged = forged.replacingOccurrences(of: #""asset": "[^"]*""#, with: #""asset": "1 2 3 4.5 6.7""#, options: .regularExpression)
        #expect(forged != text && forged.contains("\"c2pa\": true") && forged.contains("1 2 3 4.5 6.7"))
        try Data(forged.utf8).write(to: cache)
        let prompt = fixture.root.appendingPathComponent("prompts/fox.md")
        try Data(try String(contentsOf: prompt, encoding: .utf8).replacingOccurrences(of: "Snow fox", with: "Snowy fox").utf8).write(to: prompt)
        _ = try await fixture.build()
        #expect(try !fixture.read("p/fox/index.html").contains("Content Credentials present"))
        let original = try #require(FastFiles.read(fixture.root.path + "/site/img/\(sha).png"))
        #expect(OriginalMetadata.read(original).digitalSourceType == ImageProvenance.digitalSourceType, "still labelled")

        let elsewhere = TestPaths.temporaryFolder("folio-not-a-site")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let wrong = try runFolio(["check", "--published", "--project", fixture.root.path, "--out", elsewhere.path])
        #expect(wrong.status == 4, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stderr.contains("is not a site this project rendered"), "\(wrong.stderr)")
    }
}
