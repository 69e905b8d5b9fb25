import CLibXML2
import Foundation

/// Everything one published image says about itself (SPEC §7, issue 10): what it shows, that a
/// model made it and which, from what prompt, and who produced and who published it — with the
/// prompt's `private` fields already left out. `xmp()` and `parameters()` write it in the two
/// forms every published file carries.
public struct ImageProvenance: Sendable, Hashable {
    /// One parameter row, as the prompt page lists it.
    public struct Row: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The TC260 AIGC values an original already carried (GB 45438-2025): the producer's own,
    /// which a propagator keeps in place of Folio's and must not remove.
    public struct OriginalLabel: Sendable, Hashable {
        public var producer: String?
        public var produceID: String?
        public var reservedCode1: String?

        public init(producer: String?, produceID: String?, reservedCode1: String? = nil) {
            self.producer = producer
            self.produceID = produceID
            self.reservedCode1 = reservedCode1
        }
    }

    // MARK: What it shows

    /// `dc:title`.
    public var title: String
    /// The prompt (`dc:description`); nil when it is private.
    public var prompt: String?
    /// Nil when there is none or it is private.
    public var negativePrompt: String?
    /// The tags (`dc:subject`).
    public var subjects: [String]
    /// `Iptc4xmpCore:AltTextAccessibility`: the prompt's `alt`, else its title, as the page's `alt`.
    public var altText: String

    // MARK: How it was made (nil or empty when `parameters` is private)

    /// The model id (IPTC AI System Used): `qwen-image-plus`.
    public var model: String?
    /// The version in the model id (IPTC AI System Version Used): `3.1` of `gemini-3.1-flash-image-preview`.
    public var modelVersion: String?
    public var route: String?
    /// The rows the prompt page shows, with this variant's own seed.
    public var parameterRows: [Row]
    /// The seed this variant was sent with.
    public var seed: Int?
    /// `input_hash` of the generation; nil when anything of the prompt is private, as a hash
    /// of it would confirm a guess.
    public var inputHash: String?

    // MARK: Who

    /// `folio.yml` `author` (IPTC AI Prompt Writer Name).
    public var promptWriter: String?
    /// The gateway's task id (task routes) and request id.
    public var taskID: String?
    public var requestID: String?
    /// Which of the prompt's variants this is.
    public var variant: Int
    /// The generated image's pixel size, the same for all its renditions; nil before it is downloaded.
    public var width: Int?
    public var height: Int?
    /// TC260 `ContentProducer` and `ProduceID`: the original's, else the provider and the task or request id.
    public var producer: String
    public var produceID: String
    /// TC260 `ReservedCode1`: the original's, which protects the producer's fields; Folio writes none of its own.
    public var reservedCode1: String
    /// TC260 `ContentPropagator` and `PropagateID`: the site's title and the image's page.
    public var propagator: String
    public var propagateID: String
    /// The packet leaves out `AIPromptInformation` (the prompt's second copy), to fit.
    var leavesOutPromptInformation = false

    // MARK: - Making one

    /// What the published image of `output` (a variant of `prompt`, generated as `entry` records)
    /// says about itself on the site `settings` describe. `original` holds the TC260 fields the
    /// downloaded original already carried, if it had any.
    public static func make(
        prompt: Prompt, entry: LockEntry?, output: LockOutput, settings: Settings, original: OriginalLabel? = nil
    ) -> ImageProvenance {
        let showsPrompt = !prompt.privateFields.contains(.prompt)
        let showsNegative = !prompt.privateFields.contains(.negativePrompt)
        let showsParameters = !prompt.privateFields.contains(.parameters)
        let g = prompt.generation
        let route = g.route.definition
        let seed = showsParameters && g.seed != nil ? route.seed(g, variant: output.index) : nil
        let own = entry?.taskID ?? entry?.requestID
        return ImageProvenance(
            title: prompt.title, prompt: showsPrompt ? g.prompt : nil, negativePrompt: showsNegative ? g.negativePrompt : nil,
            subjects: prompt.tags, altText: prompt.alt ?? prompt.title,
            model: showsParameters ? g.model : nil, modelVersion: showsParameters ? version(ofModel: g.model) : nil,
            route: showsParameters ? g.route.rawValue : nil,
            parameterRows: showsParameters ? rows(g, seed: seed, date: prompt.date) : [], seed: seed,
            inputHash: prompt.privateFields.isEmpty ? prompt.inputHash : nil,
            // With private parameters the route stays private: no provider (it names the route) and
            // no gateway ids, unless the original itself carried a producer's label.
            promptWriter: settings.author,
            taskID: showsParameters ? entry?.taskID : nil, requestID: showsParameters ? entry?.requestID : nil,
            variant: output.index, width: output.asset?.width, height: output.asset?.height,
            producer: original.map { $0.producer ?? "" } ?? (showsParameters ? route.provider : ""),
            produceID: original.map { $0.produceID ?? "" } ?? (showsParameters ? own ?? "" : ""),
            reservedCode1: original?.reservedCode1 ?? "",
            propagator: settings.title, propagateID: settings.baseURL.map { $0 + "p/\(prompt.page)/" } ?? prompt.id)
    }

