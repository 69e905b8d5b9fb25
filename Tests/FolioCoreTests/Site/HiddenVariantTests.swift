import Foundation
@testable import FolioCore
import Testing

/// `hide: [2, 3]` keeps variants off the site without deleting them: no page, listing, manifest,
/// feed, search index, sitemap or rendition names them, while `assets/`, the lockfile and `clean`
/// keep them.
@Suite struct HiddenVariantTests {
    static let config =
        "title: Review\ndescription: Hidden variants.\nbase_url: https://example.com/g/\nimages:\n  widths: [32, 48]\n  formats: [webp, jpeg]\n"

    static func prompt(hide: String?, cover: String? = nil, title: String = "Four foxes") -> String {
        "---\ntitle: \(title)\nn: 4\ntags: [fox]\n\(hide.map { "hide: \($0)\n" } ?? "")\(cover.map { "cover: \($0)\n" } ?? "")---\nFour foxes in the snow\n"
    }

    static func fixture(hide: String? = "[2, 3]", cover: String? = nil) async throws -> SiteFixture {
        try await SiteFixture.make(
            config: config,
            items: [
                SiteFixture.Item(id: "foxes", text: prompt(hide: hide, cover: cover), images: [(64, 48), (48, 64), (64, 64), (80, 48)]),
                SiteFixture.Item(id: "owl", text: "---\ntitle: Owl\n---\nAn owl at night\n"),
            ])
    }

    /// The SHA-256 of each variant of `id`, by variant number.
    static func variants(_ fixture: SiteFixture, _ id: String) throws -> [String] {
        let lock = try Lockfile.load(project: fixture.root)
        return (lock.entries[id]?.outputs ?? []).sorted { $0.index < $1.index }.compactMap(\.asset?.sha256)
    }

