import CLibXML2
import Foundation
@testable import FolioCore
import Testing

@Suite(.serialized) struct SiteTests {
    static let basic: [SiteFixture.Item] = [
        .init(
            id: "posters/launch",
            text:
                "---\ntitle: Launch poster\nroute: kling\naspect_ratio: \"4:3\"\nn: 2\ntags: [poster, music]\nalt: A neon poster\ndate: 2026-11-20\n---\nA launch poster, *cinematic*.\n",
            images: [(64, 48), (64, 48)]),
        .init(
            id: "nature/fox", text: "---\ntitle: Fox\nroute: gemini\ntags: [animal]\ndate: 2026-11-21\ncaption: A **small** fox.\n---\nA watercolor fox\n",
            images: [(40, 60)], replyText: "Here is a fox."),
        .init(
            id: "nature/blocked", text: "---\ntitle: Blocked\nroute: dashscope\ndate: 2026-11-19\n---\nSomething the filter refused\n",
            images: [], state: .failed,
            error: LockError(kind: .moderation, code: "DataInspectionFailed", message: "Input data may contain inappropriate content.")),
        .init(id: "welcome", text: "---\ntitle: Welcome\nweight: 0\n---\nA desk\n", images: [(100, 100)]),
    ]

    // MARK: Golden files

    static let goldenFiles = [
        "index.html", "p/posters/launch/index.html", "p/nature/blocked/index.html", "albums/nature/index.html",
        "tags/poster/index.html", "gallery.json", "feed.xml", "static/search-index.js",
    ]

