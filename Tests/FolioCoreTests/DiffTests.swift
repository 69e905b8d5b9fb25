import Foundation
@testable import FolioCore
import Testing

/// `folio diff [REV]` against a scratch git repository: exactly the prompts that changed, their
/// images side by side in an HTML report that escapes what the prompt files say.
@Suite struct DiffTests {
    static let hostile = "<script>alert(1)</script><img src=x onerror=alert(2)> & \"quoted\" 'single'"

    /// A repository whose `gallery/` folder is a project of five generated prompts, committed; then
    /// two prompts edited (a generation key, a display key), one lock entry given a new image and
    /// cost, one prompt added and one removed. Returns the repository and the project.
    static func repository() async throws -> (repository: URL, project: URL) {
        let fixture = try await SiteFixture.make(
            items: ["fox", "owl", "heron", "crane", "wren"].map { SiteFixture.Item(id: $0, text: "---\ntitle: A \($0)\n---\nA \($0) in the snow\n") })
        let repository = TestPaths.temporaryFolder("folio-diff-repo")
        let project = repository.appendingPathComponent("gallery")
        try FileManager.default.moveItem(at: fixture.root, to: project)
        _ = try PublishTests.git(repository, ["init", "-q", "-b", "main"])
        _ = try PublishTests.git(repository, ["add", "."])
        _ = try PublishTests.git(repository, ["commit", "-q", "-m", "five prompts"])

        func write(_ path: String, _ text: String) throws { try Data(text.utf8).write(to: project.appendingPathComponent(path)) }
        // A generation key (the prompt text, hostile) and a display key (the title, hostile).
        try write("prompts/fox.md", "---\ntitle: A fox\n---\nA fox in the snow \(hostile)\n")
        try write("prompts/owl.md", "---\ntitle: \(hostile.replacingOccurrences(of: "\"", with: ""))\n---\nA owl in the snow\n")
        // One lock entry: a new image and what the gateway reported for it.
        var lock = try Lockfile.load(project: project)
        let bytes = try SiteFixture.render(width: 64, height: 48, seed: 99)
        let sha = SHA256Hex.of(bytes)
        try Data(bytes).write(to: project.appendingPathComponent("assets/\(sha).png"))
        lock.entries["heron"]?.outputs = [
            LockOutput(
                index: 0, url: nil,
                asset: StoredAsset(file: "assets/\(sha).png", sha256: sha, bytes: bytes.count, width: 64, height: 48, mime: "image/png"))
        ]
        lock.entries["heron"]?.cost = .object([("totalTokenCount", .int(1290))])
        try lock.write(project: project)
        // Whitespace after the front matter changes nothing a build reads: not listed.
        try write("prompts/crane.md", "---\ntitle: A crane\n---\n\nA crane in the snow\n\n")
        return (repository, project)
    }

    @Test func listsExactlyTheChangedPrompts() async throws {
        let (repository, project) = try await Self.repository()
        defer { try? FileManager.default.removeItem(at: repository) }
        let loaded = await ProjectLoader.load(project)
        let diff = try await ProjectDiff.make(
            project: loaded, lock: try Lockfile.load(project: project), revision: "HEAD", environment: PublishTests.gitEnvironment)
        #expect(diff.prompts.map(\.id) == ["fox", "heron", "owl"])
        #expect(diff.prompts.allSatisfy { $0.kind == .changed })
        let fox = try #require(diff.prompts.first { $0.id == "fox" })
        #expect(fox.generation.map(\.key) == ["prompt"] && fox.display.isEmpty && fox.entry.isEmpty)
        let owl = try #require(diff.prompts.first { $0.id == "owl" })
        #expect(owl.generation.isEmpty && owl.display.map(\.key) == ["title"])
        let heron = try #require(diff.prompts.first { $0.id == "heron" })
        #expect(heron.generation.isEmpty && heron.display.isEmpty && Set(heron.entry.map(\.key)) == ["images", "cost"])
        #expect(heron.newImages.count == 1)

        // A prompt added and one removed, then compared with the first commit by name.
        try Data("---\ntitle: A swan\n---\nA swan\n".utf8).write(to: project.appendingPathComponent("prompts/swan.md"))
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/wren.md"))
        _ = try PublishTests.git(repository, ["add", "-A"])
        _ = try PublishTests.git(repository, ["commit", "-q", "-m", "more"])
        let result = try await runFolioOnAThread(["diff", "HEAD~1", "--json", "--project", project.path], environment: PublishTests.gitEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
        let changes = (json["prompts"]?.arrayValue ?? []).map { "\($0["change"]?.stringValue ?? "") \($0["id"]?.stringValue ?? "")" }
        #expect(changes == ["changed fox", "changed heron", "changed owl", "added swan", "removed wren"])
        #expect(json["report"]?.stringValue == project.appendingPathComponent("folio-diff.html").path)
        // Against HEAD, now that everything is committed: nothing differs.
        let clean = try await runFolioOnAThread(["diff", "--project", project.path], environment: PublishTests.gitEnvironment)
        #expect(clean.status == 0 && clean.stdout.hasPrefix("no prompt differs from HEAD"), "\(clean.stdout)\(clean.stderr)")
    }

    @Test func theReportShowsBothImagesAndEscapesEveryText() async throws {
        let (repository, project) = try await Self.repository()
        defer { try? FileManager.default.removeItem(at: repository) }
        // heron's old image is gone from assets/ (cleaned): it is read from the revision, which holds it.
        let committed = try PublishTests.git(repository, ["show", "HEAD:gallery/folio.lock"])
        let oldHeron = try #require(try Lockfile.decode(Data(committed.utf8)).entries["heron"]?.outputs.first?.asset)
        try FileManager.default.removeItem(at: project.appendingPathComponent(oldHeron.file))
        let out = repository.appendingPathComponent("report/diff.html")
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        let result = try await runFolioOnAThread(["diff", "--out", out.path, "--project", project.path], environment: PublishTests.gitEnvironment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("report: \(out.path)"))
        let lines = result.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") }
        #expect(lines.prefix(3) == ["changed  fox", "changed  heron", "changed  owl"], "\(result.stdout)")

        let html = try String(contentsOf: out, encoding: .utf8)
        #expect(!html.lowercased().contains("<script"), "no script element, escaped or not")
        #expect(!html.contains("<img src=x"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; &amp;"))
        #expect(html.contains("default-src 'none'; img-src data:"))
        // heron: the old image and the new, both embedded; the others' unchanged images too.
        let lock = try Lockfile.load(project: project)
        let newSHA = try #require(lock.entries["heron"]?.outputs.first?.asset?.sha256)
        #expect(html.contains(String(newSHA.prefix(12))) && html.contains(String(oldHeron.sha256.prefix(12))))
        // fox and owl keep their image (shown once each, fox's marked as made before its change);
        // heron's old and new side by side.
        #expect(html.components(separatedBy: "src=\"data:image/jpeg;base64,").count - 1 == 4)
        #expect(html.components(separatedBy: "not generated again yet").count - 1 == 1, "fox only")
        for image in html.components(separatedBy: "src=\"data:image/jpeg;base64,").dropFirst() {
            let encoded = String(image.prefix { $0 != "\"" })
            let bytes = try #require(Data(base64Encoded: encoded))
            #expect(ImageHeader.read(bytes)?.format == "jpeg")
        }
    }

    @Test func costsArePricedWithThePricesOfTheWorkingTree() throws {
        let (settings, problems) = SettingsLoader.load(
            text: "prices:\n  currency: USD\n  gemini:\n    gemini-3.1-flash-image-preview: { per_image: 0.039 }\n")
        #expect(problems.isEmpty, "\(problems)")
        let one = try #require(decodePrompt("---\nn: 1\n---\nA fox\n", id: "fox").0)
        let two = try #require(decodePrompt("---\nn: 2\n---\nA fox\n", id: "fox").0)
        func entry(_ prompt: Prompt, images: Int) -> LockEntry {
            let outputs = (0..<images).map { index in
                let sha = SHA256Hex.of(Array("\(images) \(index)".utf8))
                return LockOutput(
                    index: index, url: nil, asset: StoredAsset(file: "assets/\(sha).png", sha256: sha, bytes: 1, width: 8, height: 8, mime: "image/png"))
            }
            return LockEntry(
                inputHash: prompt.inputHash, route: .gemini, model: prompt.generation.model, state: .succeeded, outputs: outputs,
                cost: .object([("totalTokenCount", .int(1290 * images))]))
        }
        let diff = ProjectDiff.compare(
            old: ([one], Lockfile(entries: ["fox": entry(one, images: 1)])), new: ([two], Lockfile(entries: ["fox": entry(two, images: 2)])),
            prices: settings.prices)
        let fox = try #require(diff.prompts.first)
        #expect(fox.generation.map(\.line) == ["n: 1 → 2"])
        #expect(fox.old.spent == 0.039 && fox.new.spent == 0.078 && fox.costDifference == 0.039)
        #expect(diff.summary.hasSuffix("cost +0.039 USD"), "\(diff.summary)")
        #expect(ProjectDiff.costText(fox, prices: settings.prices).hasSuffix("priced: 0.039 → 0.078 USD (+0.039 USD)"))
        #expect(fox.newImages.count == 2)
        // Without prices, the costs are as the gateway reported them, and no amount is made up.
        let unpriced = ProjectDiff.compare(
            old: ([one], Lockfile(entries: ["fox": entry(one, images: 1)])), new: ([two], Lockfile(entries: ["fox": entry(two, images: 2)])),
            prices: Prices())
        #expect(unpriced.costDifference == nil && unpriced.summary.hasSuffix("costs are as the gateway reported them"))
        #expect(ProjectDiff.costText(unpriced.prompts[0], prices: Prices()) == "cost as reported: {\"totalTokenCount\":1290} → {\"totalTokenCount\":2580}")
    }

    @Test func withoutARepositoryOrWithAnUnknownRevisionItIsExit2() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let outside = try await runFolioOnAThread(["diff", "--project", fixture.root.path], environment: PublishTests.gitEnvironment)
        #expect(outside.status == 2 && outside.stderr.contains("is not in a git repository"), "\(outside.stderr)")
        _ = try PublishTests.git(fixture.root, ["init", "-q", "-b", "main"])
        let empty = try await runFolioOnAThread(["diff", "--project", fixture.root.path], environment: PublishTests.gitEnvironment)
        #expect(empty.status == 2 && empty.stderr.contains("unknown revision 'HEAD'"), "\(empty.stderr)")
        _ = try PublishTests.git(fixture.root, ["add", "."])
        _ = try PublishTests.git(fixture.root, ["commit", "-q", "-m", "one"])
        for revision in ["no-such-branch", "main~5"] {
            let unknown = try await runFolioOnAThread(["diff", revision, "--project", fixture.root.path], environment: PublishTests.gitEnvironment)
            #expect(unknown.status == 2, "\(revision): \(unknown.stderr)")
        }
        var noGit = PublishTests.gitEnvironment
        noGit["PATH"] = "/nonexistent"
        let missing = try await runFolioOnAThread(["diff", "--project", fixture.root.path], environment: noGit)
        #expect(missing.status == 2 && missing.stderr.contains("git is not installed"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("folio-diff.html").path), "no report without a comparison")
    }
}