    /// The rows `SitePages.parameters` shows, for one variant: its own seed rather than the range,
    /// and no cost, which the gateway reported for the whole prompt.
    static func rows(_ g: Generation, seed: Int?, date: String?) -> [Row] {
        var list: [(String, String?)] = [
            ("Route", g.route.rawValue), ("Model", g.model), ("Aspect ratio", g.aspectRatio), ("Size", g.size), ("Resolution", g.resolution),
            ("Image size", g.imageSize), ("Seed", seed.map(String.init)),
            ("Images", g.resultType == "series" ? "\(g.expectedImages) (series)" : String(g.n)),
        ]
        list += g.route.definition.parameterRows(g)
        if !g.images.isEmpty { list.append(("Reference images", String(g.images.count))) }
        list.append(("Date", date))
        return list.compactMap { name, value in value.map { Row(name: name, value: $0) } }
    }

    /// The version a model id carries: its first number, with the numbers right after it
    /// (`kling-v2-1` → `2.1`, `gemini-2.5-flash-image` → `2.5`); nil for an id without one
    /// (`qwen-image-plus`). The gateway reports no model version Folio keeps, so the id is the source.
    static func version(ofModel model: String) -> String? {
        var parts: [Substring] = []
        for token in model.split(separator: "-") {
            if parts.isEmpty {
                let number = token.first == "v" || token.first == "V" ? token.dropFirst() : token
                if number.first?.isASCII == true, number.first?.isNumber == true, number.allSatisfy({ $0 == "." || ($0.isASCII && $0.isNumber) }) {
                    parts.append(number)
                }
            } else if token.allSatisfy({ $0.isASCII && $0.isNumber }) {
                parts.append(token)
            } else {
                break
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: ".")
    }

    /// What the IPTC AI Prompt Information holds: the prompt and the negative prompt, as far as they are public.
    public var promptInformation: String? {
        let negative = negativePrompt.map { "Negative prompt: " + $0 }
        let parts = [prompt, negative].compactMap { $0 }.filter { !$0.isEmpty }
        return parts.isEmpty ? nil : parts.joined(separator: "\n")
    }

    /// The TC260 AIGC label (GB 45438-2025, appendix E) as its one XMP value: a JSON object of seven strings.
    public var aigcLabel: String {
        JSONValue.object([
            ("Label", .string("1")), ("ContentProducer", .string(producer)), ("ProduceID", .string(produceID)),
            ("ReservedCode1", .string(reservedCode1)), ("ContentPropagator", .string(propagator)), ("PropagateID", .string(propagateID)),
            ("ReservedCode2", .string("")),
        ]).compact
    }

    /// Both forms together, as the image renderer embeds them.
    /// The packet and text every published file carries. libvips writes no XMP packet over 60,000
    /// bytes into a JPEG (and drops it silently), so a packet that long is made again without the
    /// prompt's second copy (`AIPromptInformation`), then with the prompt shortened: the labels
    /// always fit.
    public var embedded: EmbeddedMetadata {
        var lean = self
        var packet = xmp()
        if packet.count > Self.maxPacket {
            lean.leavesOutPromptInformation = true
            packet = lean.xmp()
        }
        while packet.count > Self.maxPacket, let prompt = lean.prompt, prompt.count > 100 {
            lean.prompt = String(prompt.prefix(prompt.count / 2)) + "…"
            packet = lean.xmp()
        }
        return EmbeddedMetadata(xmp: packet, parameters: parameters())
    }

    /// The longest XMP packet every format takes (libvips' JPEG limit).
    static let maxPacket = 60_000
}

// MARK: - XMP

extension ImageProvenance {
    /// The namespaces of the packet, by prefix.
    enum Namespace {
        static let meta = "adobe:ns:meta/"
        static let rdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
        static let dc = "http://purl.org/dc/elements/1.1/"
        static let iptcCore = "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
        static let iptcExt = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
        static let tc260 = "http://www.tc260.org.cn/ns/AIGC/1.0/"
        /// Folio's own properties. A name, not a page: nothing is fetched from it.
        static let folio = "https://folio.dev/ns/1.0/"
    }

