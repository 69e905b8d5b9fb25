import CLibXML2
import Foundation
@testable import FolioCore
import Testing

/// What the site's machine-readable files say about its images (issue 10): `gallery.json` checked
/// against the schema docs/gallery-json.md documents, the Atom feed parsed with libxml2, the JSON-LD
/// of the image pages parsed as JSON; and none of them holds a private prompt.
@Suite(.serialized) struct SiteDisclosureTests {
    static let config = "title: Disclosure\nbase_url: https://example.com/gallery\nimages:\n  widths: [32]\n  formats: [webp, jpeg]\n"
    static let secret = "secretmarker-pangolin"

    /// The basic site, a prompt whose prompt and parameters are private, and one whose original carries C2PA.
    static let items =
        SiteTests.basic + [
            .init(
                id: "hidden",
                text: "---\ntitle: Hidden\nroute: dashscope\nmodel: qwen-image\nprivate: [prompt, parameters]\ndate: 2026-11-22\n---\nA \(secret) at dusk\n",
                images: [(48, 48)]),
            .init(id: "signed", text: "---\ntitle: Signed\nroute: kling\ndate: 2026-11-18\n---\nA signed lighthouse\n", images: [(48, 32)]),
        ]

    /// The site above, rendered, with the signed prompt's original carrying a C2PA manifest store; and that original's hash.
    static func site() async throws -> (SiteFixture, signed: String) {
        let fixture = try await SiteFixture.make(config: config, items: items)
        let signed = try EmbeddedMetadataTests.replaceAsset(of: "signed", in: fixture) { png in
            OriginalMetadataTests.png(png, inserting: OriginalMetadataTests.pngChunk("caBX", OriginalMetadataTests.manifestStore()))
        }
        _ = try await fixture.build()
        return (fixture, signed.sha)
    }

    // MARK: - gallery.json

    /// One documented key: its type, and whether every object has it.
    struct Field {
        var type: String
        var always: Bool
    }

