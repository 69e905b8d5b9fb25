import Foundation
@testable import FolioCore
import Testing

/// `folio diff` on lock entries with no prompt file (added or removed by which side has them), and
/// on what it reads of a revision: the files loading needs, never the rest of the repository, and
/// nothing outside its temporary folder whatever the revision's prompt files name.
@Suite struct RevisionDiffTests {
    /// A committed project of two prompts (fox, owl) whose lock also holds `gone` and `both`, ids
    /// with no prompt file; then, in the working tree, `gone` dropped from the lock, `ghost` added to
    /// it, `both` given another reported cost, and owl's prompt file removed (its entry kept, as
    /// until `folio clean`).
    @Test func lockEntriesWithoutAPromptFileAreAddedOrRemovedByTheSideThatHasThem() async throws {
        let fixture = try await SiteFixture.make(items: ["fox", "owl"].map { SiteFixture.Item(id: $0, text: "---\ntitle: A \($0)\n---\nA \($0)\n") })
        defer { fixture.remove() }
        let project = fixture.root
        var lock = try Lockfile.load(project: project)
        let owl = try #require(lock.entries["owl"])
        lock.entries["gone"] = owl
        lock.entries["both"] = owl
        try lock.write(project: project)
        try PublishTests.git(project, ["init", "-q", "-b", "main"])
        try PublishTests.git(project, ["add", "."])
        try PublishTests.git(project, ["commit", "-q", "-m", "two prompts, two lock entries without one"])

        lock.entries["gone"] = nil
        lock.entries["ghost"] = owl
        lock.entries["both"]?.cost = .object([("totalTokenCount", .int(1290))])
        try lock.write(project: project)
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/owl.md"))

        let json = try await runFolioOnAThread(["diff", "--json", "--project", project.path], environment: PublishTests.gitEnvironment)
        #expect(json.status == 0, "\(json.stderr)")
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(json.stdout.utf8))
        let changes = (decoded["prompts"]?.arrayValue ?? []).map { "\($0["change"]?.stringValue ?? "") \($0["id"]?.stringValue ?? "")" }
        #expect(changes == ["changed both", "added ghost", "removed gone", "removed owl"], "\(json.stdout)")
        #expect(decoded["prompts"]?.arrayValue?.first { $0["id"]?.stringValue == "ghost" }?["images"]?["old"]?.arrayValue?.isEmpty == true)

