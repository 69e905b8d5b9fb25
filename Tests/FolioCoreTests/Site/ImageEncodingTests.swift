import Foundation
@testable import FolioCore
import Testing

/// `images.quality` and `images.effort`: read from folio.yml, given to libvips, and remembered per
/// original so that changing them renders the renditions again, and leaving them does not.
@Suite(.serialized) struct ImageEncodingTests {
    // MARK: Settings

    @Test func theDefaultsAreTheMeasuredOnes() {
        let encoding = Settings().images.encoding
        #expect(encoding.saveOptions(.webp) == "[Q=80,effort=2]")
        #expect(encoding.saveOptions(.jpeg) == "[Q=82]")
        #expect(encoding.saveOptions(.avif) == "[Q=55,effort=3]")
        #expect(encoding.record([.webp, .jpeg]) == "jpeg[Q=82] webp[Q=80,effort=2]")
    }

    @Test func folioYMLSetsQualityAndEffortPerFormat() {
        let (settings, problems) = SettingsLoader.load(
            text: "images:\n  quality: {webp: 70, jpg: 90}\n  effort:\n    webp: 6\n    avif: 0\n")
        #expect(problems.isEmpty, "\(problems)")
        let encoding = settings.images.encoding
        #expect(encoding.quality == [.webp: 70, .jpeg: 90, .avif: 55], "a format left out keeps its default")
        #expect(encoding.effort == [.webp: 6, .avif: 0])
        #expect(encoding.saveOptions(.webp) == "[Q=70,effort=6]")
        #expect(encoding.saveOptions(.jpeg) == "[Q=90]")
    }