    /// The tables of docs/gallery-json.md, by section heading: `| \`key\` | type | present | meaning |`.
    static func documentedSchema() throws -> [String: [String: Field]] {
        let text = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("docs/gallery-json.md"), encoding: .utf8)
        var schema: [String: [String: Field]] = [:]
        var section = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                section = String(line.dropFirst(3))
                continue
            }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 5, cells[1].hasPrefix("`"), cells[1].hasSuffix("`"), cells[1].count > 2 else { continue }
            schema[section, default: [:]][String(cells[1].dropFirst().dropLast())] = Field(type: cells[2], always: cells[3] == "always")
        }
        return schema
    }

    /// Checks `value` against the documented section `section`; counts the objects seen per section.
    static func check(_ value: JSONValue, _ section: String, at path: String, schema: [String: [String: Field]], seen: inout [String: Int]) {
        guard case .object(let pairs) = value, let fields = schema[section] else {
            Issue.record("\(path) is not an object of the documented section '\(section)'")
            return
        }
        seen[section, default: 0] += 1
        let keys = Set(pairs.map(\.0))
        for (key, field) in fields where field.always {
            #expect(keys.contains(key), "\(path) lacks '\(key)', which docs/gallery-json.md says is always there")
        }
        for (key, value) in pairs {
            guard let field = fields[key] else {
                Issue.record("\(path).\(key) is not in docs/gallery-json.md (\(section))")
                continue
            }
            let here = "\(path).\(key)"
            switch (field.type, value) {
            case ("integer", .int), ("string", .string), ("string or null", .string), ("string or null", .null), ("boolean", .bool), ("JSON value", _):
                break
            case ("array of strings", .array(let list)):
                #expect(list.allSatisfy { $0.stringValue != nil }, "\(here) holds a value that is not a string")
            case ("parameters", _):
                check(value, "parameters", at: here, schema: schema, seen: &seen)
            case ("array of images", .array(let list)), ("array of files", .array(let list)), ("array of renditions", .array(let list)):
                let element = ["array of images": "An image", "array of files": "A file", "array of renditions": "A rendition"][field.type]!
                for (index, item) in list.enumerated() { check(item, element, at: "\(here)[\(index)]", schema: schema, seen: &seen) }
            default:
                Issue.record("\(here) is \(value.compact), not the documented \(field.type)")
            }
        }
    }

    @Test func galleryJSONHasTheDocumentedSchemaAndSaysWhatEachImageIs() async throws {
        let schema = try Self.documentedSchema()
        #expect(Set(schema.keys) == ["The file", "An image", "parameters", "A file", "A rendition"], "\(schema.keys.sorted())")
        #expect(schema["An image"]?["credit_text"]?.type == "string" && schema["A file"]?["content_credentials"]?.type == "boolean")

        let (fixture, signed) = try await Self.site()
        defer { fixture.remove() }
        let gallery = try JSONDecoder().decode(JSONValue.self, from: Data(try fixture.read("gallery.json").utf8))
        var seen: [String: Int] = [:]
        Self.check(gallery, "The file", at: "gallery", schema: schema, seen: &seen)
        #expect(seen["An image"] == Self.items.count && seen["A file"] == 6 && (seen["A rendition"] ?? 0) > 6, "\(seen)")

        #expect(gallery["version"] == .int(1))
        // What version 0 had is still there, unchanged.
        #expect(gallery["digital_source_type"] == .string(ImageProvenance.digitalSourceType))
        #expect(gallery["base_url"] == .string("https://example.com/gallery/") && gallery["title"] == .string("Disclosure"))
        let images = try #require(gallery["images"]?.arrayValue)
        func image(_ id: String) throws -> JSONValue { try #require(images.first { $0["id"] == .string(id) }, "no image \(id)") }
        for image in images {
            #expect(image["digital_source_type"] == .string(ImageProvenance.digitalSourceType), "\(image["id"]?.compact ?? "")")
        }
        #expect(try image("posters/launch")["credit_text"] == .string("Generated with kling-v2-1 (Kuaishou) · Disclosure"))
        #expect(try image("nature/fox")["credit_text"] == .string("Generated with gemini-3.1-flash-image-preview (Google) · Disclosure"))
        #expect(try image("nature/blocked")["credit_text"] == .string("Generated with qwen-image-plus (Alibaba Cloud) · Disclosure"))
        // Private parameters: neither the model nor the provider, which would name the route.
        #expect(try image("hidden")["credit_text"] == .string("AI-generated · Disclosure"))

        // Content Credentials: the signed original only.
        var marked: [String: Bool] = [:]
        for file in images.flatMap({ $0["files"]?.arrayValue ?? [] }) {
            marked[file["sha256"]?.stringValue ?? ""] = file["content_credentials"]?.boolValue
        }
        #expect(marked.count == 6 && marked[signed] == true, "\(marked)")
        #expect(marked.filter(\.value).keys.sorted() == [signed], "\(marked)")
        #expect(try image("signed")["files"]?.arrayValue?.first?["original"] == .string("img/\(signed).png"))
    }

    // MARK: - The feed

    @Test func theFeedIsWellFormedAtomAndMarksEveryEntry() async throws {
        let (fixture, _) = try await Self.site()
        defer { fixture.remove() }
        let bytes = try #require(FastFiles.read(fixture.root.path + "/site/feed.xml"))
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlReadMemory($0.baseAddress, Int32($0.count), "feed.xml", nil, options) }
        }
        let document = try #require(parsed, "feed.xml is not well-formed XML")
        defer { xmlFreeDoc(document) }
        let feed = Self.element(try #require(xmlDocGetRootElement(document)))
        #expect(feed.namespace == Self.atom && feed.name == "feed")
        #expect(feed.declared == ["": Self.atom, "folio": "https://folio.dev/ns/1.0/"], "\(feed.declared)")

        // Every published image set, newest first (one without a date last); the failed prompt has no entry.
        let entries = feed.children.filter { $0.namespace == Self.atom && $0.name == "entry" }
        #expect(entries.map { $0.text("title") } == ["Hidden", "Fox", "Launch poster", "Signed", "Welcome"])
        #expect(
            entries.map { $0.text("creditText", in: ImageProvenance.Namespace.folio) } == [
                "AI-generated · Disclosure", "Generated with gemini-3.1-flash-image-preview (Google) · Disclosure",
                "Generated with kling-v2-1 (Kuaishou) · Disclosure", "Generated with kling-v2-1 (Kuaishou) · Disclosure",
                "Generated with gemini-3.1-flash-image-preview (Google) · Disclosure",
            ])
        for entry in entries {
            let title = entry.text("title") ?? ""
            #expect(entry.text("digitalSourceType", in: ImageProvenance.Namespace.folio) == ImageProvenance.digitalSourceType, "\(title)")
            // Simple extension elements (RFC 4287 §6.4.1): one of each, text only, no attributes.
            let own = entry.children.filter { $0.namespace != Self.atom }
            #expect(own.map(\.name) == ["digitalSourceType", "creditText"], "\(title)")
            #expect(own.allSatisfy { $0.namespace == ImageProvenance.Namespace.folio && $0.attributes.isEmpty && $0.children.isEmpty }, "\(title)")
            let categories = entry.children.filter { $0.name == "category" }.map(\.attributes)
            #expect(
                categories == [["scheme": "http://cv.iptc.org/newscodes/digitalsourcetype/", "term": "trainedAlgorithmicMedia", "label": "AI-generated"]],
                "\(title)")
            // What Atom requires of an entry is still there.
            #expect(["id", "title", "updated"].allSatisfy { entry.text($0) != nil }, "\(title)")
        }
        #expect(feed.children.allSatisfy { $0.namespace == Self.atom }, "Folio's elements sit only in entries")
    }

    static let atom = "http://www.w3.org/2005/Atom"

    /// An XML element as libxml2 parsed it, and everything in it.
    struct Element {
        var namespace: String
        var name: String
        var attributes: [String: String]
        /// Namespaces declared on it, by prefix (`""` for the default).
        var declared: [String: String]
        var content: String
        var children: [Element]

        /// The text of the one child `name` in `namespace`; nil when there is not exactly one.
        func text(_ name: String, in namespace: String = SiteDisclosureTests.atom) -> String? {
            let found = children.filter { $0.name == name && $0.namespace == namespace }
            return found.count == 1 ? found[0].content : nil
        }
    }

    static func element(_ node: UnsafeMutablePointer<xmlNode>) -> Element {
        func string(_ raw: UnsafeMutablePointer<xmlChar>?) -> String {
            guard let raw else { return "" }
            defer { folio_xml_free(raw) }
            return String(cString: raw)
        }
        var attributes: [String: String] = [:]
        var attribute = node.pointee.properties
        while let a = attribute {
            attributes[String(cString: a.pointee.name)] = string(xmlNodeGetContent(UnsafeMutablePointer<xmlNode>(OpaquePointer(a))))
            attribute = a.pointee.next
        }
        var declared: [String: String] = [:]
        var ns = node.pointee.nsDef
        while let n = ns {
            declared[n.pointee.prefix.map { String(cString: $0) } ?? ""] = String(cString: n.pointee.href)
            ns = n.pointee.next
        }
        var children: [Element] = []
        var child = node.pointee.children
        while let c = child {
            if c.pointee.type == XML_ELEMENT_NODE { children.append(element(c)) }
            child = c.pointee.next
        }
        return Element(
            namespace: node.pointee.ns.map { String(cString: $0.pointee.href) } ?? "", name: String(cString: node.pointee.name),
            attributes: attributes, declared: declared, content: string(xmlNodeGetContent(node)), children: children)
    }

    // MARK: - JSON-LD, the sitemap and private prompts

    /// The JSON-LD of an image page, parsed.
    static func jsonLD(_ page: String) throws -> [String: Any] {
        let start = try #require(page.range(of: "<script type=\"application/ld+json\">"))
        let end = try #require(page.range(of: "</script>", range: start.upperBound..<page.endIndex))
        let json = try JSONSerialization.jsonObject(with: Data(page[start.upperBound..<end.lowerBound].utf8))
        return try #require(json as? [String: Any])
    }

    @Test func jsonLDCarriesTheCreditAndNothingCarriesAPrivatePrompt() async throws {
        let (fixture, _) = try await Self.site()
        defer { fixture.remove() }
        let launch = try Self.jsonLD(try fixture.read("p/posters/launch/index.html"))
        #expect(launch["@type"] as? String == "ImageObject")
        #expect(launch["digitalSourceType"] as? String == ImageProvenance.digitalSourceType)
        #expect(launch["creditText"] as? String == "Generated with kling-v2-1 (Kuaishou) · Disclosure")
        let hidden = try Self.jsonLD(try fixture.read("p/hidden/index.html"))
        #expect(hidden["creditText"] as? String == "AI-generated · Disclosure")
        #expect(hidden["digitalSourceType"] as? String == ImageProvenance.digitalSourceType)

        // The sitemap stays plain: the image extension has no field for either value.
        let sitemap = try fixture.read("sitemap.xml")
        #expect(sitemap.contains("<loc>https://example.com/gallery/p/hidden/</loc>"))
        #expect(!sitemap.contains("xmlns:") && !sitemap.contains("folio"), "\(sitemap)")

        // The private prompt and the private model are in none of them.
        let hiddenRecord = try #require(
            try PrivacyTests.galleryRecords(fixture).first { $0["id"] as? String == "hidden" })
        let files = [
            ("gallery.json", try fixture.read("gallery.json")), ("feed.xml", try fixture.read("feed.xml")), ("sitemap.xml", sitemap),
            ("p/hidden/index.html", try fixture.read("p/hidden/index.html")), ("the JSON-LD", "\(hidden)"),
            ("its gallery.json record", try PrivacyTests.text(of: hiddenRecord)),
        ]
        for (name, text) in files {
            #expect(!text.contains(Self.secret), "\(name) publishes the private prompt")
        }
        for (name, text) in files.suffix(3) {
            #expect(!text.contains("qwen-image") && !text.contains("dashscope") && !text.contains("Alibaba"), "\(name) names the private model or route")
        }
        // The checks can fail: the public prompts' text is there.
        #expect(try fixture.read("feed.xml").contains("A signed lighthouse") && files[0].1.contains("A signed lighthouse"))
    }
}
