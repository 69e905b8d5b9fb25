import CCmark
import Foundation

/// The files beside the pages: theme files, the search index, the manifest, the feed, the sitemap, prompt sources.
extension SitePages {
    func extras() -> [(String, [UInt8])] {
        var files: [(String, [UInt8])] = []
        for (name, bytes) in theme.files.sorted(by: { $0.key < $1.key }) { files.append(("static/\(name)", bytes)) }
        files.append(("static/search-index.js", Array(searchIndex().utf8)))
        files.append(("gallery.json", Array(manifest().pretty.utf8)))
        files.append(("feed.xml", Array(feed().utf8)))
        if let sitemap = sitemap() { files.append(("sitemap.xml", Array(sitemap.utf8))) }
        for item in items where item.showsSource {
            if let bytes = FastFiles.read(project.path + "/" + item.prompt.file) { files.append((item.folder + "prompt.md", bytes)) }
        }
        return files
    }

    /// `window.FOLIO_SEARCH = [...]`: a script, not JSON, so it loads from `file://` too.
    func searchIndex() -> String {
        let entries: [JSONValue] = items.map { item in
            let g = item.shownGeneration
            var words = [item.prompt.title]
            if let g { words += [g.route.rawValue, g.model] }
            words += item.prompt.tags
            if let prompt = item.shownPrompt { words.append(prompt) }
            if let album = item.prompt.album { words.append(album) }
            var pairs: [(String, JSONValue)] = [("id", .string(item.id)), ("url", .string(item.page)), ("title", .string(item.prompt.title))]
            if let g { pairs.append(("route", .string(g.route.rawValue))) }
            pairs += [("alt", .string(item.alt)), ("text", .string(words.joined(separator: " ").lowercased())), ("r", .string(ratio(item.cover)))]
            if let cover = item.cover {
                let preferred: ImageOutputFormat = cover.renditions.contains { $0.format == .webp } ? .webp : cover.renditions[0].format
                let thumb = cover.renditions(preferred).first!
                let large = cover.renditions(preferred).last!
                pairs += [("thumb", .string(thumb.path)), ("large", .string(large.path)), ("w", .int(thumb.width)), ("h", .int(thumb.height)),
                          ("c", .string(colors[cover.sha256] ?? ""))]
            } else {
                pairs.append(("state", .string(item.state ?? "")))
            }
            return .object(pairs)
        }
        return "window.FOLIO_SEARCH = " + JSONValue.array(entries).compact.replacingOccurrences(of: "<", with: "\\u003c") + ";\n"
    }

