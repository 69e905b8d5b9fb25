import Foundation
@testable import FolioCore
import Testing

/// Files that are not what they seem: oversized prompt files and folio.yml are refused before they are
/// read, and symbolic links are followed only while they stay inside the project, never skipped in silence.
@Suite struct HostileFileTests {
    static let outsideMessage = "Folio reads prompt files only from inside the project"

    /// A project folder and, beside it, a folder outside it; both removed by `remove`.
    struct Setup {
        var root: URL
        var outside: URL

        init(_ files: [String: String]) {
            root = makeProject(files)
            outside = TestPaths.temporaryFolder("folio-outside")
        }

        func link(_ path: String, to target: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
        }

        func write(_ text: String, outside path: String) throws -> String {
            let url = outside.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
            return url.path
        }

        func remove() {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: outside)
        }
    }

    // MARK: Size

    @Test func aPromptFileOverOneMegabyteIsRefusedBeforeItIsRead() async throws {
        let big = "---\ntitle: Big\n---\n" + String(repeating: "A fox. ", count: 2_202_010 / 7)
        let setup = Setup(["prompts/big.md": big, "prompts/fox.md": "A fox\n"])
        defer { setup.remove() }
        let project = await ProjectLoader.load(setup.root)
        #expect(project.diagnostics.map(\.description) == ["prompts/big.md:1:1: error: the file is 2.1 MB; prompt files may be at most 1 MB"])
        #expect(project.prompts.map(\.id) == ["fox"])
        let check = try runFolio(["check", "--project", setup.root.path])
        #expect(check.status == 2)
        #expect(check.stderr == "prompts/big.md:1:1: error: the file is 2.1 MB; prompt files may be at most 1 MB\n")
    }

    @Test func aPromptFileOfExactlyOneMegabyteIsRead() async {
        // Over the route's prompt limit, but read: the size rule is not what refuses it.
        let header = "---\nroute: kling\n---\n"
        let text = header + String(repeating: "a", count: SourceText.maxBytes - header.utf8.count - 1) + "\n"
        #expect(text.utf8.count == SourceText.maxBytes)
        let setup = Setup(["prompts/edge.md": text])
        defer { setup.remove() }
        let project = await ProjectLoader.load(setup.root)
        #expect(!project.diagnostics.contains { $0.message.contains("at most 1 MB") }, "\(project.diagnostics)")
        #expect(project.diagnostics.contains { $0.key == "prompt" })
    }

    @Test func aFolioYmlOverOneMegabyteIsRefused() async {
        let setup = Setup(["folio.yml": String(repeating: "# a comment line\n", count: 1_153_434 / 17 + 1), "prompts/fox.md": "A fox\n"])
        defer { setup.remove() }
        let project = await ProjectLoader.load(setup.root)
        #expect(project.diagnostics.map(\.description) == ["folio.yml:1:1: error: the file is 1.1 MB; folio.yml may be at most 1 MB"])
    }

    @Test func megabytesRoundDownAndNeverClaimOne() {
        #expect(SourceText.megabytes(SourceText.maxBytes + 1) == "just over 1 MB")
        #expect(SourceText.megabytes(2_202_010) == "2.1 MB")
        #expect(SourceText.megabytes(50 * 1_048_576) == "50.0 MB")
    }

    // MARK: Prompt files behind links

    @Test func linksThatStayInsideTheProjectAreFollowedUnderTheirOwnNames() async throws {
        let setup = Setup(["library/fox.md": "A fox\n", "library/birds/owl.md": "An owl\n", "prompts/keep.md": "Kept\n"])
        defer { setup.remove() }
        try setup.link("prompts/fox.md", to: "../library/fox.md")
        try setup.link("prompts/birds", to: "../library/birds")
        try setup.link("prompts/absolute.md", to: setup.root.appendingPathComponent("library/fox.md").path)
        let project = await ProjectLoader.load(setup.root)
        #expect(project.diagnostics.isEmpty, "\(project.diagnostics)")
        #expect(project.prompts.map(\.id) == ["absolute", "birds/owl", "fox", "keep"])
        #expect(project.prompts.first { $0.id == "birds/owl" }?.file == "prompts/birds/owl.md")
        #expect(project.prompts.first { $0.id == "birds/owl" }?.album == "birds")
    }

    @Test func aLinkToAPromptFileOutsideTheProjectIsAnError() async throws {
        let setup = Setup(["prompts/keep.md": "Kept\n"])
        defer { setup.remove() }
        let secret = try setup.write("---\ntitle: Secret\n---\nNot yours\n", outside: "secret.md")
        try setup.link("prompts/x.md", to: secret)
        let expected = "prompts/x.md:1:1: error: a symbolic link to a file outside the project (\(secret)); \(Self.outsideMessage)"
        let project = await ProjectLoader.load(setup.root)
        #expect(project.diagnostics.map(\.description) == [expected])
        #expect(project.prompts.map(\.id) == ["keep"])
        let check = try runFolio(["check", "--project", setup.root.path])
        #expect(check.status == 2)
        #expect(check.stderr == expected + "\n")
    }

    @Test func aLinkToAFolderOutsideTheProjectIsAnError() async throws {
        let setup = Setup(["prompts/keep.md": "Kept\n"])
        defer { setup.remove() }
        _ = try setup.write("A shared prompt\n", outside: "shared/one.md")
        try setup.link("prompts/shared", to: setup.outside.appendingPathComponent("shared").path)
        // A relative link that climbs out counts the same as an absolute one.
        try setup.link("prompts/climb.md", to: "../../" + setup.outside.lastPathComponent + "/shared/one.md")
        let project = await ProjectLoader.load(setup.root)
        #expect(
            project.diagnostics.map(\.description) == [
                "prompts/climb.md:1:1: error: a symbolic link to a file outside the project (../../\(setup.outside.lastPathComponent)/shared/one.md); \(Self.outsideMessage)",
                "prompts/shared:1:1: error: a symbolic link to a folder outside the project (\(setup.outside.path)/shared); \(Self.outsideMessage)",
            ])
        #expect(project.prompts.map(\.id) == ["keep"])
    }

    @Test func thePromptsFolderItselfMustNotLeadOutside() async throws {
        let setup = Setup(["folio.yml": "title: X\n"])
        defer { setup.remove() }
        _ = try setup.write("A fox\n", outside: "prompts/fox.md")
        try setup.link("prompts", to: setup.outside.appendingPathComponent("prompts").path)
        let project = await ProjectLoader.load(setup.root)
        #expect(
            project.diagnostics.map(\.description) == [
                "prompts:1:1: error: prompts/ is a symbolic link to a folder outside the project (\(setup.outside.path)/prompts); \(Self.outsideMessage)"
            ])
        #expect(project.prompts.isEmpty)
    }

    @Test func linkLoopsAndDanglingLinksAreReportedAndTheWalkEnds() async throws {
        let setup = Setup(["prompts/keep.md": "Kept\n", "prompts/a/one.md": "One\n", "prompts/b/two.md": "Two\n"])
        defer { setup.remove() }
        try setup.link("prompts/again", to: ".")
        try setup.link("prompts/a/up", to: "../..")
        // a/to-b and b/to-a lead into each other: each is followed once, and the way back is refused.
        try setup.link("prompts/a/to-b", to: "../b")
        try setup.link("prompts/b/to-a", to: "../a")
        try setup.link("prompts/gone.md", to: "nowhere.md")
        let start = ContinuousClock.now
        let project = await ProjectLoader.load(setup.root)
        #expect(
            ContinuousClock.now - start < .seconds(90), "a guard against the old minutes-long expansion; the 1 s figure is timed by Benchmarks/hostile-yaml.sh")
        let messages = project.diagnostics.map(\.description)
        #expect(
            messages.contains(
                "prompts/again:1:1: error: a symbolic link to a folder that contains it (.); Folio does not follow links that lead back into themselves"))
        #expect(
            messages.contains(
                "prompts/a/up:1:1: error: a symbolic link to a folder that contains it (../..); Folio does not follow links that lead back into themselves"))
        #expect(
            messages.contains(
                "prompts/a/to-b/to-a:1:1: error: a symbolic link to a folder that contains it (../a); Folio does not follow links that lead back into themselves"
            ))
        #expect(
            messages.contains(
                "prompts/b/to-a/to-b:1:1: error: a symbolic link to a folder that contains it (../b); Folio does not follow links that lead back into themselves"
            ))
        #expect(
            messages.contains(
                "prompts/b/to-a/up:1:1: error: a symbolic link to a folder that contains it (../..); Folio does not follow links that lead back into themselves"
            ))
        #expect(
            messages.contains("prompts/gone.md:1:1: error: a symbolic link to a file that does not exist (nowhere.md); restore the file or remove the link"))
        #expect(messages.count == 6, "\(messages)")
        #expect(project.prompts.map(\.id) == ["a/one", "a/to-b/two", "b/to-a/one", "b/two", "keep"])
    }

    // MARK: Reference images behind links

    @Test func aReferenceImageLinkedFromOutsideTheProjectIsRefusedAtItsLine() async throws {
        let png = try Data(contentsOf: TestPaths.fixtures.appendingPathComponent("invalid/kling-negative-with-image/prompts/bottle.png"))
        let setup = Setup([
            "prompts/direct.md": "---\nroute: kling\nimages: [ref.png]\n---\nA bottle\n",
            "prompts/through.md": "---\nroute: kling\nimages:\n  - ../refs/bottle.png\n---\nA bottle\n",
            "prompts/inside.md": "---\nroute: kling\nimages: [own.png]\n---\nA bottle\n",
            "images/bottle.png": "",
        ])
        defer { setup.remove() }
        try png.write(to: setup.root.appendingPathComponent("images/bottle.png"))
        try FileManager.default.createDirectory(at: setup.outside.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try png.write(to: setup.outside.appendingPathComponent("refs/bottle.png"))
        let outsidePNG = setup.outside.appendingPathComponent("refs/bottle.png").path
        try setup.link("prompts/ref.png", to: outsidePNG)
        // A folder link outside prompts/, so that only the reference image is in question.
        try setup.link("refs", to: setup.outside.appendingPathComponent("refs").path)
        try setup.link("prompts/own.png", to: "../images/bottle.png")
        let project = await ProjectLoader.load(setup.root)
        #expect(
            project.diagnostics.map(\.description) == [
                "prompts/direct.md:3:10: error: reference image 'ref.png' is a symbolic link to a file outside the project (\(outsidePNG)); Folio reads reference images only from inside the project",
                "prompts/through.md:4:5: error: reference image '../refs/bottle.png' lies outside the project through a symbolic link (\(outsidePNG)); Folio reads reference images only from inside the project",
            ])
        #expect(project.prompts.map(\.id) == ["inside"], "a link that stays inside the project is read")
    }
}
