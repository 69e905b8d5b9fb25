import Foundation
@testable import FolioCore
import Testing

/// Real C2PA Content Credentials (issue 10): an original signed in the test by `c2pa-python` from
/// PyPI with a throwaway certificate (Tests/Scripts/c2pa_sign.py) is published byte for byte, still
/// validates with `c2pa-python` after the build, is marked on its page, and its renditions carry
/// the labels; `folio check --published` and `c2pa-python` both catch one changed byte.
///
/// The Python comes from `FOLIO_C2PA_PYTHON` (which `.ci/run` sets), else `/tmp/c2pa-venv/bin/python`;
/// without one that imports `c2pa` the test fails, saying how to install it.
@Suite(.serialized) struct ContentCredentialsTests {
    static let script = TestPaths.packageRoot.appendingPathComponent("Tests/Scripts/c2pa_sign.py")
    static let defaultPython = "/tmp/c2pa-venv/bin/python"
    static let prompt = "A lighthouse at dusk, 灯塔, long exposure"

    static let items = [
        SiteFixture.Item(
            id: "lighthouse",
            text: """
                ---
                title: Lighthouse
                route: dashscope
                size: 1328*1328
                seed: 7
                negative_prompt: people
                alt: A lighthouse against an orange sky
                ---
                \(prompt)
                """, images: [(120, 90)])
    ]

    static let config = """
        title: Credentials gallery
        base_url: https://example.com/gallery/
        images:
          widths: [48, 100]
          formats: [webp, jpeg\(Libraries.canEncode(.avif) ? ", avif" : "")]

        """

    /// What `c2pa_sign.py verify` printed: its JSON line, and how it exited.
    struct Verdict {
        var status: Int32
        var line: [String: Any]
        var failures: [String] { line["failures"] as? [String] ?? [] }
    }

    /// A Python that imports `c2pa`: `FOLIO_C2PA_PYTHON`, else the default venv. Fails the test
    /// (never skips it) when neither does.
    static func python() throws -> String {
        var candidates = [defaultPython]
        if let chosen = ProcessInfo.processInfo.environment["FOLIO_C2PA_PYTHON"], !chosen.isEmpty { candidates.insert(chosen, at: 0) }
        var tried: [String] = []
        for candidate in candidates {
            guard FileManager.default.isExecutableFile(atPath: candidate) else {
                tried.append("\(candidate): no such executable")
                continue
            }
            let probe = try run(candidate, ["-c", "import c2pa; print(c2pa.sdk_version())"])
            if probe.status == 0 { return candidate }
            tried.append("\(candidate): cannot import c2pa (\(probe.stderr.split(separator: "\n").last ?? ""))")
        }
        // A thrown error fails the test with this message.
        throw FolioError(
            """
            No Python with c2pa-python (\(tried.joined(separator: "; "))). Install it as .ci/run does: \
            python3 -m venv /tmp/folio-c2pa && /tmp/folio-c2pa/bin/pip install c2pa-python==0.38.1, \
            then export FOLIO_C2PA_PYTHON=/tmp/folio-c2pa/bin/python (needs python3-venv and openssl).
            """)
    }

    /// Runs `executable` with `arguments` and waits; output through files, so no pipe can fill.
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        let folder = TestPaths.temporaryFolder("folio-c2pa-run")
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// `c2pa_sign.py sign`: `png` signed with a fresh throwaway certificate.
    static func sign(_ png: [UInt8], python: String) throws -> [UInt8] {
        let folder = TestPaths.temporaryFolder("folio-c2pa-sign")
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("unsigned.png"), output = folder.appendingPathComponent("signed.png")
        try Data(png).write(to: input)
        let signing = try run(python, [script.path, "sign", input.path, output.path])
        try #require(signing.status == 0, "c2pa_sign.py sign failed: \(signing.stdout)\(signing.stderr)")
        return try #require(FastFiles.read(output.path))
    }

    /// `c2pa_sign.py verify` on `file`.
    static func verify(_ file: URL, python: String) throws -> Verdict {
        let result = try run(python, [script.path, "verify", file.path])
        let line = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return Verdict(status: result.status, line: try #require(line, "verify printed no JSON: \(result.stdout)\(result.stderr)"))
    }

    /// The data of each chunk of a PNG, by type, in file order.
    static func chunks(_ png: [UInt8]) -> [(type: String, body: Range<Int>)] {
        var found: [(String, Range<Int>)] = []
        var at = 8
        while at + 12 <= png.count {
            let length = png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: png[at + 4..<at + 8], as: UTF8.self)
            guard at + 12 + length <= png.count else { break }
            found.append((type, at + 8..<at + 8 + length))
            at += 12 + length
        }
        return found
    }

