import Foundation
@testable import FolioCore
import Testing

/// Every file under `root` (dot files included) with its bytes' SHA-256: a snapshot to compare.
func snapshot(_ root: URL) -> [String: String] {
    var files: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: root.path) else { return files }
    while let path = walker.nextObject() as? String {
        var info = stat()
        guard lstat(root.path + "/" + path, &info) == 0 else { continue }
        switch info.st_mode & S_IFMT {
        case S_IFREG: files[path] = SHA256Hex.of(FastFiles.read(root.path + "/" + path) ?? [])
        case S_IFLNK: files[path] = "link"
        default: continue
        }
    }
    return files
}

/// The output folder is Folio's, and only what Folio wrote there is ever replaced or removed.
@Suite(.serialized) struct OutputTrustTests {
    static let items = [
        SiteFixture.Item(id: "fox", text: "---\ntitle: Fox\ntags: [animal]\n---\nA watercolor fox\n"),
        SiteFixture.Item(id: "owl", text: "---\ntitle: Owl\n---\nAn owl at night\n"),
    ]

    /// A fixture with the folders a project may have besides prompts/ and assets/.
    func project() async throws -> SiteFixture {
        let fixture = try await SiteFixture.make(
            items: Self.items,
            extraFiles: [
                "templates/README.txt": "my templates\n",
                "static/robots.txt": "User-agent: *\n",
                ".folio/keep.txt": "folio's own\n",
                "notes.txt": "my notes\n",
            ])
        return fixture
    }

