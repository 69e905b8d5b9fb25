import Foundation
@testable import FolioCore
import Testing

/// `folio render` with nothing changed answers from a stat of its inputs, and only then.
@Suite(.serialized) struct RenderStampTests {
    static let items = [
        SiteFixture.Item(id: "fox", text: "---\ntitle: Fox\n---\nA watercolor fox\n"),
        SiteFixture.Item(
            id: "bad", text: "---\ntitle: Bad\n---\nA blocked prompt\n", images: [], state: .failed,
            error: LockError(kind: .moderation, code: "1301", message: "Failure to pass the risk control system")),
    ]

    @Test func aSecondRenderIsAStatAndAnswersTheSame() async throws {
        let fixture = try await SiteFixture.make(items: Self.items)
        defer { fixture.remove() }
        // Files changed within two seconds of a render are "racy": no stamp is kept for them.
        let racy = try runFolio(["render", "--project", fixture.root.path])
        #expect(racy.status == 4)
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/.folio/inputs.txt").path))
        try await Task.sleep(for: .seconds(3))
        let first = try runFolio(["render", "--project", fixture.root.path])
        #expect(first.status == 4, "a failed prompt: exit 4")
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/.folio/inputs.txt").path))
        let second = try runFolio(["render", "--project", fixture.root.path, "--verbose"])
        #expect(second.status == 4, "the same answer from the stamp")
        #expect(second.stdout.contains("placeholder bad: failed"), "\(second.stdout)")
        #expect(!second.stderr.contains("] load "), "nothing was loaded: \(second.stderr)")
    }

    @Test func anyChangedInputRendersAgain() async throws {
        let fixture = try await SiteFixture.make(items: Self.items)
        defer { fixture.remove() }
        _ = try runFolio(["render", "--project", fixture.root.path])
        // An edited prompt, re-dated to its old time: the change time still moves.
        let prompt = fixture.root.appendingPathComponent("prompts/fox.md")
        let attributes = try FileManager.default.attributesOfItem(atPath: prompt.path)
        try Data("---\ntitle: Fox, renamed\n---\nA watercolor fox\n".utf8).write(to: prompt)
        try FileManager.default.setAttributes([.modificationDate: attributes[.modificationDate]!], ofItemAtPath: prompt.path)
        let again = try runFolio(["render", "--project", fixture.root.path, "--verbose"])
        #expect(again.stderr.contains("] load "), "\(again.stderr)")
        #expect(try fixture.read("p/fox/index.html").contains("Fox, renamed"))

        // A page removed from the site is written again.
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("site/p/fox/index.html"))
        _ = try runFolio(["render", "--project", fixture.root.path])
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/p/fox/index.html").path))

        // An asset edited in place is caught and not published, stamp or not.
        let lock = try Lockfile.load(project: fixture.root)
        let output = try #require(lock.entries["fox"]?.outputs.first?.asset)
        let asset = fixture.root.appendingPathComponent(output.file)
        var bytes = try [UInt8](Data(contentsOf: asset))
        bytes[bytes.count - 20] ^= 0xFF
        try Data(bytes).write(to: asset)
        let edited = try runFolio(["render", "--project", fixture.root.path])
        #expect(edited.status == 4)
        #expect(edited.stderr.contains("does not hash"), "\(edited.stderr)")
    }

    @Test func aLinkedFolderTurnsTheStampOff() async throws {
        let fixture = try await SiteFixture.make(items: Self.items)
        defer { fixture.remove() }
        let elsewhere = fixture.root.appendingPathComponent("more")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try Data("An owl\n".utf8).write(to: elsewhere.appendingPathComponent("owl.md"))
        try FileManager.default.createSymbolicLink(atPath: fixture.root.appendingPathComponent("prompts/more").path, withDestinationPath: elsewhere.path)
        #expect(RenderStamp.take(project: fixture.root) == nil)
        _ = try runFolio(["render", "--project", fixture.root.path])
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/.folio/inputs.txt").path))
    }
}