    @Test func aRealSignedOriginalIsPublishedUnchangedStillValidatesAndATamperedOneIsCaught() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: "/usr/bin/exiftool"), "install libimage-exiftool-perl (see .ci/run)")
        let python = try Self.python()
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        let signed = try EmbeddedMetadataTests.replaceAsset(of: "lighthouse", in: fixture) { try Self.sign($0, python: python) }
        // The signed asset itself: real credentials, which c2pa-python accepts and Folio detects.
        let asset = fixture.root.appendingPathComponent("assets/\(signed.sha).png")
        let before = try Self.verify(asset, python: python)
        try #require(before.status == 0, "the freshly signed asset does not validate: \(before.line)")
        #expect(Self.chunks(signed.bytes).contains { $0.type == "caBX" }, "c2pa-rs embeds the manifest store in a caBX chunk")
        #expect(OriginalMetadata.read(signed.bytes).c2pa)

        _ = try await fixture.build()
        let img = fixture.root.appendingPathComponent("site/img")
        let original = img.appendingPathComponent("\(signed.sha).png")
        #expect(FastFiles.read(original.path) == signed.bytes, "a signed original is published byte for byte")
        let after = try Self.verify(original, python: python)
        #expect(after.status == 0, "the published original no longer validates: \(after.line)")
        #expect(after.line["validation_state"] as? String == "Valid", "\(after.line)")
        #expect(after.failures.isEmpty, "\(after.line)")
        #expect(try fixture.read("p/lighthouse/index.html").contains("Content Credentials present"))

        // Its renditions are new files, so they carry the XMP and the parameters text.
        let renditions = try FileManager.default.contentsOfDirectory(atPath: img.path).filter { $0.hasPrefix(signed.sha + "-") }.sorted()
        #expect(renditions.count == (Libraries.canEncode(.avif) ? 6 : 4), "\(renditions)")
        for name in renditions {
            let tags = try EmbeddedMetadataTests.tags(img.appendingPathComponent(name))
            #expect(tags["DigitalSourceType"] as? String == ImageProvenance.digitalSourceType, "\(name)")
            #expect(tags["Title"] as? String == "Lighthouse", "\(name)")
            #expect(tags["Description"] as? String == Self.prompt, "\(name)")
            #expect(tags["AltTextAccessibility"] as? String == "A lighthouse against an orange sky", "\(name)")
            #expect(tags["AISystemUsed"] as? String == "qwen-image-plus", "\(name)")
            #expect(tags["AIPromptInformation"] as? String == "\(Self.prompt)\nNegative prompt: people", "\(name)")
            let aigc = try #require(tags["Aigc"] as? String, "\(name)")
            #expect(aigc.contains(#""Label":"1""#) && aigc.contains(#""ContentPropagator":"Credentials gallery""#), "\(name): \(aigc)")
            let comment = try #require(tags["UserComment"] as? String, "\(name)")
            #expect(comment.hasPrefix("\(Self.prompt)\nNegative prompt: people\nSeed: 7"), "\(name): \(comment)")
        }

        let clean = try runFolio(["check", "--published", "--project", fixture.root.path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("0 problems"), "\(clean.stdout)")

        // One byte of the image data changed: outside the caBX chunk, inside what the hard binding covers.
        let idat = try #require(Self.chunks(signed.bytes).first { $0.type == "IDAT" }?.body)
        var tampered = signed.bytes
        tampered[(idat.lowerBound + idat.upperBound) / 2] ^= 0xFF
        try Data(tampered).write(to: original)
        let failed = try runFolio(["check", "--published", "--project", fixture.root.path])
        #expect(failed.status == 4, "\(failed.stdout)\(failed.stderr)")
        #expect(
            failed.stderr.contains("img/\(signed.sha).png carries Content Credentials but is no longer the signed original"), "\(failed.stderr)")
        let broken = try Self.verify(original, python: python)
        #expect(broken.status == 1, "c2pa-python accepts a changed byte: \(broken.line)")
        #expect(broken.failures.contains("assertion.dataHash.mismatch"), "\(broken.line)")
    }
}
