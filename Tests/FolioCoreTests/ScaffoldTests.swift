import Foundation
@testable import FolioCore
import Testing

@Suite(.serialized) struct ScaffoldTests {
    @Test func initMakesAProjectThatChecksAndBuildsWithTheSimulator() throws {
        let parent = TestPaths.temporaryFolder("folio-init")
        defer { try? FileManager.default.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("gallery").path
        let created = try runFolio(["init", dir])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try runFolio(["check", "--project", dir]).status == 0)
        var environment = ProcessInfo.processInfo.environment
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "16"
        let build = try runFolio(["build", "--project", dir, "--simulate", "--quiet"], environment: environment)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/site/p/first-image/index.html"))
        let again = try runFolio(["init", dir])
        #expect(again.status == 1)
        #expect(again.stderr.contains("already has folio.yml"))
    }

    @Test func newWritesADraftForTheRouteAndRefusesBadIds() async throws {
        let root = makeProject(["prompts/keep.md": "A fox\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let made = try runFolio(["new", "posters/summer-launch", "--route", "kling", "--project", root.path])
        #expect(made.status == 0, "\(made.stderr)")
        let project = await ProjectLoader.load(root)
        let prompt = try #require(project.prompts.first { $0.id == "posters/summer-launch" })
        #expect(prompt.draft)
        #expect(prompt.generation.route == .kling)
        #expect(prompt.title == "Summer launch")
        #expect(project.diagnostics.errors.isEmpty)
        let bad = try runFolio(["new", "Posters/Summer Launch", "--project", root.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("try 'posters/summer-launch'"))
        #expect(try runFolio(["new", "keep", "--project", root.path]).status == 1)
        #expect(try String(contentsOf: root.appendingPathComponent("prompts/keep.md"), encoding: .utf8) == "A fox\n")
    }

    @Test func cleanListsThenDeletesOnlyWhatNoPromptUses() async throws {
        let h = try await GenerationHarness(files: ["prompts/a.md": promptFile("gemini", "first"), "prompts/b.md": promptFile("gemini", "other")])
        defer { Task { await h.close() } }
        _ = try await h.generate()
        // a's prompt changes (its old image is orphaned); b's file goes away.
        try Data(promptFile("gemini", "second").utf8).write(to: h.root.appendingPathComponent("prompts/a.md"))
        _ = try await h.generate()
        try FileManager.default.removeItem(at: h.root.appendingPathComponent("prompts/b.md"))
        #expect(h.assetFiles().count == 3)
        let listed = try runFolio(["clean", "--project", h.root.path])
        #expect(listed.status == 0)
        #expect(listed.stdout.contains("entry   b (its prompt file is gone)"))
        #expect(listed.stdout.contains("1 lock entry and 2 assets"))
        #expect(h.assetFiles().count == 3, "listing deletes nothing")
        let cleaned = try runFolio(["clean", "--project", h.root.path, "--yes"])
        #expect(cleaned.status == 0)
        #expect(h.assetFiles().count == 1)
        let lock = try Lockfile.load(project: h.root)
        #expect(Array(lock.entries.keys) == ["a"])
        #expect(FileManager.default.fileExists(atPath: h.root.appendingPathComponent(try #require(lock.entries["a"]?.outputs.first?.file)).path))
        #expect(try runFolio(["clean", "--project", h.root.path]).stdout == "nothing to clean\n")
    }
}
