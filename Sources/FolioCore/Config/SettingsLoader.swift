import Foundation

/// Reads `folio.yml` into `Settings`, reporting every problem with its line.
public enum SettingsLoader {
    public static let fileName = "folio.yml"

    static let topKeys = ["title", "description", "author", "base_url", "language", "gateway", "prices", "defaults", "images", "pagination", "output"]
    static let gatewayKeys = ["base_url", "concurrency", "retries", "poll_timeout", "max_cost"]
    static let imageKeys = ["widths", "formats", "quality", "effort"]
    /// Keys that describe one image, not a gallery's habit, and so make no sense as defaults.
    static let perPromptOnly: Set<FrontMatterKey> = [.title, .alt, .caption, .date, .cover, .hide, .weight, .images]

    /// Loads `folio.yml` from `project`; a missing file gives the defaults.
    public static func load(project: URL) -> (Settings, [Diagnostic]) {
        let (settings, problems, _) = loadWithDigest(project: project)
        return (settings, problems)
    }

    /// Loads `folio.yml` from `project`, with the SHA-256 of the very bytes read ("none" without the
    /// file): what the site was made from, even if the file changes while it renders.
    public static func loadWithDigest(project: URL) -> (Settings, [Diagnostic], digest: String) {
        let url = project.appendingPathComponent(fileName)
        let data: [UInt8]
        switch FastFiles.read(url.path, atMost: SourceText.maxBytes) {
        case .bytes(let bytes): data = bytes
        case .tooLarge(let size):
            return (
                Settings(), [Diagnostic(file: fileName, message: "the file is \(SourceText.megabytes(size)); \(fileName) may be at most 1 MB")], "too large"
            )
        case .unreadable: return (Settings(), [], "none")
        }
        let digest = SHA256Hex.of(data)
        let text: String
        switch SourceText.decode(data, file: fileName) {
        case .success(let decoded): text = decoded
        case .failure(let diagnostic): return (Settings(), [diagnostic], digest)
        }
        let (settings, problems) = load(text: text, project: project)
        return (settings, problems, digest)
    }

    /// Loads settings from the text of a `folio.yml`. With `project`, an `output` is checked against the
    /// project's folders on disk (`OutputFolder`); without, only by its name.
    public static func load(text: String, project: URL? = nil) -> (Settings, [Diagnostic]) {
        var settings = Settings()
        var problems: [Diagnostic] = []
        let root: YAMLNode?
        do {
            root = try YAMLDocument.parse(text, file: fileName)
        } catch {
            return (settings, [error])
        }
        guard let root, !root.isNull else { return (settings, []) }
        let entries: [YAMLEntry]
        do {
            entries = try root.entries(key: "folio.yml")
        } catch {
            return (
                settings,
                [
                    Diagnostic(
                        file: fileName, line: root.line, column: root.column,
                        message: "folio.yml must be a mapping of settings (title: …, gateway: …)")
                ]
            )
        }
        for entry in entries {
            do {
                try apply(entry, to: &settings, problems: &problems, project: project)
            } catch {
                problems.append(error)
            }
        }
        return (settings, problems)
    }

    private static func unknown(_ entry: YAMLEntry, in section: String?, known: [String]) -> Diagnostic {
        let place = section.map { "in '\($0)' " } ?? ""
        return entry.keyNode.diagnostic(
            "unknown setting '\(entry.key)' \(place)of folio.yml; settings: \(known.listed)\(Suggest.didYouMean(entry.key, in: known))",
            key: section.map { "\($0).\(entry.key)" } ?? entry.key)
    }