    @Test(arguments: [".", "./.", "", "..", "prompts", "prompts/out", "assets", "templates", "static", ".folio", "static/sub"])
    func renderIntoAForbiddenFolderTouchesNothing(_ out: String) async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        // Relative to the working folder, as a user types it: run from the project.
        let before = snapshot(fixture.root)
        let result = try runFolio(["render", "--project", fixture.root.path, "--out", out.isEmpty ? fixture.root.path : fixture.root.path + "/" + out])
        #expect(result.status == 2, "\(out): \(result.stderr)")
        #expect(result.stderr.contains("error:"))
        #expect(snapshot(fixture.root) == before, "\(out): the project is byte for byte the same")
    }

    /// A link to nothing as the output: refused before anything is locked or rendered (exit 2), not
    /// a failure half way through the render.
    @Test func aDanglingLinkAsTheOutputIsRefusedUpFront() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let link = fixture.root.appendingPathComponent("public")
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: fixture.root.path + "-nowhere/site")
        let result = try runFolio(["render", "--project", fixture.root.path, "--out", link.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("is a symbolic link to") && result.stderr.contains("which does not exist"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root.path + "-nowhere"))
    }

    @Test func anOutputInFolioYmlThatIsTheProjectIsRefusedByCheckAndRender() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        try Data("title: Fixture\noutput: \"./.\"\n".utf8).write(to: fixture.root.appendingPathComponent("folio.yml"))
        let before = snapshot(fixture.root)
        let check = try runFolio(["check", "--project", fixture.root.path])
        #expect(check.status == 2, "\(check.stderr)")
        #expect(check.stderr.contains("folio.yml:2:"), "\(check.stderr)")
        for command in ["render", "build"] {
            let result = try runFolio([command, "--project", fixture.root.path, "--simulate"].filter { command == "build" || $0 != "--simulate" })
            #expect(result.status == 2, "\(command): \(result.stderr)")
        }
        #expect(snapshot(fixture.root) == before)
    }

    @Test func aSymlinkToTheProjectIsRefused() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let link = TestPaths.temporaryFolder("folio-link").appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: link.deletingLastPathComponent()) }
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: fixture.root.appendingPathComponent("assets").path)
        let before = snapshot(fixture.root)
        let result = try runFolio(["render", "--project", fixture.root.path, "--out", link.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(snapshot(fixture.root) == before)
    }

    @Test func aForeignFileInTheOutputSurvivesAndOnlyFolioFilesArePruned() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let site = fixture.root.appendingPathComponent("site")
        _ = try await fixture.build()
        #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(".folio/manifest.txt").path))
        try Data("mine\n".utf8).write(to: site.appendingPathComponent("mine.txt"))
        try FileManager.default.createDirectory(at: site.appendingPathComponent("p/owl/extra"), withIntermediateDirectories: true)
        try Data("mine too\n".utf8).write(to: site.appendingPathComponent("p/owl/extra/keep.txt"))
        // The owl goes: its page is pruned, the files beside it that Folio did not write stay.
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("prompts/owl.md"))
        let report = try await fixture.build()
        #expect(report.removed > 0)
        #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("p/owl/index.html").path))
        #expect(try String(contentsOf: site.appendingPathComponent("mine.txt"), encoding: .utf8) == "mine\n")
        #expect(try String(contentsOf: site.appendingPathComponent("p/owl/extra/keep.txt"), encoding: .utf8) == "mine too\n")
    }

    @Test func aFolderFolioDidNotMakeNeedsForceAndLosesNothing() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let docs = fixture.root.appendingPathComponent("docs")
        try FileManager.default.createDirectory(at: docs, withIntermediateDirectories: true)
        try Data("# my docs\n".utf8).write(to: docs.appendingPathComponent("README.md"))
        try Data("CNAME\n".utf8).write(to: docs.appendingPathComponent(".nojekyll"))
        let before = snapshot(docs)
        let refused = try runFolio(["render", "--project", fixture.root.path, "--out", docs.path])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--force"), "\(refused.stderr)")
        #expect(snapshot(docs) == before)

        let forced = try runFolio(["render", "--project", fixture.root.path, "--out", docs.path, "--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(FileManager.default.fileExists(atPath: docs.appendingPathComponent("index.html").path))
        let after = snapshot(docs)
        for (path, digest) in before { #expect(after[path] == digest, "\(path) survives") }
        // Now the folder is Folio's: a second render needs no --force and still keeps them.
        let again = try runFolio(["render", "--project", fixture.root.path, "--out", docs.path])
        #expect(again.status == 0, "\(again.stderr)")
        for (path, digest) in before { #expect(snapshot(docs)[path] == digest) }
    }

    /// A page, and the two files written as they are made (the manifest and the search index).
    @Test(arguments: ["index.html", "gallery.json", "static/search-index.js"])
    func aForeignFileWhereFolioWritesIsNeverOverwritten(path: String) async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let out = fixture.root.appendingPathComponent("public")
        let file = out.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("my own file\n".utf8).write(to: file)
        let result = try runFolio(["render", "--project", fixture.root.path, "--out", out.path, "--force"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("public/\(path) is already there and Folio did not write it"), "\(result.stderr)")
        #expect(try String(contentsOf: file, encoding: .utf8) == "my own file\n")
    }

    /// A file of Folio's swapped for a link to the same bytes is replaced by the file itself (never
    /// kept as a link a host would follow), and what a killed render left beside the two files
    /// written as they are made is removed.
    @Test(arguments: ["index.html", "gallery.json", "static/search-index.js"])
    func aLinkInPlaceOfAFileIsReplacedAndLeftoversGo(path: String) async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        let site = fixture.root.appendingPathComponent("site")
        _ = try await fixture.build()
        let file = site.appendingPathComponent(path)
        let copy = fixture.root.appendingPathComponent("elsewhere.bin")
        try FileManager.default.moveItem(at: file, to: copy)
        try FileManager.default.createSymbolicLink(at: file, withDestinationURL: copy)
        // A process that has ended: its temporary file is a leftover.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let leftover = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).\(ended.processIdentifier).7.tmp")
        try Data("half a file".utf8).write(to: leftover)
        _ = try await fixture.build()
        var info = stat()
        #expect(lstat(file.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG, "\(path) is a file again")
        #expect(try Data(contentsOf: file) == Data(contentsOf: copy))
        if path != "index.html" { #expect(!FileManager.default.fileExists(atPath: leftover.path), "the leftover beside \(path) is gone") }
    }

    @Test func staticFilesArePublishedVerbatimAndAClashNamesBoth() async throws {
        let fixture = try await SiteFixture.make(
            items: Self.items,
            extraFiles: [
                "static/CNAME": "gallery.example.com\n",
                "static/.nojekyll": "",
                "static/.well-known/security.txt": "Contact: mailto:a@example.com\n",
            ])
        defer { fixture.remove() }
        _ = try await fixture.build()
        #expect(try fixture.read("CNAME") == "gallery.example.com\n")
        #expect(try fixture.read(".nojekyll") == "")
        #expect(try fixture.read(".well-known/security.txt") == "Contact: mailto:a@example.com\n")
        // Removing a static file removes its published copy; Folio wrote it.
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("static/CNAME"))
        _ = try await fixture.build()
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/CNAME").path))

        try Data("<p>mine</p>\n".utf8).write(to: fixture.root.appendingPathComponent("static/index.html"))
        let result = try runFolio(["render", "--project", fixture.root.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("static/index.html") && result.stderr.contains("generates"), "\(result.stderr)")
    }

    @Test func aStaticLinkOutOfTheProjectIsRefused() async throws {
        let fixture = try await SiteFixture.make(items: Self.items)
        defer { fixture.remove() }
        let secret = TestPaths.temporaryFolder("folio-secret").appendingPathComponent("secret.txt")
        defer { try? FileManager.default.removeItem(at: secret.deletingLastPathComponent()) }
        try Data("secret\n".utf8).write(to: secret)
        try FileManager.default.createDirectory(at: fixture.root.appendingPathComponent("static"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: fixture.root.appendingPathComponent("static/secret.txt").path, withDestinationPath: secret.path)
        let result = try runFolio(["render", "--project", fixture.root.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/secret.txt").path))
    }

    @Test func aManifestThatClimbsOutDeletesNothingOutside() async throws {
        let fixture = try await project()
        defer { fixture.remove() }
        _ = try await fixture.build()
        let manifest = fixture.root.appendingPathComponent("site/.folio/manifest.txt")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        text += "../notes.txt\n../folio.yml\n/etc/hostname\n"
        try Data(text.utf8).write(to: manifest)
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("site/.folio/build.txt"))
        _ = try await fixture.build()
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("notes.txt").path))
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("folio.yml").path))
    }
}

