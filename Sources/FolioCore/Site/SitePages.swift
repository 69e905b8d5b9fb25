import Foundation

/// Every page of the site as template contexts, rendered with the theme.
struct SitePages: Sendable {
    let settings: Settings
    let items: [SiteItem]
    let colors: [String: String]
    let theme: Theme
    let project: URL
    /// Originals that carry C2PA Content Credentials (by SHA-256): their pages say so.
    var contentCredentials: Set<String> = []
    /// The icons every page declares (`icons(statics:)`).
    var icons = SitePages.icons(statics: [])
    /// A digest of the inputs every page shares that `SitePages` is not given: Folio itself,
    /// `folio.yml`, the formats and the theme (`SiteBuilder.pageInputs`).
    var inputs = ""
    /// Each item's digest, in `items`' order (`SiteBuilder.digest(_:)`): its prompt, lock entry and images.
    var itemDigests: [String] = []
    /// What the last render made each page from: a page with the same key is not made again.
    var previous: PageRecord?
    /// Album names, sorted.
    let albums: [String]
    /// Tags with their items (positions in `items`), by slug.
    let tags: [(name: String, slug: String, items: [Int])]
    /// The URL slug of every tag.
    let slugs: [String: String]
    /// The items of each prompt page, in `items`' order: one item, or a file's routes side by side.
    let groups: [Range<Int>]
    /// Whether some prompt has several routes, so the site has `compare/index.html`.
    var hasComparePage: Bool { groups.contains { $0.count > 1 } }
    /// The compare page's path.
    static let comparePage = "compare/index.html"

    init(settings: Settings, items: [SiteItem], colors: [String: String], theme: Theme, project: URL) {
        self.settings = settings
        self.items = items
        self.colors = colors
        self.theme = theme
        self.project = project
        albums = Array(Set(items.compactMap(\.prompt.album))).sorted()
        var slugs: [String: String] = [:]
        var byKey: [String: (name: String, items: [Int])] = [:]
        for (position, item) in items.enumerated() {
            for tag in item.prompt.tags {
                let slug = slugs[tag] ?? TagSlug.of(tag)
                slugs[tag] = slug
                byKey[slug, default: (tag, [])].items.append(position)
            }
        }
        self.slugs = slugs
        var groups: [Range<Int>] = []
        for index in items.indices {
            if let last = groups.last, items[last.lowerBound].prompt.page == items[index].prompt.page {
                groups[groups.count - 1] = last.lowerBound..<(index + 1)
            } else {
                groups.append(index..<(index + 1))
            }
        }
        self.groups = groups
        tags = byKey.map { (name: $0.value.name, slug: $0.key, items: $0.value.items) }.sorted { $0.slug < $1.slug }
    }

    /// `../../` for a page at `path`.
    static func root(of path: String) -> String {
        String(repeating: "../", count: path.split(separator: "/").count - 1)
    }

    // MARK: - Pages

    /// Every page, made on all cores: the listings on one worker, the prompt pages shared out. A page
    /// the last render made from the same inputs (`previous`) is not made again: its bytes are nil.
    func all() async -> [SiteText] {
        let keys = pageKeys()
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = max(1, (groups.count + workers - 1) / workers)
        return await withTaskGroup(of: (Int, [SiteText]).self) { group in
            group.addTask { (-1, listings(keys: keys) + (hasComparePage ? [comparePage(keys: keys)] : [])) }
            for start in stride(from: 0, to: groups.count, by: chunk) {
                group.addTask {
                    (start, (start..<min(start + chunk, groups.count)).map { detailPage($0, keys: keys) })
                }
            }
            var parts: [(Int, [SiteText])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1)
        }
    }

    /// The prompt page of `groups[index]`, unless the last render made it from the same inputs.
    func detailPage(_ index: Int, keys: PageKeys) -> SiteText {
        let group = groups[index]
        let item = items[group.lowerBound]
        let previous = index > 0 ? items[groups[index - 1].lowerBound] : nil
        let next = index + 1 < groups.count ? items[groups[index + 1].lowerBound] : nil
        // The page shows its own items whole, and of each neighbour its page and title.
        var digest = InputDigest("page 1")
        digest.add(keys.shared)
        for position in group { digest.add(keys.items[position]) }
        for neighbour in [previous, next] {
            digest.add(neighbour.map { "\($0.page) \($0.prompt.title)" } ?? "-")
        }
        let key = digest.finish()
        if let kept = SiteText(path: item.page, key: key, keptBy: self.previous) { return kept }
        let html =
            group.count == 1
            ? detail(item, previous: previous, next: next)
            : routesDetail(Array(items[group]), previous: previous, next: next)
        return SiteText(path: item.page, key: key, bytes: Array(html.utf8))
    }

