import Foundation
import Testing
@testable import FolioCore

/// Every folder under `Tests/Fixtures/invalid/` is a project with one kind of mistake, and an
/// `expected.txt` holding the exact diagnostics `folio check` must print for it.
@Suite struct InvalidFixtureTests {
    static let cases: [String] = {
        let folder = TestPaths.fixtures.appendingPathComponent("invalid")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }()

    @Test func thereAreFixtures() {
        #expect(Self.cases.count >= 25)
    }

    @Test(arguments: cases)
    func loaderReportsExactly(_ name: String) async throws {
        let folder = TestPaths.fixtures.appendingPathComponent("invalid/\(name)")
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let project = await ProjectLoader.load(folder)
        #expect(project.diagnostics.map(\.description) == expected)
        #expect(!project.diagnostics.errors.isEmpty)
    }

    @Test(arguments: cases)
    func checkExitsTwoAndPrintsTheMessages(_ name: String) throws {
        let folder = TestPaths.fixtures.appendingPathComponent("invalid/\(name)")
        let expected = try String(contentsOf: folder.appendingPathComponent("expected.txt"), encoding: .utf8)
        let result = try runFolio(["check", "--project", folder.path])
        #expect(result.status == 2)
        #expect(result.stderr == expected)
        let plan = try runFolio(["plan", "--project", folder.path, "--json"])
        #expect(plan.status == 2)
        #expect(plan.stdout.isEmpty)
    }
}

@Suite struct ValidFixtureTests {
    static let edgeCases = TestPaths.fixtures.appendingPathComponent("valid/edge-cases")

    @Test func edgeCasesLoadWithoutErrors() async throws {
        let project = await ProjectLoader.load(Self.edgeCases)
        #expect(project.diagnostics.errors.isEmpty)
        let byID = Dictionary(uniqueKeysWithValues: project.prompts.map { ($0.id, $0) })
        #expect(byID["no-front-matter"]?.generation.prompt == "A fox with no front matter at all")
        #expect(byID["no-front-matter"]?.title == "No front matter")
        #expect(byID["no-front-matter"]?.generation.route == .gemini)
        #expect(byID["crlf"]?.generation.prompt == "First line\nsecond line")
        #expect(byID["crlf"]?.tags == ["crlf"])
        #expect(byID["bom"]?.title == "With a BOM")
        #expect(byID["rule-in-body"]?.generation.prompt == "Above the rule\n\n---\n\nBelow the rule")
        #expect(byID["unicode"]?.title == "東京の夜 — café")
        #expect(byID["unicode"]?.tags == ["夜景", "café"])
        #expect(byID["unicode"]?.generation.prompt == "雨の東京の夜、ネオンが水たまりに映る。Café crème.")
        #expect(byID["empty-front-matter"]?.generation.prompt == "Surrounded by blank lines")
        #expect(byID["notes/draft-idea"]?.draft == true)
        #expect(byID["notes/draft-idea"]?.album == "notes")
        #expect(byID["crlf"]?.album == nil)
    }

    @Test func aDraftsProblemsAreWarnings() async {
        let project = await ProjectLoader.load(Self.edgeCases)
        #expect(
            project.diagnostics.map(\.description) == [
                "prompts/notes/draft-idea.md:4:7: warning: size '100*100' is not allowed on route dashscope; allowed: 1664*928, 1472*1104, 1328*1328, 1104*1472, 928*1664 (in a draft)"
            ])
        // Still loaded, as a draft: `check` reports it, builds leave it out.
        #expect(project.prompts.contains { $0.id == "notes/draft-idea" && $0.draft })
    }

    @Test func checkPassesOnTheSampleProject() throws {
        let result = try runFolio(["check", "--project", TestPaths.packageRoot.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
    }

    @Test func checkJSONListsDiagnostics() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("invalid/unknown-key")
        let result = try runFolio(["check", "--project", folder.path, "--json"])
        #expect(result.status == 2)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["ok"] as? Bool == false)
        let diagnostics = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?["file"] as? String == "prompts/fox.md")
        #expect(diagnostics.first?["line"] as? Int == 3)
        #expect(diagnostics.first?["key"] as? String == "aspect")
    }
}