/// Values in folio.lock are data: a crafted path or digest never reads or writes outside the project.
@Suite(.serialized) struct LockfileTrustTests {
    func entryText(file: String, sha: String) -> String {
        """
        {"version": 1, "entries": {"fox": {"input_hash": "sha256:0", "route": "gemini", "model": "gemini-3.1-flash-image-preview",
          "state": "succeeded", "outputs": [{"index": 0, "url": null, "file": "\(file)", "sha256": "\(sha)", "bytes": 10,
          "width": 64, "height": 48, "mime": "image/png"}], "text": null, "error": null}}}
        """
    }

    @Test(arguments: [
        ("assets/../../etc/passwd", String(repeating: "a", count: 64), "outputs[0].file"),
        ("/etc/passwd", String(repeating: "a", count: 64), "outputs[0].file"),
        ("assets/\(String(repeating: "b", count: 64)).png", String(repeating: "a", count: 64), "outputs[0].file"),
        ("assets/x.png", "../../../tmp/evil", "outputs[0].sha256"),
        ("assets/\(String(repeating: "A", count: 64)).png", String(repeating: "A", count: 64), "outputs[0].sha256"),
        ("assets/\(String(repeating: "a", count: 64)).svg", String(repeating: "a", count: 64), "outputs[0].file"),
    ])
    func craftedPathsAreADamagedLockfile(_ file: String, _ sha: String, _ field: String) throws {
        #expect(throws: FolioError.self) { try Lockfile.decode(Data(entryText(file: file, sha: sha).utf8)) }
        do {
            _ = try Lockfile.decode(Data(entryText(file: file, sha: sha).utf8))
        } catch {
            #expect(error.description.contains("entry 'fox', \(field)"), "\(error.description)")
            #expect(error.description.contains("git checkout"), "says how to recover")
        }
    }