        // The text and the report name the same kinds.
        let text = try await runFolioOnAThread(["diff", "--project", project.path], environment: PublishTests.gitEnvironment)
        #expect(text.status == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(lines.prefix(4) == ["changed  both", "added    ghost", "removed  gone", "removed  owl"], "\(text.stdout)")
        #expect(lines.contains("4 prompts differ from HEAD: 1 added, 2 removed, 1 changed; no prices in folio.yml, so costs are as the gateway reported them"))
        let html = try String(contentsOf: project.appendingPathComponent("folio-diff.html"), encoding: .utf8)
        for (kind, id) in [("changed", "both"), ("added", "ghost"), ("removed", "gone"), ("removed", "owl")] {
            #expect(html.contains("<section class=\"prompt \(kind)\">\n<h2><span class=\"kind\">\(kind)</span> <code>\(id)</code>"), "\(kind) \(id)")
        }
    }

    /// The prompt file decides whenever a side has one, whatever the lock entries; with none, the entries do.
    @Test func thePromptFileDecidesTheKindBeforeTheLockEntry() throws {
        let fox = try #require(decodePrompt("---\ntitle: A fox\n---\nA fox\n", id: "fox").0)
        let entry = LockEntry(inputHash: fox.inputHash, route: .gemini, model: fox.generation.model, state: .succeeded, outputs: [])
        func kind(_ old: (Prompt?, LockEntry?), _ new: (Prompt?, LockEntry?)) -> PromptDiff.Kind {
            ProjectDiff.kind(old: DiffSide(prompt: old.0, entry: old.1), new: DiffSide(prompt: new.0, entry: new.1))
        }
        #expect(kind((nil, nil), (nil, entry)) == .added)
        #expect(kind((nil, entry), (nil, nil)) == .removed)
        #expect(kind((nil, entry), (nil, entry)) == .changed)
        #expect(kind((nil, entry), (fox, nil)) == .added, "a file now, an entry only at the revision")
        #expect(kind((fox, entry), (nil, entry)) == .removed, "the entry stays until folio clean")
        #expect(kind((nil, entry), (fox, entry)) == .added)
        #expect(kind((fox, nil), (fox, entry)) == .changed)
    }

    /// `images:` as the decoder reads it: at the top or under a route's own keys, one path or a
    /// list, relative to the prompt file; absolute paths and paths out of the project name nothing.
    @Test func theReferenceImagesArePathsInTheFrontMatter() {
        let text = """
            ---
            # images: [commented.png]
            routes: [gemini, kling]
            images: [../refs/a.png, ./b.png, ../../../etc/passwd, /etc/passwd, "../refs/c d.png"]
            kling:
              images: ../refs/k.png
            title: { images: not-a-route.png }
            ---
            images: [body.png]
            """
        #expect(
            ProjectDiff.referenceImages(text: text, file: "prompts/birds/owl.md")
                == ["prompts/refs/a.png", "prompts/birds/b.png", "prompts/refs/c d.png", "prompts/refs/k.png"])
        #expect(ProjectDiff.referenceImages(text: "A fox, images: [x.png]\n", file: "prompts/fox.md").isEmpty)
        #expect(ProjectDiff.referenceImages(text: "---\nimages: [\n---\nA fox\n", file: "prompts/fox.md").isEmpty, "YAML that does not parse")
    }

    /// A project in `gallery/` of a repository whose revision holds a large photo no prompt names, two
    /// reference images that prompts name, and a prompt file naming paths out of the project, through
    /// symbolic links, and a pattern.
    @Test func onlyWhatLoadingTheRevisionReadsIsWritten() async throws {
        let repository = TestPaths.temporaryFolder("folio-diff-revision")
        defer { try? FileManager.default.removeItem(at: repository) }
        let project = repository.appendingPathComponent("gallery")
        func write(_ path: String, _ bytes: [UInt8], in folder: URL? = nil) throws {
            let url = (folder ?? project).appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        func link(_ path: String, to target: String) throws {
            try FileManager.default.createSymbolicLink(atPath: project.appendingPathComponent(path).path, withDestinationPath: target)
        }
        _ = Libraries.startVips
        try write("folio.yml", Array("title: Birds\n".utf8))
        try write("prompts/fox.md", Array("---\nimages: [../refs/cat.png]\n---\nA fox like this cat\n".utf8))
        try write("prompts/birds/owl.md", Array("---\nimages: ../../refs/owl.png\n---\nAn owl like this one\n".utf8))
        let evil = "---\nimages: [../../../etc/passwd, /etc/passwd, ../../outside.png, ../linked/passwd, ../refs/link.png, ../photos/*.png]\n---\nX\n"
        try write("prompts/evil.md", Array(evil.utf8))
        try write("refs/cat.png", try SiteFixture.render(width: 64, height: 48, seed: 1))
        try write("refs/owl.png", try SiteFixture.render(width: 48, height: 64, seed: 2))
        let photo = try SiteFixture.render(width: 1600, height: 1200, seed: 3)
        try write("photos/big.png", photo)
        try write("outside.png", try SiteFixture.render(width: 32, height: 32, seed: 4), in: repository)
        try link("linked", to: "/etc")
        try link("refs/link.png", to: "/etc/passwd")
        try Lockfile().write(project: project)
        try PublishTests.git(repository, ["init", "-q", "-b", "main"])
        try PublishTests.git(repository, ["add", "."])
        try PublishTests.git(repository, ["commit", "-q", "-m", "birds"])

        let revision = try GitRevision.open(project: project, name: "HEAD", environment: PublishTests.gitEnvironment)
        let folder = TestPaths.temporaryFolder("folio-diff-materialised")
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = try ProjectDiff.materialise(revision, into: folder)
        #expect(
            written == [
                "folio.lock", "folio.yml", "prompts/birds/owl.md", "prompts/evil.md", "prompts/fox.md", "refs/cat.png", "refs/owl.png",
            ])
        // What is in the folder is exactly that, all regular files: no link, no photo, nothing of /etc.
        var found: [String] = []
        let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey])
        while let url = walker?.nextObject() as? URL {
            let values = try url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            #expect(values.isSymbolicLink != true, "\(url.path)")
            if values.isRegularFile == true { found.append(String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))) }
        }
        #expect(found.sorted() == written)
        #expect(try Data(contentsOf: folder.appendingPathComponent("refs/cat.png")) == Data(try SiteFixture.render(width: 64, height: 48, seed: 1)))
        #expect(photo.count > 10_000, "the photo is the large file a copy of every image would have read")

        // Those files are enough: fox and owl load at the revision with their reference images, so
        // nothing differs from the working tree; evil.md is refused there as it is here.
        let loaded = await ProjectLoader.load(project)
        let diff = try await ProjectDiff.make(
            project: loaded, lock: try Lockfile.load(project: project), revision: "HEAD", environment: PublishTests.gitEnvironment)
        #expect(diff.prompts.isEmpty, "\(diff.prompts.map { "\($0.kind) \($0.id)" })")
        #expect(!diff.revisionProblems.isEmpty && diff.revisionProblems.allSatisfy { $0.file == "prompts/evil.md" }, "\(diff.revisionProblems)")
        #expect(loaded.prompts.map(\.id) == ["birds/owl", "fox"] && loaded.prompts.allSatisfy { $0.generation.images.count == 1 })
    }
}