    /// The index, album and tag pages.
    func listings(keys: PageKeys) -> [SiteText] {
        var pages: [SiteText] = []
        pages += listing(
            Array(items.indices), keys: keys, base: "", heading: settings.title, intro: settings.description, currentAlbum: nil, currentTag: nil, home: true)
        for album in albums {
            pages += listing(
                items.indices.filter { items[$0].prompt.album == album }, keys: keys, base: "albums/\(album)/", heading: Slug.title(album), intro: nil,
                currentAlbum: album, currentTag: nil, home: false)
        }
        for tag in tags {
            pages += listing(
                tag.items, keys: keys, base: "tags/\(tag.slug)/", heading: "#\(tag.name)",
                intro: "\(tag.items.count) image set\(tag.items.count == 1 ? "" : "s") tagged \(tag.name).",
                currentAlbum: nil, currentTag: tag.slug, home: false)
        }
        return pages
    }

    /// Paginated grid pages under `base` of the items at `list` (positions in `items`):
    /// `base/index.html`, `base/page/2/index.html`, …
    func listing(
        _ list: [Int], keys: PageKeys, base: String, heading: String, intro: String?, currentAlbum: String?, currentTag: String?,
        home: Bool
    ) -> [SiteText] {
        let size = max(1, settings.pagination)
        let starts = Array(stride(from: 0, to: max(list.count, 1), by: size))
        func path(_ number: Int) -> String { number == 1 ? "\(base)index.html" : "\(base)page/\(number)/index.html" }
        let chips = tagChips(for: home ? nil : list, current: currentTag)
        // What every page of this listing shows besides its own cards.
        var shared = InputDigest("listing 1")
        for part in [keys.shared, base, heading, intro ?? "-", currentAlbum ?? "-", currentTag ?? "-", home ? "home" : "-"] { shared.add(part) }
        shared.add(starts.count)
        for chip in chips { shared.add("\(chip.url) \(chip.name) \(chip.count) \(chip.current)") }
        let listingKey = shared.finish()
        return starts.enumerated().map { offset, start in
            let number = offset + 1
            let here = path(number)
            let range = min(start, list.count)..<min(start + size, list.count)
            var digest = InputDigest("listing page 1")
            digest.add(listingKey)
            digest.add(number)
            for position in list[range] { digest.add(keys.items[position]) }
            let key = digest.finish()
            if let kept = SiteText(path: here, key: key, keptBy: previous) { return kept }
            let chunk = list[range]
            let root = Self.root(of: here)
            let pagination =
                starts.count == 1
                ? nil
                : PaginationView(
                    pages: (1...starts.count).map { PageNumber(url: path($0), number: $0, current: $0 == number) },
                    prev: number > 1 ? path(number - 1) : nil, next: number < starts.count ? path(number + 1) : nil)
            let grid = GridView(
                root: root, site: siteView, heading: heading, intro: intro, hasTags: home || currentAlbum != nil, tags: chips,
                cards: chunk.enumerated().map { card(items[$1], root: root, position: $0) }, pagination: pagination)
            let title = home ? settings.title : "\(heading) · \(settings.title)"
            let html = page(
                here, title: number > 1 ? "\(title) · page \(number)" : title, description: intro ?? settings.description,
                body: theme.render("grid", grid), currentAlbum: currentAlbum, home: home && number == 1, bodyClass: "listing")
            return SiteText(path: here, key: key, bytes: Array(html.utf8))
        }
    }

    /// The tags of the items at `list` (every item when nil) with their counts, by slug; `current` is the tag page being shown.
    func tagChips(for list: [Int]?, current: String?) -> [TagChip] {
        var counts: [String: (name: String, count: Int)] = [:]
        for position in list ?? Array(items.indices) {
            for tag in items[position].prompt.tags { counts[slugs[tag] ?? TagSlug.of(tag), default: (tag, 0)].count += 1 }
        }
        return counts.sorted { $0.key < $1.key }.map {
            TagChip(url: "tags/\($0.key)/index.html", name: $0.value.name, count: $0.value.count, current: $0.key == current)
        }
    }