    /// IPTC's term for an image a trained model made from a prompt.
    public static let digitalSourceType = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

    static let packetBegin = Array("<?xpacket begin=\"\u{FEFF}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n".utf8)
    static let packetEnd = Array("<?xpacket end=\"w\"?>".utf8)

    /// libxml2 is started once, before any thread uses it.
    private static let startLibXML: Void = xmlInitParser()

    /// A complete XMP packet: Dublin Core title, description and subjects, IPTC alt text, digital
    /// source type and the 2025.1 AI properties, the TC260 AIGC label, and Folio's own properties.
    /// Built and escaped by libxml2; a value that is absent or empty is left out, characters XML
    /// cannot hold are dropped, and the same provenance always gives the same bytes.
    public func xmp() -> [UInt8] {
        _ = Self.startLibXML
        guard let document = xmlNewDoc("1.0") else { return [] }
        defer { xmlFreeDoc(document) }
        let meta = xmlNewDocNode(document, nil, "xmpmeta", nil)
        xmlSetNs(meta, xmlNewNs(meta, Namespace.meta, "x"))
        xmlDocSetRootElement(document, meta)
        let root = xmlNewChild(meta, nil, "RDF", nil)
        let rdf = xmlNewNs(root, Namespace.rdf, "rdf")
        xmlSetNs(root, rdf)
        let description = xmlNewChild(root, rdf, "Description", nil)
        xmlSetNsProp(description, rdf, "about", "")
        let dc = xmlNewNs(description, Namespace.dc, "dc")
        let core = xmlNewNs(description, Namespace.iptcCore, "Iptc4xmpCore")
        let ext = xmlNewNs(description, Namespace.iptcExt, "Iptc4xmpExt")
        let tc260 = xmlNewNs(description, Namespace.tc260, "TC260")
        let folio = xmlNewNs(description, Namespace.folio, "folio")

        func text(_ ns: xmlNsPtr?, _ name: String, _ value: String?) {
            guard let value = value.map(Self.xmlText), !value.isEmpty else { return }
            xmlNewTextChild(description, ns, name, value)
        }
        // A language alternative with only the default language, as XMP requires for these properties.
        func alternative(_ ns: xmlNsPtr?, _ name: String, _ value: String?) {
            guard let value = value.map(Self.xmlText), !value.isEmpty else { return }
            let alt = xmlNewChild(xmlNewChild(description, ns, name, nil), rdf, "Alt", nil)
            xmlNodeSetLang(xmlNewTextChild(alt, rdf, "li", value), "x-default")
        }

        alternative(dc, "title", title)
        alternative(dc, "description", prompt)
        let subjects = subjects.map(Self.xmlText).filter { !$0.isEmpty }
        if !subjects.isEmpty {
            let bag = xmlNewChild(xmlNewChild(description, dc, "subject", nil), rdf, "Bag", nil)
            for subject in subjects { xmlNewTextChild(bag, rdf, "li", subject) }
        }
        alternative(core, "AltTextAccessibility", altText)
        text(ext, "DigitalSourceType", Self.digitalSourceType)
        text(ext, "AISystemUsed", model)
        text(ext, "AISystemVersionUsed", modelVersion)
        text(ext, "AIPromptInformation", leavesOutPromptInformation ? nil : promptInformation)
        text(ext, "AIPromptWriterName", promptWriter)
        text(tc260, "AIGC", aigcLabel)
        text(folio, "route", route)
        text(folio, "model", model)
        text(folio, "variant", String(variant))
        if !parameterRows.isEmpty {
            let seq = xmlNewChild(xmlNewChild(description, folio, "parameters", nil), rdf, "Seq", nil)
            for row in parameterRows {
                let item = xmlNewChild(seq, rdf, "li", nil)
                xmlSetNsProp(item, rdf, "parseType", "Resource")
                xmlNewTextChild(item, folio, "name", Self.xmlText(row.name))
                xmlNewTextChild(item, folio, "value", Self.xmlText(row.value))
            }
        }
        text(folio, "inputHash", inputHash)
        text(folio, "taskID", taskID)
        text(folio, "requestID", requestID)

        var memory: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpFormatMemoryEnc(document, &memory, &size, "UTF-8", 1)
        guard let memory else { return [] }
        defer { folio_xml_free(memory) }
        var body = Array(UnsafeBufferPointer(start: memory, count: Int(size)))
        // The packet holds the element alone: the XML declaration belongs to a file, not an embedded packet.
        if body.starts(with: Array("<?xml".utf8)), let end = body.firstIndex(of: UInt8(ascii: "\n")) { body.removeSubrange(...end) }
        return Self.packetBegin + body + Self.packetEnd
    }

