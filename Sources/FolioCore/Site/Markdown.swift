import CCmark
import Foundation

/// CommonMark to HTML with cmark, raw HTML and unsafe links disabled.
public enum Markdown {
    public static func html(_ text: String) -> String {
        let utf8 = Array(text.utf8)
        // cmark 0.30 is safe by default: raw HTML becomes a comment, javascript: links are dropped.
        guard let rendered = cmark_markdown_to_html(utf8.map { CChar(bitPattern: $0) }, utf8.count, CMARK_OPT_DEFAULT) else { return "" }
        defer { free(rendered) }
        return String(cString: rendered)
    }
}