    var siteView: SiteView {
        SiteView(title: settings.title, description: settings.description, language: settings.language)
    }

    /// The layout around a page body.
    func page(
        _ path: String, title: String, description: String, body: String, currentAlbum: String?, home: Bool, bodyClass: String,
        social: SocialView? = nil
    ) -> String {
        let layout = LayoutView(
            root: Self.root(of: path), site: siteView, content: body, pageTitle: title, pageDescription: description, bodyClass: bodyClass,
            isHome: home, albums: albums.map { AlbumLink(url: "albums/\($0)/index.html", name: $0, current: $0 == currentAlbum) },
            canonical: settings.baseURL.map { $0 + (path.hasSuffix("index.html") ? String(path.dropLast(10)) : path) }, social: social,
            icons: icons, compare: hasComparePage ? Self.comparePage : nil, isCompare: path == Self.comparePage)
        return theme.render("layout", layout)
    }

    /// The site's icons: the project's own `static/favicon.ico` and `static/favicon.svg` (published
    /// at the site's root), else the theme's `favicon.svg`. With both, browsers that draw SVG take it.
    static func icons(statics: [String]) -> [IconLink] {
        var icons: [IconLink] = []
        if statics.contains("favicon.ico") { icons.append(IconLink(url: "favicon.ico", sizes: "any")) }
        if statics.contains("favicon.svg") { icons.append(IconLink(url: "favicon.svg", type: "image/svg+xml")) }
        return icons.isEmpty ? [IconLink(url: "static/favicon.svg", type: "image/svg+xml")] : icons
    }

    // MARK: - Cards and images

    /// The `<picture>` of a plan: a `<source>` per modern format, and the fallback format's `<img>`.
    func picture(_ plan: ImagePlan, root: String, sizes: String, eager: Bool, alt: String) -> PictureView {
        let formats = plan.formats
        let fallbackFormat = plan.fallbackFormat
        func srcset(_ format: ImageOutputFormat) -> String {
            plan.renditions(format).map { "\(root)\($0.path) \($0.width)w" }.joined(separator: ", ")
        }
        let order: [ImageOutputFormat] = [.avif, .webp]
        let sources = order.filter { formats.contains($0) && $0 != fallbackFormat }.map { PictureSource(type: $0.mime, srcset: srcset($0), sizes: sizes) }
        return PictureView(
            sources: sources, fallback: plan.fallback.path, fallbackSrcset: srcset(fallbackFormat), sizes: sizes,
            width: plan.width, height: plan.height, alt: alt, loading: eager ? "eager" : "lazy")
    }

    func ratio(_ plan: ImagePlan?) -> String {
        guard let plan, plan.height > 0 else { return "1" }
        return String(format: "%.4f", Double(plan.width) / Double(plan.height))
    }

    /// One prompt in the grid: its cover, or a placeholder.
    func card(_ item: SiteItem, root: String, position: Int) -> CardView {
        let image = item.cover.map { cover in
            let r = Double(cover.width) / Double(max(cover.height, 1))
            return CardImageView(
                picture: picture(cover, root: root, sizes: "(max-width: 860px) \(Int(r * 225))px, \(Int(r * 360))px", eager: position < 8, alt: item.alt),
                page: item.link, large: cover.largest.path, largeWidth: cover.largest.width, largeHeight: cover.largest.height)
        }
        return CardView(
            id: item.id, page: item.link, title: item.prompt.title, root: root, ratio: ratio(item.cover),
            color: item.cover.flatMap { colors[$0.sha256] }, route: item.shownGeneration?.route.rawValue,
            variants: item.images.count > 1 ? item.images.count : nil, image: image,
            placeholder: item.placeholder.map { PlaceholderView(state: $0.kind.rawValue, reason: item.shownReason ?? "", page: item.link) })
    }

    // MARK: - The image page

