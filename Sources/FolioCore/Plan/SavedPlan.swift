import Foundation

/// A plan written by `folio plan --out FILE` for a later `folio build --plan FILE`: what the build
/// would do, the options it was planned with, and the SHA-256 of every input the plan depends on.
/// A build given it sends exactly its creates, or nothing at all: it refuses when an input differs,
/// when its own options differ, or when the plan it computes now differs from the saved one.
///
/// The paths in `inputs` are compared, never opened: a plan file from elsewhere can name anything.
public struct SavedPlan: Sendable, Equatable {
    /// The format this Folio writes and reads.
    public static let currentVersion = 1

    /// One planned prompt: what is compared entry by entry with the plan a build computes.
    public struct Line: Sendable, Equatable {
        public var id: String
        public var route: String
        public var model: String
        public var action: String
        public var requests: Int
        public var downloads: Int
        public var inputHash: String

        init(_ entry: PlanEntry) {
            (id, route, model, action) = (entry.id, entry.route.rawValue, entry.model, entry.action.rawValue)
            (requests, downloads, inputHash) = (entry.requests, entry.downloads, entry.inputHash)
        }

        init(id: String, route: String, model: String, action: String, requests: Int, downloads: Int, inputHash: String) {
            (self.id, self.route, self.model, self.action) = (id, route, model, action)
            (self.requests, self.downloads, self.inputHash) = (requests, downloads, inputHash)
        }

        /// `new, 1 request` as a refusal names it.
        var summary: String { "\(action), \(requests) request\(requests == 1 ? "" : "s")" + (downloads > 0 ? ", \(downloads) downloads" : "") }
    }

    /// The options that change what a build creates; a build with the plan runs with these.
    public struct Options: Sendable, Equatable {
        public var retryFailed = false
        public var regenerate = false
        public var simulate = false
    }

    /// Project-relative path to lowercase hex SHA-256; nil for a file that was absent (`folio.lock`
    /// before the first build).
    public var inputs: [String: String?]
    public var options: Options
    public var entries: [Line]
    /// The file's content: the `plan --json` object with `version`, `options` and `inputs` added.
    public private(set) var json: JSONValue = .null

    /// The plan `state` computed, with the digests of its inputs as they are now.
    public init(_ state: BuildState) throws(FolioError) {
        guard let project = state.project, let plan = state.plan else { throw FolioError("no plan was computed") }
        inputs = try Self.inputs(of: project)
        let o = state.options
        options = Options(retryFailed: o.retryFailed, regenerate: o.regenerate, simulate: o.simulate)
        entries = plan.entries.map(Line.init)
        json = Self.document(plan.json, inputs: inputs, options: options)
    }

    /// The plan file `name` (as given on the command line), read from `folder` when relative.
    public static func file(_ name: String, in folder: URL) -> URL {
        name.hasPrefix("/") ? URL(fileURLWithPath: name) : folder.appendingPathComponent(name)
    }

    /// Where `folio plan --out` may write: an earlier plan is replaced, nothing else is.
    public static let destination = ReportFile(kind: "the plan", writer: "folio plan --out") { bytes in
        (try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))).map(isPlanShaped) ?? false
    }

    /// A plan file's shape, whatever its version: an object with `"version"`, `"inputs"` and `"entries"`.
    static func isPlanShaped(_ document: JSONValue) -> Bool {
        document["version"]?.intValue != nil && document["inputs"] != nil && document["entries"] != nil
    }

    /// `folio plan --out`: writes the plan to `url` atomically.
    public func write(to url: URL) throws(FolioError) {
        do {
            try AtomicFile.write(Array(json.pretty.utf8), to: url)
        } catch {
            throw FolioError("cannot write the plan to \(url.path): \(error)", path: url.path)
        }
    }

    static func document(_ plan: JSONValue, inputs: [String: String?], options: Options) -> JSONValue {
        guard case .object(let pairs) = plan else { return plan }
        let digests: [(String, JSONValue)] = inputs.keys.sorted().map { path in (path, inputs[path]!.map { .string($0) } ?? .null) }
        let flags: [(String, JSONValue)] = [
            ("retry_failed", .bool(options.retryFailed)), ("regenerate", .bool(options.regenerate)), ("simulate", .bool(options.simulate)),
        ]
        return .object([("version", .int(currentVersion))] + pairs + [("options", .object(flags)), ("inputs", .object(digests))])
    }

    // MARK: Inputs

    /// The digest of everything the plan depends on: every prompt file (drafts too: one that stops
    /// being a draft changes the plan), `folio.yml`, `folio.lock` and every referenced image. Prompts,
    /// settings and images are taken from the bytes the project was loaded from; `folio.lock` is read now.
    static func inputs(of project: LoadedProject) throws(FolioError) -> [String: String?] {
        var inputs: [String: String?] = [:]
        for prompt in project.prompts {
            inputs[prompt.file] = prompt.sourceSHA256
            for image in prompt.generation.images { inputs[image.path] = image.sha256 }
        }
        // The loader gives a word ("none") instead of a digest when there is no folio.yml.
        inputs[SettingsLoader.fileName] = LockOutput.isDigest(project.settingsDigest) ? project.settingsDigest : String?.none
        let lock = project.root.appendingPathComponent(Lockfile.fileName)
        if let bytes = FastFiles.read(lock.path) {
            inputs[Lockfile.fileName] = SHA256Hex.of(bytes)
        } else if FileManager.default.fileExists(atPath: lock.path) {
            throw FolioError("\(Lockfile.fileName): cannot read the file; check its permissions", path: Lockfile.fileName)
        } else {
            inputs[Lockfile.fileName] = String?.none
        }
        return inputs
    }

    /// Each input that differs between `saved` and `now`: `changed`, `appeared` or `vanished`, by path.
    static func changedInputs(saved: [String: String?], now: [String: String?]) -> [(change: String, path: String)] {
        Set(saved.keys).union(now.keys).sorted().compactMap { path in
            switch (saved[path], now[path]) {
            case (let before?, let after?) where before == after: nil
            case (nil, _), (String?.none?, _?): ("appeared", path)
            case (_, nil), (_?, String?.none?): ("vanished", path)
            default: ("changed", path)
            }
        }
    }
}

