import CLibXML2
import Foundation
@testable import FolioCore
import Testing

/// What a published image says about itself: the XMP packet read back with libxml2, the A1111
/// `parameters` text compared exactly, `private` fields absent from both, hostile text escaped.
@Suite struct ProvenanceTests {
    static let config = "title: Harbour Gallery\nbase_url: https://example.com/gallery/\nauthor: Ada Lovelace\n"

    static let harbour = """
        ---
        title: Harbour at dawn
        route: dashscope
        model: qwen-image-plus
        size: "1328*1328"
        seed: 42
        n: 2
        negative_prompt: blurry, low quality
        tags: [harbour, boats]
        alt: Fishing boats in a misty harbour at sunrise
        ---
        Fishing boats in a harbour at dawn, soft mist, golden light.
        """

    static func prompt(_ text: String = harbour, id: String = "coast/harbour") throws -> Prompt {
        let (prompt, problems) = decodePrompt(text, config: config, id: id)
        #expect(problems.isEmpty, "\(problems)")
        return try #require(prompt)
    }

    static func settings(_ text: String = config) -> Settings {
        let (settings, problems) = SettingsLoader.load(text: text)
        #expect(problems.isEmpty, "\(problems)")
        return settings
    }

    static func output(_ index: Int, width: Int = 1328, height: Int = 1328) -> LockOutput {
        let sha = String(repeating: String(index), count: 64)
        return LockOutput(
            index: index, url: "https://dashscope.example/\(index).png",
            asset: StoredAsset(file: "assets/\(sha).png", sha256: sha, bytes: 1000, width: width, height: height, mime: "image/png"))
    }

    static func entry(_ prompt: Prompt, taskID: String? = nil, requestID: String? = "7a1c3b52-9d0e-4f6a-8b21-0c5e6d7f8a90") -> LockEntry {
        LockEntry(
            inputHash: prompt.inputHash, route: prompt.generation.route, model: prompt.generation.model, state: .succeeded, taskID: taskID,
            requestID: requestID, outputs: [output(0), output(1)])
    }

    static func harbourProvenance(_ prompt: Prompt? = nil, original: ImageProvenance.OriginalLabel? = nil) throws -> ImageProvenance {
        let prompt = try prompt ?? Self.prompt()
        return ImageProvenance.make(prompt: prompt, entry: entry(prompt), output: output(1), settings: settings(), original: original)
    }

    // MARK: - The packet

    @Test func packetHoldsEveryField() throws {
        let provenance = try Self.harbourProvenance()
        let bytes = provenance.xmp()
        #expect(bytes.starts(with: Array("<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta".utf8)))
        #expect(String(decoding: bytes, as: UTF8.self).hasSuffix("</x:xmpmeta>\n<?xpacket end=\"w\"?>"))
        let packet = try XMPPacket(bytes)
        #expect(packet.namespaces["rdf"] == "http://www.w3.org/1999/02/22-rdf-syntax-ns#")
        #expect(packet.namespaces["dc"] == "http://purl.org/dc/elements/1.1/")
        #expect(packet.namespaces["Iptc4xmpCore"] == "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/")
        #expect(packet.namespaces["Iptc4xmpExt"] == "http://iptc.org/std/Iptc4xmpExt/2008-02-29/")
        #expect(packet.namespaces["TC260"] == "http://www.tc260.org.cn/ns/AIGC/1.0/")
        #expect(packet.namespaces["folio"] == "https://folio.dev/ns/1.0/")

        #expect(packet.alternative(.dc, "title") == ["x-default": "Harbour at dawn"])
        #expect(packet.alternative(.dc, "description") == ["x-default": "Fishing boats in a harbour at dawn, soft mist, golden light."])
        #expect(packet.list(.dc, "subject", kind: "Bag") == ["harbour", "boats"])
        #expect(packet.alternative(.iptcCore, "AltTextAccessibility") == ["x-default": "Fishing boats in a misty harbour at sunrise"])
        #expect(packet.simple(.iptcExt, "DigitalSourceType") == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
        #expect(packet.simple(.iptcExt, "AISystemUsed") == "qwen-image-plus")
        #expect(packet.simple(.iptcExt, "AISystemVersionUsed") == nil, "qwen-image-plus has no version in its id")
        #expect(
            packet.simple(.iptcExt, "AIPromptInformation")
                == "Fishing boats in a harbour at dawn, soft mist, golden light.\nNegative prompt: blurry, low quality")
        #expect(packet.simple(.iptcExt, "AIPromptWriterName") == "Ada Lovelace")

