import Foundation

/// Turns one prompt file's text into a validated `Prompt`, collecting every problem it finds.
public struct PromptDecoder: Sendable {
    public var settings: Settings
    /// The project folder, against which reference image paths are resolved.
    public var project: URL

    public init(settings: Settings, project: URL) {
        self.settings = settings
        self.project = project
    }

    /// Decodes the file at `file` (relative to the project) with id `id`.
    /// Returns the prompt when it has no errors, and every diagnostic either way; for a file that
    /// names several routes (`routes:`), the first route's prompt (`decodeAll` gives every one).
    public func decode(text: String, file: String, id: String) -> (Prompt?, [Diagnostic]) {
        let (prompts, problems) = decodeAll(text: text, file: file, id: id)
        return (prompts.first, problems)
    }

    /// Decodes the file at `file` with id `id` into its prompts: one, or for a file with
    /// `routes: [gemini, kling]` one per route (ids `id@gemini`, `id@kling`, one page `id`). None when
    /// the file has an error; every diagnostic either way.
    public func decodeAll(text: String, file: String, id: String) -> ([Prompt], [Diagnostic]) {
        var problems = Problems(file: file)
        let split: PromptFile
        do {
            split = try PromptFile.split(text, file: file)
        } catch {
            return ([], [error])
        }

        // Front matter: known keys only.
        var fields: [FrontMatterKey: YAMLEntry] = [:]
        // `routes:` and the keys named after routes (`kling: { … }`) are a prompt's several routes.
        var routesEntry: YAMLEntry?
        var routeMaps: [(RouteID, YAMLEntry)] = []
        if let yaml = split.frontMatter {
            do {
                if let root = try YAMLDocument.parse(yaml, file: file, firstLine: split.frontMatterLine), !root.isNull {
                    guard case .mapping(let entries) = root.value else {
                        return ([], [root.diagnostic("the front matter must be 'key: value' lines, not \(root.kindName)", key: nil)])
                    }
                    for entry in entries {
                        if entry.key == Self.routesKey {
                            routesEntry = entry
                            continue
                        }
                        if let route = RouteID(rawValue: entry.key) {
                            routeMaps.append((route, entry))
                            continue
                        }
                        guard let key = FrontMatterKey(rawValue: entry.key) else {
                            problems.add(
                                entry.keyNode.diagnostic(
                                    "unknown key '\(entry.key)'\(Suggest.didYouMean(entry.key, in: Self.topLevelKeys))", key: entry.key))
                            continue
                        }
                        fields[key] = entry
                    }
                }
            } catch {
                return ([], [error])
            }
        } else if split.body.split(separator: "\n").contains(where: { $0.trimmingSuffix() == "---" }),
            let first = split.body.split(separator: "\n").first, first.range(of: #"^[a-z_]+:\s"#, options: .regularExpression) != nil
        {
            problems.add(
                Diagnostic(
                    file: file, line: 1, severity: .warning,
                    message: "this file has no front matter, so all of it is the prompt; did you forget the opening '---'?"))
        }

        let draft = (try? fields[.draft].map { try $0.value.bool(key: "draft") }) ?? nil
        guard let routesEntry else {
            for (route, entry) in routeMaps {
                problems.add(
                    entry.keyNode.diagnostic(
                        "'\(route.rawValue)' holds one route's keys in a prompt with several routes; list them with 'routes: [\(route.rawValue), …]', or set route: \(route.rawValue) and move its keys to the top level",
                        key: route.rawValue))
            }
            let prompt = decodeRoute(fields: fields, forced: nil, split: split, file: file, id: id, draft: draft, problems: &problems)
            let diagnostics = problems.finish(draft: prompt?.draft ?? draft ?? false)
            return (diagnostics.errors.isEmpty ? prompt.map { [$0] } ?? [] : [], diagnostics)
        }

        // Several routes: the top-level keys are every route's, each route's own keys go under its name.
        var routes: [RouteID] = []
        do {
            routes = try Self.routeList(routesEntry)
        } catch {
            problems.add(error)
        }
        if let route = fields[.route] {
            problems.add(route.keyNode.diagnostic("set either 'route' or 'routes', not both; 'routes' lists every route this prompt is sent to", key: "route"))
        }
        var own: [RouteID: [FrontMatterKey: YAMLEntry]] = [:]
        for (route, entry) in routeMaps {
            guard routes.contains(route) else {
                if !routes.isEmpty {
                    problems.add(
                        entry.keyNode.diagnostic(
                            "'\(route.rawValue)' holds keys for a route this prompt does not list; add \(route.rawValue) to routes (\(routes.map(\.rawValue).joined(separator: ", "))) or remove them",
                            key: route.rawValue))
                }
                continue
            }
            do {
                own[route] = try Self.routeKeys(entry, route: route)
            } catch {
                problems.add(error)
            }
        }
        var prompts: [Prompt] = []
        for (position, route) in routes.enumerated() {
            var merged = fields
            for (key, entry) in own[route] ?? [:] { merged[key] = entry }
            let shared = Set(fields.keys).subtracting((own[route] ?? [:]).keys)
            let single = routes.count == 1
            guard
                var prompt = decodeRoute(
                    fields: merged, forced: route, shared: shared, several: !single, split: split, file: file,
                    id: single ? id : "\(id)@\(route.rawValue)", draft: draft, problems: &problems)
            else { continue }
            prompt.page = id
            prompt.routePosition = position
            prompts.append(prompt)
        }
        // The page shows the prompt once: what one route keeps private (a default of folio.yml for
        // that route, say) every route keeps private.
        let withheld = prompts.reduce(into: Set<PrivateField>()) { $0.formUnion($1.privateFields) }
        for index in prompts.indices { prompts[index].privateFields = withheld }
        // Its page names each route and model; withholding them would leave nothing to compare.
        if routes.count > 1, withheld.contains(.parameters) {
            let why = "would withhold the routes and models this prompt is sent to several routes to compare"
            problems.add(
                fields[.private].map {
                    $0.value.diagnostic("private: parameters \(why); take 'parameters' out of private, or list one route", key: "private")
                }
                    ?? Diagnostic(
                        file: file, line: 1, key: "private",
                        message: "private: parameters (a default from folio.yml) \(why); set 'private' in this file without 'parameters', or list one route"))
        }
        let diagnostics = problems.finish(draft: prompts.first?.draft ?? draft ?? false)
        guard diagnostics.errors.isEmpty, prompts.count == routes.count else { return ([], diagnostics) }
        return (prompts, diagnostics)
    }

    /// The top-level key that lists a prompt's routes.
    static let routesKey = "routes"
    /// Every key the top level of a front matter may hold, for did-you-mean.
    static let topLevelKeys = FrontMatterKey.allCases.map(\.rawValue) + [routesKey] + RouteID.allCases.map(\.rawValue)

    /// `routes: [gemini, kling]`: known routes, each once.
    static func routeList(_ entry: YAMLEntry) throws(Diagnostic) -> [RouteID] {
        let names: [String]
        switch entry.value.value {
        case .sequence, .scalar: names = try entry.value.textList(key: routesKey)
        case .mapping: throw entry.value.diagnostic("'routes' must be a list of routes, such as [gemini, kling]", key: routesKey)
        }
        guard !names.isEmpty else {
            throw entry.value.diagnostic("'routes' is empty; list the routes to send this prompt to, such as [gemini, kling]", key: routesKey)
        }
        var routes: [RouteID] = []
        for name in names {
            guard let route = RouteID(rawValue: name) else {
                let all = RouteID.allCases.map(\.rawValue)
                throw entry.value.diagnostic("unknown route '\(name)'; routes: \(all.listed)\(Suggest.didYouMean(name, in: all))", key: routesKey)
            }
            guard !routes.contains(route) else {
                throw entry.value.diagnostic(
                    "route \(name) is listed twice in 'routes'; each route makes one entry, so list it once", key: routesKey)
            }
            routes.append(route)
        }
        return routes
    }

    /// The keys under one route's name (`kling: { resolution: 2k }`): generation keys, and the
    /// variant choices `cover` and `hide`; what the page shows once (the title…) stays at the top level.
    static func routeKeys(_ entry: YAMLEntry, route: RouteID) throws(Diagnostic) -> [FrontMatterKey: YAMLEntry] {
        let name = route.rawValue
        guard case .mapping(let entries) = entry.value.value else {
            if entry.value.isNull { return [:] }
            throw entry.value.diagnostic("'\(name)' must be a mapping of this route's keys, such as '\(name): { model: … }'", key: name)
        }
        var keys: [FrontMatterKey: YAMLEntry] = [:]
        for inner in entries {
            let path = "\(name).\(inner.key)"
            guard let key = FrontMatterKey(rawValue: inner.key) else {
                throw inner.keyNode.diagnostic(
                    "unknown key '\(inner.key)' under \(name)\(Suggest.didYouMean(inner.key, in: FrontMatterKey.allCases.map(\.rawValue)))", key: path)
            }
            if key == .route {
                throw inner.keyNode.diagnostic("'route' has no place under \(name): the key it stands under names the route", key: path)
            }
            if !key.isGenerationKey, key != .cover, key != .hide {
                throw inner.keyNode.diagnostic(
                    "'\(inner.key)' is shown once for the whole prompt; set it at the top level, not under \(name)", key: path)
            }
            keys[key] = inner
        }
        return keys
    }

    /// One route's prompt from `fields`: the route `forced` (several routes), else the one the file
    /// or `folio.yml` names. `shared` are the top-level keys of a prompt with several routes, which
    /// every route must take. Nil when the route is unknown; what else is wrong is in `problems`.
    private func decodeRoute(
        fields: [FrontMatterKey: YAMLEntry], forced: RouteID?, shared: Set<FrontMatterKey> = [], several: Bool = false, split: PromptFile,
        file: String, id: String, draft: Bool?, problems: inout Problems
    ) -> Prompt? {
        var context = FrontMatterReader(fields: fields, defaults: settings.defaults, file: file)

        // Route first: what else is allowed depends on it.
        let routeNode = context.node(.route, route: nil)
        let route: RouteID
        if let forced {
            route = forced
        } else {
            do {
                let name = try routeNode?.text(key: "route") ?? "gemini"
                guard let parsed = RouteID(rawValue: name) else {
                    throw routeNode!.diagnostic(
                        "unknown route '\(name)'; routes: \(RouteID.allCases.map(\.rawValue).listed)\(Suggest.didYouMean(name, in: RouteID.allCases.map(\.rawValue)))",
                        key: "route")
                }
                route = parsed
            } catch let diagnostic as Diagnostic {
                problems.add(diagnostic)
                return nil
            } catch {
                problems.add(Diagnostic(file: file, message: "\(error)"))
                return nil
            }
        }
        let rules = route.rules
        context.route = route
        // Under a route's name, `key: null` unsets a top-level key for that route: nothing to refuse.
        for (key, entry) in fields where !rules.accepts(key) && !(forced != nil && !shared.contains(key) && entry.value.isNull) {
            let refusal = rules.refusal(of: key)
            let hint =
                several && shared.contains(key)
                ? "; a top-level key goes to every route, so set it under the routes that take it (such as '\(Self.example(key, fields: fields))')"
                : ""
            problems.add(
                entry.keyNode.diagnostic(refusal + hint, key: forced == nil || shared.contains(key) ? key.rawValue : "\(route.rawValue).\(key.rawValue)"))
        }

        // The prompt text.
        let body = Self.trimmed(split.body)
        let bodyLine = split.bodyLine + split.body.prefix { $0 == "\n" || $0 == " " || $0 == "\t" }.filter { $0 == "\n" }.count
        if body.isEmpty {
            problems.add(
                Diagnostic(
                    file: file, line: split.bodyLine, key: "prompt",
                    message: "the prompt is empty; write the prompt text below the front matter"))
        } else if let limit = rules.maxPromptLength, body.unicodeScalars.count > limit {
            problems.add(
                Diagnostic(
                    file: file, line: bodyLine, key: "prompt",
                    message: "the prompt is \(body.unicodeScalars.count) characters; route \(route.rawValue) takes at most \(limit)"))
        }

        var generation = Generation(route: route, model: rules.defaultModel, prompt: body, n: 1, images: [])
        problems.run { generation.model = try context.model(rules) }
        problems.run { generation.n = try context.int(.n, in: rules.n) ?? 1 }
        problems.run { generation.aspectRatio = try context.choice(.aspectRatio, from: rules.aspectRatios) }
        problems.run { generation.size = try context.choice(.size, from: rules.sizes) ?? rules.defaultSize }
        problems.run { generation.resolution = try context.choice(.resolution, from: rules.resolutions) ?? rules.defaultResolution }
        problems.run { generation.imageSize = try context.choice(.imageSize, from: rules.imageSizes) ?? rules.defaultImageSize }
        problems.run { generation.seed = try context.int(.seed, in: rules.seedRange ?? 0...Int.max) }
        problems.run { generation.watermark = try context.bool(.watermark) }
        problems.run { generation.promptExtend = try context.bool(.promptExtend) }
        problems.run { generation.negativePrompt = try context.negativePrompt(rules) }
        var imagesRead = true
        problems.run {
            imagesRead = false
            generation.images = try referenceImages(context, rules: rules)
            imagesRead = true
        }
        problems.run { generation.extra = try context.extra(rules) }
        problems.run {
            try route.definition.normalise(&generation, frontMatter: context, promptLine: bodyLine, imagesRead: imagesRead)
        }

        // Display keys.
        var prompt = Prompt(
            id: id, album: id.contains("/") ? String(id.prefix { $0 != "/" }) : nil, file: file,
            title: "", alt: nil, tags: [], caption: nil, date: nil, weight: nil,
            draft: draft ?? false, cover: 0, privateFields: [], generation: generation)
        var title: String?
        problems.run { title = try context.text(.title) }
        // Made from the id only when the file has none (most have one).
        // A file's routes share its title: made from the file's id, not the route's (`launch@kling`).
        prompt.title = title ?? Self.title(fromID: String(id.prefix { $0 != "@" }))
        problems.run { prompt.alt = try context.text(.alt) }
        problems.run { prompt.caption = try context.text(.caption) }
        problems.run { prompt.weight = try context.int(.weight, in: Int.min...Int.max) }
        problems.run { prompt.tags = try context.tags() }
        problems.run { prompt.date = try context.date() }
        problems.run { prompt.privateFields = try context.privateFields() }
        problems.run { prompt.draft = try context.bool(.draft) ?? false }
        problems.run {
            let count = generation.expectedImages
            let numbering = "\(several ? "route \(route.rawValue)'s" : "the") variants are numbered 0 to \(max(count - 1, 0))"
            prompt.hidden = try context.variants(.hide, count: count, hint: numbering)
            let cover = try context.int(.cover, in: 0...max(count - 1, 0), hint: numbering)
            if let cover, prompt.hidden.contains(cover), let node = context.node(.cover) {
                throw node.diagnostic("cover \(cover) is a hidden variant (hide: \(prompt.hidden)); choose a variant that is shown", key: "cover")
            }
            // Without a cover, the first variant shown leads.
            prompt.cover = cover ?? (0..<count).first { !prompt.hidden.contains($0) } ?? 0
        }

        return prompt
    }

    /// `kling: { resolution: 2k }` for a top-level key a route refused, with the key's own value when short.
    private static func example(_ key: FrontMatterKey, fields: [FrontMatterKey: YAMLEntry]) -> String {
        let value: String
        if case .scalar(let text, _)? = fields[key]?.value.value, text.count <= 20, !text.contains(where: { "{}[],:#\n".contains($0) }) {
            value = text
        } else {
            value = "…"
        }
        let takers = RouteID.allCases.filter { $0.rules.accepts(key) }.map(\.rawValue)
        return "\(takers.first ?? "kling"): { \(key.rawValue): \(value) }"
    }

    /// `text` without the white space at its ends, exactly as Foundation's `.whitespacesAndNewlines`
    /// trims it (the input hash is taken over the result: a different trim would generate, and
    /// bill, every prompt again). Foundation is asked only when an end is not a visible ASCII
    /// character, which nearly no file's is (its trimming cost more than reading the file).
    static func trimmed(_ text: String) -> String {
        // ASCII white space (tab to carriage return, space) is in Foundation's set: taken off here.
        // When what is left starts and ends with a visible ASCII character, Foundation would stop
        // at the very same places.
        let utf8 = text.utf8
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        if (0x21...0x7E).contains(utf8[start]), (0x21...0x7E).contains(utf8[end]) { return String(text[start...end]) }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The default title: the file name as words (`launch-poster` → `Launch poster`).
    static func title(fromID id: String) -> String {
        Slug.title(id.split(separator: "/").last.map(String.init) ?? id)
    }

    private func referenceImages(_ context: FrontMatterReader, rules: RouteRules) throws(Diagnostic) -> [ReferenceImage] {
        guard let node = context.node(.images, route: rules.route) else { return [] }
        guard let limits = rules.references else { return [] }
        let items: [YAMLNode]
        switch node.value {
        case .sequence(let list): items = list
        case .scalar: items = [node]
        case .mapping: throw node.diagnostic("'images' must be a list of file paths", key: "images")
        }
        guard items.count <= limits.maxCount else {
            throw node.diagnostic(
                "route \(rules.route.rawValue) takes at most \(limits.maxCount) reference image\(limits.maxCount == 1 ? "" : "s"), not \(items.count)",
                key: "images")
        }
        let promptFolder = (context.file as NSString).deletingLastPathComponent
        var images: [ReferenceImage] = []
        for (index, item) in items.enumerated() {
            let key = "images[\(index)]"
            let path = try item.text(key: key)
            guard !path.hasPrefix("/"), let relative = Slug.normalize(promptFolder + "/" + path) else {
                throw item.diagnostic("reference image '\(path)' must be a path inside the project, relative to the prompt file", key: key)
            }
            let url = project.appendingPathComponent(relative)
            // Lexically inside is not enough: a symbolic link in the project may lead anywhere.
            if let real = FastFiles.realPath(url.path), !FastFiles.isInside(real, FastFiles.realPath(project.path) ?? project.path) {
                let how =
                    FastFiles.linkTarget(url.path).map { "is a symbolic link to a file outside the project (\($0))" }
                    ?? "lies outside the project through a symbolic link (\(real))"
                throw item.diagnostic(
                    "reference image '\(path)' \(how); Folio reads reference images only from inside the project", key: key)
            }
            // Read no more than the route takes: a huge file (or a pipe) costs nothing.
            let data: Data
            switch FastFiles.read(url.path, atMost: limits.maxBytes) {
            case .bytes(let bytes):
                data = Data(bytes)
            case .tooLarge(let size):
                throw item.diagnostic(
                    "reference image '\(path)' is \(Self.megabytes(size)); route \(rules.route.rawValue) takes at most \(Self.megabytes(limits.maxBytes))",
                    key: key)
            case .unreadable:
                throw item.diagnostic("reference image '\(path)' not found (looked for \(relative))", key: key)
            }
            guard let header = ImageHeader.read(data), limits.formats.contains(header.format) else {
                let found = ImageHeader.read(data)?.format ?? "not an image Folio recognises"
                throw item.diagnostic(
                    "reference image '\(path)' is \(found); route \(rules.route.rawValue) takes \(limits.formats.listed)", key: key)
            }
            if let minSide = limits.minSide, let w = header.width, let h = header.height, min(w, h) < minSide {
                throw item.diagnostic(
                    "reference image '\(path)' is \(w)×\(h); route \(rules.route.rawValue) needs each side at least \(minSide) px", key: key)
            }
            if let range = limits.aspectRange, let w = header.width, let h = header.height, h > 0, !range.contains(Double(w) / Double(h)) {
                throw item.diagnostic(
                    "reference image '\(path)' is \(w)×\(h); route \(rules.route.rawValue) needs an aspect ratio between 1:2.5 and 2.5:1", key: key)
            }
            images.append(
                ReferenceImage(
                    path: relative, sha256: SHA256Hex.of(data), bytes: data.count, format: header.format,
                    width: header.width, height: header.height))
        }
        return images
    }

    static func megabytes(_ bytes: Int) -> String {
        String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}

// MARK: - Reading one key

/// The front matter of one file, with the defaults behind it: each key read, checked and blamed on
/// the file or on `folio.yml`, wherever its value came from.
struct FrontMatterReader {
    var fields: [FrontMatterKey: YAMLEntry]
    var defaults: Settings.Defaults
    var file: String
    var route: RouteID?

    /// The node for `key`: the file's own, else the default for the route; nil when unset.
    func node(_ key: FrontMatterKey, route: RouteID?) -> YAMLNode? {
        if let entry = fields[key] { return entry.value.isNull ? nil : entry.value }
        let fallback = route.map { defaults.value(for: key, route: $0) } ?? defaults.all[key]
        guard let fallback, !fallback.isNull else { return nil }
        return fallback
    }

    func node(_ key: FrontMatterKey) -> YAMLNode? {
        guard let route else { return nil }
        guard route.rules.accepts(key) else { return nil }
        return node(key, route: route)
    }

    /// Adds where a default came from to messages about it.
    func blame(_ diagnostic: Diagnostic) -> Diagnostic {
        guard diagnostic.file != file else { return diagnostic }
        var changed = diagnostic
        changed.message += " (a default from folio.yml, applied to \(file))"
        return changed
    }

    func text(_ key: FrontMatterKey) throws(Diagnostic) -> String? {
        guard let node = node(key) else { return nil }
        do { return try node.text(key: key.rawValue) } catch { throw blame(error) }
    }

    func bool(_ key: FrontMatterKey) throws(Diagnostic) -> Bool? {
        guard let node = node(key) else { return nil }
        do { return try node.bool(key: key.rawValue) } catch { throw blame(error) }
    }

    func int(_ key: FrontMatterKey, in range: ClosedRange<Int>, hint: String? = nil) throws(Diagnostic) -> Int? {
        guard let node = node(key) else { return nil }
        let value: Int
        do { value = try node.integer(key: key.rawValue) } catch { throw blame(error) }
        guard range.contains(value) else {
            let span = range.upperBound == Int.max ? "\(range.lowerBound) or more" : "from \(range.lowerBound) to \(range.upperBound)"
            let onRoute = route.map { " on route \($0.rawValue)" } ?? ""
            throw blame(node.diagnostic("\(key.rawValue) must be \(span)\(onRoute), not \(value)\(hint.map { "; \($0)" } ?? "")", key: key.rawValue))
        }
        return value
    }

    /// A value from a fixed list, with a did-you-mean for near misses (`2K` for `2k`).
    func choice(_ key: FrontMatterKey, from allowed: [String]) throws(Diagnostic) -> String? {
        guard let node = node(key) else { return nil }
        let value: String
        do { value = try node.text(key: key.rawValue) } catch { throw blame(error) }
        guard allowed.contains(value) else {
            let onRoute = route.map { " on route \($0.rawValue)" } ?? ""
            throw blame(
                node.diagnostic(
                    "\(key.rawValue) '\(value)' is not allowed\(onRoute); allowed: \(allowed.listed)\(Suggest.didYouMean(value, in: allowed))",
                    key: key.rawValue))
        }
        return value
    }

    func model(_ rules: RouteRules) throws(Diagnostic) -> String {
        guard let node = node(.model) else { return rules.defaultModel }
        let value: String
        do { value = try node.text(key: "model") } catch { throw blame(error) }
        guard rules.models.contains(value) else {
            throw blame(
                node.diagnostic(
                    "model '\(value)' is not available on route \(rules.route.rawValue); models: \(rules.models.listed)\(Suggest.didYouMean(value, in: rules.models))",
                    key: "model"))
        }
        return value
    }

    func negativePrompt(_ rules: RouteRules) throws(Diagnostic) -> String? {
        guard let node = node(.negativePrompt), let limit = rules.maxNegativePromptLength else { return nil }
        let value: String
        do { value = PromptDecoder.trimmed(try node.text(key: "negative_prompt")) } catch { throw blame(error) }
        if value.isEmpty { return nil }
        guard value.unicodeScalars.count <= limit else {
            throw blame(
                node.diagnostic(
                    "negative_prompt is \(value.unicodeScalars.count) characters; route \(rules.route.rawValue) takes at most \(limit)",
                    key: "negative_prompt"))
        }
        return value
    }

    /// A list of variant numbers (`hide: [2, 3]`, or one number), each below `count`, sorted and
    /// without repeats; naming every variant is an error (a draft is how a prompt leaves the site).
    func variants(_ key: FrontMatterKey, count: Int, hint: String) throws(Diagnostic) -> [Int] {
        guard let node = node(key) else { return [] }
        let items: [YAMLNode]
        switch node.value {
        case .sequence(let list): items = list
        case .scalar: items = [node]
        case .mapping: throw blame(node.diagnostic("'\(key.rawValue)' must be a list of variant numbers, such as [2, 3]", key: key.rawValue))
        }
        var numbers = Set<Int>()
        for item in items {
            let value: Int
            do { value = try item.integer(key: key.rawValue) } catch { throw blame(error) }
            guard (0..<count).contains(value) else {
                throw blame(item.diagnostic("\(key.rawValue): there is no variant \(value); \(hint)", key: key.rawValue))
            }
            numbers.insert(value)
        }
        guard numbers.count < count else {
            throw blame(
                node.diagnostic(
                    "\(key.rawValue) names every variant, so nothing of this prompt would be shown; to keep it off the site, set 'draft: true'",
                    key: key.rawValue))
        }
        return numbers.sorted()
    }

    func tags() throws(Diagnostic) -> [String] {
        guard let node = node(.tags) else { return [] }
        var seen = Set<String>()
        do {
            return try node.textList(key: "tags").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && seen.insert($0.lowercased()).inserted }
        } catch { throw blame(error) }
    }

    func date() throws(Diagnostic) -> String? {
        guard let node = node(.date) else { return nil }
        let value: String
        do { value = try node.text(key: "date") } catch { throw blame(error) }
        guard DateText.isValid(value) else {
            throw blame(node.diagnostic("date '\(value)' is not a date; write it as 2026-11-25 or 2026-11-25T14:30:00Z", key: "date"))
        }
        return value
    }

    func privateFields() throws(Diagnostic) -> Set<PrivateField> {
        guard let node = node(.private) else { return [] }
        let names: [String]
        do { names = try node.textList(key: "private") } catch { throw blame(error) }
        var fields = Set<PrivateField>()
        let allowed = PrivateField.allCases.map(\.rawValue)
        for name in names {
            guard let field = PrivateField(rawValue: name) else {
                throw blame(
                    node.diagnostic(
                        "private: unknown field '\(name)'; fields: \(allowed.listed)\(Suggest.didYouMean(name, in: allowed))",
                        key: "private"))
            }
            fields.insert(field)
        }
        return fields
    }

    func extra(_ rules: RouteRules) throws(Diagnostic) -> JSONValue? {
        guard let node = node(.extra) else { return nil }
        guard case .mapping = node.value else {
            throw blame(node.diagnostic("'extra' must be a mapping of request body fields, such as 'extra: { callback_url: … }'", key: "extra"))
        }
        let value = node.json
        for path in Self.leafPaths(value, prefix: "") {
            for owned in rules.route.definition.modelledFields where path == owned || path.hasPrefix(owned + ".") || owned.hasPrefix(path + ".") {
                throw blame(
                    node.diagnostic(
                        "extra.\(path) would replace '\(owned)', which Folio sets from the front matter; set the front matter key instead",
                        key: "extra.\(path)"))
            }
        }
        return value
    }

    private static func leafPaths(_ value: JSONValue, prefix: String) -> [String] {
        guard case .object(let pairs) = value, !pairs.isEmpty else { return prefix.isEmpty ? [] : [prefix] }
        return pairs.flatMap { leafPaths($0.1, prefix: prefix.isEmpty ? $0.0 : prefix + "." + $0.0) }
    }
}

/// The diagnostics of one file, deduplicated, with drafts' errors softened to warnings.
private struct Problems {
    var file: String
    var list: [Diagnostic] = []

    mutating func add(_ diagnostic: Diagnostic) {
        if !list.contains(diagnostic) { list.append(diagnostic) }
    }

    mutating func run(_ body: () throws -> Void) {
        do {
            try body()
        } catch let diagnostic as Diagnostic {
            add(diagnostic)
        } catch {
            add(Diagnostic(file: file, message: "\(error)"))
        }
    }

    /// A draft is not built, so what is wrong with it is a warning, not an error.
    func finish(draft: Bool) -> [Diagnostic] {
        guard draft else { return list }
        return list.map {
            var d = $0
            if d.severity == .error {
                d.severity = .warning
                d.message += " (in a draft)"
            }
            return d
        }
    }
}