    @Test(arguments: [
        (#""index": 0"#, #""index": -1"#, "outputs[0].index is -1"),
        (#""index": 0"#, #""index": 9223372036854775807"#, "outputs[0].index is 9223372036854775807"),
        (#""width": 64"#, #""width": 0"#, "outputs[0].width is 0"),
        (#""height": 48"#, #""height": 100000000"#, "outputs[0].height is 100000000"),
    ])
    func numbersNoRouteCouldProduceAreADamagedLockfile(_ original: String, _ crafted: String, _ message: String) throws {
        let sha = String(repeating: "a", count: 64)
        let text = entryText(file: "assets/\(sha).png", sha: sha).replacingOccurrences(of: original, with: crafted)
        #expect(text != entryText(file: "assets/\(sha).png", sha: sha), "the crafted value is in the text")
        do {
            _ = try Lockfile.decode(Data(text.utf8))
            Issue.record("decoded a lockfile with \(crafted)")
        } catch {
            #expect(error.description.contains("entry 'fox', \(message)"), "\(error.description)")
        }
    }

    @Test func aCraftedLockfileWritesAndPublishesNothingOutside() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        var text = try String(contentsOf: fixture.root.appendingPathComponent("folio.lock"), encoding: .utf8)
        let lock = try Lockfile.load(project: fixture.root)
        let sha = try #require(lock.entries["fox"]?.outputs.first?.asset?.sha256)
        text = text.replacingOccurrences(of: "\"sha256\": \"\(sha)\"", with: "\"sha256\": \"../../../escaped\"")
        try Data(text.utf8).write(to: fixture.root.appendingPathComponent("folio.lock"))
        let outside = fixture.root.deletingLastPathComponent()
        let before = try FileManager.default.contentsOfDirectory(atPath: outside.path).filter { $0.hasPrefix("escaped") }
        for command in ["render", "check", "plan", "status"] {
            let result = try runFolio([command, "--project", fixture.root.path])
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("folio.lock is damaged"), "\(command)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).filter { $0.hasPrefix("escaped") } == before)
    }

    @Test func anAssetLinkedOutOfTheProjectIsNotPublished() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let lock = try Lockfile.load(project: fixture.root)
        let output = try #require(lock.entries["fox"]?.outputs.first)
        let stored = try #require(output.asset)
        // The same bytes outside the project, and the asset replaced by a link to them.
        let elsewhere = TestPaths.temporaryFolder("folio-elsewhere").appendingPathComponent("image.png")
        defer { try? FileManager.default.removeItem(at: elsewhere.deletingLastPathComponent()) }
        try FileManager.default.moveItem(at: fixture.root.appendingPathComponent(stored.file), to: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: fixture.root.appendingPathComponent(stored.file).path, withDestinationPath: elsewhere.path)
        #expect(AssetCheck.state(output, project: fixture.root).problem?.contains("outside the project") == true)
        let report = try await fixture.build()
        #expect(report.warnings.contains { $0.contains("outside the project") })
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/img/\(stored.sha256).png").path))
    }

    @Test func anEditedAssetIsReportedAndNotPublished() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let lock = try Lockfile.load(project: fixture.root)
        let output = try #require(lock.entries["fox"]?.outputs.first)
        let stored = try #require(output.asset)
        #expect(AssetCheck.state(output, project: fixture.root) == .verified)
        // Same size, one byte changed: a size check alone would not see it.
        let url = fixture.root.appendingPathComponent(stored.file)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[bytes.count - 20] ^= 0xFF
        try Data(bytes).write(to: url)
        guard case .changed = AssetCheck.state(output, project: fixture.root) else {
            Issue.record("an edited asset is not verified")
            return
        }
        let project = await ProjectLoader.load(fixture.root)
        let plan = Planner.plan(project.prompts, lock: lock, project: fixture.root, options: PlanOptions(now: Timestamp.parse("2030-01-01T00:00:00Z")!))
        #expect(plan.entries.first?.action == .missing)
        #expect(plan.entries.first?.reason?.contains("does not hash to its recorded SHA-256") == true)
        let report = try await fixture.build()
        #expect(report.warnings.contains { $0.contains("does not hash") })
        #expect(report.placeholders.contains { $0.id == "fox" })
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/img/\(stored.sha256).png").path))
    }

    @Test func publishedOriginalsAreCopiesNotLinksToAssets() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let output = try #require(try Lockfile.load(project: fixture.root).entries["fox"]?.outputs.first)
        let stored = try #require(output.asset)
        let asset = fixture.root.appendingPathComponent(stored.file)
        let published = fixture.root.appendingPathComponent("site/img/\(stored.sha256).png")
        _ = try await fixture.build()
        // An older Folio hard-linked the original: the link is replaced by a copy.
        try FileManager.default.removeItem(at: published)
        #expect(link(asset.path, published.path) == 0)
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("site/.folio/build.txt"))
        _ = try await fixture.build()
        var a = stat(), p = stat()
        #expect(stat(asset.path, &a) == 0 && stat(published.path, &p) == 0)
        #expect(a.st_ino != p.st_ino, "not the same file")
        #expect(a.st_nlink == 1)
        // Editing the published copy leaves the paid asset as it was.
        try Data("scribbled".utf8).write(to: published)
        #expect(AssetCheck.state(output, project: fixture.root) == .verified)
    }