    /// The numbers of a `hide` value as the tests write it: `[0, 3]`.
    static func numbers(_ hide: String) -> [Int] {
        hide.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Every file of the output folder, Folio's own records included, whose name or contents hold `text`.
    static func files(in site: URL, holding text: String) -> [String] {
        FastFiles.walk(site.path).filter { path in
            path.contains(text) || ByteSearch.contains((FastFiles.read(site.path + "/" + path) ?? [])[...], Array(text.utf8))
        }
    }

    @Test func hiddenVariantsAreNowhereInTheRenderedSite() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let report = try await fixture.build()
        #expect(report.incomplete.isEmpty && report.placeholders.isEmpty, "hidden is not missing: \(report.incomplete)")
        let site = fixture.root.appendingPathComponent("site")
        let shas = try Self.variants(fixture, "foxes")
        #expect(shas.count == 4)
        for sha in shas[2...] {
            #expect(Self.files(in: site, holding: sha).isEmpty, "hidden \(sha.prefix(8)) in \(Self.files(in: site, holding: sha))")
            #expect(Self.files(in: site, holding: String(sha.prefix(16))).isEmpty)
        }
        // The shown variants are where they should be: the cover in the page, gallery.json, the feed
        // and the search index; the other on the page and in gallery.json. (A test that looks for
        // the hidden ones where the shown ones are not would prove nothing.)
        let cover = Set(Self.files(in: site, holding: shas[0]))
        #expect(cover.isSuperset(of: ["p/foxes/index.html", "gallery.json", "feed.xml", "static/search-index.js", "index.html"]), "\(cover.sorted())")
        #expect(Set(Self.files(in: site, holding: shas[1])).isSuperset(of: ["p/foxes/index.html", "gallery.json"]))
        for sha in shas[..<2] { #expect(FileManager.default.fileExists(atPath: site.path + "/img/\(sha)-32.webp")) }
        // Kept: the assets, the lock entry, and clean does not take them for unreferenced.
        let lock = try Lockfile.load(project: fixture.root)
        for output in lock.entries["foxes"]?.outputs ?? [] {
            #expect(FileManager.default.fileExists(atPath: fixture.root.path + "/" + (output.asset?.file ?? "-")))
        }
        let project = await ProjectLoader.load(fixture.root)
        let clean = CleanPlan.make(prompts: project.prompts, lock: lock, project: fixture.root)
        #expect(clean.isEmpty, "clean would remove \(clean.assets)")
        // gallery.json lists the two shown files, in variant order.
        let gallery = try JSONDecoder().decode(JSONValue.self, from: Data(try fixture.read("gallery.json").utf8))
        let foxes = gallery["images"]?.arrayValue?.first { $0["id"]?.stringValue == "foxes" }
        #expect(foxes?["files"]?.arrayValue?.compactMap { $0["sha256"]?.stringValue } == Array(shas[..<2]))
    }

    @Test func aHiddenVariantMissingFromAssetsDoesNotMakeThePromptIncomplete() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        let lock = try Lockfile.load(project: fixture.root)
        let hidden = try #require(lock.entries["foxes"]?.outputs.first { $0.index == 3 }?.asset)
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent(hidden.file))
        let report = try await fixture.build()
        #expect(report.incomplete.isEmpty, "\(report.incomplete)")
        #expect(!report.hasFailedOrMissing)
        // Its URL has expired (the fixture's entries are from 2026-11-20): the plan does not ask
        // to generate the prompt again for a variant nobody sees. Shown, the same loss is missing.
        let project = await ProjectLoader.load(fixture.root)
        let plan = Planner.plan(project.prompts, lock: lock, project: fixture.root)
        #expect(plan.entries.first { $0.id == "foxes" }?.action == .cached)
        try Data(Self.prompt(hide: "[2]").utf8).write(to: fixture.root.appendingPathComponent("prompts/foxes.md"))
        let shown = await ProjectLoader.load(fixture.root)
        #expect(Planner.plan(shown.prompts, lock: lock, project: fixture.root).entries.first { $0.id == "foxes" }?.action == .missing)
    }

    @Test func statusNamesTheHiddenVariants() async throws {
        let fixture = try await Self.fixture()
        defer { fixture.remove() }
        var state = BuildState(options: BuildOptions(project: fixture.root, workingFolder: fixture.root))
        try await Pipeline.run([.load, .plan], &state)
        let plan = try #require(state.plan)
        let json = Status.json(plan, lock: state.lock, prompts: state.project?.prompts ?? [])
        let entries = json["entries"]?.arrayValue ?? []
        #expect(entries.first { $0["id"]?.stringValue == "foxes" }?["hidden"] == .array([.int(2), .int(3)]))
        #expect(entries.first { $0["id"]?.stringValue == "owl" }?["hidden"] == .array([]))
        let table = Status.table(json)
        #expect(table.split(separator: "\n").contains { $0.contains("foxes") && $0.contains("hidden 2, 3") }, "\(table)")
    }

    @Test func theCoverIsAVariantNumberAndLeadsTheCard() async throws {
        // Variant 0 hidden and no cover: the first variant shown (1) leads.
        let fixture = try await Self.fixture(hide: "[0]")
        defer { fixture.remove() }
        _ = try await fixture.build()
        let shas = try Self.variants(fixture, "foxes")
        let index = try fixture.read("index.html")
        #expect(!index.contains(shas[0]))
        #expect(index.contains(shas[1]), "variant 1 is the card")
        #expect(!index.contains(shas[2]) && !index.contains(shas[3]), "only the cover is on the card")

        // An explicit cover names a variant, not a position among the images shown.
        try Data(Self.prompt(hide: "[0]", cover: "3").utf8).write(to: fixture.root.appendingPathComponent("prompts/foxes.md"))
        _ = try await fixture.build()
        let covered = try fixture.read("index.html")
        #expect(covered.contains(shas[3]) && !covered.contains(shas[1]))
    }

    @Test func aHideEditMakesThePagesAFullRenderWould() async throws {
        let fixture = try await Self.fixture(hide: nil)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let shas = try Self.variants(fixture, "foxes")
        #expect(try fixture.read("p/foxes/index.html").contains(shas[3]))
        let file = fixture.root.appendingPathComponent("prompts/foxes.md")
        for (hide, cover) in [("[3]", nil), ("[0, 3]", nil), ("[0, 3]", "2"), ("[1]", "0")] as [(String, String?)] {
            try Data(Self.prompt(hide: hide, cover: cover).utf8).write(to: file)
            let report = try await fixture.build()
            #expect(report.pagesRendered > 0 && report.pagesRendered < report.pages, "hide \(hide): \(report.pagesRendered) of \(report.pages)")
            try await IncrementalPagesTests.expectSameAsFullRender(fixture, "hide: \(hide), cover: \(cover ?? "-")")
            let site = fixture.root.appendingPathComponent("site")
            for number in Self.numbers(hide) {
                #expect(Self.files(in: site, holding: shas[number]).isEmpty, "hide \(hide): variant \(number) still in the site")
            }
        }
        // Shown again: back on the page.
        try Data(Self.prompt(hide: nil).utf8).write(to: file)
        _ = try await fixture.build()
        #expect(try fixture.read("p/foxes/index.html").contains(shas[3]))
        try await IncrementalPagesTests.expectSameAsFullRender(fixture, "hide removed")
    }

    // MARK: - Validation

    @Test func hideIsCheckedWithFileLineAndKey() throws {
        let outOfRange = decodePrompt(Self.prompt(hide: "[1, 4]"))
        #expect(outOfRange.0 == nil)
        #expect(outOfRange.1.map(\.description) == ["prompts/test.md:5:11: error: hide: there is no variant 4; the variants are numbered 0 to 3"])

        let every = decodePrompt(Self.prompt(hide: "[0, 1, 2, 3]"))
        #expect(every.0 == nil)
        #expect(messages(every) == ["hide names every variant, so nothing of this prompt would be shown; to keep it off the site, set 'draft: true'"])
        #expect(every.1.first?.line == 5 && every.1.first?.key == "hide")

        let hiddenCover = decodePrompt(Self.prompt(hide: "[2, 3]", cover: "3"))
        #expect(hiddenCover.0 == nil)
        #expect(hiddenCover.1.map(\.description) == ["prompts/test.md:6:8: error: cover 3 is a hidden variant (hide: [2, 3]); choose a variant that is shown"])

        let notANumber = decodePrompt(Self.prompt(hide: "[two]"))
        #expect(notANumber.0 == nil && notANumber.1.first?.key == "hide", "\(notANumber.1)")

        let fine = try #require(decodePrompt(Self.prompt(hide: "[3, 2, 3]")).0)
        #expect(fine.hidden == [2, 3] && fine.cover == 0)
        #expect(try #require(decodePrompt(Self.prompt(hide: "0")).0).hidden == [0])
        #expect(try #require(decodePrompt(Self.prompt(hide: "0")).0).cover == 1)
    }

    @Test func hideIsADisplayKeyAndNotADefault() throws {
        let shown = try #require(decodePrompt(Self.prompt(hide: nil)).0)
        let hidden = try #require(decodePrompt(Self.prompt(hide: "[1]")).0)
        #expect(shown.inputHash == hidden.inputHash, "hiding never regenerates")
        #expect(!FrontMatterKey.hide.isGenerationKey)
        let (_, problems) = SettingsLoader.load(text: "defaults:\n  hide: [1]\n")
        #expect(problems.contains { $0.key?.contains("hide") ?? false || $0.message.contains("hide") }, "\(problems)")
    }
}