    private static func apply(_ entry: YAMLEntry, to settings: inout Settings, problems: inout [Diagnostic], project: URL?) throws(Diagnostic) {
        let v = entry.value
        switch entry.key {
        case "title": settings.title = try v.text(key: "title")
        case "description": settings.description = try v.text(key: "description")
        case "author":
            // Left empty or null, no image names a prompt writer.
            if v.isNull { settings.author = nil; return }
            let name = try v.text(key: "author").trimmingCharacters(in: .whitespacesAndNewlines)
            settings.author = name.isEmpty ? nil : name
        case "language": settings.language = try v.text(key: "language")
        case "base_url":
            if v.isNull { settings.baseURL = nil; return }
            var url = try v.text(key: "base_url")
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw v.diagnostic("base_url must be an absolute http(s) URL such as https://example.com/gallery/, not \(v.describe)", key: "base_url")
            }
            if !url.hasSuffix("/") { url += "/" }
            settings.baseURL = url
        case "pagination":
            let value = try v.integer(key: "pagination")
            guard value >= 1 else { throw v.diagnostic("pagination must be 1 or more images per page, not \(value)", key: "pagination") }
            settings.pagination = value
        case "output":
            let value = try v.text(key: "output").trimmingCharacters(in: .whitespaces)
            if let project {
                // By real path: `./.`, `site/..`, a link to prompts/ and a file are all caught here.
                let folder = OutputFolder.resolve(value, relativeTo: project)
                if let problem = OutputFolder.problem(folder, project: project, shownAs: value) {
                    throw v.diagnostic(problem, key: "output")
                }
            } else {
                let normalized = value.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                guard !normalized.isEmpty, ![".", "..", "prompts", "assets", "templates"].contains(normalized) else {
                    throw v.diagnostic("output '\(value)' would overwrite the project's own files; name a folder of its own, such as site", key: "output")
                }
            }
            settings.output = value
        case "gateway":
            for item in try v.entries(key: "gateway") {
                do {
                    try applyGateway(item, to: &settings.gateway)
                } catch {
                    problems.append(error)
                }
            }
        case "images":
            for item in try v.entries(key: "images") {
                do {
                    try applyImages(item, to: &settings.images, problems: &problems)
                } catch {
                    problems.append(error)
                }
            }
        case "defaults":
            problems += applyDefaults(v, to: &settings.defaults)
        case "prices":
            problems += applyPrices(v, to: &settings.prices)
        default:
            throw unknown(entry, in: nil, known: topKeys)
        }
    }

    private static func applyGateway(_ entry: YAMLEntry, to gateway: inout Settings.Gateway) throws(Diagnostic) {
        let v = entry.value
        let key = "gateway.\(entry.key)"
        switch entry.key {
        case "base_url":
            let url = try v.text(key: key)
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw v.diagnostic("\(key) must be an absolute http(s) URL such as https://api.anyint.ai, not \(v.describe)", key: key)
            }
            gateway.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        case "concurrency":
            let value = try v.integer(key: key)
            guard (1...64).contains(value) else { throw v.diagnostic("\(key) must be between 1 and 64, not \(value)", key: key) }
            gateway.concurrency = value
        case "retries":
            let value = try v.integer(key: key)
            guard (0...20).contains(value) else { throw v.diagnostic("\(key) must be between 0 and 20, not \(value)", key: key) }
            gateway.retries = value
        case "poll_timeout":
            let text = try v.text(key: key)
            guard let seconds = DurationText.seconds(text), seconds > 0 else {
                throw v.diagnostic("\(key) must be a duration such as 90s, 10m or 1h, not \(v.describe)", key: key)
            }
            gateway.pollTimeout = seconds
        case "max_cost":
            gateway.maxCost = v.isNull ? nil : try amount(v, key: key)
        default:
            throw unknown(entry, in: "gateway", known: gatewayKeys)
        }
    }

    private static func applyImages(_ entry: YAMLEntry, to images: inout Settings.Images, problems: inout [Diagnostic]) throws(Diagnostic) {
        let v = entry.value
        let key = "images.\(entry.key)"
        switch entry.key {
        case "widths":
            guard case .sequence(let items) = v.value, !items.isEmpty else {
                throw v.diagnostic("\(key) must be a list of pixel widths such as [480, 960, 1600]", key: key)
            }
            var widths: [Int] = []
            for item in items {
                let width = try item.integer(key: key)
                guard (16...10000).contains(width) else {
                    throw item.diagnostic("\(key): \(width) is not a usable width; give pixel widths from 16 to 10000", key: key)
                }
                widths.append(width)
            }
            images.widths = Array(Set(widths)).sorted()
        case "formats":
            let names = try v.textList(key: key)
            guard !names.isEmpty else { throw v.diagnostic("\(key) must name at least one of webp, jpeg, avif", key: key) }
            var formats: [ImageOutputFormat] = []
            for name in names {
                let lowered = name.lowercased() == "jpg" ? "jpeg" : name.lowercased()
                guard let format = ImageOutputFormat(rawValue: lowered) else {
                    throw v.diagnostic(
                        "\(key): unknown format '\(name)'; allowed: webp, jpeg, avif\(Suggest.didYouMean(name, in: ImageOutputFormat.allCases.map(\.rawValue)))",
                        key: key)
                }
                if !formats.contains(format) { formats.append(format) }
            }
            images.formats = formats
        case "quality":
            var seen: Set<ImageOutputFormat> = []
            for item in try formatEntries(v, key: key, example: "{webp: 80, jpeg: 82, avif: 55}") {
                do {
                    let (format, value) = try encodingValue(item, in: key, range: { _ in ImageEncoding.qualityRange }, seen: &seen)
                    images.encoding.quality[format] = value
                } catch {
                    problems.append(error)
                }
            }
        case "effort":
            var seen: Set<ImageOutputFormat> = []
            for item in try formatEntries(v, key: key, example: "{webp: 2, avif: 3}") {
                do {
                    let (format, value) = try encodingValue(item, in: key, range: { ImageEncoding.effortRange[$0] }, seen: &seen)
                    images.encoding.effort[format] = value
                } catch {
                    problems.append(error)
                }
            }
        default:
            throw unknown(entry, in: "images", known: imageKeys)
        }
    }

    /// The entries of `images.quality` or `images.effort`, which map formats to numbers.
    private static func formatEntries(_ node: YAMLNode, key: String, example: String) throws(Diagnostic) -> [YAMLEntry] {
        guard case .mapping = node.value else {
            throw node.diagnostic("\(key) must map formats to numbers, such as \(key.dropFirst("images.".count)): \(example)", key: key)
        }
        return try node.entries(key: key)
    }

    /// One `format: number` entry of `images.quality` or `images.effort`, checked against the
    /// values libvips takes for that format (`range` is nil for a format without the setting).
    private static func encodingValue(
        _ entry: YAMLEntry, in section: String, range: (ImageOutputFormat) -> ClosedRange<Int>?, seen: inout Set<ImageOutputFormat>
    ) throws(Diagnostic) -> (ImageOutputFormat, Int) {
        let key = "\(section).\(entry.key)"
        let formats = ImageOutputFormat.allCases.filter { range($0) != nil }
        let name = entry.key.lowercased() == "jpg" ? "jpeg" : entry.key.lowercased()
        guard let format = ImageOutputFormat(rawValue: name) else {
            let names = formats.map(\.rawValue)
            throw entry.keyNode.diagnostic(
                "unknown format '\(entry.key)' in '\(section)' of folio.yml; it takes: \(names.listed)\(Suggest.didYouMean(entry.key, in: names))", key: key)
        }
        // `jpg` and `JPEG` name the same format as `jpeg`: YAML's duplicate-key check cannot see it.
        guard seen.insert(format).inserted else {
            throw entry.keyNode.diagnostic("\(key): \(format.rawValue) is already set in \(section) (names ignore case, and jpg is jpeg); keep one", key: key)
        }
        guard let allowed = range(format) else {
            let takes = formats.compactMap { format in range(format).map { "\(format.rawValue) (\($0.lowerBound)–\($0.upperBound))" } }
            let setting = section.split(separator: ".").last ?? ""
            throw entry.keyNode.diagnostic("\(key): \(format.rawValue) has no \(setting) setting; \(section) takes \(takes.listed)", key: key)
        }
        let value = try entry.value.integer(key: key)
        guard allowed.contains(value) else {
            throw entry.value.diagnostic("\(key) must be between \(allowed.lowerBound) and \(allowed.upperBound), not \(value)", key: key)
        }
        return (format, value)
    }

    private static func applyDefaults(_ node: YAMLNode, to defaults: inout Settings.Defaults) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        let entries: [YAMLEntry]
        do {
            entries = try node.entries(key: "defaults")
        } catch {
            return [error]
        }
        let frontKeys = FrontMatterKey.allCases.filter { !perPromptOnly.contains($0) }.map(\.rawValue)
        for entry in entries {
            if let route = RouteID(rawValue: entry.key) {
                let items: [YAMLEntry]
                do {
                    items = try entry.value.entries(key: "defaults.\(entry.key)")
                } catch {
                    problems.append(error)
                    continue
                }
                for item in items {
                    let dotted = "defaults.\(route.rawValue).\(item.key)"
                    guard let key = FrontMatterKey(rawValue: item.key), !perPromptOnly.contains(key), key != .route else {
                        let known = route.rules.acceptedKeyNames.filter {
                            FrontMatterKey(rawValue: $0).map { !perPromptOnly.contains($0) && $0 != .route } ?? false
                        }
                        problems.append(
                            item.keyNode.diagnostic(
                                "unknown default '\(item.key)' for route \(route.rawValue); it takes: \(known.listed)\(Suggest.didYouMean(item.key, in: known))",
                                key: dotted))
                        continue
                    }
                    guard route.rules.accepts(key) else {
                        problems.append(item.keyNode.diagnostic(route.rules.refusal(of: key), key: dotted))
                        continue
                    }
                    defaults.byRoute[route, default: [:]][key] = item.value
                }
                continue
            }
            guard let key = FrontMatterKey(rawValue: entry.key), !perPromptOnly.contains(key) else {
                let known = frontKeys + RouteID.allCases.map(\.rawValue)
                problems.append(
                    entry.keyNode.diagnostic(
                        "unknown default '\(entry.key)'; defaults take generation keys, tags, draft, private, or a route name (\(RouteID.allCases.map(\.rawValue).listed)) holding that route's defaults\(Suggest.didYouMean(entry.key, in: known))",
                        key: "defaults.\(entry.key)"))
                continue
            }
            if key == .model {
                problems.append(
                    entry.keyNode.diagnostic(
                        "a default model belongs to one route: put it under that route, as in 'defaults: { kling: { model: kling-v2-1 } }'",
                        key: "defaults.model"))
                continue
            }
            if key == .route {
                let name = (try? entry.value.text(key: "defaults.route")) ?? ""
                guard RouteID(rawValue: name) != nil else {
                    problems.append(
                        entry.value.diagnostic(
                            "unknown route '\(name)'; routes: \(RouteID.allCases.map(\.rawValue).listed)\(Suggest.didYouMean(name, in: RouteID.allCases.map(\.rawValue)))",
                            key: "defaults.route"))
                    continue
                }
            }
            defaults.all[key] = entry.value
        }
        return problems
    }
}
