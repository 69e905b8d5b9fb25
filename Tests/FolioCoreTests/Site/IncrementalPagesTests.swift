import Foundation
@testable import FolioCore
import Testing

/// A render makes again only the pages whose inputs changed (`.folio/pages.txt`), and what it
/// leaves is byte for byte what a full render into an empty folder makes, after every kind of edit.
@Suite struct IncrementalPagesTests {
    static let config =
        "title: Incremental\ndescription: Pages made again only when they change.\npagination: 5\nimages:\n  widths: [32, 48]\n  formats: [webp, jpeg]\n"

    static func prompt(_ number: Int, title: String? = nil, tags: [String]? = nil, extra: String = "") -> String {
        let tags = tags ?? [["sea", "city", "night"][number % 3]] + (number % 4 == 0 ? ["Four"] : [])
        return """
            ---
            title: \(title ?? "Picture \(number)")
            tags: [\(tags.joined(separator: ", "))]
            date: 2026-10-\(String(format: "%02d", 1 + number % 28))
            \(extra)---
            A lighthouse at dusk, number \(number)

            """
    }

    /// The text of the built-in template `name`.
    static func builtIn(_ name: String) -> String { String(decoding: Theme.builtIn["\(name).mustache"]!, as: UTF8.self) }

    /// `even/p02`: the album is the prompt's folder.
    static func id(_ number: Int) -> String { "\(number % 2 == 0 ? "even" : "odd")/p\(String(format: "%02d", number))" }

    static func file(_ number: Int) -> String { "prompts/\(id(number)).md" }

    static func fixture() async throws -> SiteFixture {
        var items = (1...24).map { SiteFixture.Item(id: id($0), text: prompt($0)) }
        items.append(
            SiteFixture.Item(
                id: "blocked", text: "---\ntitle: Blocked\n---\nA blocked prompt\n", images: [], state: .failed,
                error: LockError(kind: .moderation, code: "1301", message: "Failure to pass the risk control system")))
        return try await SiteFixture.make(config: config, items: items)
    }

    /// Renders the same project into an empty folder and compares every file (the records under
    /// `.folio/` aside) with the incremental render's.
    static func expectSameAsFullRender(_ fixture: SiteFixture, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let full = fixture.root.appendingPathComponent("site-full")
        try? FileManager.default.removeItem(at: full)
        _ = try await fixture.build(site: full)
        let site = fixture.root.appendingPathComponent("site")
        let ours = FastFiles.walk(site.path).filter { !$0.hasPrefix(".folio/") }.sorted()
        let theirs = FastFiles.walk(full.path).filter { !$0.hasPrefix(".folio/") }.sorted()
        #expect(ours == theirs, "\(step): the same files", sourceLocation: sourceLocation)
        for path in ours where FastFiles.read(site.path + "/" + path) != FastFiles.read(full.path + "/" + path) {
            Issue.record("\(step): \(path) differs from a full render", sourceLocation: sourceLocation)
        }
    }