        let label = try #require(packet.simple(.tc260, "AIGC"))
        #expect(
            label
                == #"{"Label":"1","ContentProducer":"Alibaba Cloud","ProduceID":"7a1c3b52-9d0e-4f6a-8b21-0c5e6d7f8a90","ReservedCode1":"","ContentPropagator":"Harbour Gallery","PropagateID":"https://example.com/gallery/p/coast/harbour/","ReservedCode2":""}"#
        )
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(label.utf8)) as? [String: String])
        #expect(fields.count == 7 && fields["Label"] == "1")

        #expect(packet.simple(.folio, "route") == "dashscope")
        #expect(packet.simple(.folio, "model") == "qwen-image-plus")
        #expect(packet.simple(.folio, "variant") == "1")
        #expect(packet.simple(.folio, "inputHash") == provenance.inputHash)
        #expect(provenance.inputHash?.hasPrefix("sha256:") == true)
        #expect(packet.simple(.folio, "requestID") == "7a1c3b52-9d0e-4f6a-8b21-0c5e6d7f8a90")
        #expect(packet.simple(.folio, "taskID") == nil)
        #expect(
            packet.rows(.folio, "parameters") == [
                "Route: dashscope", "Model: qwen-image-plus", "Size: 1328*1328", "Seed: 43", "Images: 2", "Prompt extend: on", "Watermark: off",
            ])
        // Every property of rdf:Description is one of these: nothing unexpected is written.
        #expect(
            packet.properties == [
                "dc:title", "dc:description", "dc:subject", "Iptc4xmpCore:AltTextAccessibility", "Iptc4xmpExt:DigitalSourceType",
                "Iptc4xmpExt:AISystemUsed", "Iptc4xmpExt:AIPromptInformation", "Iptc4xmpExt:AIPromptWriterName", "TC260:AIGC", "folio:route",
                "folio:model", "folio:variant", "folio:parameters", "folio:inputHash", "folio:requestID",
            ])
    }

    @Test func taskRoutesAndVersionsInModelIDs() throws {
        let kling = try Self.prompt(
            "---\ntitle: Poster\nroute: kling\nmodel: kling-v2-1\naspect_ratio: \"16:9\"\nresolution: 2k\n---\nA launch poster, cinematic.\n",
            id: "posters/launch")
        let provenance = ImageProvenance.make(
            prompt: kling, entry: Self.entry(kling, taskID: "860254445218029629", requestID: nil), output: Self.output(0, width: 2048, height: 1152),
            settings: Self.settings("title: Posters\n"))
        let packet = try XMPPacket(provenance.xmp())
        #expect(packet.simple(.iptcExt, "AISystemUsed") == "kling-v2-1")
        #expect(packet.simple(.iptcExt, "AISystemVersionUsed") == "2.1")
        #expect(packet.simple(.iptcExt, "AIPromptWriterName") == nil, "no author in folio.yml")
        #expect(packet.simple(.folio, "taskID") == "860254445218029629")
        #expect(
            packet.simple(.tc260, "AIGC")
                == #"{"Label":"1","ContentProducer":"Kuaishou","ProduceID":"860254445218029629","ReservedCode1":"","ContentPropagator":"Posters","PropagateID":"posters/launch","ReservedCode2":""}"#
        )
        #expect(
            provenance.parameters()
                == "A launch poster, cinematic.\nSize: 2048x1152, Model: kling-v2-1, Route: kling, Aspect ratio: \"16:9\", Resolution: 2k")

        let versions = [
            "gemini-3.1-flash-image-preview": "3.1", "gemini-3-pro-image-preview": "3", "gemini-2.5-flash-image": "2.5", "kling-v2-1": "2.1",
            "kling-v3-omni": "3", "qwen-image-plus": nil, "qwen-image": nil, "v": nil, "model-v": nil, "x-1.2.3-4": "1.2.3.4",
        ]
        for (model, version) in versions { #expect(ImageProvenance.version(ofModel: model) == version, "\(model)") }
        for model in Routes.all.flatMap(\.rules.models) where !model.hasPrefix("qwen") {
            #expect(ImageProvenance.version(ofModel: model) != nil, "\(model) has a version in its id")
        }
    }

    @Test func routesNameTheirProviders() {
        #expect(
            Routes.all.map { "\($0.id.rawValue): \($0.provider)" } == ["gemini: Google", "dashscope: Alibaba Cloud", "kling: Kuaishou", "kling-omni: Kuaishou"])
    }

    @Test func anOriginalsLabelIsKept() throws {
        let original = ImageProvenance.OriginalLabel(producer: "001191100000000000000000X00001", produceID: "P-77", reservedCode1: "e862483430d9")
        let packet = try XMPPacket(try Self.harbourProvenance(original: original).xmp())
        #expect(
            packet.simple(.tc260, "AIGC")
                == #"{"Label":"1","ContentProducer":"001191100000000000000000X00001","ProduceID":"P-77","ReservedCode1":"e862483430d9","ContentPropagator":"Harbour Gallery","PropagateID":"https://example.com/gallery/p/coast/harbour/","ReservedCode2":""}"#
        )
        // A label without an id keeps it empty rather than putting the gateway's beside another producer.
        let partial = try XMPPacket(try Self.harbourProvenance(original: .init(producer: "Doubao", produceID: nil)).xmp())
        #expect(partial.simple(.tc260, "AIGC")?.contains(#""ContentProducer":"Doubao","ProduceID":"","#) == true)
    }

    @Test func samePacketForTheSameInput() throws {
        let first = try Self.harbourProvenance()
        let second = try Self.harbourProvenance()
        #expect(first == second)
        #expect(first.xmp() == second.xmp() && first.xmp() == first.xmp())
        #expect(first.parameters() == second.parameters())
        var other = first
        other.variant = 0
        #expect(other.xmp() != first.xmp())
    }

    // MARK: - The A1111 text

    @Test func a1111TextForADashScopePrompt() throws {
        let text = try Self.harbourProvenance().parameters()
        #expect(
            text == """
                Fishing boats in a harbour at dawn, soft mist, golden light.
                Negative prompt: blurry, low quality
                Seed: 43, Size: 1328x1328, Model: qwen-image-plus, Route: dashscope, Prompt extend: on, Watermark: off
                """)
        // Read back as stable-diffusion-webui's `parse_generation_parameters` reads it.
        let parsed = A1111.parse(text)
        #expect(parsed.prompt == "Fishing boats in a harbour at dawn, soft mist, golden light.")
        #expect(parsed.negative == "blurry, low quality")
        #expect(parsed.pairs["Seed"] == "43" && parsed.pairs["Size"] == "1328x1328" && parsed.pairs["Route"] == "dashscope")
    }

    @Test func a1111QuotesValuesAsWebUIDoes() throws {
        #expect(ImageProvenance.quote("plain value") == "plain value")
        #expect(ImageProvenance.quote("16:9") == #""16:9""#)
        #expect(ImageProvenance.quote("a, b") == #""a, b""#)
        #expect(ImageProvenance.quote("line\nbreak \"q\" \\ \t\u{1}é") == #""line\nbreak \"q\" \\ \t\u0001é""#)
        #expect(ImageProvenance.quote(#""quoted""#) == #""\"quoted\"""#)
        var provenance = try Self.harbourProvenance()
        provenance.parameterRows.append(.init(name: "Style", value: "ink, wash: 1.5"))
        let parsed = A1111.parse(provenance.parameters())
        #expect(parsed.pairs["Style"] == "ink, wash: 1.5")
        #expect(parsed.pairs["Watermark"] == "off", "the pair after a quoted one still splits")
    }

    // MARK: - Private fields

    static let secret = """
        ---
        title: Secret harbour
        route: dashscope
        model: qwen-image-plus
        size: "1104*1472"
        seed: 987654321
        negative_prompt: negmarker-quokka, blurry
        tags: [harbour]
        private: [PRIVATE]
        ---
        A promptmarker-zebraquasar at the quay.
        """

    @Test func privateFieldsAreInNeitherForm() throws {
        let markers: [PrivateField: [String]] = [
            .prompt: ["promptmarker-zebraquasar"], .negativePrompt: ["negmarker-quokka", "Negative prompt"],
            .parameters: ["qwen-image-plus", "dashscope", "987654321", "1104", "Seed", "Watermark", "folio:parameters", "AISystemUsed"],
        ]
        let cases: [[PrivateField]] = [[.prompt], [.negativePrompt], [.parameters], [.prompt, .negativePrompt, .parameters]]
        let open = try Self.prompt(Self.secret.replacingOccurrences(of: "private: [PRIVATE]\n", with: ""), id: "secret")
        let openProvenance = ImageProvenance.make(prompt: open, entry: Self.entry(open), output: Self.output(0), settings: Self.settings())
        let openText = String(decoding: openProvenance.xmp(), as: UTF8.self) + openProvenance.parameters()
        for marker in markers.values.joined() { #expect(openText.contains(marker), "the check for '\(marker)' can fail") }
        #expect(openText.contains("sha256:"))

        for fields in cases {
            let text = Self.secret.replacingOccurrences(of: "PRIVATE", with: fields.map(\.rawValue).joined(separator: ", "))
            let prompt = try Self.prompt(text, id: "secret")
            #expect(prompt.privateFields == Set(fields))
            let provenance = ImageProvenance.make(prompt: prompt, entry: Self.entry(prompt), output: Self.output(0), settings: Self.settings())
            let xmp = provenance.xmp()
            let a1111 = provenance.parameters()
            for field in fields {
                for marker in markers[field] ?? [] {
                    #expect(!String(decoding: xmp, as: UTF8.self).contains(marker), "\(fields): the XMP holds '\(marker)'")
                    #expect(!a1111.contains(marker), "\(fields): the parameters text holds '\(marker)'")
                }
            }
            // A hash of the generation would confirm a guess of what is private.
            #expect(!String(decoding: xmp, as: UTF8.self).contains("sha256:"), "\(fields)")
            // The rest stays: the label, the title, and what is not private.
            let packet = try XMPPacket(xmp)
            #expect(packet.simple(.iptcExt, "DigitalSourceType") != nil && packet.simple(.tc260, "AIGC") != nil)
            #expect(packet.alternative(.dc, "title") == ["x-default": "Secret harbour"])
            #expect((packet.simple(.iptcExt, "AISystemUsed") != nil) == !fields.contains(.parameters))
            #expect((packet.alternative(.dc, "description") != nil) == !fields.contains(.prompt))
        }

        // With everything private the text is empty: no file gets a `parameters` chunk.
        let all = try Self.prompt(Self.secret.replacingOccurrences(of: "PRIVATE", with: "prompt, negative_prompt, parameters"), id: "secret")
        #expect(ImageProvenance.make(prompt: all, entry: Self.entry(all), output: Self.output(0), settings: Self.settings()).parameters() == "")
        let negativeOnly = try Self.prompt(Self.secret.replacingOccurrences(of: "PRIVATE", with: "prompt, parameters"), id: "secret")
        #expect(
            ImageProvenance.make(prompt: negativeOnly, entry: Self.entry(negativeOnly), output: Self.output(0), settings: Self.settings()).parameters()
                == "Negative prompt: negmarker-quokka, blurry")
    }

    // MARK: - Hostile text

    @Test func hostileTextStaysWellFormed() throws {
        var prompt = try Self.prompt()
        let emoji = "🦊🏴‍☠️𝔘"
        let nasty = "a <b>&amp;</b> ]]> ?> <?xpacket end=\"w\"?> \"'\u{1}\u{0}\u{8}\u{FFFE}\r\n\t\(emoji)"
        // What survives: everything but the characters XML 1.0 cannot hold.
        let kept = "a <b>&amp;</b> ]]> ?> <?xpacket end=\"w\"?> \"'\r\n\t\(emoji)"
        let long = String(repeating: "long prompt 🦊 <&> ", count: 20_000)
        prompt.title = nasty
        prompt.alt = nasty
        prompt.tags = [nasty, "]]>", "\u{0}"]
        prompt.generation.prompt = long + nasty
        prompt.generation.negativePrompt = nasty
        let settings = Self.settings("title: \"Site <&> ]]>\"\nauthor: \"O'Brien <ob@example.com>\"\n")
        let provenance = ImageProvenance.make(prompt: prompt, entry: Self.entry(prompt), output: Self.output(0), settings: settings)
        let bytes = provenance.xmp()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.components(separatedBy: "<?xpacket end=").count == 2, "the prompt's packet end is escaped, not a second one")
        #expect(!text.contains("]]>") && !text.utf8.contains(0) && !text.utf8.contains(1))

        let packet = try XMPPacket(bytes)
        #expect(packet.alternative(.dc, "title") == ["x-default": kept])
        #expect(packet.alternative(.iptcCore, "AltTextAccessibility") == ["x-default": kept])
        #expect(packet.list(.dc, "subject", kind: "Bag") == [kept, "]]>"], "a tag of nothing but a control character is left out")
        #expect(packet.alternative(.dc, "description") == ["x-default": long + kept])
        #expect(packet.simple(.iptcExt, "AIPromptInformation") == long + kept + "\nNegative prompt: " + kept)
        #expect(packet.simple(.iptcExt, "AIPromptWriterName") == "O'Brien <ob@example.com>")
        let label = try #require(packet.simple(.tc260, "AIGC"))
        let fields = try #require(try JSONSerialization.jsonObject(with: Data(label.utf8)) as? [String: String])
        #expect(fields["ContentPropagator"] == "Site <&> ]]>")

        let a1111 = provenance.parameters()
        #expect(!a1111.utf8.contains(0) && !a1111.utf8.contains(1))
        #expect(A1111.parse(a1111).prompt.hasPrefix(long))
    }

    // MARK: - `author` in folio.yml

    @Test func authorSetting() {
        #expect(Self.settings("author: \"  Ada Lovelace \"\n").author == "Ada Lovelace")
        #expect(Self.settings("author:\n").author == nil)
        #expect(Self.settings("title: Gallery\n").author == nil)
        let (_, problems) = SettingsLoader.load(text: "title: Gallery\nauthor: [Ada, Grace]\n")
        #expect(problems.map(\.description) == ["folio.yml:2:9: error: 'author' must be text, not a list"])
        let (_, unknown) = SettingsLoader.load(text: "auther: Ada\n")
        #expect(unknown.first?.message.contains("settings: title, description, author, base_url") == true)
        #expect(unknown.first?.message.hasSuffix("did you mean 'author'?") == true)
    }
}

