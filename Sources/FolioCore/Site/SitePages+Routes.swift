import Foundation

/// The pages of prompts sent to several routes (`routes: [gemini, kling]`): one page per file with
/// a column per route, and `compare/index.html`, which lists every such prompt.
extension SitePages {
    /// The page of one prompt file's routes, `items` in the order the file lists them: the title,
    /// caption, prompt and tags once, then each route's images, parameters and cost side by side.
    func routesDetail(_ items: [SiteItem], previous: SiteItem?, next: SiteItem?) -> String {
        let lead = items[0]
        let root = Self.root(of: lead.page)
        // Every column is narrower than a page of one route: its images are sized for it.
        let sizes = "(max-width: 860px) 100vw, \(max(100 / items.count, 25))vw"
        let columns = items.map { item in
            let params = parameters(item)
            return RouteColumnView(
                anchor: item.columnID, route: item.prompt.generation.route.rawValue, model: item.shownGeneration?.model,
                negativePrompt: item.shownNegative, params: params, hasParams: !params.isEmpty, reply: item.shownReply,
                variants: variants(item, root: root, sizes: sizes),
                placeholder: item.placeholder.map { PlaceholderView(state: $0.kind.rawValue, reason: item.shownReason ?? "", page: nil) })
        }
        let view = RoutesPageView(
            root: root, site: siteView, title: lead.prompt.title, album: albumLink(lead.prompt),
            captionHTML: lead.prompt.caption.map(Markdown.html), showPrompt: lead.shownPrompt != nil,
            prompt: lead.shownPrompt, promptHTML: lead.shownPrompt.map(Markdown.html), source: lead.showsSource ? "prompt.md" : nil,
            tags: tagLinks(lead.prompt), hasTags: !lead.prompt.tags.isEmpty, columns: columns,
            prev: previous.map(Neighbour.init), next: next.map(Neighbour.init))
        let shown = items.first { $0.cover != nil } ?? lead
        let description = lead.prompt.alt ?? lead.shownPrompt.map { String($0.prefix(160)) } ?? lead.prompt.title
        return page(
            lead.page, title: "\(lead.prompt.title) · \(settings.title)", description: description,
            body: theme.render("routes", view), currentAlbum: lead.prompt.album, home: false, bodyClass: "image",
            social: social(shown, root: root, description: description))
    }

    /// `compare/index.html`: every prompt with several routes, a row each, its routes' covers side by side.
    func comparePage(keys: PageKeys) -> SiteText {
        let path = Self.comparePage
        let several = groups.filter { $0.count > 1 }
        var digest = InputDigest("compare 1")
        digest.add(keys.shared)
        digest.add(several.count)
        for group in several {
            digest.add(group.count)
            for position in group { digest.add(keys.items[position]) }
        }
        let key = digest.finish()
        if let kept = SiteText(path: path, key: key, keptBy: previous) { return kept }
        let root = Self.root(of: path)
        let rows = several.enumerated().map { row, group in
            let members = Array(items[group])
            return CompareRowView(
                title: members[0].prompt.title, page: members[0].page,
                cells: members.map { item in
                    CompareCellView(
                        route: item.prompt.generation.route.rawValue, model: item.shownGeneration?.model,
                        cost: item.shownCost.map(Self.describeCost), link: item.link, ratio: ratio(item.cover),
                        color: item.cover.flatMap { colors[$0.sha256] },
                        image: item.cover.map { picture($0, root: root, sizes: "(max-width: 860px) 50vw, 320px", eager: row < 4, alt: item.alt) },
                        placeholder: item.placeholder.map { PlaceholderView(state: $0.kind.rawValue, reason: item.shownReason ?? "", page: nil) })
                })
        }
        let body = theme.render("compare", ComparePageView(root: root, site: siteView, rows: rows))
        let html = page(
            path, title: "Compared across routes · \(settings.title)",
            description: "Prompts sent to more than one route, each route's result side by side.", body: body, currentAlbum: nil, home: false,
            bodyClass: "compare-page")
        return SiteText(path: path, key: key, bytes: Array(html.utf8))
    }
}