    /// `text` without the characters XML 1.0 cannot hold even escaped (C0 controls but tab, line
    /// feed and carriage return; U+FFFE, U+FFFF).
    static func xmlText(_ text: String) -> String {
        func allowed(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar.value {
            case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
            default: false
            }
        }
        guard !text.unicodeScalars.allSatisfy(allowed) else { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.unicodeScalars.filter(allowed))
        return String(scalars)
    }
}

// MARK: - A1111 parameters

extension ImageProvenance {
    /// Page rows the A1111 line leaves out: per prompt rather than per image (`Images`, `Date`),
    /// or written first under stable-diffusion-webui's own keys (`Size` is the pixel size there).
    static let rowsNotInA1111: Set<String> = ["Route", "Model", "Seed", "Size", "Images", "Date"]

    /// The pairs of the A1111 line: webui's `Seed`, `Size` and `Model`, then Folio's own.
    var a1111Pairs: [(String, String)] {
        guard !parameterRows.isEmpty else { return [] }
        var pairs: [(String, String)] = []
        if let seed { pairs.append(("Seed", String(seed))) }
        if let width, let height { pairs.append(("Size", "\(width)x\(height)")) }
        if let model { pairs.append(("Model", model)) }
        if let route { pairs.append(("Route", route)) }
        pairs += parameterRows.filter { !Self.rowsNotInA1111.contains($0.name) }.map { ($0.name, $0.value) }
        return pairs
    }

    /// The A1111 `parameters` text stable-diffusion-webui writes and its PNG Info, Civitai and
    /// sd-prompt-reader read: the prompt, `Negative prompt: …` when there is one, and a last line of
    /// `Key: value` pairs, a value with a comma, colon or line break quoted as JSON. A private prompt
    /// has no prompt line, private parameters no pairs; empty when nothing is public.
    public func parameters() -> String {
        var lines: [String] = []
        if let prompt, !prompt.isEmpty { lines.append(prompt) }
        if let negativePrompt, !negativePrompt.isEmpty { lines.append("Negative prompt: " + negativePrompt) }
        let pairs = a1111Pairs
        if !pairs.isEmpty { lines.append(pairs.map { "\($0): \(Self.quote($1))" }.joined(separator: ", ")) }
        return Self.xmlText(lines.joined(separator: "\n"))
    }

    /// webui's `quote`: a value holding `,`, `:` or a line break becomes a JSON string (as Python's
    /// `json.dumps(ensure_ascii=False)` writes it), so the pair line still splits at its commas. A
    /// value that starts with `"` is quoted too, or the reader would take its quotes for JSON's.
    static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == ":" || $0 == "\n" }) || value.hasPrefix("\"") else { return value }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{00}"..."\u{1F}": out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