// MARK: - Reading back

/// An XMP packet parsed by libxml2: refuses anything that is not well-formed XML.
struct XMPPacket {
    enum NS: String {
        case dc = "http://purl.org/dc/elements/1.1/"
        case iptcCore = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
        case iptcExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
        case tc260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
        case folio = "https://folio.dev/ns/1.0/"
    }

    static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

    struct Element {
        var ns: String
        var prefix: String
        var name: String
        var text: String
        var lang: String?
        var children: [Element]

        func child(_ ns: String, _ name: String) -> Element? { children.first { $0.ns == ns && $0.name == name } }
    }

    /// rdf:Description's properties, in order.
    var description: Element
    /// The prefixes declared on rdf:Description and above.
    var namespaces: [String: String]

    struct Malformed: Error {}

    init(_ bytes: [UInt8]) throws {
        let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { xmlReadMemory($0.baseAddress, Int32($0.count), "packet.xmp", nil, options) }
        }
        guard let document else { throw Malformed() }
        defer { xmlFreeDoc(document) }
        guard let root = xmlDocGetRootElement(document), let meta = Self.read(root) else { throw Malformed() }
        guard meta.ns == "adobe:ns:meta/", meta.name == "xmpmeta", let rdf = meta.child(Self.rdf, "RDF"), rdf.children.count == 1,
            let description = rdf.child(Self.rdf, "Description")
        else { throw Malformed() }
        self.description = description
        var namespaces: [String: String] = [:]
        // The declarations on x:xmpmeta, rdf:RDF and rdf:Description.
        for level in [root, Self.firstElement(root.pointee.children), Self.firstElement(Self.firstElement(root.pointee.children)?.pointee.children)] {
            var ns = level?.pointee.nsDef
            while let current = ns {
                namespaces[String(cString: current.pointee.prefix)] = String(cString: current.pointee.href)
                ns = current.pointee.next
            }
        }
        self.namespaces = namespaces
    }

    static func firstElement(_ node: xmlNodePtr?) -> xmlNodePtr? {
        var node = node
        while let current = node, current.pointee.type != XML_ELEMENT_NODE { node = current.pointee.next }
        return node
    }

    static func read(_ node: xmlNodePtr) -> Element? {
        guard node.pointee.type == XML_ELEMENT_NODE else { return nil }
        var children: [Element] = []
        var child = node.pointee.children
        while let current = child {
            if let element = read(current) { children.append(element) }
            child = current.pointee.next
        }
        let content = xmlNodeGetContent(node)
        defer { folio_xml_free(content) }
        let lang = xmlNodeGetLang(node)
        defer { folio_xml_free(lang) }
        // xml:lang set on this element, not inherited.
        let ownLang = xmlHasNsProp(node, "lang", "http://www.w3.org/XML/1998/namespace") != nil ? lang.map { String(cString: $0) } : nil
        return Element(
            ns: node.pointee.ns.map { String(cString: $0.pointee.href) } ?? "",
            prefix: node.pointee.ns.flatMap { $0.pointee.prefix.map { String(cString: $0) } } ?? "",
            name: String(cString: node.pointee.name), text: content.map { String(cString: $0) } ?? "", lang: ownLang, children: children)
    }

    /// `prefix:name` of every property.
    var properties: [String] { description.children.map { "\($0.prefix):\($0.name)" } }

    /// A simple property's text; nil when absent or structured.
    func simple(_ ns: NS, _ name: String) -> String? {
        guard let element = description.child(ns.rawValue, name), element.children.isEmpty else { return nil }
        return element.text
    }

    /// A language alternative as language → text.
    func alternative(_ ns: NS, _ name: String) -> [String: String]? {
        guard let alt = description.child(ns.rawValue, name)?.child(Self.rdf, "Alt") else { return nil }
        return Dictionary(alt.children.map { ($0.lang ?? "", $0.text) }, uniquingKeysWith: { a, _ in a })
    }

    /// The items of an rdf:Bag or rdf:Seq.
    func list(_ ns: NS, _ name: String, kind: String) -> [String]? {
        description.child(ns.rawValue, name)?.child(Self.rdf, kind)?.children.map(\.text)
    }

    /// `folio:parameters` as `name: value` lines.
    func rows(_ ns: NS, _ name: String) -> [String]? {
        description.child(ns.rawValue, name)?.child(Self.rdf, "Seq")?.children.map { item in
            "\(item.child(ns.rawValue, "name")?.text ?? "?"): \(item.child(ns.rawValue, "value")?.text ?? "?")"
        }
    }
}