    func detail(_ item: SiteItem, previous: SiteItem?, next: SiteItem?) -> String {
        let root = Self.root(of: item.page)
        let params = parameters(item)
        let variants = variants(item, root: root, sizes: "(max-width: 860px) 100vw, 66vw")
        let view = PromptPageView(
            root: root, site: siteView, title: item.prompt.title,
            album: albumLink(item.prompt),
            captionHTML: item.prompt.caption.map(Markdown.html), showPrompt: item.shownPrompt != nil,
            prompt: item.shownPrompt, promptHTML: item.shownPrompt.map(Markdown.html), source: item.showsSource ? "prompt.md" : nil,
            negativePrompt: item.shownNegative, params: params, hasParams: !params.isEmpty,
            tags: tagLinks(item.prompt), hasTags: !item.prompt.tags.isEmpty, reply: item.shownReply, variants: variants,
            placeholder: item.placeholder.map { PlaceholderView(state: $0.kind.rawValue, reason: item.shownReason ?? "", page: nil) },
            prev: previous.map(Neighbour.init), next: next.map(Neighbour.init))
        let description = item.prompt.alt ?? item.shownPrompt.map { String($0.prefix(160)) } ?? item.prompt.title
        return page(
            item.page, title: "\(item.prompt.title) · \(settings.title)", description: description,
            body: theme.render("prompt", view), currentAlbum: item.prompt.album, home: false, bodyClass: "image",
            social: social(item, root: root, description: description))
    }

    /// The images of an item's page, each with what is said beside it; `sizes` is the width the
    /// page gives them.
    func variants(_ item: SiteItem, root: String, sizes: String) -> [VariantView] {
        zip(item.images, item.outputs).enumerated().map { index, shown in
            let (plan, output) = shown
            // Each variant's own seed (DashScope sends variant i the seed + i).
            return VariantView(
                picture: picture(plan, root: root, sizes: sizes, eager: index == 0, alt: item.alt),
                index: index, original: plan.original, ratio: ratio(plan), color: colors[plan.sha256],
                mime: output.asset?.mime ?? "", seed: item.seed(variant: output.index).map(String.init),
                contentCredentials: contentCredentials.contains(plan.sha256))
        }
    }

    /// The album a prompt's page names, linked.
    func albumLink(_ prompt: Prompt) -> Link? {
        prompt.album.map { Link(name: $0, url: "albums/\($0)/index.html") }
    }

    /// A prompt's tags, each linked to its page.
    func tagLinks(_ prompt: Prompt) -> [Link] {
        prompt.tags.map { Link(name: $0, url: "tags/\(slugs[$0] ?? TagSlug.of($0))/index.html") }
    }

    /// The parameters shown beside an image (none when `parameters` is private).
    func parameters(_ item: SiteItem) -> [Parameter] {
        guard let g = item.shownGeneration else { return [] }
        var list: [(String, String?)] = [
            ("Route", g.route.rawValue), ("Model", g.model), ("Aspect ratio", g.aspectRatio), ("Size", g.size), ("Resolution", g.resolution),
            ("Image size", g.imageSize), ("Seed", Self.describeSeeds((0..<max(g.n, 1)).compactMap { item.seed(variant: $0) })),
            ("Images", g.resultType == "series" ? "\(g.expectedImages) (series)" : String(g.n)),
        ]
        list += g.route.definition.parameterRows(g)
        if !g.images.isEmpty { list.append(("Reference images", String(g.images.count))) }
        list.append(("Date", item.prompt.date))
        list.append(("Cost", item.shownCost.map(Self.describeCost)))
        return list.compactMap { name, value in value.map { Parameter(name: name, value: $0) } }
    }

    /// `42`, or for variants with their own seeds `42–44 (one per image)`.
    static func describeSeeds(_ seeds: [Int]) -> String? {
        guard let first = seeds.first, let last = seeds.last else { return nil }
        if seeds.allSatisfy({ $0 == first }) { return String(first) }
        if zip(seeds, seeds.dropFirst()).allSatisfy({ $1 == $0 + 1 }) { return "\(first)–\(last) (one per image)" }
        return seeds.map(String.init).joined(separator: ", ") + " (one per image)"
    }

    /// `1 unit`, `2.5 units`, `1290 tokens`, `1 image`: what the gateway reported it charged.
    static func describeCost(_ cost: JSONValue) -> String {
        func count(_ amount: String, _ noun: String) -> String {
            // Kling reports its units as a string ("1") or a number: as written, singular only for "1".
            "\(amount) \(noun)\(amount == "1" ? "" : "s")"
        }
        if let units = cost["final_unit_deduction"] { return count(units.stringValue ?? units.compact, "unit") }
        if let tokens = cost["totalTokenCount"]?.intValue { return count(String(tokens), "token") }
        if let images = cost["image_count"]?.intValue { return count(String(images), "image") }
        return cost.compact
    }

