import Foundation
@testable import FolioCore
import Testing

/// The user guide (`docs/guide/`) against the code: the prompt-file reference lists exactly the
/// keys each route takes, with the values, ranges and defaults the code enforces; the `folio.yml`
/// and template references list exactly the settings and files Folio reads; and every prompt file
/// and `folio.yml` the guide shows is one Folio accepts.
@Suite struct GuideTests {
    static let guide = TestPaths.packageRoot.appendingPathComponent("docs/guide")

    // MARK: - Reading the guide

    /// A page of the guide by its `## ` sections: heading → the lines under it.
    static func sections(_ page: String) throws -> [String: [String]] {
        let text = try String(contentsOf: guide.appendingPathComponent(page), encoding: .utf8)
        var sections: [String: [String]] = [:]
        var heading = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("## ") {
                heading = String(line.dropFirst(3))
                #expect(sections[heading] == nil, "\(page) has two sections named '\(heading)'")
                sections[heading] = []
            } else {
                sections[heading, default: []].append(String(line))
            }
        }
        return sections
    }

    /// One table row whose first cell is a name in backticks: the name and the cells after it.
    struct Row {
        var key: String
        var cells: [String]
    }

    /// The rows in `lines` of tables whose first cell is a name in backticks (`| \`n\` | … |`).
    static func rows(_ lines: [String]) -> [Row] {
        lines.compactMap { line in
            guard line.hasPrefix("|") else { return nil }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard let first = cells.first, first.count > 2, first.hasPrefix("`"), first.hasSuffix("`"), code(first).count == 1 else { return nil }
            return Row(key: String(first.dropFirst().dropLast()), cells: Array(cells.dropFirst()))
        }
    }

    /// The spans of `text` in backticks.
    static func code(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// The fenced blocks of a page with the given info string (`markdown`, `yaml`).
    static func blocks(_ page: URL, language: String) throws -> [String] {
        let text = try String(contentsOf: page, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if var lines = current {
                if line == "```" {
                    blocks.append(lines.joined(separator: "\n") + "\n")
                    current = nil
                } else {
                    lines.append(line)
                    current = lines
                }
            } else if line == "```" + language {
                current = []
            }
        }
        return blocks
    }

    static var pages: [URL] {
        get throws {
            try FileManager.default.contentsOfDirectory(at: guide, includingPropertiesForKeys: nil).filter { $0.pathExtension == "md" }
                .sorted { $0.path < $1.path }
        }
    }

    // MARK: - Decoding as Folio does

    /// A prompt file decoded with Folio's default settings (an empty `folio.yml`) in `project`.
    static func decode(_ text: String, project: URL) -> (Prompt?, [Diagnostic]) {
        decodePrompt(text, id: "example", project: project)
    }

    /// What Folio sends for `key` when a file on `route` leaves it out (and the defaults do too).
    static func effectiveDefault(_ key: FrontMatterKey, route: RouteID, project: URL) throws -> String? {
        // A series' size is read only for a series.
        let series = key == .seriesAmount ? "result_type: series\n" : ""
        let (prompt, problems) = decode("---\nroute: \(route.rawValue)\n\(series)---\nA test prompt\n", project: project)
        let g = try #require(prompt?.generation, "\(problems)")
        switch key {
        case .model: return g.model
        case .n: return String(g.n)
        case .aspectRatio: return g.aspectRatio
        case .size: return g.size
        case .resolution: return g.resolution
        case .imageSize: return g.imageSize
        case .seed: return g.seed.map(String.init)
        case .watermark: return g.watermark.map(String.init)
        case .promptExtend: return g.promptExtend.map(String.init)
        case .resultType: return g.resultType
        case .seriesAmount: return g.seriesAmount.map(String.init)
        case .negativePrompt: return g.negativePrompt
        case .images: return g.images.isEmpty ? nil : "\(g.images.count)"
        case .extra: return g.extra?.compact
        case .route: return g.route.rawValue
        case .title, .alt, .tags, .caption, .date, .weight, .draft, .cover, .hide, .private: return nil
        }
    }

    /// "1–9" as the guide writes a range.
    static func span(_ range: ClosedRange<Int>) -> String { "\(range.lowerBound)–\(range.upperBound)" }

    // MARK: - prompt-files.md

    @Test func theDisplayKeysAreExactlyTheCodesWithTheirValues() throws {
        let rows = Self.rows(try #require(try Self.sections("prompt-files.md")["Display keys"], "no section 'Display keys'"))
        let documented = rows.map(\.key)
        let display = FrontMatterKey.allCases.filter { !$0.isGenerationKey }.map(\.rawValue)
        #expect(Set(documented) == Set(display), "documented \(documented.sorted()), the code's display keys \(display.sorted())")
        #expect(documented.count == Set(documented).count, "a display key is listed twice")
        let privateRow = try #require(rows.first { $0.key == "private" })
        #expect(Set(Self.code(privateRow.cells[0])) == Set(PrivateField.allCases.map(\.rawValue)), "\(privateRow.cells[0])")
        #expect(Self.code(try #require(rows.first { $0.key == "draft" }).cells[1]) == ["false"])
        #expect(Self.code(try #require(rows.first { $0.key == "cover" }).cells[1]) == ["0"])
    }

    @Test func theRouteKeyListsEveryRouteAndTheDefault() throws {
        let rows = Self.rows(try #require(try Self.sections("prompt-files.md")["The route"], "no section 'The route'"))
        #expect(rows.map(\.key) == ["route", PromptDecoder.routesKey])
        let row = try #require(rows.first)
        #expect(Self.code(row.cells[0]) == RouteID.allCases.map(\.rawValue), "routes in the registry's order")
        let builtIn = try #require(Settings.Defaults.builtIn.all[.route]).text(key: "route")
        #expect(Self.code(row.cells[1]) == [builtIn])
    }

    /// The overview's ✓ marks are `RouteRules.accepts`, for every generation key and every route.
    @Test func theKeyMatrixIsTheRouteRules() throws {
        let lines = try #require(try Self.sections("prompt-files.md")["Which route takes which key"], "no section 'Which route takes which key'")
        let header = try #require(lines.first { $0.hasPrefix("| Key |") }, "no table header")
        let routes = header.split(separator: "|").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(routes == RouteID.allCases.map(\.rawValue), "the columns are the routes of Routes.all, in order")
        let rows = Self.rows(lines)
        let keys = FrontMatterKey.allCases.filter { $0.isGenerationKey && $0 != .route }
        #expect(Set(rows.map(\.key)) == Set(keys.map(\.rawValue)), "one row per generation key but route: \(rows.map(\.key))")
        #expect(rows.count == keys.count, "a key is listed twice")
        for row in rows {
            guard let key = FrontMatterKey(rawValue: row.key) else { continue }
            for (route, cell) in zip(RouteID.allCases, row.cells) {
                #expect((cell == "✓") == route.rules.accepts(key), "\(row.key) on \(route): the guide says '\(cell)'")
            }
        }
    }

    @Test func thereIsOneSectionPerRoute() throws {
        let headings = try Self.sections("prompt-files.md").keys.filter { $0.hasPrefix("Route `") }
        #expect(Set(headings) == Set(RouteID.allCases.map { "Route `\($0.rawValue)`" }), "\(headings.sorted())")
    }

    /// Each route's section: exactly the generation keys it takes, each with the values the rules
    /// allow (no more, no fewer), its ranges and limits, and the value Folio sends when it is unset.
    @Test(arguments: RouteID.allCases)
    func aRoutesSectionListsExactlyItsKeysValuesAndDefaults(_ route: RouteID) throws {
        let lines = try #require(try Self.sections("prompt-files.md")["Route `\(route.rawValue)`"], "no section for \(route)")
        let text = lines.joined(separator: "\n")
        // Sentences as they read, across the page's line breaks.
        let prose = lines.joined(separator: " ")
        let rules = route.rules
        let project = TestPaths.temporaryFolder("folio-guide")
        defer { try? FileManager.default.removeItem(at: project) }

        let rows = Self.rows(lines)
        let documented = rows.map(\.key)
        let takes = FrontMatterKey.allCases.filter { $0.isGenerationKey && $0 != .route && rules.accepts($0) }.map(\.rawValue)
        #expect(Set(documented) == Set(takes), "\(route): documented \(documented.sorted()), the route takes \(takes.sorted())")
        #expect(documented.count == Set(documented).count, "\(route): a key is listed twice")

        for row in rows {
            let key = try #require(FrontMatterKey(rawValue: row.key), "\(route): '\(row.key)' is not a front-matter key")
            try #require(row.cells.count == 2, "\(route): the row of \(row.key) has \(row.cells.count + 1) cells, not 3")
            let values = row.cells[0], valueCode = Set(Self.code(values))
            func has(_ text: String) { #expect(values.contains(text), "\(route).\(key.rawValue): '\(values)' should say '\(text)'") }

            switch key {
            case .model: #expect(valueCode == Set(rules.models), "\(route) models: \(valueCode.sorted()) vs \(rules.models)")
            case .aspectRatio: #expect(valueCode == Set(rules.aspectRatios), "\(route) aspect ratios: \(valueCode.sorted())")
            case .size: #expect(valueCode == Set(rules.sizes), "\(route) sizes: \(valueCode.sorted())")
            case .resolution: #expect(valueCode == Set(rules.resolutions), "\(route) resolutions: \(valueCode.sorted())")
            case .imageSize: #expect(valueCode == Set(rules.imageSizes), "\(route) image sizes: \(valueCode.sorted())")
            case .watermark, .promptExtend: #expect(valueCode == ["true", "false"])
            case .n: has(Self.span(rules.n))
            case .seed:
                let range = try #require(rules.seedRange)
                has(Self.span(range))
            case .seriesAmount:
                let range = try #require(rules.seriesAmount)
                has(Self.span(range))
            case .negativePrompt:
                let limit = try #require(rules.maxNegativePromptLength)
                has("at most \(limit) characters")
            case .images:
                let references = try #require(rules.references)
                has("\(references.maxCount) reference image")
                has("\(references.maxBytes / 1_000_000) MB")
                #expect(valueCode == Set(references.formats), "\(route) reference formats: \(valueCode.sorted())")
                if let side = references.minSide { has("at least \(side) px") }
                if let range = references.aspectRange {
                    has(String(format: "between 1:%g and %g:1", 1 / range.lowerBound, range.upperBound))
                }
            case .extra:
                #expect(valueCode == Set(route.definition.modelledFields), "\(route): extra may not replace \(route.definition.modelledFields)")
            default:
                break
            }

            // Every value the row names is one the decoder accepts on this route.
            if ![.images, .extra, .n, .seed, .seriesAmount, .negativePrompt].contains(key) {
                for value in valueCode {
                    let images = value == "auto" ? "images: [ref/bottle.png]\n" : ""
                    if !images.isEmpty { try Self.placeReferenceImages(["ref/bottle.png"], in: project) }
                    let tail = value == "auto" ? "<<<image_1>>>" : ""
                    let file = "---\nroute: \(route.rawValue)\n\(images)\(key.rawValue): \(value)\n---\nA test prompt \(tail)\n"
                    let (_, problems) = Self.decode(file, project: project)
                    #expect(problems.isEmpty, "\(route): the guide lists \(key.rawValue) '\(value)', which Folio refuses: \(problems)")
                }
            }

            // The default: the value Folio sends when nothing sets the key, or none.
            let defaultCode = Self.code(row.cells[1])
            if let expected = try Self.effectiveDefault(key, route: route, project: project) {
                #expect(defaultCode.first == expected, "\(route).\(key.rawValue): the default is \(expected), the guide says '\(row.cells[1])'")
            } else {
                #expect(defaultCode.isEmpty, "\(route).\(key.rawValue): Folio sends no default, the guide says '\(row.cells[1])'")
            }
        }

        // The route as a whole: its prompt limit, its requests, how long its results live.
        if let limit = rules.maxPromptLength {
            #expect(prose.contains("prompt may be at most \(limit) characters"), "\(route): the prompt limit \(limit)")
        } else {
            #expect(prose.contains("no limit on the prompt"), "\(route): no prompt limit")
        }
        switch rules.imagesPerCall {
        case .one: #expect(prose.contains("one request per image"), "\(route): one image per request")
        case .all: #expect(prose.contains("one request for all"), "\(route): one request for all images")
        }
        switch rules.resultLifetime {
        case nil: #expect(prose.contains("inline"), "\(route): results inline")
        case let seconds? where seconds < 2 * 86400: #expect(prose.contains("\(Int(seconds / 3600)) hours"), "\(route): result lifetime")
        case let seconds?: #expect(prose.contains("\(Int(seconds / 86400)) days"), "\(route): result lifetime")
        }

        // At least one example of the route, which the examples test decodes.
        let examples = try Self.blocks(Self.guide.appendingPathComponent("prompt-files.md"), language: "markdown")
        #expect(examples.contains { text.contains($0) && $0.contains("\nroute: \(route.rawValue)\n") }, "\(route): no example in its section")
    }

    // MARK: - folio-yml.md

    /// Every setting `SettingsLoader` reads, and only those, with Folio's defaults.
    @Test func theSettingsTableIsExactlyWhatFolioReads() throws {
        let rows = Self.rows(try #require(try Self.sections("folio-yml.md")["Every setting"], "no section 'Every setting'"))
        let sections = ["gateway": SettingsLoader.gatewayKeys, "images": SettingsLoader.imageKeys]
        let expected = SettingsLoader.topKeys.flatMap { key in sections[key].map { $0.map { "\(key).\($0)" } } ?? [key] }
        #expect(rows.map(\.key) == expected, "the settings of folio.yml, in SettingsLoader's order")

        let settings = Settings()
        let defaults: [String: String] = [
            "title": settings.title, "description": settings.description, "language": settings.language,
            "gateway.base_url": settings.gateway.baseURL, "gateway.concurrency": "\(settings.gateway.concurrency)",
            "gateway.retries": "\(settings.gateway.retries)", "gateway.poll_timeout": "\(Int(settings.gateway.pollTimeout / 60))m",
            "images.widths": "[\(settings.images.widths.map(String.init).joined(separator: ", "))]",
            "images.formats": "[\(settings.images.formats.map(\.rawValue).joined(separator: ", "))]",
            "images.quality": Self.perFormat(settings.images.encoding.quality), "images.effort": Self.perFormat(settings.images.encoding.effort),
            "pagination": "\(settings.pagination)", "output": settings.output,
        ]
        for row in rows {
            guard let value = defaults[row.key] else { continue }
            #expect(Self.code(row.cells.last ?? "").first == value, "\(row.key): Folio's default is \(value), the guide says '\(row.cells.last ?? "")'")
        }
        let formats = try #require(rows.first { $0.key == "images.formats" })
        #expect(Set(Self.code(formats.cells[0])) == Set(ImageOutputFormat.allCases.map(\.rawValue)))
    }

    /// A per-format setting as folio.yml spells it: `{webp: 80, jpeg: 82, avif: 55}`.
    static func perFormat(_ values: [ImageOutputFormat: Int]) -> String {
        "{" + ImageOutputFormat.allCases.compactMap { format in values[format].map { "\(format.rawValue): \($0)" } }.joined(separator: ", ") + "}"
    }

    // MARK: - templates.md

    @Test func theTemplateTableIsTheThemesFiles() throws {
        let rows = Self.rows(try #require(try Self.sections("templates.md")["The theme's files"], "no section 'The theme's files'"))
        let files = Theme.templates.map { "\($0).mustache" } + Theme.staticFiles
        #expect(Set(rows.map(\.key)) == Set(files), "\(rows.map(\.key))")
    }

    // MARK: - Every example

    /// Writes the sample project's reference image at each path (relative to `prompts/`).
    static func placeReferenceImages(_ paths: [String], in project: URL) throws {
        let bottle = TestPaths.packageRoot.appendingPathComponent("prompts/products/ref/bottle.png")
        for path in paths {
            let target = project.appendingPathComponent("prompts/" + path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: target.path) { try FileManager.default.copyItem(at: bottle, to: target) }
        }
    }

    /// Each prompt file the guide shows (a `markdown` block starting with `---`) decodes with no
    /// error or warning; each `folio.yml` (a `yaml` block starting `# folio.yml`) loads cleanly;
    /// every `yaml` block is YAML.
    @Test func everyPromptFileAndFolioYMLInTheGuideIsAccepted() throws {
        var prompts = 0, settings = 0
        for page in try Self.pages {
            for block in try Self.blocks(page, language: "markdown") where block.hasPrefix("---\n") {
                prompts += 1
                let project = TestPaths.temporaryFolder("folio-guide")
                defer { try? FileManager.default.removeItem(at: project) }
                if let list = block.range(of: #"images: \[([^\]]*)\]"#, options: .regularExpression) {
                    let inner = block[list].drop { $0 != "[" }.dropFirst().dropLast()
                    try Self.placeReferenceImages(inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, in: project)
                }
                let (prompt, problems) = Self.decode(block, project: project)
                #expect(prompt != nil && problems.isEmpty, "\(page.lastPathComponent): an example Folio does not accept:\n\(block)\(problems)")
            }
            for block in try Self.blocks(page, language: "yaml") {
                #expect(throws: Never.self, "\(page.lastPathComponent): not YAML:\n\(block)") { try YAMLDocument.parse(block, file: page.lastPathComponent) }
                guard block.hasPrefix("# folio.yml") else { continue }
                settings += 1
                let (_, problems) = SettingsLoader.load(text: block)
                #expect(problems.isEmpty, "\(page.lastPathComponent): a folio.yml Folio does not accept:\n\(block)\(problems)")
            }
        }
        #expect(prompts >= 6 && settings >= 1, "the guide's examples were not found: \(prompts) prompt files, \(settings) folio.yml")
    }
}