    func write(_ fixture: SiteFixture, _ path: String, _ text: String) throws {
        let url = fixture.root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    @Test func everyEditMakesOnlyWhatChangedAndMatchesAFullRender() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let first = try await fixture.build()
        let total = first.pages
        #expect(first.pagesRendered == total && total > 30, "\(first.pagesRendered) of \(total)")
        try await Self.expectSameAsFullRender(fixture, "first render")

        // One title: its page, its two neighbours', and the listings that show it (a page of the
        // index, of its album, of each of its tags).
        try write(fixture, Self.file(10), Self.prompt(10, title: "Picture ten, renamed"))
        let renamed = try await fixture.build()
        #expect((1...8).contains(renamed.pagesRendered), "\(renamed.pagesRendered) pages made for one title")
        #expect(try fixture.read("p/even/p10/index.html").contains("Picture ten, renamed"))
        #expect(try fixture.read("p/odd/p11/index.html").contains("Picture ten, renamed"), "the neighbour's link")
        try await Self.expectSameAsFullRender(fixture, "a title")

        let edits: [(String, () throws -> Void)] = [
            ("a new tag", { try write(fixture, Self.file(5), Self.prompt(5, tags: ["sea", "brand new"])) }),
            ("a removed prompt", { try FileManager.default.removeItem(at: fixture.root.appendingPathComponent(Self.file(12))) }),
            ("a new prompt, not generated", { try write(fixture, Self.file(99), Self.prompt(99)) }),
            ("a weight that reorders", { try write(fixture, Self.file(20), Self.prompt(20, extra: "weight: 1\n")) }),
            ("a changed prompt text (its images no longer shown)", { try write(fixture, Self.file(7), Self.prompt(7) + "More words.\n") }),
            ("a page removed by hand", { try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("site/p/odd/p03/index.html")) }),
            ("a listing page removed by hand", { try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("site/page/2/index.html")) }),
            ("the last tag of a kind gone", { try write(fixture, Self.file(5), Self.prompt(5, tags: ["sea"])) }),
        ]
        for (step, edit) in edits {
            try edit()
            let report = try await fixture.build()
            #expect(report.pagesRendered < report.pages, "\(step): \(report.pagesRendered) of \(report.pages) pages made")
            try await Self.expectSameAsFullRender(fixture, step)
        }

        // What every page shows: all of them are made again.
        try write(fixture, "folio.yml", Self.config.replacingOccurrences(of: "title: Incremental", with: "title: Renamed gallery"))
        let retitled = try await fixture.build()
        #expect(retitled.pagesRendered == retitled.pages)
        try await Self.expectSameAsFullRender(fixture, "folio.yml")

        let template = Self.builtIn("prompt")
        try write(fixture, "templates/prompt.mustache", template.replacingOccurrences(of: "</article>", with: "<p>Own theme</p></article>"))
        let themed = try await fixture.build()
        #expect(themed.pagesRendered >= 24, "every prompt page: \(themed.pagesRendered)")
        #expect(try fixture.read("p/odd/p01/index.html").contains("Own theme"))
        try await Self.expectSameAsFullRender(fixture, "a template")

        let nothing = try await fixture.build()
        #expect(nothing.pagesRendered == 0 && nothing.written == 0)
    }

    @Test func aFailedRenderLeavesNoRecordToTrust() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        _ = try await fixture.build()
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/\(PageRecord.path)").path))
        // A template with a broken link: every page is written, then the link check fails the render.
        let template = Self.builtIn("prompt")
        try write(fixture, "templates/prompt.mustache", template.replacingOccurrences(of: "</article>", with: "<a href=\"nowhere.html\">x</a></article>"))
        await #expect(throws: FolioError.self) { try await fixture.build() }
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/\(PageRecord.path)").path))
        // Back to the first theme: the pages the failed render replaced are made again.
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("templates/prompt.mustache"))
        let fixed = try await fixture.build()
        #expect(fixed.pagesRendered == fixed.pages)
        try await Self.expectSameAsFullRender(fixture, "after a failed render")
    }

    @Test func aPageEditedByHandIsMadeAgainWhateverItsSize() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        _ = try await fixture.build()
        let page = fixture.root.appendingPathComponent("site/p/odd/p03/index.html")
        let text = try String(contentsOf: page, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "Picture 3", with: "Picture X")
        #expect(edited != text && edited.utf8.count == text.utf8.count)
        try Data(edited.utf8).write(to: page)
        try write(fixture, Self.file(10), Self.prompt(10, title: "Picture ten, renamed"))
        _ = try await fixture.build()
        #expect(try String(contentsOf: page, encoding: .utf8) == text)
        try await Self.expectSameAsFullRender(fixture, "a page edited by hand")
    }

    /// From review: a render that fails after writing pages, then the edit undone (the same inputs
    /// as the last successful render, and pages of the same sizes): nothing may take the site for done.
    @Test func aFailedRenderThenTheEditUndoneMakesThePagesAgain() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        _ = try await fixture.build()
        let head = Self.builtIn("head")
        #expect(head.contains("feed.xml"))
        // The same length, and a broken link: every page is rewritten at its size, then the check fails.
        try write(fixture, "templates/head.mustache", head.replacingOccurrences(of: "feed.xml", with: "feed.xmx"))
        await #expect(throws: FolioError.self) { try await fixture.build() }
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("templates/head.mustache"))
        _ = try await fixture.build()
        #expect(!(try fixture.read("index.html")).contains("feed.xmx"))
        try await Self.expectSameAsFullRender(fixture, "a failed render undone")
    }

    @Test func aForgedRecordCannotMakeAPageStay() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        _ = try await fixture.build()
        // A record that names a path outside the site, or is not in the format, is not read at all.
        let record = fixture.root.appendingPathComponent("site/\(PageRecord.path)")
        let text = try String(contentsOf: record, encoding: .utf8)
        try Data((text + "\(String(repeating: "0", count: 64)) 1 2 10 0.0 0.0 ../../etc/passwd\n").utf8).write(to: record)
        #expect(PageRecord.read(site: fixture.root.appendingPathComponent("site")) == nil)
        try write(fixture, Self.file(10), Self.prompt(10, title: "Picture ten, renamed"))
        let report = try await fixture.build()
        #expect(report.pagesRendered == report.pages)
        try await Self.expectSameAsFullRender(fixture, "a forged record")
    }
}

/// From review: `.folio/images.json` must not vouch for an original while its files are replaced.
@Suite struct ImageRecordTests {
    @Test func originalsAboutToBeMadeAgainAreNamedBeforeAnyOfTheirFilesChanges() async throws {
        let fixture = try await SiteFixture.make(
            items: [SiteFixture.Item(id: "fox", text: "A fox\n"), SiteFixture.Item(id: "owl", text: "An owl\n")])
        defer { fixture.remove() }
        _ = try await fixture.build()
        let site = fixture.root.appendingPathComponent("site")
        let lock = try Lockfile.load(project: fixture.root)
        let assets = lock.entries.values.flatMap(\.outputs).compactMap(\.asset)
        var encoding = ImageEncoding()
        encoding.quality[.jpeg] = 30
        let plans = assets.map { ImagePlanner.plan($0, widths: [32, 48], formats: [.webp, .jpeg], encoding: encoding) }
        let known = SiteBuilder.readMadeImages(site.appendingPathComponent(SiteRender.colorCache))
        #expect(known.count == 2)
        let before = Dictionary(uniqueKeysWithValues: plans.flatMap(\.renditions).map { ($0.path, FastFiles.read(site.path + "/" + $0.path)) })
        var heard: Set<String> = []
        var unchangedWhenHeard = false
        let result = await ImageRenderer(project: fixture.root, site: site).render(
            plans, known: known,
            beforeRendering: { redone in
                heard = redone
                unchangedWhenHeard = before.allSatisfy { FastFiles.read(site.path + "/" + $0.key) == $0.value }
            })
        #expect(heard == Set(plans.map(\.sha256)))
        #expect(unchangedWhenHeard, "no file of theirs was replaced before the renderer said so")
        #expect(result.rendered == 2)
    }
}