    @Test func verifiedHashesAreRememberedAcrossRuns() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let output = try #require(try Lockfile.load(project: fixture.root).entries["fox"]?.outputs.first)
        let stored = try #require(output.asset)
        #expect(AssetCheck.state(output, project: fixture.root) == .verified)
        let cache = try String(contentsOf: fixture.root.appendingPathComponent(".folio/verified-assets"), encoding: .utf8)
        #expect(cache.contains(stored.sha256))
    }
}

/// Only one process rewrites folio.lock at a time.
@Suite(.serialized) struct RunLockTests {
    @Test func cleanYesWhileAGenerateHoldsTheLockTouchesNothing() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        // An entry no prompt refers to, so clean has something it would rewrite.
        var lock = try Lockfile.load(project: fixture.root)
        lock.entries["gone"] = LockEntry(inputHash: "sha256:1", route: .kling, model: "kling-v2-1", state: .pending, externalTaskID: "folio-x", taskID: "T1")
        try lock.write(project: fixture.root)
        let before = try Data(contentsOf: fixture.root.appendingPathComponent("folio.lock"))
        let held = try RunLock.acquire(project: fixture.root, command: "generate")
        let result = try runFolio(["clean", "--project", fixture.root.path, "--yes"])
        held.release()
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("process \(getpid()) (folio generate)"), "\(result.stderr)")
        #expect(try Data(contentsOf: fixture.root.appendingPathComponent("folio.lock")) == before)
        let after = try runFolio(["clean", "--project", fixture.root.path, "--yes"])
        #expect(after.status == 0, "\(after.stderr)")
        #expect(try Lockfile.load(project: fixture.root).entries["gone"] == nil)
    }

    @Test func checkStopsOnADamagedLockfile() throws {
        let root = makeProject(["prompts/a.md": "A fox\n", "folio.lock": "{\"version\": 1, \"entries\": {\"a\": 3}}\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try runFolio(["check", "--project", root.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("folio.lock is damaged"), "\(result.stderr)")
    }
}