// MARK: - Reading

extension SavedPlan {
    /// Reads the plan file at `url`, shown as `name`; a damaged or foreign file is an error naming it (exit 2).
    public static func read(_ url: URL, name: String) throws(FolioError) -> SavedPlan {
        func refuse(_ problem: String) -> FolioError {
            FolioError("\(name) \(problem); make it again with 'folio plan --out \(name)'", path: name, exit: .invalidInput)
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FolioError("cannot read the plan \(name): no such file, or it cannot be read", path: name, exit: .invalidInput)
        }
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: data), case .object = document else {
            throw refuse("is not a plan written by 'folio plan --out': not a JSON object")
        }
        guard isPlanShaped(document), let version = document["version"]?.intValue else {
            throw refuse("is not a plan written by 'folio plan --out': it has no \"version\", \"inputs\" and \"entries\"")
        }
        guard version <= currentVersion else {
            throw FolioError(
                "\(name) is a version \(version) plan, written by a newer Folio; this Folio reads version \(currentVersion)", path: name,
                exit: .invalidInput)
        }
        guard version == currentVersion else { throw refuse("has version \(version), which no Folio wrote") }
        do throws(PlanFileProblem) {
            return try SavedPlan(document: document)
        } catch {
            throw refuse("is damaged: \(error.text)")
        }
    }

    /// What is wrong with a plan file, naming the value.
    struct PlanFileProblem: Error {
        var text: String
    }

    private init(document: JSONValue) throws(PlanFileProblem) {
        guard case .object(let digests)? = document["inputs"] else { throw PlanFileProblem(text: "\"inputs\" is not an object") }
        var inputs: [String: String?] = [:]
        for (path, value) in digests {
            switch value {
            case .null: inputs[path] = String?.none
            case .string(let hex) where LockOutput.isDigest(hex): inputs[path] = hex
            default: throw PlanFileProblem(text: "inputs[\"\(GenerationChanges.shown(.string(path)))\"] is not a SHA-256 (64 lowercase hex digits) or null")
            }
        }
        guard case .object? = document["options"] else { throw PlanFileProblem(text: "\"options\" is missing or not an object") }
        func flag(_ key: String) throws(PlanFileProblem) -> Bool {
            guard let value = document["options"]?[key]?.boolValue else { throw PlanFileProblem(text: "options.\(key) is missing or not true or false") }
            return value
        }
        let options = Options(retryFailed: try flag("retry_failed"), regenerate: try flag("regenerate"), simulate: try flag("simulate"))
        guard let list = document["entries"]?.arrayValue else { throw PlanFileProblem(text: "\"entries\" is not a list") }
        var entries: [Line] = []
        for (position, entry) in list.enumerated() {
            func text(_ key: String) throws(PlanFileProblem) -> String {
                guard let value = entry[key]?.stringValue else { throw PlanFileProblem(text: "entries[\(position)].\(key) is missing or not text") }
                return value
            }
            func count(_ key: String) throws(PlanFileProblem) -> Int {
                guard let value = entry[key]?.intValue, value >= 0 else {
                    throw PlanFileProblem(text: "entries[\(position)].\(key) is missing or not a count")
                }
                return value
            }
            entries.append(
                Line(
                    id: try text("id"), route: try text("route"), model: try text("model"), action: try text("action"),
                    requests: try count("requests"), downloads: try count("downloads"), inputHash: try text("input_hash")))
        }
        self.inputs = inputs
        self.options = options
        self.entries = entries
        self.json = document
    }
}

