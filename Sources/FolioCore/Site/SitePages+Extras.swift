import Foundation

/// The files beside the pages: theme files, the search index, the manifest, the feed, the sitemap, prompt sources.
extension SitePages {
    /// The manifest's path: written apart from the other extras, a chunk at a time (`manifest(_:)`).
    static let manifestPath = "gallery.json"

    /// The search index's path: like the manifest, written a chunk at a time (`searchIndex(_:)`).
    static let searchIndexPath = "static/search-index.js"

    /// Each lists every item, so each is made on every render. The two largest, `gallery.json` and
    /// the search index, are not among them: they are written as they are made.
    func extras() -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        for (name, bytes) in theme.files.sorted(by: { $0.key < $1.key }) { files.append(("static/\(name)", bytes)) }
        files.append(("feed.xml", Array(feed().utf8)))
        if let sitemap = sitemap() { files.append(("sitemap.xml", Array(sitemap.utf8))) }
        return files
    }

    /// The prompt files published beside their pages (`p/<id>/prompt.md`, when nothing in them is
    /// private), each read only when the last render did not publish this very file. A file that
    /// changed since the project was loaded is not published: the page was made from what was loaded.
    func sources() throws(FolioError) -> [SiteText] {
        var texts: [SiteText] = []
        // The routes of one file share its page, and so its prompt file.
        for group in groups {
            let item = items[group.lowerBound]
            guard item.showsSource else { continue }
            let path = item.folder + "prompt.md"
            var digest = InputDigest("source 1")
            // A prompt not read from its file (no digest of it) is never taken for unchanged.
            digest.add(item.prompt.sourceSHA256.isEmpty ? UUID().uuidString : item.prompt.sourceSHA256)
            let key = digest.finish()
            if let kept = SiteText(path: path, key: key, keptBy: previous) {
                texts.append(kept)
                continue
            }
            guard let bytes = FastFiles.read(project.path + "/" + item.prompt.file) else { continue }
            guard item.prompt.sourceSHA256.isEmpty || SHA256Hex.of(bytes) == item.prompt.sourceSHA256 else {
                throw FolioError("\(item.prompt.file) changed while the site was rendered; render again", path: item.prompt.file)
            }
            texts.append(SiteText(path: path, key: key, bytes: bytes))
        }
        return texts
    }

    /// `window.FOLIO_SEARCH = [...]`: a script, not JSON, so it loads from `file://` too. Written
    /// entry by entry and passed to `emit` about a megabyte at a time: at 10,000 prompts the file is
    /// 5 MB, and held whole beside the pages it was the render's peak of memory.
    func searchIndex<E: Error>(_ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        let chunk = 1 << 20
        var out: [UInt8] = []
        out.reserveCapacity(chunk + 16 * 1024)
        out += "window.FOLIO_SEARCH = [".utf8
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            searchEntry(item).writeScriptSafe(into: &out)
            if out.count >= chunk {
                try emit(out)
                out.removeAll(keepingCapacity: true)
            }
        }
        out += "];\n".utf8
        try emit(out)
    }

    /// One entry of the search index.
    func searchEntry(_ item: SiteItem) -> JSONValue {
        let g = item.shownGeneration
        var words = [item.prompt.title]
        if let g { words += [g.route.rawValue, g.model] }
        words += item.prompt.tags
        if let prompt = item.shownPrompt { words.append(prompt) }
        if let album = item.prompt.album { words.append(album) }
        var pairs: [(String, JSONValue)] = [("id", .string(item.id)), ("url", .string(item.link)), ("title", .string(item.prompt.title))]
        if let g { pairs.append(("route", .string(g.route.rawValue))) }
        pairs += [("alt", .string(item.alt)), ("text", .string(words.joined(separator: " ").lowercased())), ("r", .string(ratio(item.cover)))]
        if let cover = item.cover {
            let thumb = cover.thumbnail
            pairs += [
                ("thumb", .string(thumb.path)), ("large", .string(cover.largestCompact.path)), ("w", .int(thumb.width)), ("h", .int(thumb.height)),
                ("c", .string(colors[cover.sha256] ?? "")),
            ]
        } else {
            pairs.append(("state", .string(item.placeholder?.kind.rawValue ?? "")))
            if let reason = item.shownReason { pairs.append(("reason", .string(reason))) }
        }
        return .object(pairs)
    }

    /// The version of `gallery.json`'s schema (docs/gallery-json.md): raised only when a key is
    /// removed, renamed or changes its type or meaning; new keys keep it.
    static let manifestVersion = 1

    /// `gallery.json` whole, for tests.
    func manifest() -> [UInt8] {
        var whole: [UInt8] = []
        manifest { chunk in whole += chunk }
        return whole
    }

    /// `gallery.json`: every image with its prompt, parameters and files (private fields left out),
    /// as docs/gallery-json.md describes it, passed to `emit` about a megabyte at a time.
    func manifest<E: Error>(_ emit: ([UInt8]) throws(E) -> Void) throws(E) {
        let head: [(String, JSONValue)] = [
            ("version", .int(Self.manifestVersion)), ("title", .string(settings.title)), ("description", .string(settings.description)),
            ("base_url", settings.baseURL.map { .string($0) } ?? .null), ("digital_source_type", .string(ImageProvenance.digitalSourceType)),
        ]
        // Written image by image, as `JSONValue.pretty` writes the whole: at 10,000 images the file
        // is about 20 MB, and the values of all of them at once several times that.
        let chunk = 1 << 20
        var out: [UInt8] = []
        out.reserveCapacity(chunk + 64 * 1024)
        out.append(UInt8(ascii: "{"))
        for (key, value) in head {
            out += Array("\n  ".utf8)
            JSONValue.writeString(key, into: &out)
            out += Array(": ".utf8)
            value.writePretty(into: &out, indent: 1)
            out.append(UInt8(ascii: ","))
        }
        out += Array("\n  \"images\": ".utf8)
        if items.isEmpty {
            out += Array("[]".utf8)
        } else {
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += Array("\n    ".utf8)
                manifestImage(item).writePretty(into: &out, indent: 2)
                if out.count >= chunk {
                    try emit(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
            out += Array("\n  ]".utf8)
        }
        out += Array("\n}\n".utf8)
        try emit(out)
    }

    /// One image set of `gallery.json`.
    func manifestImage(_ item: SiteItem) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("id", .string(item.id)), ("title", .string(item.prompt.title)), ("alt", .string(item.alt)),
            ("album", item.prompt.album.map { .string($0) } ?? .null), ("tags", .array(item.prompt.tags.map { .string($0) })),
            ("date", item.prompt.date.map { .string($0) } ?? .null), ("page", .string(item.page)),
            ("state", .string(item.placeholder?.kind.rawValue ?? "published")),
            ("digital_source_type", .string(ImageProvenance.digitalSourceType)), ("credit_text", .string(creditText(item))),
        ]
        if let prompt = item.shownPrompt { pairs.append(("prompt", .string(prompt))) }
        if let negative = item.shownNegative { pairs.append(("negative_prompt", .string(negative))) }
        if let g = item.shownGeneration {
            var parameters: [(String, JSONValue)] = [("route", .string(g.route.rawValue)), ("model", .string(g.model)), ("n", .int(g.n))]
            for (key, value) in [
                ("aspect_ratio", g.aspectRatio), ("size", g.size), ("resolution", g.resolution), ("image_size", g.imageSize),
                ("result_type", g.resultType),
            ] {
                if let value { parameters.append((key, .string(value))) }
            }
            if let seed = g.seed { parameters.append(("seed", .int(seed))) }
            if let amount = g.seriesAmount { parameters.append(("series_amount", .int(amount))) }
            if let watermark = g.watermark { parameters.append(("watermark", .bool(watermark))) }
            if let extend = g.promptExtend { parameters.append(("prompt_extend", .bool(extend))) }
            pairs.append(("parameters", .object(parameters)))
            if let cost = item.shownCost { pairs.append(("cost", cost)) }
        }
        if let reply = item.shownReply { pairs.append(("text", .string(reply))) }
        pairs.append(
            (
                "files",
                .array(
                    zip(item.images, item.outputs).map { plan, output -> JSONValue in
                        var file: [(String, JSONValue)] = [
                            ("original", .string(plan.original)), ("sha256", .string(plan.sha256)), ("width", .int(plan.width)),
                            ("height", .int(plan.height)), ("content_credentials", .bool(contentCredentials.contains(plan.sha256))),
                        ]
                        // Each variant's own seed: DashScope sends variant i the seed + i.
                        if let seed = item.seed(variant: output.index) { file.append(("seed", .int(seed))) }
                        file.append(
                            (
                                "renditions",
                                .array(
                                    plan.renditions.map {
                                        .object([
                                            ("path", .string($0.path)), ("width", .int($0.width)), ("height", .int($0.height)),
                                            ("format", .string($0.format.rawValue)),
                                        ])
                                    })
                            ))
                        return .object(file)
                    })
            ))
        return .object(pairs)
    }

    /// The Atom feed: one entry per image set, newest first; dates come from the inputs, never the clock.
    /// Each entry says what its images are as an Atom category in IPTC's digital source type
    /// vocabulary, and as Folio's own extension elements (RFC 4287 §6.4) in the namespace of the
    /// images' XMP: the digital source type and the credit line.
    func feed() -> String {
        let base = settings.baseURL
        // Positions, not items: sorting 10,000 copies of the items cost more than the feed itself.
        let published = items.indices.filter { !items[$0].images.isEmpty }.sorted { a, b in
            (items[a].prompt.date ?? "", items[b].id) > (items[b].prompt.date ?? "", items[a].id)
        }
        func stamp(_ item: SiteItem) -> String {
            if let date = item.prompt.date { return date.count == 10 ? date + "T00:00:00Z" : date }
            return item.entry?.updatedAt ?? "1970-01-01T00:00:00Z"
        }
        let updated = published.lazy.map { stamp(items[$0]) }.max() ?? "1970-01-01T00:00:00Z"
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        xml += "<feed xmlns=\"http://www.w3.org/2005/Atom\" xmlns:folio=\"\(ImageProvenance.Namespace.folio)\">\n"
        xml += "  <title>\(XML.escape(settings.title))</title>\n  <subtitle>\(XML.escape(settings.description))</subtitle>\n"
        xml += "  <id>\(XML.escape(base ?? "urn:folio:\(Slug.suggest(settings.title))"))</id>\n  <updated>\(updated)</updated>\n"
        xml += "  <link rel=\"alternate\" href=\"\(XML.escape(base ?? "index.html"))\"/>\n  <generator>Folio</generator>\n"
        for item in published.prefix(50).map({ items[$0] }) {
            let link = (base ?? "") + item.folder + "index.html" + (item.anchor.map { "#" + $0 } ?? "")
            // A feed reader may show nothing but JPEG: the largest JPEG rendition, else the original.
            let cover = item.cover!
            let image = (base ?? "") + (cover.largest.format == .jpeg ? cover.largest.path : cover.original)
            var summary = "<p><img src=\"\(image)\" alt=\"\(XML.escape(item.alt))\"></p>"
            // Remote images in the prompt become links, as on the pages: a feed reader loads nothing from elsewhere.
            if let prompt = item.shownPrompt { summary += Markdown.html(prompt) }
            xml += "  <entry>\n    <title>\(XML.escape(item.prompt.title))</title>\n"
            // The routes of one page are entries of their own, told apart by their columns.
            let id = base.map { $0 + item.folder + (item.anchor.map { "#" + $0 } ?? "") } ?? "urn:folio:\(item.id)"
            xml += "    <id>\(XML.escape(id))</id>\n"
            xml += "    <link rel=\"alternate\" href=\"\(XML.escape(link))\"/>\n    <updated>\(stamp(item))</updated>\n"
            xml += "    <category scheme=\"\(Self.sourceTypeScheme)\" term=\"\(Self.sourceTypeTerm)\" label=\"AI-generated\"/>\n"
            xml += "    <folio:digitalSourceType>\(XML.escape(ImageProvenance.digitalSourceType))</folio:digitalSourceType>\n"
            xml += "    <folio:creditText>\(XML.escape(creditText(item)))</folio:creditText>\n"
            xml += "    <content type=\"html\">\(XML.escape(summary))</content>\n  </entry>\n"
        }
        return xml + "</feed>\n"
    }

    /// IPTC's digital source type vocabulary, and the term of it every image of the site has.
    static let sourceTypeScheme = "http://cv.iptc.org/newscodes/digitalsourcetype/"
    static let sourceTypeTerm = String(ImageProvenance.digitalSourceType.dropFirst(sourceTypeScheme.count))

    /// The sitemap, when `base_url` gives absolute URLs to list. It says nothing of the images'
    /// source or credit: the image sitemap extension has no field for either (Google deprecated
    /// all but `image:loc` in 2022), and no search engine reads a namespace of Folio's own there.
    func sitemap() -> String? {
        guard let base = settings.baseURL else { return nil }
        var urls = [base] + albums.map { base + "albums/\($0)/" } + items.map { base + $0.folder }
        if hasComparePage { urls.append(base + "compare/") }
        urls = Array(Set(urls)).sorted()
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
            + urls.map { "  <url><loc>\(XML.escape($0))</loc></url>\n" }.joined() + "</urlset>\n"
    }
}

/// XML (and HTML) text escaping.
public enum XML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
