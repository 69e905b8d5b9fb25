import Foundation
@testable import FolioCore
import Testing

@Suite(.serialized) struct ScaffoldTests {
    /// No name and a quoted `~` are refused by the command, and nothing is written.
    @Test(arguments: ["", "  ", "\n", "~", "~/gallery"])
    func initRefusesNoNameAndAQuotedTilde(folder: String) throws {
        let created = try runFolio(["init", folder])
        #expect(created.status == 2, "\(created.stdout)\(created.stderr)")
        #expect(!created.stdout.contains("created"), "\(created.stdout)")
    }

    /// The folders a project would litter, asked of the rule itself (a test that ran `init /` would,
    /// were the rule broken, write into / on a machine that runs tests as root).
    @Test(arguments: ["/", "/etc", "/usr", "/usr/lib", "/home", "/home/someone-else", "/tmp", "/var"])
    func initRefusesSystemAndHomeFolders(folder: String) {
        #expect(throws: FolioError.self) { try Scaffold.projectFolder(folder, workingFolder: URL(fileURLWithPath: "/tmp")) }
    }

    @Test func initTakesAFolderOfItsOwnAsWritten() throws {
        let folder = try Scaffold.projectFolder("my-gallery", workingFolder: URL(fileURLWithPath: "/tmp/work"))
        #expect(folder.relativePath == "my-gallery")
        #expect(folder.path == "/tmp/work/my-gallery")
        #expect(try Scaffold.projectFolder("/srv/gallery", workingFolder: URL(fileURLWithPath: "/tmp")).path == "/srv/gallery")
    }

    @Test func anIdThatClimbsGetsASuggestionWithoutTheClimb() throws {
        let project = TestPaths.temporaryFolder("folio-new")
        defer { try? FileManager.default.removeItem(at: project) }
        for (id, suggestion) in [("../../evil", "evil"), ("a/../b", "a/b"), ("/abs/Café Poster", "abs/cafe-poster"), ("..", "prompt")] {
            #expect(throws: FolioError.self) { try Scaffold.newPrompt(id: id, route: "gemini", project: project) }
            do {
                try Scaffold.newPrompt(id: id, route: "gemini", project: project)
            } catch {
                #expect(error.message.hasSuffix("try '\(suggestion)'"), "\(id): \(error.message)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.path).isEmpty)
    }

    @Test func initRefusesTheHomeFolderAsHOMENamesIt() throws {
        let home = TestPaths.temporaryFolder("folio-home")
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let created = try runFolio(["init", home.path], environment: environment)
        #expect(created.status == 2)
        #expect(created.stderr.contains("a home folder"), "\(created.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.path).isEmpty)
    }

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

    @Test func initWithThemeCopiesTheWholeBuiltInThemeWhichTheSiteThenUses() throws {
        let parent = TestPaths.temporaryFolder("folio-init-theme")
        defer { try? FileManager.default.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("gallery")
        let created = try runFolio(["init", dir.path, "--theme"])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("templates/ holds the built-in theme"), "\(created.stdout)")
        let templates = dir.appendingPathComponent("templates")
        let names = try FileManager.default.contentsOfDirectory(atPath: templates.path).sorted()
        #expect(
            names == [
                "card.mustache", "compare.mustache", "favicon.svg", "folio.css", "folio.js", "grid.mustache", "head.mustache", "layout.mustache",
                "params.mustache", "prompt.mustache", "routes.mustache",
            ])
        for name in names {
            #expect(FastFiles.read(templates.path + "/" + name) == Theme.builtIn[name], "\(name) is the built-in file, byte for byte")
        }
        let (theme, problems) = Theme.load(project: dir)
        #expect(problems.isEmpty, "\(problems)")
        #expect(theme?.overridden == Set(names), "every file now comes from the project")
        #expect(try runFolio(["check", "--project", dir.path]).stderr.isEmpty)

        // The copy is the theme: an edit to it is what the site publishes and renders.
        try Data((String(decoding: Theme.builtIn["folio.css"]!, as: UTF8.self) + "/* restyled */\n").utf8)
            .write(to: templates.appendingPathComponent("folio.css"))
        let layout = try String(contentsOf: templates.appendingPathComponent("layout.mustache"), encoding: .utf8)
        try Data(layout.replacingOccurrences(of: "</body>", with: "<!-- restyled layout --></body>").utf8)
            .write(to: templates.appendingPathComponent("layout.mustache"))
        var environment = ProcessInfo.processInfo.environment
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "16"
        let build = try runFolio(["build", "--project", dir.path, "--simulate", "--quiet"], environment: environment)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let site = dir.appendingPathComponent("site")
        #expect(try String(contentsOf: site.appendingPathComponent("static/folio.css"), encoding: .utf8).hasSuffix("/* restyled */\n"))
        #expect(try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8).contains("<!-- restyled layout -->"))
    }

    @Test func initWithThemeNeverOverwritesAProjectsTemplate() throws {
        let parent = TestPaths.temporaryFolder("folio-init-theme")
        defer { try? FileManager.default.removeItem(at: parent) }
        let dir = parent.appendingPathComponent("gallery")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("templates"), withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: dir.appendingPathComponent("templates/card.mustache"))
        let refused = try runFolio(["init", dir.path, "--theme"])
        #expect(refused.status == 1)
        #expect(refused.stderr == "error: \(dir.path) already has templates/card.mustache; nothing was changed\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["templates"], "nothing was written")
        #expect(try String(contentsOf: dir.appendingPathComponent("templates/card.mustache"), encoding: .utf8) == "mine\n")
        // Without --theme the same folder becomes a project that keeps its own card.
        #expect(try runFolio(["init", dir.path]).status == 0)
        #expect(try String(contentsOf: dir.appendingPathComponent("templates/card.mustache"), encoding: .utf8) == "mine\n")
    }

