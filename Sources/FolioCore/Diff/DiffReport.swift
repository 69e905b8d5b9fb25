import Foundation

/// The HTML page of a diff, for attaching to a pull request: one self-contained file. Its images
/// are small JPEG renditions embedded as `data:` URIs (an attachment has no folder beside it); it
/// holds no script, and its Content-Security-Policy allows nothing but those images and its own
/// style. Every text in it — prompts, titles, keys, the lockfile's values — is escaped: a pull
/// request's files are anyone's.
public struct DiffReport: Sendable {
    /// One embedded image.
    public struct Thumbnail: Sendable, Hashable {
        public var jpeg: [UInt8]
        public var width: Int
        public var height: Int
    }

    public var diff: ProjectDiff
    /// By the original's SHA-256; an image missing here is shown as not available.
    public var thumbnails: [String: Thumbnail]

    /// The width of the embedded images, in pixels.
    public static let thumbnailWidth = 320

    public init(diff: ProjectDiff, thumbnails: [String: Thumbnail]) {
        self.diff = diff
        self.thumbnails = thumbnails
    }

    // MARK: - Images

    /// A thumbnail of every image the diff shows, from the original in `assets/` when it is there
    /// and hashes to what the lockfile says, else from the revision (a committed `assets/`).
    public static func thumbnails(_ diff: ProjectDiff, project: URL, environment: [String: String]) throws(FolioError) -> [String: Thumbnail] {
        var assets: [String: StoredAsset] = [:]
        for prompt in diff.prompts {
            for output in prompt.old.outputs + prompt.new.outputs { if let asset = output.asset { assets[asset.sha256] = asset } }
        }
        guard !assets.isEmpty else { return [:] }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("folio-diff-images-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let fetched = scratch.appendingPathComponent("project")
        try make(fetched.appendingPathComponent(StoredAsset.folder))

        // Where each original is read from: the project, else the revision's blob written to `fetched`.
        var sources: [String: URL] = [:]
        var absent: [StoredAsset] = []
        for asset in assets.values.sorted(by: { $0.sha256 < $1.sha256 }) {
            if let bytes = FastFiles.read(project.path + "/" + asset.file), SHA256Hex.of(bytes) == asset.sha256 {
                sources[asset.sha256] = project
            } else {
                absent.append(asset)
            }
        }
        if !absent.isEmpty, let revision = try? GitRevision.open(project: project, name: diff.commit, environment: environment) {
            let names = absent.map { "\(revision.commit):\(revision.prefix)\($0.file)" }
            let blobs = try revision.blobs(names)
            for (asset, name) in zip(absent, names) {
                guard let bytes = blobs[name], SHA256Hex.of(Array(bytes)) == asset.sha256 else { continue }
                do { try bytes.write(to: fetched.appendingPathComponent(asset.file)) } catch { continue }
                sources[asset.sha256] = fetched
            }
        }

        _ = Libraries.startVips
        var encoding = ImageEncoding()
        encoding.quality[.jpeg] = 70
        var thumbnails: [String: Thumbnail] = [:]
        let site = scratch.appendingPathComponent("site")
        try make(site.appendingPathComponent("img"))
        for (sha, root) in sources {
            let plan = ImagePlanner.plan(assets[sha]!, widths: [thumbnailWidth], formats: [.jpeg], encoding: encoding)
            guard let rendition = plan.renditions.first, case .success = ImageRenderer(project: root, site: site, workers: 1).renderOne(plan),
                let bytes = FastFiles.read(site.path + "/" + rendition.path)
            else { continue }
            thumbnails[sha] = Thumbnail(jpeg: bytes, width: rendition.width, height: rendition.height)
        }
        return thumbnails
    }

    static func make(_ folder: URL) throws(FolioError) {
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw FolioError("cannot create \(folder.path): \(error.localizedDescription)", path: folder.path)
        }
    }

    // MARK: - The page

    /// Where `folio diff --out` may write: an earlier report is replaced, nothing else is.
    public static let destination = ReportFile(kind: "the report", writer: "folio diff") { bytes in
        let head = String(decoding: bytes.prefix(1024), as: UTF8.self)
        return head.hasPrefix("<!doctype html>") && head.contains("<title>\(titlePrefix)")
    }

