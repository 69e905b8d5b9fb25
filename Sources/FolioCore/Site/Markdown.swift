import CCmark
import Foundation

/// CommonMark as the site publishes it, with cmark.
public enum Markdown {
    /// CommonMark to HTML, raw HTML and unsafe links off (cmark 0.30 is safe by default: raw HTML
    /// becomes a comment, `javascript:` links are dropped). An image from another host becomes a link
    /// to it, so no page and no feed entry loads anything from elsewhere — the pages' CSP
    /// (`img-src 'self' data:`) would block it, but a feed reader or a replaced `head` template has none.
    public static func html(_ text: String) -> String {
        let chars = Array(text.utf8).map { CChar(bitPattern: $0) }
        guard let document = cmark_parse_document(chars, chars.count, CMARK_OPT_DEFAULT) else { return "" }
        defer { cmark_node_free(document) }
        var remote: [OpaquePointer] = []
        if let iterator = cmark_iter_new(document) {
            var event = cmark_iter_next(iterator)
            while event != CMARK_EVENT_DONE {
                if event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator), cmark_node_get_type(node) == CMARK_NODE_IMAGE,
                    isRemote(cmark_node_get_url(node).map { String(cString: $0) } ?? "")
                {
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