    @Test func pagesMatchTheirGoldenFiles() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let golden = TestPaths.fixtures.appendingPathComponent("site/golden")
        let environment = ProcessInfo.processInfo.environment
        let record = environment["FOLIO_RECORD_GOLDEN"] == "1"
        // Recording in CI would make the comparison pass by definition.
        #expect(!(record && environment["CI"] != nil), "FOLIO_RECORD_GOLDEN is refused under CI")
        var recorded: [String] = []
        for path in Self.goldenFiles {
            let actual = try fixture.read(path)
            let expectedURL = golden.appendingPathComponent(path)
            if record, environment["CI"] == nil {
                try FileManager.default.createDirectory(at: expectedURL.deletingLastPathComponent(), withIntermediateDirectories: true)
                if (try? String(contentsOf: expectedURL, encoding: .utf8)) != actual {
                    try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
                    recorded.append(path)
                }
                continue
            }
            let expected = try String(contentsOf: expectedURL, encoding: .utf8)
            #expect(actual == expected, "\(path) differs from its golden file; FOLIO_RECORD_GOLDEN=1 swift test re-records it")
        }
        // A run that re-recorded has compared nothing: it fails, naming what it wrote, so it is never taken for a pass.
        #expect(recorded.isEmpty, "re-recorded \(recorded.joined(separator: ", ")); review the diff and run the tests again without FOLIO_RECORD_GOLDEN")
    }

    // MARK: The icon

    @Test func everyPageDeclaresTheThemesIconUnlessStaticHasItsOwn() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        func icons(_ page: String) throws -> [String] {
            try fixture.read(page).split(separator: "\n").filter { $0.hasPrefix("<link rel=\"icon\"") }.map(String.init)
        }
        _ = try await fixture.build()
        #expect(try icons("index.html") == ["<link rel=\"icon\" href=\"static/favicon.svg\" type=\"image/svg+xml\">"])
        #expect(try icons("p/posters/launch/index.html") == ["<link rel=\"icon\" href=\"../../../static/favicon.svg\" type=\"image/svg+xml\">"])
        #expect(Array(try fixture.read("static/favicon.svg").utf8) == Theme.builtIn["favicon.svg"])

        // The project's own icons, published at the root by static/, replace the theme's in every page.
        let statics = fixture.root.appendingPathComponent("static")
        try FileManager.default.createDirectory(at: statics, withIntermediateDirectories: true)
        try Data([0, 0, 1, 0]).write(to: statics.appendingPathComponent("favicon.ico"))
        _ = try await fixture.build()
        #expect(try icons("tags/poster/index.html") == ["<link rel=\"icon\" href=\"../../favicon.ico\" sizes=\"any\">"])
        try Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n".utf8).write(to: statics.appendingPathComponent("favicon.svg"))
        _ = try await fixture.build()
        #expect(
            try icons("index.html") == [
                "<link rel=\"icon\" href=\"favicon.ico\" sizes=\"any\">", "<link rel=\"icon\" href=\"favicon.svg\" type=\"image/svg+xml\">",
            ])
        #expect(try fixture.read("favicon.svg") == "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n")
    }

    // MARK: Determinism and incremental writes

    @Test func theSameInputsGiveTheSameBytes() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        let a = fixture.root.appendingPathComponent("site-a"), b = fixture.root.appendingPathComponent("site-b")
        _ = try await fixture.build(site: a)
        _ = try await fixture.build(site: b)
        let filesA = FastFiles.walk(a.path).sorted(), filesB = FastFiles.walk(b.path).sorted()
        #expect(filesA == filesB)
        #expect(filesA.count > 30)
        for path in filesA {
            #expect(FastFiles.read(a.path + "/" + path) == FastFiles.read(b.path + "/" + path), "\(path)")
        }
    }

    @Test func aSecondRenderRewritesNothing() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        let first = try await fixture.build()
        #expect(first.written > 0)
        #expect(first.imagesRendered == 4)
        let page = fixture.root.appendingPathComponent("site/index.html")
        let before = try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date
        try await Task.sleep(for: .milliseconds(20))
        let second = try await fixture.build()
        #expect(second.written == 0)
        #expect(second.imagesRendered == 0 && second.imagesSkipped == 4)
        #expect(try FileManager.default.attributesOfItem(atPath: page.path)[.modificationDate] as? Date == before)
        // A removed prompt's page goes.
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("prompts/welcome.md"))
        let third = try await fixture.build()
        #expect(third.removed > 0)
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/p/welcome/index.html").path))
    }

    // MARK: Images

    @Test func renditionsHaveTheRightSizesFormatsAndAreNeverUpscaled() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let lock = try Lockfile.load(project: fixture.root)
        let img = fixture.root.appendingPathComponent("site/img")
        for entry in lock.entries.values {
            for output in entry.outputs.compactMap(\.asset) {
                // Configured widths up to the original, and the original's own width when it lies between them.
                var widths = [32, 48, 100].filter { $0 <= output.width }
                if output.width < 100, Double(output.width) > Double(widths.last ?? 0) * 1.15 { widths.append(output.width) }
                #expect(widths.allSatisfy { $0 <= output.width }, "never upscaled")
                let produced = try FileManager.default.contentsOfDirectory(atPath: img.path).filter { $0.hasPrefix(output.sha256 + "-") }.sorted()
                #expect(produced == widths.flatMap { ["\(output.sha256)-\($0).jpg", "\(output.sha256)-\($0).webp"] }.sorted())
                for width in widths {
                    for ext in ["jpg", "webp"] {
                        let bytes = try #require(FastFiles.read(img.path + "/\(output.sha256)-\(width).\(ext)"))
                        let header = try #require(ImageHeader.read(bytes))
                        #expect(header.format == (ext == "jpg" ? "jpeg" : "webp"))
                        #expect(header.width == width)
                        #expect(header.height == Int((Double(output.height) * Double(width) / Double(output.width)).rounded()))
                    }
                }
                // The original, published under its hash: the asset's chunks, with Folio's metadata
                // added (SPEC §7), and nothing else changed.
                let published = try #require(FastFiles.read(img.path + "/\(output.sha256).png"))
                let asset = try #require(FastFiles.read(fixture.root.path + "/" + output.file))
                #expect(published.count > asset.count)
                #expect(OriginalMetadata.read(published).digitalSourceType == ImageProvenance.digitalSourceType)
                #expect(ImageHeader.read(published)?.width == output.width && ImageHeader.read(published)?.height == output.height)
            }
        }
    }

    // MARK: Pages

    @Test func aFailedPromptIsAPlaceholderNeverABrokenImage() async throws {
        let fixture = try await SiteFixture.make(items: Self.basic)
        defer { fixture.remove() }
        let report = try await fixture.build()
        #expect(report.placeholders.map(\.id) == ["nature/blocked"])
        let index = try fixture.read("index.html")
        #expect(index.contains("Moderation (DataInspectionFailed): Input data may contain inappropriate content."))
        let page = try fixture.read("p/nature/blocked/index.html")
        #expect(page.contains("placeholder placeholder--large"))
        #expect(!page.contains("<img"))
    }

    @Test func everyImagePageCarriesTheLabelMetadataAndTheExactPrompt() async throws {
        let fixture = try await SiteFixture.make(config: "title: Fixture\nbase_url: https://example.com/gallery\n", items: Self.basic)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let page = try fixture.read("p/posters/launch/index.html")
        #expect(page.contains("AI-generated"))
        #expect(page.contains(#"<pre id="prompt-raw" hidden>A launch poster, *cinematic*.</pre>"#))
        #expect(page.contains("<em>cinematic</em>"))
        #expect(page.contains(#"<meta property="og:image" content="https://example.com/gallery/img/"#))
        #expect(page.contains(#"<link rel="canonical" href="https://example.com/gallery/p/posters/launch/">"#))
        #expect(page.contains("\"digitalSourceType\":\"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia\""))
        #expect(page.contains(#"srcset="../../../img/"#))
        #expect(page.contains(#"width="64" height="48""#))
        #expect(try fixture.read("sitemap.xml").contains("<loc>https://example.com/gallery/p/posters/launch/</loc>"))
        let fox = try fixture.read("p/nature/fox/index.html")
        #expect(fox.contains("Here is a fox."))
        #expect(fox.contains("<strong>small</strong>"))
        #expect(try fixture.read("p/nature/fox/prompt.md").hasPrefix("---\ntitle: Fox"))
    }

    @Test func privateFieldsStayOffTheSite() async throws {
        let items: [SiteFixture.Item] = [
            .init(
                id: "secret",
                text:
                    "---\ntitle: Secret sauce\nroute: kling\nnegative_prompt: hidden-negative\nprivate: [prompt, negative_prompt, parameters]\n---\nthe-secret-prompt-text\n"
            )
        ]
        let fixture = try await SiteFixture.make(items: items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        for path in FastFiles.walk(fixture.root.path + "/site") where !path.hasPrefix("img/") {
            let text = try fixture.read(path)
            #expect(!text.contains("the-secret-prompt-text"), "\(path)")
            #expect(!text.contains("hidden-negative"), "\(path)")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/p/secret/prompt.md").path))
        #expect(!(try fixture.read("p/secret/index.html")).contains("kling-v2-1"))
    }

    @Test func everyLinkIsRelativeAndResolves() async throws {
        let fixture = try await SiteFixture.make(config: "title: Fixture\npagination: 1\nimages:\n  widths: [32]\n", items: Self.basic)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let site = fixture.root.appendingPathComponent("site")
        let pages = FastFiles.walk(site.path).filter { $0.hasSuffix(".html") }
        #expect(pages.contains("page/2/index.html") && pages.contains("page/4/index.html"))
        for page in pages {
            for link in LinkChecker.links(in: FastFiles.read(site.path + "/" + page)!) {
                #expect(!link.hasPrefix("/"), "\(page): \(link) is not relative")
                #expect(LinkChecker.resolves(link, from: page, files: Set(FastFiles.walk(site.path)), site: site), "\(page): \(link)")
            }
        }
    }

    @Test func aBrokenLinkInACustomTemplateFailsTheBuildNamingPageAndLink() async throws {
        let card = String(decoding: Theme.builtIn["card.mustache"]!, as: UTF8.self)
            .replacingOccurrences(of: "<figcaption>", with: "<figcaption><a href=\"{{root}}nowhere/at-all.html\">x</a>")
        let fixture = try await SiteFixture.make(items: Self.basic, extraFiles: ["templates/card.mustache": card])
        defer { fixture.remove() }
        do {
            _ = try await fixture.build()
            Issue.record("a broken link did not fail the build")
        } catch {
            #expect("\(error)".contains("broken link"))
            #expect("\(error)".contains("index.html: broken link 'nowhere/at-all.html'"))
            #expect("\(error)".contains("albums/nature/index.html: broken link '../../nowhere/at-all.html'"))
        }
    }

    @Test func templateErrorsNameFileAndLine() async throws {
        let root = makeProject([
            "prompts/a.md": "A fox\n",
            "templates/card.mustache": "<figure>\n{{#image}}\n<img src=\"{{src}}\">\n{{/imagex}}\n</figure>\n",
            "templates/grid.mustache": "<div>{{> cards}}</div>\n",
            "templates/cardd.mustache": "unused\n",
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let (theme, problems) = Theme.load(project: root)
        #expect(theme == nil)
        #expect(
            problems.map(\.description) == [
                "templates/card.mustache:4:4: error: template syntax error: a section is closed with the wrong name in '{{/imagex}}'",
                "templates/grid.mustache:1:6: error: partial 'cards' not found; templates: card, compare, grid, head, layout, params, prompt, routes; did you mean 'card'?",
                "templates/cardd.mustache:1:1: warning: the theme has no template named 'cardd', so this file is not used; templates: layout, head, card, params, grid, prompt, routes, compare; did you mean 'card'?",
            ])
        let check = try runFolio(["check", "--project", root.path])
        #expect(check.status == 2)
        #expect(check.stderr.contains("templates/grid.mustache:1:6: error: partial 'cards' not found"))
    }

    // MARK: Safety

    static let attacks = [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>", "'><svg onload=alert(3)>", "</script><script>alert(4)</script>",
        "{{site.title}}", "javascript:alert(5)", "<a href=\"javascript:alert(6)\">x</a>", "&lt;script&gt;",
    ]

    @Test func nothingAPromptFileSaysCanInjectMarkup() async throws {
        var items: [SiteFixture.Item] = []
        for (i, attack) in Self.attacks.enumerated() {
            let yaml = attack.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            items.append(
                .init(
                    id: "x\(i)",
                    text: """
                        ---
                        title: "\(yaml)"
                        alt: "\(yaml)"
                        tags: ["\(yaml)", safe]
                        caption: "\(yaml) [click](javascript:alert(7))"
                        route: gemini
                        ---
                        \(attack)

                        [link](javascript:alert(8)) <iframe src="x"></iframe>
                        """, replyText: attack))
        }
        let fixture = try await SiteFixture.make(config: "title: \"<b>Site</b>\"\ndescription: \"\\\"><script>alert(9)</script>\"\n", items: items)
        defer { fixture.remove() }
        _ = try await fixture.build()
        let site = fixture.root.appendingPathComponent("site")
        for page in FastFiles.walk(site.path) where page.hasSuffix(".html") {
            let bytes = FastFiles.read(site.path + "/" + page)!
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(!text.contains("alert(1)</script>"), "\(page)")
            #expect(!text.contains("<iframe"), "\(page)")
            for (element, attribute, value) in Self.elementsAndAttributes(bytes) {
                #expect(!attribute.hasPrefix("on"), "\(page): <\(element) \(attribute)=\(value)>")
                if ["href", "src", "srcset", "action", "formaction"].contains(attribute) {
                    #expect(!value.lowercased().trimmingCharacters(in: .whitespaces).hasPrefix("javascript:"), "\(page): <\(element) \(attribute)=\(value)>")
                }
                if element == "script" && attribute == "src" { #expect(value.hasSuffix("static/folio.js") || value.hasSuffix("static/search-index.js")) }
                #expect(element != "svg" && element != "iframe", "\(page)")
            }
            // Scripts: only the theme's two files and the JSON-LD data block.
            let scripts = Self.elementsAndAttributes(bytes).filter { $0.0 == "script" }
            #expect(scripts.allSatisfy { $0.1 == "src" || ($0.1 == "type" && $0.2 == "application/ld+json") || $0.1 == "defer" }, "\(page): \(scripts)")
        }
        let search = try fixture.read("static/search-index.js")
        #expect(!search.contains("</script>"))
        #expect(search.hasPrefix("window.FOLIO_SEARCH = ["))
    }

    /// Every (element, attribute, value) of a parsed HTML page.
    static func elementsAndAttributes(_ bytes: [UInt8]) -> [(String, String, String)] {
        let options = Int32(HTML_PARSE_NOERROR.rawValue | HTML_PARSE_NOWARNING.rawValue | HTML_PARSE_RECOVER.rawValue | HTML_PARSE_NONET.rawValue)
        guard
            let document = bytes.withUnsafeBufferPointer({ buffer in
                buffer.withMemoryRebound(to: CChar.self) { htmlReadMemory($0.baseAddress, Int32($0.count), "p.html", "UTF-8", options) }
            })
        else { return [] }
        defer { xmlFreeDoc(document) }
        var found: [(String, String, String)] = []
        func walk(_ node: UnsafeMutablePointer<xmlNode>?) {
            var current = node
            while let n = current {
                if n.pointee.type == XML_ELEMENT_NODE {
                    let name = String(cString: n.pointee.name)
                    var attribute = n.pointee.properties
                    if attribute == nil { found.append((name, "", "")) }
                    while let a = attribute {
                        let key = String(cString: a.pointee.name)
                        var value = ""
                        if let raw = xmlNodeGetContent(UnsafeMutablePointer<xmlNode>(OpaquePointer(a))) {
                            value = String(cString: raw)
                            folio_xml_free(raw)
                        }
                        found.append((name, key, value))
                        attribute = a.pointee.next
                    }
                }
                walk(n.pointee.children)
                current = n.pointee.next
            }
        }
        walk(xmlDocGetRootElement(document))
        return found
    }

    /// What the gateway charged, in words, as the gateway wrote the amount: only "1" is singular.
    @Test func aCostIsCountedInWords() {
        #expect(SitePages.describeCost(.object([("final_unit_deduction", .string("1"))])) == "1 unit")
        #expect(SitePages.describeCost(.object([("final_unit_deduction", .int(1))])) == "1 unit")
        #expect(SitePages.describeCost(.object([("final_unit_deduction", .string("2.5"))])) == "2.5 units")
        #expect(SitePages.describeCost(.object([("final_unit_deduction", .string("1.0"))])) == "1.0 units")
        #expect(SitePages.describeCost(.object([("totalTokenCount", .int(1290))])) == "1290 tokens")
        #expect(SitePages.describeCost(.object([("image_count", .int(1))])) == "1 image")
        #expect(SitePages.describeCost(.object([("image_count", .int(4))])) == "4 images")
    }
}