    /// How the report's `<title>` begins, which tells an earlier report from any other HTML.
    static let titlePrefix = "Folio diff: "

    /// The whole page.
    public var html: String {
        let revision = "\(diff.revision) (\(diff.commit.prefix(12)))"
        var out = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
            <title>\(Self.titlePrefix)\(e(revision)) → working tree</title>
            <style>\(Self.style)</style>
            </head>
            <body>
            <h1>Folio diff: \(e(revision)) → working tree</h1>
            <p class="summary">\(e(diff.summary))</p>

            """
        if !diff.revisionProblems.isEmpty {
            let count = diff.revisionProblems.count
            out += "<p class=\"warning\">\(count) problem\(count == 1 ? "" : "s") in the prompt files at \(e(diff.revision)); "
            out += "a prompt that did not load is compared as absent:</p>\n<ul class=\"warning\">\n"
            for problem in diff.revisionProblems { out += "<li><code>\(e(problem.description))</code></li>\n" }
            out += "</ul>\n"
        }
        if diff.prompts.isEmpty { out += "<p>No prompt differs.</p>\n" }
        for prompt in diff.prompts { out += section(prompt) }
        out += "</body>\n</html>\n"
        return out
    }

    /// One prompt: what changed, its images side by side, and its cost.
    func section(_ prompt: PromptDiff) -> String {
        let title = (prompt.new.prompt ?? prompt.old.prompt)?.title
        var out = "<section class=\"prompt \(prompt.kind.rawValue)\">\n"
        out += "<h2><span class=\"kind\">\(prompt.kind.rawValue)</span> <code>\(e(prompt.id))</code>\(title.map { " — \(e($0))" } ?? "")</h2>\n"
        // The images are shown below, side by side, rather than as lists of hashes; the cost under them.
        let entry = prompt.entry.filter { $0.key != "images" && $0.key != "cost" }
        let rows = [("generation", prompt.generation), ("display", prompt.display), ("lock entry", entry)].filter { !$0.1.isEmpty }
        if !rows.isEmpty {
            // A prompt on one side only has one column: its values.
            let both = prompt.kind == .changed
            let sides = both ? "<th>\(e(diff.revision))</th><th>working tree</th>" : "<th>\(prompt.kind == .added ? "working tree" : e(diff.revision))</th>"
            out += "<table>\n<tr><th></th><th>key</th>\(sides)</tr>\n"
            for (group, changes) in rows {
                for change in changes {
                    let note = change.summary.map { "<div class=\"note\">\(e($0))</div>" } ?? ""
                    out += "<tr><td class=\"group\">\(group)</td><td><code>\(e(change.key))</code></td>"
                    out += both ? "<td>\(cell(change.old))</td><td>\(cell(change.new))\(note)</td></tr>\n" : "<td>\(cell(change.new ?? change.old))</td></tr>\n"
                }
            }
            out += "</table>\n"
        }
        out += images(prompt)
        out += "<p class=\"cost\">\(e(costLine(prompt)))</p>\n"
        out += "</section>\n"
        return out
    }

    /// Each variant's old image beside its new one.
    func images(_ prompt: PromptDiff) -> String {
        let old = prompt.old.outputs, new = prompt.new.outputs
        let variants = Set(old.map(\.index) + new.map(\.index)).sorted()
        var out = "<div class=\"variants\">\n"
        if let images = prompt.entry.first(where: { $0.key == "images" }), let summary = images.summary {
            out += "<p class=\"note\">images: \(e(summary))</p>\n"
        }
        if let stale = Self.notGenerated(prompt.new) { out += "<p class=\"warning\">\(e(stale))</p>\n" }
        for variant in variants {
            let before = old.first { $0.index == variant }, after = new.first { $0.index == variant }
            let hiddenBefore = prompt.old.prompt?.hidden.contains(variant) ?? false
            let hiddenAfter = prompt.new.prompt?.hidden.contains(variant) ?? false
            out += "<div class=\"pair\">"
            // One image on both sides is shown once (the report stays small).
            if let sha = before?.asset?.sha256, sha == after?.asset?.sha256 {
                let side = hiddenBefore == hiddenAfter ? "both sides" : "both sides (\(hiddenAfter ? "hidden now" : "shown now"))"
                out += figure(after, side: side, hidden: hiddenBefore && hiddenAfter, variant: variant)
            } else {
                // A prompt on one side only shows that side.
                if prompt.kind != .added { out += figure(before, side: diff.revision, hidden: hiddenBefore, variant: variant) }
                if prompt.kind != .removed { out += figure(after, side: "working tree", hidden: hiddenAfter, variant: variant) }
            }
            out += "</div>\n"
        }
        return out + "</div>\n"
    }

    /// Why the working tree's images are not what its prompt now asks for, if they are not: the
    /// prompt changed and was not generated again (yet).
    static func notGenerated(_ side: DiffSide) -> String? {
        guard let prompt = side.prompt, !prompt.draft else { return nil }
        guard let entry = side.entry else { return "not generated yet: run folio build to make its images" }
        guard entry.inputHash != prompt.inputHash else { return nil }
        return "not generated again yet: the images below were made before the prompt changed; run folio build to make new ones"
    }

    func figure(_ output: LockOutput?, side: String, hidden: Bool, variant: Int) -> String {
        let caption = "\(e(side)) · variant \(variant)\(hidden ? " · hidden" : "")"
        guard let output else { return "<figure><div class=\"none\">none</div><figcaption>\(caption)</figcaption></figure>" }
        guard let asset = output.asset, let thumbnail = thumbnails[asset.sha256] else {
            let why = output.asset == nil ? "not downloaded" : "not available (not in assets/ or at the revision)"
            return "<figure><div class=\"none\">\(why)</div><figcaption>\(caption)</figcaption></figure>"
        }
        let source = "data:image/jpeg;base64," + Data(thumbnail.jpeg).base64EncodedString()
        return """
            <figure><img src="\(source)" width="\(thumbnail.width)" height="\(thumbnail.height)" alt="\(e(side)), variant \(variant)">\
            <figcaption>\(caption) · \(asset.width)×\(asset.height) · <code>\(asset.sha256.prefix(12))</code></figcaption></figure>
            """
    }

    /// A value in a table cell: text as it is (in a `<pre>` when it has lines), anything else as compact JSON.
    func cell(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "<span class=\"unset\">not set</span>" }
        let text = value.stringValue ?? value.compact
        return text.contains("\n") || text.count > 80 ? "<pre>\(e(text))</pre>" : "<code>\(e(text))</code>"
    }

    /// `cost: {"units":1} → {"units":2}; at folio.yml's prices 0.14 → 0.28 (+0.14)`.
    func costLine(_ prompt: PromptDiff) -> String {
        ProjectDiff.costText(prompt, prices: diff.prices)
    }

    func e(_ text: String) -> String { XML.escape(text) }

    static let style = """
        body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
        h1{font-size:1.4rem}h2{font-size:1.1rem;margin:0 0 .6rem}code,pre{font:13px ui-monospace,monospace}
        pre{white-space:pre-wrap;margin:0;max-height:12rem;overflow:auto}
        section{border:1px solid #ddd;border-radius:6px;padding:1rem;margin:1rem 0}
        .kind{font-size:.8rem;text-transform:uppercase;padding:.1rem .4rem;border-radius:4px;background:#eee}
        .added .kind{background:#dcfce7}.removed .kind{background:#fee2e2}.changed .kind{background:#fef9c3}
        table{border-collapse:collapse;margin:.5rem 0;width:100%}td,th{border-top:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
        .group,.note,figcaption,.none,.unset{color:#666;font-size:.85rem}
        .variants{display:flex;flex-direction:column;gap:.8rem}.pair{display:flex;gap:1rem;align-items:flex-start;flex-wrap:wrap}
        figure{margin:0;width:320px}img{max-width:100%;height:auto;display:block;background:#f4f4f4}
        .none{display:flex;align-items:center;justify-content:center;height:6rem;background:#f4f4f4}
        .warning{color:#92400e}
        """
}

// MARK: - Text and JSON

extension ProjectDiff {
    /// `3 prompts differ from HEAD: 1 added, 1 removed, 1 changed; cost +0.14 USD`.
    public var summary: String {
        let counts = [PromptDiff.Kind.added, .removed, .changed].map { kind in (kind, prompts.count { $0.kind == kind }) }.filter { $0.1 > 0 }
        guard !prompts.isEmpty else { return "no prompt differs from \(revision)" }
        let parts = counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        var text = "\(prompts.count) prompt\(prompts.count == 1 ? "" : "s") differ\(prompts.count == 1 ? "s" : "") from \(revision): \(parts)"
        if prices.isEmpty {
            text += "; no prices in folio.yml, so costs are as the gateway reported them"
        } else {
            text += "; cost \(Self.signed(costDifference, currency: prices.currency))"
        }
        return text
    }

    /// `text` with the characters a terminal acts on (`isUnprintable`) written as `\u{1b}`, whole, not cut.
    static func printable(_ text: String) -> String {
        text.unicodeScalars.map { $0.isUnprintable ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined()
    }

    /// One line per changed prompt, then the summary: what `folio diff` prints.
    public var lines: [String] {
        var lines: [String] = []
        for prompt in prompts {
            // A prompt's id is plain `[a-z0-9-/]`, but one known only from a lock entry is any text:
            // its control characters are escaped (whole, not cut). Values are escaped and cut short by `KeyChange.line`.
            lines.append(prompt.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0) + Self.printable(prompt.id))
            // A prompt on one side only is named with what it makes; a changed one with every key that changed.
            let changes = prompt.kind == .changed ? prompt.generation + prompt.display + prompt.entry : prompt.entry.filter { $0.key == "images" }
            for change in changes { lines.append("         " + change.line) }
        }
        lines.append(summary)
        return lines
    }

    /// `folio diff --json`.
    public func json(report: String?) -> JSONValue {
        func changes(_ list: [KeyChange]) -> JSONValue {
            .array(
                list.map { change in
                    var pairs: [(String, JSONValue)] = [("key", .string(change.key)), ("old", change.old ?? .null), ("new", change.new ?? .null)]
                    if let summary = change.summary { pairs.append(("summary", .string(summary))) }
                    return .object(pairs)
                })
        }
        func images(_ side: DiffSide) -> JSONValue { .array(side.outputs.map { $0.asset.map { .string($0.sha256) } ?? .null }) }
        let entries: [JSONValue] = prompts.map { prompt in
            .object([
                ("id", .string(prompt.id)), ("change", .string(prompt.kind.rawValue)),
                ("generation", changes(prompt.generation)), ("display", changes(prompt.display)), ("entry", changes(prompt.entry)),
                ("images", .object([("old", images(prompt.old)), ("new", images(prompt.new))])),
                ("new_images", .int(prompt.newImages.count)),
                (
                    "cost",
                    .object([
                        ("old", prompt.old.entry?.cost ?? .null), ("new", prompt.new.entry?.cost ?? .null),
                        ("old_spent", Money.json(prompt.old.spent)), ("new_spent", Money.json(prompt.new.spent)),
                        ("difference", Money.json(prompt.costDifference)),
                    ])
                ),
            ])
        }
        return .object([
            ("revision", .string(revision)), ("commit", .string(commit)), ("report", report.map { .string($0) } ?? .null),
            ("currency", prices.currency.map { .string($0) } ?? .null), ("prompts", .array(entries)),
            ("cost_difference", Money.json(costDifference)),
        ])
    }

    /// `cost: {"units":1} → {"units":2}; priced 0.14 → 0.28 USD (+0.14)`: what the gateway reported
    /// on each side, and those reports at `prices:` when it has them.
    static func costText(_ prompt: PromptDiff, prices: Prices) -> String {
        let currency = prices.currency
        func reported(_ side: DiffSide) -> String {
            guard let entry = side.entry else { return "no entry" }
            return entry.cost?.compact ?? "none reported"
        }
        var text = "cost as reported: \(reported(prompt.old)) → \(reported(prompt.new))"
        if !prices.isEmpty {
            text += "; priced: \(Money.text(prompt.old.spent, currency: nil)) → \(Money.text(prompt.new.spent, currency: currency))"
            text += " (\(signed(prompt.costDifference, currency: currency)))"
        }
        return text
    }

    /// `+0.14 USD`, `-0.03`, `unknown`.
    static func signed(_ amount: Double?, currency: String?) -> String {
        guard let amount else { return "unknown" }
        return (amount > 0 ? "+" : "") + Money.text(amount, currency: currency)
    }
}
