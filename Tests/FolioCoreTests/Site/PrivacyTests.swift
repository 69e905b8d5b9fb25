import Foundation
@testable import FolioCore
import Testing

/// `private:` keeps its fields off every published file; variants show their own seeds; cost totals
/// add up only counters; no published file loads an image from another host.
@Suite(.serialized) struct PrivacyTests {
    // Markers no other part of the site can produce by chance (hashes are hex: no letters past f, no `*`).
    static let seed = "987654321", nextSeed = "987654322"
    static let size = "1104*1472"
    static let privateModel = "qwen-image-plus"
    static let extraMarker = "extramarker-walnut"
    static let promptMarker = "promptmarker-zebraquasar"
    static let replyMarker = "replymarker-okapi"
    static let negativeMarker = "negmarker-quokka"
    static let failedMarker = "failmarker-axolotl"

    static let items: [SiteFixture.Item] = [
        // Parameters private: the prompt itself stays public.
        .init(
            id: "secret/params",
            text: """
                ---
                title: Foggy harbour
                route: dashscope
                model: \(privateModel)
                size: "\(size)"
                seed: \(seed)
                n: 2
                watermark: true
                prompt_extend: false
                extra: { parameters: { style_hint: \(extraMarker) } }
                date: 2026-11-20
                private: [parameters]
                ---
                A lighthouse in the fog, public text.
                """, images: [(64, 48), (64, 48)]),
        // Prompt private, on the route that has a text reply; no `alt`, so nothing may fall back to the prompt.
        .init(
            id: "secret/prompt",
            text: """
                ---
                title: Hidden words
                route: gemini
                caption: A public caption.
                date: 2026-11-21
                private: [prompt]
                ---
                A \(promptMarker) drawn in *ink*.
                """, images: [(40, 60)], replyText: "Here is your \(promptMarker), \(replyMarker)."),
        .init(
            id: "secret/negative",
            text: """
                ---
                title: Quiet field
                route: dashscope
                model: qwen-image
                negative_prompt: \(negativeMarker), blurry
                date: 2026-11-22
                private: [negative_prompt]
                ---
                A quiet field at dawn
                """, images: [(48, 48)]),
        // A failure whose provider message quotes the private prompt.
        .init(
            id: "secret/refused",
            text: """
                ---
                title: Refused
                route: dashscope
                model: qwen-image
                date: 2026-11-19
                private: [prompt]
                ---
                Something with \(failedMarker) in it
                """, images: [], state: .failed,
            error: LockError(kind: .moderation, code: "DataInspectionFailed", message: "Input '\(failedMarker)' may contain inappropriate content.")),
        // Public, on the same route: the route name legitimately appears for it.
        .init(id: "open/boat", text: "---\ntitle: Red boat\nroute: dashscope\nmodel: qwen-image\ndate: 2026-11-23\n---\nA red boat\n"),
    ]

    static let config = "title: Privacy\ndescription: Private fields.\nbase_url: https://example.com/gallery/\nimages:\n  widths: [32]\n  formats: [jpeg]\n"

    /// Every published text file: everything but the images.
    static func textFiles(_ fixture: SiteFixture) throws -> [(String, String)] {
        let site = fixture.root.appendingPathComponent("site").path
        return FastFiles.walk(site).filter { !$0.hasPrefix("img/") }.sorted().map { path in
            (path, String(decoding: FastFiles.read(site + "/" + path) ?? [], as: UTF8.self))
        }
    }

    /// The search index as JSON records.
    static func searchRecords(_ fixture: SiteFixture) throws -> [[String: Any]] {
        var script = try fixture.read("static/search-index.js")
        #expect(script.hasPrefix("window.FOLIO_SEARCH = "))
        script = String(script.dropFirst("window.FOLIO_SEARCH = ".count)).trimmingCharacters(in: .whitespacesAndNewlines)
        if script.hasSuffix(";") { script.removeLast() }
        return try #require(try JSONSerialization.jsonObject(with: Data(script.utf8)) as? [[String: Any]])
    }

