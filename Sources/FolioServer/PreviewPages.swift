import FolioCore

/// The pages `folio serve` makes itself: the error page shown instead of the site while it cannot
/// be rendered, and short answers (not found). Each carries the reload script, so a fix brings
/// the site back on its own.
enum PreviewPages {
    /// A served page with the reload tag before its `</head>` (or at its end when it has none).
    static func withReload(_ html: String, tag: String) -> String {
        guard let head = html.range(of: "</head>", options: .caseInsensitive) else { return html + tag }
        return html.replacingCharacters(in: head.lowerBound..<head.lowerBound, with: tag)
    }

    /// Why the site is not shown: each problem with its file, line and column, key and message.
    static func failure(_ failure: PreviewSession.Failure, tag: String) -> String {
        var items = ""
        for problem in failure.diagnostics {
            let key = problem.key.map { " <span class=\"key\">\(escaped($0))</span>" } ?? ""
            items += """
                <li><code class="where">\(escaped(problem.file)):\(problem.line):\(problem.column)</code>\(key)
                <p>\(escaped(problem.message))</p></li>

                """
        }
        let list = "<ol>\n\(items)</ol>"
        return document(
            title: "Folio cannot render the site", tag: tag,
            body: """
                <h1>Folio cannot render the site</h1>
                \(items.isEmpty ? "<pre>\(escaped(failure.message))</pre>" : list)
                <p>Fix the file and save it: this page reloads by itself.</p>
                """)
    }

    static func message(_ title: String, _ text: String, tag: String) -> String {
        document(title: title, tag: tag, body: "<h1>\(escaped(title))</h1>\n<p>\(escaped(text))</p>")
    }

    private static func document(title: String, tag: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'unsafe-inline'; script-src 'self'">
        <title>\(escaped(title))</title>
        <style>
        body { font: 16px/1.5 system-ui, sans-serif; max-width: 48rem; margin: 3rem auto; padding: 0 1rem; color: #1a1a1a; }
        h1 { font-size: 1.4rem; color: #a40000; }
        li { margin-bottom: 1rem; }
        code, pre { font: 14px/1.4 ui-monospace, monospace; }
        pre { white-space: pre-wrap; background: #f4f4f4; padding: .75rem; }
        .key { background: #fde7e7; padding: 0 .3rem; border-radius: 3px; }
        li p { margin: .25rem 0 0; }
        </style>
        \(tag)
        </head>
        <body>
        <main>
        \(body)
        </main>
        </body>
        </html>

        """
    }

    static func escaped(_ text: String) -> String { XML.escape(text) }
}
