import Foundation

// MARK: - A prompt with several routes

/// `routes.mustache`: the page of a prompt file with several routes (`routes: [gemini, kling]`):
/// what they share once, then a column per route, side by side.
struct RoutesPageView: TemplateView {
    var root: String
    var site: SiteView
    var title: String
    var album: Link?
    var captionHTML: String?
    var showPrompt: Bool
    var prompt: String?
    var promptHTML: String?
    /// `prompt.md`, when the prompt file is published.
    var source: String?
    var tags: [Link]
    var hasTags: Bool
    var columns: [RouteColumnView]
    var prev: Neighbour?
    var next: Neighbour?

    func child(named key: String) -> Any? {
        switch key {
        case "root": root
        case "site": site
        case "title": title
        case "album": album
        case "captionHTML": captionHTML
        case "showPrompt": showPrompt
        case "prompt": prompt
        case "promptHTML": promptHTML
        case "source": source
        case "tags": tags
        case "hasTags": hasTags
        case "columns": columns
        case "columnCount": columns.count
        case "prev": prev
        case "next": next
        default: nil
        }
    }
}

/// `{{#columns}}` of a page with several routes: one route's images, parameters and cost.
struct RouteColumnView: TemplateView {
    /// `route-kling`: the column's id, which cards and the compare page link to.
    var anchor: String
    var route: String
    /// Nil when `parameters` is private.
    var model: String?
    var negativePrompt: String?
    var params: [Parameter]
    var hasParams: Bool
    var reply: String?
    var variants: [VariantView]
    var placeholder: PlaceholderView?

    func child(named key: String) -> Any? {
        switch key {
        case "anchor": anchor
        case "route": route
        case "model": model
        case "negativePrompt": negativePrompt
        case "params": params
        case "hasParams": hasParams
        case "reply": reply
        case "variants": variants
        case "placeholder": placeholder
        default: nil
        }
    }
}

// MARK: - The compare page

/// `compare.mustache`: every prompt with more than one route, a row each, its routes side by side.
struct ComparePageView: TemplateView {
    var root: String
    var site: SiteView
    var rows: [CompareRowView]

    func child(named key: String) -> Any? {
        switch key {
        case "root": root
        case "site": site
        case "rows": rows
        case "count": rows.count
        case "one": rows.count == 1
        default: nil
        }
    }
}

/// One prompt on the compare page.
struct CompareRowView: TemplateView {
    var title: String
    var page: String
    var cells: [CompareCellView]

    func child(named key: String) -> Any? {
        switch key {
        case "title": title
        case "page": page
        case "cells": cells
        default: nil
        }
    }
}

/// One route of a prompt on the compare page: its cover, or why it has none, and what it was made with.
struct CompareCellView: TemplateView {
    var route: String
    var model: String?
    var cost: String?
    /// The route's column on the prompt's page.
    var link: String
    var ratio: String
    var color: String?
    var image: PictureView?
    var placeholder: PlaceholderView?

    func child(named key: String) -> Any? {
        switch key {
        case "route": route
        case "model": model
        case "cost": cost
        case "link": link
        case "ratio": ratio
        case "color": color
        case "image": image
        case "placeholder": placeholder
        default: nil
        }
    }
}