    static func galleryRecords(_ fixture: SiteFixture) throws -> [[String: Any]] {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try fixture.read("gallery.json").utf8)) as? [String: Any])
        return try #require(json["images"] as? [[String: Any]])
    }

    static func text(of record: [String: Any]) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The card of `id` on a listing page.
    static func card(_ id: String, in page: String) throws -> String {
        let start = try #require(page.range(of: "data-id=\"\(id)\""), "no card for \(id)")
        let end = try #require(page.range(of: "</figure>", range: start.upperBound..<page.endIndex))
        return String(page[start.lowerBound..<end.upperBound])
    }

    // MARK: Privacy

    @Test func privateFieldsAreInNoPublishedFile() async throws {
        let fixture = try await SiteFixture.make(config: Self.config, items: Self.items)
        defer { fixture.remove() }
        // What the gateway charged is a parameter too.
        var lock = try Lockfile.load(project: fixture.root)
        lock.entries["secret/params"]?.cost = .object([("width", .int(2208)), ("height", .int(2944)), ("image_count", .int(2))])
        lock.entries["open/boat"]?.cost = .object([("width", .int(1664)), ("height", .int(928)), ("image_count", .int(1))])
        try lock.write(project: fixture.root)
        _ = try await fixture.build()

        let files = try Self.textFiles(fixture)
        #expect(files.contains { $0.0 == "feed.xml" } && files.contains { $0.0 == "gallery.json" } && files.contains { $0.0 == "sitemap.xml" })
        let markers = [
            Self.seed, Self.nextSeed, Self.size, Self.privateModel, Self.extraMarker, Self.promptMarker, Self.replyMarker,
            Self.negativeMarker, Self.failedMarker,
        ]
        for (path, text) in files {
            for marker in markers {
                #expect(!text.contains(marker), "\(path) publishes the private '\(marker)'")
            }
        }
        for id in ["secret/params", "secret/prompt", "secret/negative", "secret/refused"] {
            #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/p/\(id)/prompt.md").path), "\(id)/prompt.md")
        }
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/p/open/boat/prompt.md").path))

        // `parameters`: the route and model, shared with public prompts, are missing from everything about this one.
        let page = try fixture.read("p/secret/params/index.html")
        for word in ["dashscope", "qwen-image", "Parameters", "Seed", "seed ", "Watermark", "Prompt extend", "Cost", "image_count", "unit"] {
            #expect(!page.contains(word), "the page of a prompt with private parameters shows '\(word)'")
        }
        #expect(page.contains("A lighthouse in the fog, public text."), "the prompt itself is public")
        for listing in ["index.html", "albums/secret/index.html"] {
            let card = try Self.card("secret/params", in: try fixture.read(listing))
            #expect(!card.contains("dashscope") && !card.contains("qwen") && !card.contains("class=\"route\""), "\(listing): \(card)")
        }
        let search = try Self.searchRecords(fixture)
        let searchRecord = try #require(search.first { $0["id"] as? String == "secret/params" })
        #expect(searchRecord["route"] == nil)
        let searchText = try Self.text(of: searchRecord)
        #expect(!searchText.contains("dashscope") && !searchText.contains("qwen"), "\(searchText)")
        #expect(searchText.contains("lighthouse"), "public prompt text stays searchable")
        let gallery = try Self.galleryRecords(fixture)
        let record = try #require(gallery.first { $0["id"] as? String == "secret/params" })
        #expect(record["parameters"] == nil && record["cost"] == nil)
        let recordText = try Self.text(of: record)
        #expect(!recordText.contains("dashscope") && !recordText.contains("qwen") && !recordText.contains("seed"), "\(recordText)")
        #expect(record["prompt"] as? String == "A lighthouse in the fog, public text.")

        // The public prompt on the same route still shows it, so the checks above can fail.
        #expect(try fixture.read("p/open/boat/index.html").contains("dashscope"))
        #expect(try Self.card("open/boat", in: try fixture.read("index.html")).contains("<span class=\"route\">dashscope</span>"))
        #expect(search.first { $0["id"] as? String == "open/boat" }?["route"] as? String == "dashscope")
        let boat = try #require(gallery.first { $0["id"] as? String == "open/boat" })
        #expect(try Self.text(of: boat).contains("qwen-image"))

        // `prompt`: the reply goes with it; description and alt fall back to the title, never the prompt.
        let hidden = try fixture.read("p/secret/prompt/index.html")
        #expect(!hidden.contains("prompt-raw") && !hidden.contains("The model's reply"))
        #expect(hidden.contains(#"<meta name="description" content="Hidden words">"#))
        #expect(hidden.contains(#"alt="Hidden words""#))
        #expect(hidden.contains("A public caption."), "the caption is a display key, not the prompt")
        #expect(hidden.contains("gemini"), "parameters stay public")
        let hiddenRecord = try #require(gallery.first { $0["id"] as? String == "secret/prompt" })
        #expect(hiddenRecord["prompt"] == nil && hiddenRecord["text"] == nil)

        // `negative_prompt`.
        let field = try fixture.read("p/secret/negative/index.html")
        #expect(!field.contains("Negative prompt"))
        #expect(field.contains("A quiet field at dawn"))

        // A failure keeps its kind and code, not the provider's message quoting the prompt.
        let refused = try Self.card("secret/refused", in: try fixture.read("index.html"))
        #expect(refused.contains("Moderation (DataInspectionFailed)"), "\(refused)")
    }

    // MARK: Seeds

    @Test func dashScopeVariantsShowTheirOwnSeeds() async throws {
        let fixture = try await SiteFixture.make(
            config: Self.config,
            items: [
                .init(id: "boats", text: "---\ntitle: Boats\nroute: dashscope\nseed: 42\nn: 3\n---\nThree boats\n", images: [(64, 48), (64, 48), (64, 48)]),
                .init(id: "one", text: "---\ntitle: One\nroute: dashscope\nseed: 7\n---\nOne boat\n"),
            ])
        defer { fixture.remove() }
        _ = try await fixture.build()
        let gallery = try Self.galleryRecords(fixture)
        let boats = try #require(gallery.first { $0["id"] as? String == "boats" })
        let files = try #require(boats["files"] as? [[String: Any]])
        #expect(files.compactMap { $0["seed"] as? Int } == [42, 43, 44])
        #expect((boats["parameters"] as? [String: Any])?["seed"] as? Int == 42, "the front matter's seed")
        let one = try #require(gallery.first { $0["id"] as? String == "one" })
        #expect((one["files"] as? [[String: Any]])?.compactMap { $0["seed"] as? Int } == [7])

        let page = try fixture.read("p/boats/index.html")
        #expect(page.contains("<dt>Seed</dt><dd>42–44 (one per image)</dd>"))
        for (index, seed) in [42, 43, 44].enumerated() {
            let start = try #require(page.range(of: "id=\"variant-\(index)\""))
            let end = try #require(page.range(of: "</figure>", range: start.upperBound..<page.endIndex))
            #expect(page[start.lowerBound..<end.upperBound].contains(" · seed \(seed)</figcaption>"), "variant \(index)")
        }
        #expect(try fixture.read("p/one/index.html").contains("<dt>Seed</dt><dd>7</dd>"))
    }

    // MARK: Cost totals

    @Test func costTotalsAddUpCountersOnly() async throws {
        // DashScope's usage, as the generator stores it for three variants: width and height summed too.
        let dashscope: [JSONValue] = [
            .object([("width", .int(3984)), ("height", .int(3984)), ("image_count", .int(3))]),
            .object([("width", .int(1664)), ("height", .int(928)), ("image_count", .int(1))]),
        ]
        #expect(CostTotals.sum(dashscope) == .object([("image_count", .int(4))]))
        let kling: [JSONValue] = [
            .object([("final_unit_deduction", .string("2"))]), .object([("final_unit_deduction", .string("3"))]),
            .object([("final_unit_deduction", .int(1))]),
        ]
        #expect(CostTotals.sum(kling) == .object([("final_unit_deduction", .int(6))]))
        let gemini: [JSONValue] = [
            .object([
                ("promptTokenCount", .int(12)), ("candidatesTokenCount", .int(1290)), ("totalTokenCount", .int(1352)),
                ("promptTokensDetails", .array([.object([("modality", .string("TEXT")), ("tokenCount", .int(12))])])),
            ]),
            .object([("promptTokenCount", .int(8)), ("candidatesTokenCount", .int(1290)), ("totalTokenCount", .int(1350))]),
        ]
        #expect(CostTotals.sum(gemini) == .object([("candidatesTokenCount", .int(2580)), ("promptTokenCount", .int(20)), ("totalTokenCount", .int(2702))]))

        // Through `folio status` and `folio plan`.
        let fixture = try await SiteFixture.make(items: [
            .init(id: "a", text: "---\nroute: dashscope\nn: 3\n---\nThree boats\n", images: [(64, 48), (64, 48), (64, 48)]),
            .init(id: "b", text: "---\nroute: dashscope\n---\nOne boat\n"),
        ])
        defer { fixture.remove() }
        var lock = try Lockfile.load(project: fixture.root)
        lock.entries["a"]?.cost = dashscope[0]
        lock.entries["b"]?.cost = dashscope[1]
        try lock.write(project: fixture.root)
        let project = await ProjectLoader.load(fixture.root)
        #expect(
            Status.json(Planner.plan(project.prompts, lock: lock, project: fixture.root), lock: lock)["cost"]?["dashscope"]
                == .object([("image_count", .int(4))]))
        #expect(Planner.plan(project.prompts, lock: lock, project: fixture.root).json["cost"]?["dashscope"] == .object([("image_count", .int(4))]))
    }

    // MARK: Remote images

    @Test func noPublishedFileLoadsAnImageFromAnotherHost() async throws {
        let remote = """
            A harbour ![a buoy](https://remote.example/buoy.png "Buoy") and ![](http://remote.example/empty.png)
            and ![proto](//remote.example/proto.png) and ![upper](HTTPS://REMOTE.EXAMPLE/upper.png)
            and [![linked](https://remote.example/linked.png)](https://example.org/page)
            """
        let fixture = try await SiteFixture.make(
            config: Self.config,
            items: [
                .init(
                    id: "harbour",
                    text: "---\ntitle: Harbour\nroute: gemini\ncaption: \"See ![c](https://remote.example/caption.png)\"\ndate: 2026-11-20\n---\n\(remote)\n")
            ])
        defer { fixture.remove() }
        _ = try await fixture.build()

        // The feed's HTML, unescaped: every image in it is the site's own.
        let feed = try fixture.read("feed.xml")
        let html = feed.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
        let sources = Self.imageSources(html)
        #expect(sources.count == 1, "\(sources)")
        for src in sources { #expect(src.hasPrefix("https://example.com/gallery/img/"), "feed.xml loads \(src)") }
        #expect(html.contains(#"<a href="https://remote.example/buoy.png" title="Buoy">a buoy</a>"#), "\(html)")
        #expect(html.contains(#"<a href="http://remote.example/empty.png">http://remote.example/empty.png</a>"#), "\(html)")

        // Pages: no remote image either (the CSP would block it, but a replaced head template has none).
        let site = fixture.root.appendingPathComponent("site").path
        for path in FastFiles.walk(site) where path.hasSuffix(".html") {
            let page = String(decoding: FastFiles.read(site + "/" + path) ?? [], as: UTF8.self)
            for src in Self.imageSources(page) {
                #expect(!src.lowercased().contains("remote.example"), "\(path) loads \(src)")
                #expect(!src.hasPrefix("http") && !src.hasPrefix("//"), "\(path) loads \(src)")
            }
        }
        let page = try fixture.read("p/harbour/index.html")
        #expect(page.contains(#"<a href="https://remote.example/caption.png">c</a>"#), "the caption's image is a link")
        #expect(page.contains(#"<a href="https://example.org/page">linked</a>"#), "an image inside a link becomes its text")
        // The manifest and the search index carry the Markdown source, never rendered HTML.
        #expect(!(try fixture.read("gallery.json")).contains("<img"))
        #expect(!(try fixture.read("static/search-index.js")).contains("<img"))
        #expect(!(try fixture.read("static/search-index.js")).contains("\\u003cimg"))
    }

    /// The `src` of every `<img` in `html`.
    static func imageSources(_ html: String) -> [String] {
        var sources: [String] = []
        var rest = html[...]
        while let tag = rest.range(of: "<img", options: .caseInsensitive) {
            let end = rest.range(of: ">", range: tag.upperBound..<rest.endIndex)?.lowerBound ?? rest.endIndex
            let element = rest[tag.upperBound..<end]
            if let src = element.range(of: "src=\"") {
                let value = element[src.upperBound...].prefix { $0 != "\"" }
                sources.append(String(value))
            } else {
                sources.append("(no src)")
            }
            rest = rest[end...]
        }
        return sources
    }

    @Test func remoteImageURLsAreRecognised() {
        for url in [
            "https://a.example/x.png", "HTTP://a.example/x.png", "//a.example/x.png", "/\\a.example/x.png", "\\\\a.example/x.png",
            " https://a.example/x.png", "ht\ttps://a.example/x.png", "ftp://a.example/x.png",
        ] {
            #expect(Markdown.isRemote(url), "\(url)")
        }
        for url in ["img/x.png", "/img/x.png", "x.png", "data:image/png;base64,AAAA", "a/b:c.png", "?q=a:b", "#x:y"] {
            #expect(!Markdown.isRemote(url), "\(url)")
        }
        #expect(Markdown.html("![x](img/local.png)") == "<p><img src=\"img/local.png\" alt=\"x\" /></p>\n")
        #expect(Markdown.html("![x](https://a.example/x.png)") == "<p><a href=\"https://a.example/x.png\">x</a></p>\n")
        #expect(Markdown.html("*plain*") == "<p><em>plain</em></p>\n", "Markdown without remote images renders as cmark renders it")
    }
}