    @Test func initAndNewNeverWriteThroughALinkAndKeepAnExistingGitignore() throws {
        let parent = TestPaths.temporaryFolder("folio-init-links")
        defer { try? FileManager.default.removeItem(at: parent) }
        let elsewhere = parent.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)

        // templates/ a link out of the project: refused before anything is written.
        let linked = parent.appendingPathComponent("linked")
        try FileManager.default.createDirectory(at: linked, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: linked.appendingPathComponent("templates"), withDestinationURL: elsewhere)
        let refused = try runFolio(["init", linked.path, "--theme"])
        #expect(refused.status == 1, "\(refused.stderr)")
        #expect(refused.stderr.contains("templates is a symbolic link"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty, "nothing written through the link")
        #expect(!FileManager.default.fileExists(atPath: linked.appendingPathComponent("folio.yml").path), "nothing written at all")

        // templates a plain file: refused before folio.yml is written.
        let plain = parent.appendingPathComponent("plain")
        try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: plain.appendingPathComponent("templates"))
        #expect(try runFolio(["init", plain.path, "--theme"]).status == 1)
        #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent("folio.yml").path))

        // An existing .gitignore keeps its lines; only the missing ones are added.
        let repo = parent.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        try Data("node_modules/\nsite/".utf8).write(to: repo.appendingPathComponent(".gitignore"))
        #expect(try runFolio(["init", repo.path]).status == 0)
        #expect(try String(contentsOf: repo.appendingPathComponent(".gitignore"), encoding: .utf8) == "node_modules/\nsite/\n.folio/\n")

        // A .gitignore with Windows line endings keeps them.
        let windows = parent.appendingPathComponent("windows")
        try FileManager.default.createDirectory(at: windows, withIntermediateDirectories: true)
        try Data("bin/\r\n".utf8).write(to: windows.appendingPathComponent(".gitignore"))
        #expect(try runFolio(["init", windows.path]).status == 0)
        #expect(try String(contentsOf: windows.appendingPathComponent(".gitignore"), encoding: .utf8) == "bin/\r\nsite/\r\n.folio/\r\n")

        // new: an album linked to another folder inside the project is fine.
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("content/nature"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            at: repo.appendingPathComponent("prompts/nature"), withDestinationURL: repo.appendingPathComponent("content/nature"))
        #expect(try runFolio(["new", "nature/fox", "--project", repo.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: repo.appendingPathComponent("content/nature/fox.md").path))

        // new: prompts/<album> a link out of the project is refused.
        try FileManager.default.createSymbolicLink(at: repo.appendingPathComponent("prompts/posters"), withDestinationURL: elsewhere)
        let new = try runFolio(["new", "posters/launch", "--project", repo.path])
        #expect(new.status == 1, "\(new.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path).isEmpty)
    }

    @Test func theRepositorysTemplatesFolderIsTheBuiltInThemeAndItsSwiftFileIsIgnored() throws {
        // The sample project's templates/ is the FolioTheme target: the same bytes as the built-in
        // theme, and the Swift file that compiles it is neither reported nor published.
        let (loaded, problems) = Theme.load(project: TestPaths.packageRoot)
        #expect(problems.isEmpty, "\(problems)")
        let theme = try #require(loaded)
        #expect(theme.overridden == Set(Theme.builtIn.keys))
        #expect(Set(theme.files.keys) == ["folio.css", "folio.js", "favicon.svg"])
        for (name, bytes) in Theme.builtIn {
            #expect(FastFiles.read(TestPaths.packageRoot.path + "/templates/" + name) == bytes, "templates/\(name)")
        }
        #expect(FileManager.default.fileExists(atPath: TestPaths.packageRoot.path + "/templates/BuiltInTheme.swift"))
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
        try await GenerationHarness.with(files: ["prompts/a.md": promptFile("gemini", "first"), "prompts/b.md": promptFile("gemini", "other")]) { h in
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
            #expect(FileManager.default.fileExists(atPath: h.root.appendingPathComponent(try #require(lock.entries["a"]?.outputs.first?.asset?.file)).path))
            #expect(try runFolio(["clean", "--project", h.root.path]).stdout == "nothing to clean\n")
        }
    }
}