/// The stamp's edges, from the third review.
@Suite(.serialized) struct RenderStampEdgeTests {
    @Test func aReferenceImageOutsideTheStampedFoldersStillCounts() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        // A prompt whose reference image lives outside prompts/, templates/, static/ and assets/.
        try FileManager.default.createDirectory(at: fixture.root.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data(try SiteFixture.render(width: 320, height: 320, seed: 3)).write(to: fixture.root.appendingPathComponent("refs/bottle.png"))
        try Data("---\nroute: gemini\nimages: [../refs/bottle.png]\n---\nRestyle this bottle\n".utf8)
            .write(to: fixture.root.appendingPathComponent("prompts/restyle.md"))
        let first = try runFolio(["render", "--project", fixture.root.path])
        #expect(first.status == 0, "\(first.stderr)")
        try await Task.sleep(for: .seconds(3))  // past the racy window, so the stamp is kept
        #expect(try runFolio(["render", "--project", fixture.root.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/.folio/inputs.txt").path))
        // Its folder moved out of the project and linked back: the file is the same, where it lies is not.
        let outside = TestPaths.temporaryFolder("folio-refs").appendingPathComponent("refs")
        defer { try? FileManager.default.removeItem(at: outside.deletingLastPathComponent()) }
        try FileManager.default.moveItem(at: fixture.root.appendingPathComponent("refs"), to: outside)
        try FileManager.default.createSymbolicLink(atPath: fixture.root.appendingPathComponent("refs").path, withDestinationPath: outside.path)
        let moved = try runFolio(["render", "--project", fixture.root.path])
        #expect(moved.status == 2, "a reference image outside the project is reported, not hidden by the stamp: \(moved.stderr)")
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("refs"))
        try FileManager.default.moveItem(at: outside, to: fixture.root.appendingPathComponent("refs"))
        try await Task.sleep(for: .seconds(3))
        #expect(try runFolio(["render", "--project", fixture.root.path]).status == 0)
        #expect(try runFolio(["render", "--project", fixture.root.path]).status == 0)
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("refs/bottle.png"))
        let again = try runFolio(["render", "--project", fixture.root.path])
        #expect(again.status == 2, "the missing reference image is reported, not hidden by the stamp: \(again.stderr)")
    }

    @Test func theStampIsNeverWrittenThroughALinkedStateFolder() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        _ = try runFolio(["render", "--project", fixture.root.path])
        let state = fixture.root.appendingPathComponent("site/.folio")
        let victim = TestPaths.temporaryFolder("folio-victim")
        defer { try? FileManager.default.removeItem(at: victim) }
        for name in try FileManager.default.contentsOfDirectory(atPath: state.path) {
            try FileManager.default.copyItem(at: state.appendingPathComponent(name), to: victim.appendingPathComponent(name))
        }
        try Data("precious\n".utf8).write(to: victim.appendingPathComponent("inputs.txt"))
        try FileManager.default.removeItem(at: state)
        try FileManager.default.createSymbolicLink(atPath: state.path, withDestinationPath: victim.path)
        _ = try runFolio(["render", "--project", fixture.root.path])
        _ = try runFolio(["render", "--project", fixture.root.path, "--force"])
        #expect(try String(contentsOf: victim.appendingPathComponent("inputs.txt"), encoding: .utf8) == "precious\n")
    }

    @Test func aProjectMovedWithItsSiteStillOwnsIt() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        #expect(try runFolio(["render", "--project", fixture.root.path]).status == 0)
        let moved = fixture.root.deletingLastPathComponent().appendingPathComponent(fixture.root.lastPathComponent + "-moved")
        try FileManager.default.moveItem(at: fixture.root, to: moved)
        defer { try? FileManager.default.removeItem(at: moved) }
        let again = try runFolio(["render", "--project", moved.path])
        #expect(again.status == 0, "\(again.stderr)")
        let manifest = try String(contentsOf: moved.appendingPathComponent("site/.folio/manifest.txt"), encoding: .utf8)
        #expect(manifest.contains("project ..\n"), "no absolute path is written")
    }
}
