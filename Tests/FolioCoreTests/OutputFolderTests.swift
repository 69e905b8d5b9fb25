import Foundation
@testable import FolioCore
import Testing

/// The output folder belongs to Folio: never the project, an ancestor of it, or one of its own folders,
/// judged by real path and whole components.
@Suite struct OutputFolderTests {
    /// A project with every reserved folder, a lockfile, and `out` linking to prompts/.
    static func project() throws -> URL {
        let root = makeProject([
            "prompts/fox.md": "A fox\n", "folio.lock": "{}\n", "assets/.keep": "", "templates/.keep": "",
            "static/robots.txt": "", ".folio/.keep": "", "docs/readme.txt": "",
        ])
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("out").path, withDestinationPath: "prompts")
        return root
    }

    func problem(_ path: String, in root: URL) -> String? {
        OutputFolder.problem(OutputFolder.resolve(path, relativeTo: root), project: root, shownAs: path)
    }

    @Test(arguments: [
        (".", "is the project folder itself"),
        ("./.", "is the project folder itself"),
        ("", "is the project folder itself"),
        ("site/..", "is the project folder itself"),
        ("..", "contains the project folder"),
        ("/", "contains the project folder"),
        ("prompts", "is the project's prompts/ folder"),
        ("prompts/", "is the project's prompts/ folder"),
        ("./prompts/./x/..", "is the project's prompts/ folder"),
        ("prompts/x", "lies inside the project's prompts/ folder"),
        ("assets", "is the project's assets/ folder"),
        ("assets/site", "lies inside the project's assets/ folder"),
        ("templates", "is the project's templates/ folder"),
        ("static", "is the project's static/ folder"),
        ("static/new/deeper", "lies inside the project's static/ folder"),
        (".folio", "is the project's .folio/ folder"),
        ("out", "is the project's prompts/ folder"),
        ("out/site", "lies inside the project's prompts/ folder"),
        ("new/../out", "is the project's prompts/ folder"),
        ("folio.lock", "is a file, not a folder"),
    ])
    func refused(_ path: String, _ reason: String) throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let message = try #require(problem(path, in: root), "'\(path)' was allowed")
        #expect(message.contains(reason), "\(path): \(message)")
        #expect(message.contains("such as 'site'"), "the message says what to do instead")
    }

    @Test(arguments: ["site", "site/", "./site", "prompts-out", "assets2", "docs", "static-site", "a/b/c", "/tmp/folio-somewhere-new"])
    func allowed(_ path: String) throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(problem(path, in: root) == nil, "\(path)")
    }

    @Test func theAbsoluteProjectPathAndItsAncestorsAreRefused() throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(OutputFolder.problem(root, project: root)?.contains("is the project folder itself") == true)
        #expect(OutputFolder.problem(root.appendingPathComponent("prompts"), project: root)?.contains("prompts/ folder") == true)
        var ancestor = root.deletingLastPathComponent()
        while true {
            #expect(OutputFolder.problem(ancestor, project: root)?.contains("contains the project folder") == true, "\(ancestor.path)")
            if ancestor.path == "/" { break }
            ancestor = ancestor.deletingLastPathComponent()
        }
    }

    @Test func theMessageNamesTheFolderAsWrittenAndWhereALinkLeads() throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(
            problem("./.", in: root)
                == "the output folder './.' is the project folder itself; the output must be a folder of Folio's own (it removes what it no longer renders there), such as 'site'"
        )
        #expect(
            problem("out", in: root)
                == "the output folder 'out' ('prompts' by its real path) is the project's prompts/ folder, which holds the prompt files; the output must be a folder of Folio's own (it removes what it no longer renders there), such as 'site'"
        )
        // Without the written form, the path relative to the project.
        #expect(OutputFolder.problem(root.appendingPathComponent("prompts/x"), project: root)?.hasPrefix("the output folder 'prompts/x' lies inside") == true)
    }

    @Test func aLinkOutOfTheProjectToASiteIsAllowedButNotToAnotherProjectsFolders() throws {
        let root = try Self.project()
        let elsewhere = TestPaths.temporaryFolder("folio-elsewhere")
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: elsewhere)
        }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("published").path, withDestinationPath: elsewhere.path)
        #expect(problem("published", in: root) == nil)
        // A reserved folder that is itself a link: an output holding its real folder is refused.
        try FileManager.default.removeItem(at: root.appendingPathComponent("static"))
        try FileManager.default.createDirectory(at: elsewhere.appendingPathComponent("static"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("static").path,
            withDestinationPath: elsewhere.appendingPathComponent("static").path)
        #expect(problem(elsewhere.path, in: root)?.contains("contains the project's static/ folder") == true)
        #expect(problem(elsewhere.appendingPathComponent("static/x").path, in: root)?.contains("lies inside the project's static/ folder") == true)
    }

    @Test func resolveIsAbsoluteAndStandardized() {
        let base = URL(fileURLWithPath: "/work/gallery")
        #expect(OutputFolder.resolve("site", relativeTo: base).path == "/work/gallery/site")
        #expect(OutputFolder.resolve("./site/", relativeTo: base).path == "/work/gallery/site")
        #expect(OutputFolder.resolve("site/..", relativeTo: base).path == "/work/gallery")
        #expect(OutputFolder.resolve("../other", relativeTo: base).path == "/work/other")
        #expect(OutputFolder.resolve("/srv/www/", relativeTo: base).path == "/srv/www")
    }

    // MARK: folio.yml

    @Test func checkReportsABadOutputInFolioYmlAtItsLine() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("title: Gallery\noutput: prompts/site\n".utf8).write(to: root.appendingPathComponent("folio.yml"))
        let project = await ProjectLoader.load(root)
        let problem = try #require(project.diagnostics.first)
        #expect(project.diagnostics.count == 1)
        #expect(problem.file == "folio.yml" && problem.line == 2 && problem.column == 9 && problem.key == "output")
        #expect(
            problem.message
                == "the output folder 'prompts/site' lies inside the project's prompts/ folder, which holds the prompt files; the output must be a folder of Folio's own (it removes what it no longer renders there), such as 'site'"
        )
        try Data("output: out/\n".utf8).write(to: root.appendingPathComponent("folio.yml"))
        let linked = await ProjectLoader.load(root)
        #expect(
            linked.diagnostics.map(\.description) == [
                "folio.yml:1:9: error: the output folder 'out/' ('prompts' by its real path) is the project's prompts/ folder, which holds the prompt files; the output must be a folder of Folio's own (it removes what it no longer renders there), such as 'site'"
            ])
        try Data("output: public\n".utf8).write(to: root.appendingPathComponent("folio.yml"))
        let fine = await ProjectLoader.load(root)
        #expect(fine.diagnostics.isEmpty, "\(fine.diagnostics)")
        #expect(fine.settings.output == "public")
    }
}