// MARK: - Applying

extension SavedPlan {
    /// The options a build given this plan runs with: the plan's. A flag on the command line that
    /// the plan was not made with would create something nobody reviewed, and `--simulate` decides
    /// where requests go, so it must be given exactly when the plan was made with it.
    func adopt(into options: inout BuildOptions, name: String) throws(FolioError) {
        var refused: [String] = []
        if options.retryFailed, !self.options.retryFailed { refused.append("--retry-failed") }
        if options.regenerate, !self.options.regenerate { refused.append("--regenerate") }
        if !refused.isEmpty {
            let flags = refused.joined(separator: " ")
            throw FolioError(
                "\(name) was made without \(flags), so it does not create what \(flags) would; nothing was sent. Make the plan with it ('folio plan \(flags) --out \(name)'), or build without it",
                path: name, exit: .invalidInput)
        }
        if options.simulate != self.options.simulate {
            throw FolioError(
                self.options.simulate
                    ? "\(name) was made with --simulate; build it with --simulate too, or make a plan without it for the gateway. Nothing was sent"
                    : "\(name) was made for the gateway, not with --simulate; build it without --simulate, or make a plan with it. Nothing was sent",
                path: name, exit: .invalidInput)
        }
        options.retryFailed = self.options.retryFailed
        options.regenerate = self.options.regenerate
    }

    /// Refuses (exit 2, before any request) unless every input is as it was when the plan was made
    /// and `plan`, computed now, holds the same entries: same prompts, actions, requests and hashes.
    func check(_ plan: Plan, project: LoadedProject, name: String) throws(FolioError) {
        let changed = Self.changedInputs(saved: inputs, now: try Self.inputs(of: project))
        if !changed.isEmpty {
            let listed = changed.prefix(20).map {
                "  \($0.change.padding(toLength: 9, withPad: " ", startingAt: 0)) \(GenerationChanges.shown(.string($0.path)))"
            }
            let more = changed.count > 20 ? ["  … and \(changed.count - 20) more"] : []
            throw FolioError(
                (["\(name) no longer matches the project; nothing was sent. Since the plan was made:"] + listed + more
                    + ["Make a new plan ('folio plan --out \(name)'), review it, and build with that."]).joined(separator: "\n"),
                path: name, exit: .invalidInput)
        }
        let differences = Self.differences(saved: entries, now: plan.entries.map(Line.init))
        if !differences.isEmpty {
            let listed = differences.prefix(20).map { "  " + $0 }
            let more = differences.count > 20 ? ["  … and \(differences.count - 20) more"] : []
            throw FolioError(
                ([
                    "\(name) is not what a build would do now, though its inputs are unchanged (an asset changed or went missing, or a link expired); nothing was sent:"
                ] + listed + more + ["Make a new plan ('folio plan --out \(name)'), review it, and build with that."]).joined(separator: "\n"),
                path: name, exit: .invalidInput)
        }
    }

    /// Each prompt whose line differs between the saved plan and the plan now, as `id: planned …, now …`.
    static func differences(saved: [Line], now: [Line]) -> [String] {
        let before = Dictionary(saved.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let after = Dictionary(now.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return Set(before.keys).union(after.keys).sorted().compactMap { id in
            switch (before[id], after[id]) {
            case (let a?, let b?) where a == b: nil
            case (let a?, let b?) where a.inputHash != b.inputHash || a.route != b.route || a.model != b.model:
                "\(id): planned from another input (\(a.route) \(a.model) \(a.inputHash.prefix(15))…), now \(b.route) \(b.model) \(b.inputHash.prefix(15))…"
            case (let a?, let b?): "\(id): planned \(a.summary), now \(b.summary)"
            case (let a?, nil): "\(id): planned \(a.summary), now not planned"
            case (nil, let b?): "\(id): not in the plan, now \(b.summary)"
            case (nil, nil): nil
            }
        }
    }
}

extension BuildState {
    /// `--plan FILE`: the saved plan read, and its options taken for this build; nil without one.
    mutating func adoptSavedPlan() throws(FolioError) -> SavedPlan? {
        guard let name = options.savedPlan else { return nil }
        let saved = try SavedPlan.read(SavedPlan.file(name, in: options.workingFolder), name: name)
        try saved.adopt(into: &options, name: name)
        return saved
    }
}