    @Test func badValuesNameFileLineAndKey() {
        let text = """
            images:
              quality: {webp: 0, png: 80, jpeg: high}
              effort:
                webp: 7
                jpeg: 3
                avif: 10
                wepb: 1

            """
        let (settings, problems) = SettingsLoader.load(text: text)
        #expect(
            problems.map(\.description) == [
                "folio.yml:2:19: error: images.quality.webp must be between 1 and 100, not 0",
                "folio.yml:2:22: error: unknown format 'png' in 'images.quality' of folio.yml; it takes: webp, jpeg, avif",
                "folio.yml:2:37: error: 'images.quality.jpeg' must be a whole number, not 'high'",
                "folio.yml:4:11: error: images.effort.webp must be between 0 and 6, not 7",
                "folio.yml:5:5: error: images.effort.jpeg: jpeg has no effort setting; images.effort takes webp (0–6), avif (0–9)",
                "folio.yml:6:11: error: images.effort.avif must be between 0 and 9, not 10",
                "folio.yml:7:5: error: unknown format 'wepb' in 'images.effort' of folio.yml; it takes: webp, avif; did you mean 'webp'?",
            ])
        #expect(
            problems.map(\.key) == [
                "images.quality.webp", "images.quality.png", "images.quality.jpeg", "images.effort.webp", "images.effort.jpeg",
                "images.effort.avif", "images.effort.wepb",
            ])
        #expect(settings.images.encoding == ImageEncoding(), "nothing invalid is taken")

        let (_, notAMapping) = SettingsLoader.load(text: "images:\n  effort: 2\n")
        #expect(
            notAMapping.map(\.description) == [
                "folio.yml:2:11: error: images.effort must map formats to numbers, such as effort: {webp: 2, avif: 3}"
            ])
    }

    // MARK: Rendering

    static let items: [SiteFixture.Item] = [
        .init(id: "fox", text: "---\ntitle: Fox\nroute: gemini\n---\nA fox\n", images: [(100, 100)]),
        .init(id: "owl", text: "---\ntitle: Owl\nroute: gemini\n---\nAn owl\n", images: [(64, 48)]),
    ]

    static func config(_ images: String = "") -> String {
        "title: Encoding\nimages:\n  widths: [32, 100]\n  formats: [webp, jpeg]\n" + images
    }

    /// Each rendition's bytes, by file name.
    static func renditions(_ fixture: SiteFixture) throws -> [String: [UInt8]] {
        let img = fixture.root.appendingPathComponent("site/img")
        var files: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: img.path) where name.contains("-") {
            files[name] = FastFiles.read(img.path + "/" + name)
        }
        return files
    }

    func write(_ config: String, to fixture: SiteFixture) throws {
        try Data(config.utf8).write(to: fixture.root.appendingPathComponent("folio.yml"))
    }

    /// From review: `jpg` and `JPEG` are `jpeg`, which YAML's duplicate-key check cannot see.
    @Test func oneFormatNamedTwiceIsRefused() {
        let (settings, problems) = SettingsLoader.load(text: "images:\n  quality: {jpeg: 30, jpg: 90}\n  effort: {webp: 1, WEBP: 5}\n")
        #expect(
            problems.map(\.description) == [
                "folio.yml:2:23: error: images.quality.jpg: jpeg is already set in images.quality (names ignore case, and jpg is jpeg); keep one",
                "folio.yml:3:21: error: images.effort.WEBP: webp is already set in images.effort (names ignore case, and jpg is jpeg); keep one",
            ])
        #expect(settings.images.encoding.quality[.jpeg] == 30 && settings.images.encoding.effort[.webp] == 1)
    }

    @Test func aChangedQualityOrEffortRendersAgainAndAnUnchangedOneDoesNot() async throws {
        let fixture = try await SiteFixture.make(config: Self.config(), items: Self.items)
        defer { fixture.remove() }
        let first = try await fixture.build()
        #expect(first.imagesRendered == 2)
        let made = try fixture.read(".folio/images.json")
        #expect(made.contains("\"encoding\": \"jpeg[Q=82] webp[Q=80,effort=2]\""), "\(made)")
        let before = try Self.renditions(fixture)
        #expect(before.count == 8, "32 and 100 px, and 32 and 64 px (the owl's own width), in two formats")

        // Spelled out at the defaults, or changed for a format that is not rendered: nothing to make.
        try write(Self.config("  quality: {webp: 80, avif: 40}\n  effort: {webp: 2, avif: 9}\n"), to: fixture)
        let same = try await fixture.build()
        #expect(same.imagesRendered == 0 && same.imagesSkipped == 2)
        #expect(try Self.renditions(fixture) == before)

        // A lower JPEG quality: every original is rendered again, and its JPEGs are smaller.
        try write(Self.config("  quality: {jpeg: 30}\n"), to: fixture)
        let lower = try await fixture.build()
        #expect(lower.imagesRendered == 2 && lower.imagesSkipped == 0)
        let after = try Self.renditions(fixture)
        for (name, bytes) in after where name.hasSuffix(".jpg") {
            let earlier = try #require(before[name])
            #expect(bytes.count < earlier.count, "\(name) at Q 30")
        }
        #expect(try fixture.read(".folio/images.json").contains("\"encoding\": \"jpeg[Q=30] webp[Q=80,effort=2]\""))

        // A different WebP effort renders again too; then a build with nothing changed skips all.
        try write(Self.config("  quality: {jpeg: 30}\n  effort: {webp: 6}\n"), to: fixture)
        #expect(try await fixture.build().imagesRendered == 2)
        try write(Self.config("  quality: {jpeg: 30}\n  effort: {webp: 6}\npagination: 10\n"), to: fixture)
        let unchanged = try await fixture.build()
        #expect(unchanged.imagesRendered == 0 && unchanged.imagesSkipped == 2)
    }

    @Test func aFormatDroppedLeavesTheOthersAsTheyAre() async throws {
        let fixture = try await SiteFixture.make(config: Self.config(), items: Self.items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let before = try Self.renditions(fixture)
        try write("title: Encoding\nimages:\n  widths: [32, 100]\n  formats: [jpeg]\n", to: fixture)
        let report = try await fixture.build()
        #expect(report.imagesRendered == 0 && report.imagesSkipped == 2)
        let after = try Self.renditions(fixture)
        #expect(after.keys.allSatisfy { $0.hasSuffix(".jpg") } && after.count == 4)
        #expect(after.allSatisfy { before[$0.key] == $0.value })
    }

    @Test func aRecordFromBeforeEncodingsWereRememberedRendersAgain() async throws {
        let fixture = try await SiteFixture.make(config: Self.config(), items: Self.items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        // What an earlier Folio wrote: the same record without "encoding".
        let url = fixture.root.appendingPathComponent("site/.folio/images.json")
        let record = try String(contentsOf: url, encoding: .utf8)
        let older = record.replacingOccurrences(of: #",\s*"encoding": "[^"]*""#, with: "", options: .regularExpression)
        #expect(older.count < record.count && !older.contains("encoding"))
        try Data(older.utf8).write(to: url)
        #expect(SiteBuilder.readMadeImages(url).count == 2, "the older record still reads")
        try write(Self.config() + "pagination: 10\n", to: fixture)
        let report = try await fixture.build()
        #expect(report.imagesRendered == 2)
    }
}