/// stable-diffusion-webui's `parse_generation_parameters` (modules/infotext_utils.py), transcribed:
/// the last line holds the pairs when it has at least three; `"…"` values are JSON.
enum A1111 {
    static func parse(_ text: String) -> (prompt: String, negative: String, pairs: [String: String]) {
        var lines = text.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: "\n")
        var last = lines.removeLast()
        var pairs = Self.pairs(last)
        if pairs.count < 3 {
            lines.append(last)
            last = ""
            pairs = []
        }
        var prompt = "", negative = "", done = false
        for var line in lines.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("Negative prompt:") {
                done = true
                line = String(line.dropFirst(16)).trimmingCharacters(in: .whitespaces)
            }
            if done { negative += (negative.isEmpty ? "" : "\n") + line } else { prompt += (prompt.isEmpty ? "" : "\n") + line }
        }
        var values: [String: String] = [:]
        for (key, value) in pairs {
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\""),
                let decoded = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed]) as? String
            {
                values[key] = decoded
            } else {
                values[key] = value
            }
        }
        return (prompt, negative, values)
    }

    /// `\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)`
    static func pairs(_ line: String) -> [(String, String)] {
        let regex = try! NSRegularExpression(pattern: #"\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)"#)
        let range = NSRange(line.startIndex..., in: line)
        return regex.matches(in: line, range: range).compactMap { match in
            guard let key = Range(match.range(at: 1), in: line), let value = Range(match.range(at: 2), in: line) else { return nil }
            return (String(line[key]), String(line[value]))
        }
    }
}