    /// `gallery.json`: every image with its prompt, parameters and files (private fields left out).
    func manifest() -> JSONValue {
        let images: [JSONValue] = items.map { item in
            var pairs: [(String, JSONValue)] = [
                ("id", .string(item.id)), ("title", .string(item.prompt.title)), ("alt", .string(item.alt)),
                ("album", item.prompt.album.map { .string($0) } ?? .null), ("tags", .array(item.prompt.tags.map { .string($0) })),
                ("date", item.prompt.date.map { .string($0) } ?? .null), ("page", .string(item.page)),
                ("state", .string(item.images.isEmpty ? (item.state ?? "") : "published")),
            ]
            if let prompt = item.shownPrompt { pairs.append(("prompt", .string(prompt))) }
            if let negative = item.shownNegative { pairs.append(("negative_prompt", .string(negative))) }
            if let g = item.shownGeneration {
                var parameters: [(String, JSONValue)] = [("route", .string(g.route.rawValue)), ("model", .string(g.model)), ("n", .int(g.n))]
                for (key, value) in [("aspect_ratio", g.aspectRatio), ("size", g.size), ("resolution", g.resolution), ("image_size", g.imageSize),
                                     ("result_type", g.resultType)] {
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
            let variantIndices = item.variantIndices
            pairs.append(("files", .array(item.images.enumerated().map { position, plan -> JSONValue in
                var file: [(String, JSONValue)] = [
                    ("original", .string(plan.original)), ("sha256", .string(plan.sha256)), ("width", .int(plan.width)), ("height", .int(plan.height)),
                ]
                // Each variant's own seed: DashScope sends variant i the seed + i.
                if let seed = item.seed(variant: variantIndices[position]) { file.append(("seed", .int(seed))) }
                file.append(("renditions", .array(plan.renditions.map { .object([("path", .string($0.path)), ("width", .int($0.width)), ("height", .int($0.height)),
                                                                                ("format", .string($0.format.rawValue))]) })))
                return .object(file)
            })))
            return .object(pairs)
        }
        return .object([
            ("title", .string(settings.title)), ("description", .string(settings.description)),
            ("base_url", settings.baseURL.map { .string($0) } ?? .null), ("digital_source_type", .string(Self.aiSourceType)),
            ("images", .array(images)),
        ])
    }

    /// The Atom feed: one entry per image set, newest first; dates come from the inputs, never the clock.
    func feed() -> String {
        let base = settings.baseURL
        let published = items.filter { !$0.images.isEmpty }.sorted { ($0.prompt.date ?? "", $1.id) > ($1.prompt.date ?? "", $0.id) }
        func stamp(_ item: SiteItem) -> String {
            if let date = item.prompt.date { return date.count == 10 ? date + "T00:00:00Z" : date }
            return item.entry?.updatedAt ?? "1970-01-01T00:00:00Z"
        }
        let updated = published.map(stamp).max() ?? "1970-01-01T00:00:00Z"
        var xml = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n"
        xml += "  <title>\(XML.escape(settings.title))</title>\n  <subtitle>\(XML.escape(settings.description))</subtitle>\n"
        xml += "  <id>\(XML.escape(base ?? "urn:folio:\(Slug.suggest(settings.title))"))</id>\n  <updated>\(updated)</updated>\n"
        xml += "  <link rel=\"alternate\" href=\"\(XML.escape(base ?? "index.html"))\"/>\n  <generator>Folio</generator>\n"
        for item in published.prefix(50) {
            let link = (base ?? "") + item.folder + "index.html"
            let image = (base ?? "") + (item.cover?.renditions(.jpeg).last?.path ?? item.cover!.original)
            var summary = "<p><img src=\"\(image)\" alt=\"\(XML.escape(item.alt))\"></p>"
            // Remote images in the prompt become links, as on the pages: a feed reader loads nothing from elsewhere.
            if let prompt = item.shownPrompt { summary += Markdown.siteHTML(prompt) }
            xml += "  <entry>\n    <title>\(XML.escape(item.prompt.title))</title>\n"
            xml += "    <id>\(XML.escape(base.map { $0 + item.folder } ?? "urn:folio:\(item.id)"))</id>\n"
            xml += "    <link rel=\"alternate\" href=\"\(XML.escape(link))\"/>\n    <updated>\(stamp(item))</updated>\n"
            xml += "    <content type=\"html\">\(XML.escape(summary))</content>\n  </entry>\n"
        }
        return xml + "</feed>\n"
    }

    /// The sitemap, when `base_url` gives absolute URLs to list.
    func sitemap() -> String? {
        guard let base = settings.baseURL else { return nil }
        var urls = [base] + albums.map { base + "albums/\($0)/" } + items.map { base + $0.folder }
        urls = Array(Set(urls)).sorted()
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n"
            + urls.map { "  <url><loc>\(XML.escape($0))</loc></url>\n" }.joined() + "</urlset>\n"
    }
}

/// XML text escaping.
enum XML {
    static func escape(_ text: String) -> String {
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

/// Markdown as the site publishes it.
extension Markdown {
    /// Like `html` (CommonMark, raw HTML and unsafe links off), but an image from another host becomes
    /// a link to it, so no page and no feed entry loads anything from elsewhere — the pages' CSP
    /// (`img-src 'self' data:`) would block it, but a feed reader or a replaced `head` template has none.
    static func siteHTML(_ text: String) -> String {
        let chars = Array(text.utf8).map { CChar(bitPattern: $0) }
        guard let document = cmark_parse_document(chars, chars.count, CMARK_OPT_DEFAULT) else { return "" }
        defer { cmark_node_free(document) }
        var remote: [OpaquePointer] = []
        if let iterator = cmark_iter_new(document) {
            var event = cmark_iter_next(iterator)
            while event != CMARK_EVENT_DONE {
                if event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator), cmark_node_get_type(node) == CMARK_NODE_IMAGE,
                   isRemote(cmark_node_get_url(node).map { String(cString: $0) } ?? "") {
                    remote.append(node)
                }
                event = cmark_iter_next(iterator)
            }
            cmark_iter_free(iterator)
        }
        // Outer images come first, so an image inside another's description is already inside the new link.
        for image in remote { unload(image) }
        guard let rendered = cmark_render_html(document, CMARK_OPT_DEFAULT) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }

    /// Replaces `image` by a link to its URL holding its description (or the URL when it has none);
    /// inside a link, where a link cannot go, by its description alone.
    private static func unload(_ image: OpaquePointer) {
        var insideLink = false
        var ancestor = cmark_node_parent(image)
        while let node = ancestor, !insideLink {
            insideLink = cmark_node_get_type(node) == CMARK_NODE_LINK
            ancestor = cmark_node_parent(node)
        }
        if insideLink {
            while let child = cmark_node_first_child(image) {
                if cmark_node_insert_before(image, child) == 0 { cmark_node_free(child) }
            }
            cmark_node_free(image)
            return
        }
        guard let link = cmark_node_new(CMARK_NODE_LINK) else { cmark_node_free(image); return }
        let url = cmark_node_get_url(image).map { String(cString: $0) } ?? ""
        cmark_node_set_url(link, url)
        if let title = cmark_node_get_title(image) { cmark_node_set_title(link, title) }
        if cmark_node_first_child(image) == nil, let text = cmark_node_new(CMARK_NODE_TEXT) {
            cmark_node_set_literal(text, url)
            if cmark_node_append_child(link, text) == 0 { cmark_node_free(text) }
        }
        while let child = cmark_node_first_child(image) {
            if cmark_node_append_child(link, child) == 0 { cmark_node_free(child) }
        }
        if cmark_node_replace(image, link) == 0 { cmark_node_free(link) }
        // Freed either way (cmark_node_free unlinks): a remote image is never rendered as one.
        cmark_node_free(image)
    }

    /// Whether an image URL would be fetched from another host: any scheme but `data:`, or a
    /// scheme-relative `//host` (browsers read `\\` as `/` and drop tabs, newlines and controls).
    static func isRemote(_ url: String) -> Bool {
        let cleaned = String(String.UnicodeScalarView(url.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F })).lowercased()
        let start = cleaned.prefix(2)
        if start.count == 2, start.allSatisfy({ $0 == "/" || $0 == "\\" }) { return true }
        guard let colon = cleaned.firstIndex(of: ":") else { return false }
        // A colon after the first `/`, `?` or `#` is part of a relative path, not a scheme.
        if let delimiter = cleaned.firstIndex(where: { "/?#\\".contains($0) }), delimiter < colon { return false }
        return cleaned[..<colon] != "data"
    }
}