    /// Open Graph, Twitter card and JSON-LD of an image page; nil without an image.
    func social(_ item: SiteItem, root: String, description: String) -> SocialView? {
        guard let cover = item.cover else { return nil }
        let base = settings.baseURL
        let shared = cover.largest
        var ld: [(String, JSONValue)] = [
            ("@context", .string("https://schema.org")), ("@type", .string("ImageObject")),
            ("name", .string(item.prompt.title)), ("description", .string(description)),
            ("contentUrl", .string(base.map { $0 + cover.original } ?? root + cover.original)),
            ("width", .int(cover.width)), ("height", .int(cover.height)),
            ("digitalSourceType", .string(ImageProvenance.digitalSourceType)), ("creditText", .string(creditText(item))),
        ]
        if let date = item.prompt.date { ld.append(("dateCreated", .string(date))) }
        if let base { ld.append(("url", .string(base + item.folder))) }
        // `<` never appears raw inside the script element.
        let json = String(decoding: JSONValue.object(ld).scriptSafe, as: UTF8.self)
        return SocialView(
            title: item.prompt.title, description: description, image: base.map { $0 + shared.path } ?? root + shared.path,
            width: shared.width, height: shared.height, alt: item.alt, jsonLD: json, url: base.map { $0 + item.folder })
    }

    /// The credit line of an item's images (schema.org `creditText`, IPTC Credit Line): the model,
    /// the route's provider (`ImageProvenance.provider`) and this site, which the files' TC260 label
    /// names as propagator — `Generated with kling-v2-1 (Kuaishou) · Posters`. With `parameters`
    /// private the model and provider stay out, as the route does: `AI-generated · Posters`.
    func creditText(_ item: SiteItem) -> String {
        let made = item.shownGeneration.map { "Generated with \($0.model) (\($0.route.definition.provider))" } ?? "AI-generated"
        return settings.title.isEmpty ? made : "\(made) · \(settings.title)"
    }
}

// MARK: - What the site may show

/// Every field of a prompt or its lock entry that the site publishes goes through one of these, so
/// `private:` is checked in one place: pages, cards, the search index, `gallery.json` and the feed
/// read them and never `prompt.generation` or `entry` directly.
extension SiteItem {
    /// The prompt text, unless `prompt` is private.
    var shownPrompt: String? { showsPrompt ? prompt.generation.prompt : nil }
    /// The negative prompt, unless it is private.
    var shownNegative: String? { showsNegative ? prompt.generation.negativePrompt : nil }
    /// The generation keys (route, model, size, seed, `n`, reference images, `extra`…), unless `parameters` is private.
    /// The prompt and negative prompt in it are blanked when they are private, so nothing reaches them through here.
    var shownGeneration: Generation? {
        guard showsParameters else { return nil }
        var g = prompt.generation
        if !showsPrompt { g.prompt = "" }
        if !showsNegative { g.negativePrompt = nil }
        return g
    }
    /// What the gateway reported it charged: a parameter of the generation (it reveals the route and the model's usage).
    var shownCost: JSONValue? { showsParameters ? entry?.cost : nil }
    /// The model's text reply (Gemini). It often restates the prompt, so it stays private with it.
    var shownReply: String? {
        guard showsPrompt, let text = entry?.text, !text.isEmpty else { return nil }
        return text
    }
    /// Why there is no image. A provider's message can quote the prompt or its parameters, so for a
    /// prompt that keeps anything private only the kind and code of a failure are shown.
    var shownReason: String? {
        guard let placeholder else { return nil }
        guard placeholder.kind == .failed, !showsSource, let error = entry?.error else { return placeholder.explanation }
        return
            "\(error.kind.rawValue.capitalized)\(error.code.map { " (\($0))" } ?? ""): the provider's message is not shown, as this prompt keeps fields private."
    }
    /// The seed variant `variant` was sent with, unless `parameters` is private: the route says
    /// (DashScope's variant i gets seed + i).
    func seed(variant: Int) -> Int? {
        guard let g = shownGeneration, g.seed != nil else { return nil }
        return g.route.definition.seed(prompt.generation, variant: variant)
    }
}
