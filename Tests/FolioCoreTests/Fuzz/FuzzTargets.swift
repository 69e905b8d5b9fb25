@testable import FolioCore
import Foundation

/// The decoders Folio runs on bytes it did not write, each as one fuzz target: an input may give an
/// error, but never a crash or a hang, and the error must be a clean one (a located diagnostic, a
/// lockfile message with its way out, a classified gateway answer with the key scrubbed).
///
/// Shared, through a symbolic link, by the libFuzzer targets in `Fuzz/` and by `FuzzReplayTests`,
/// which runs the checked-in corpus and a seeded mutation loop on every `swift test`.
enum FuzzTarget: String, CaseIterable, Sendable {
    /// A prompt file: front matter, body, every route's rules, the request body it would send.
    case prompt
    /// `folio.yml`, then one prompt per route decoded with its defaults.
    case config
    /// `folio.lock`.
    case lockfile
    /// Each route's answer reading (`classify`); the first byte picks the HTTP status.
    case gemini, dashscope, kling
    case klingOmni = "kling-omni"

    /// The API key the route targets scrub; seeds carry it in error bodies.
    static let key = "sk-fuzz-0123456789abcdef"

    /// Feeds `bytes` to the target; returns what did not hold (empty when everything did).
    func run(_ bytes: [UInt8]) -> [String] {
        switch self {
        case .prompt: return Self.prompt(bytes)
        case .config: return Self.config(bytes)
        case .lockfile: return Self.lockfile(bytes)
        case .gemini: return Self.sync(Gemini(), bytes)
        case .dashscope: return Self.sync(DashScope(), bytes)
        case .kling: return Self.task(Kling(), bytes)
        case .klingOmni: return Self.task(KlingOmni(), bytes)
        }
    }

    // MARK: - Prompt files and folio.yml

    /// An empty project folder, never written: reference images named by a fuzzed file resolve against it.
    static let project: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("folio-fuzz-empty-project")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    static func prompt(_ bytes: [UInt8]) -> [String] {
        let file = "prompts/fuzz.md"
        let text: String
        switch SourceText.decode(bytes, file: file) {
        case .failure(let diagnostic): return located([diagnostic], file: file, lines: lineCount(bytes))
        case .success(let decoded): text = decoded
        }
        let decoder = PromptDecoder(settings: Settings(), project: project)
        let (prompt, diagnostics) = decoder.decode(text: text, file: file, id: "fuzz")
        var problems = located(diagnostics, file: file, lines: lineCount(text))
        problems += consistent(prompt, diagnostics)
        if let prompt {
            problems += usable(prompt)
            if decoder.decode(text: text, file: file, id: "fuzz").0?.inputHash != prompt.inputHash {
                problems.append("the same text decoded twice gave two input hashes")
            }
        }
        return problems
    }

    static func config(_ bytes: [UInt8]) -> [String] {
        let file = SettingsLoader.fileName
        let text: String
        switch SourceText.decode(bytes, file: file) {
        case .failure(let diagnostic): return located([diagnostic], file: file, lines: lineCount(bytes))
        case .success(let decoded): text = decoded
        }
        let (settings, diagnostics) = SettingsLoader.load(text: text)
        let lines = lineCount(text)
        var problems = located(diagnostics, file: file, lines: lines)
        if !(1...64).contains(settings.gateway.concurrency) { problems.append("gateway.concurrency \(settings.gateway.concurrency) was accepted") }
        if !(0...20).contains(settings.gateway.retries) { problems.append("gateway.retries \(settings.gateway.retries) was accepted") }
        if !(settings.gateway.pollTimeout > 0) { problems.append("gateway.poll_timeout \(settings.gateway.pollTimeout) was accepted") }
        if settings.pagination < 1 { problems.append("pagination \(settings.pagination) was accepted") }
        if settings.images.widths.isEmpty || settings.images.formats.isEmpty { problems.append("no image widths or formats were left") }
        // The defaults at work: a prompt of each route, with nothing of its own but its route.
        let decoder = PromptDecoder(settings: settings, project: project)
        for route in RouteID.allCases {
            let promptText = "---\nroute: \(route.rawValue)\n---\nA fox in the snow\n"
            let (prompt, found) = decoder.decode(text: promptText, file: "prompts/fox.md", id: "fox")
            problems += located(found.filter { $0.file == file }, file: file, lines: lines)
            problems += located(found.filter { $0.file != file }, file: "prompts/fox.md", lines: 5)
            problems += consistent(prompt, found)
            if let prompt { problems += usable(prompt) }
        }
        return problems
    }

    /// Every diagnostic names `file` (or `folio.yml`, for a default), a line inside it and a message.
    static func located(_ diagnostics: [Diagnostic], file: String, lines: Int) -> [String] {
        diagnostics.compactMap { d in
            if d.file != file && d.file != SettingsLoader.fileName { return "a diagnostic names another file: \(d)" }
            if d.file == file, d.line > lines + 1 { return "a diagnostic points past the end of the file (\(lines) lines): \(d)" }
            if d.message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return "a diagnostic without a message: \(d)" }
            return nil
        }
    }

    /// A prompt comes back exactly when there is no error (a draft's errors are warnings, and it may have no prompt).
    static func consistent(_ prompt: Prompt?, _ diagnostics: [Diagnostic]) -> [String] {
        switch (prompt, diagnostics.errors.isEmpty) {
        case (nil, true) where !diagnostics.contains(where: { $0.message.hasSuffix("(in a draft)") }):
            return ["no prompt and no error: \(diagnostics)"]
        case (.some, false): return ["a prompt despite errors: \(diagnostics.errors)"]
        default: return []
        }
    }

    /// A decoded prompt can be hashed, shown and sent: its request body is built as the generator would.
    static func usable(_ prompt: Prompt) -> [String] {
        var problems: [String] = []
        let hash = prompt.inputHash
        if !hash.hasPrefix("sha256:") || !LockOutput.isDigest(String(hash.dropFirst(7))) { problems.append("input hash \(hash)") }
        let g = prompt.generation
        if !(1...9).contains(g.n) { problems.append("n \(g.n) was accepted") }
        let references = g.images.map { _ in Data([0x89, 0x50, 0x4E, 0x47]) }
        switch g.route.definition.calls {
        case .sync(let route):
            for variant in 0..<g.n where route.body(g, variant: variant, references: references).compact.isEmpty {
                problems.append("an empty body")
            }
            if route.path(g).isEmpty { problems.append("an empty path") }
        case .task(let route):
            if route.body(g, externalID: "folio-fuzz", references: references).compact.isEmpty { problems.append("an empty body") }
        }
        _ = Markdown.html(g.prompt)
        if let caption = prompt.caption { _ = Markdown.html(caption) }
        return problems
    }

    static func lineCount(_ text: String) -> Int { text.utf8.count { $0 == 0x0A } + 1 }
    static func lineCount(_ bytes: [UInt8]) -> Int { bytes.count { $0 == 0x0A } + 1 }

    // MARK: - folio.lock

    static func lockfile(_ bytes: [UInt8]) -> [String] {
        // Folio's own reader and Foundation's decoder read every file alike, or both refuse it (with
        // a message that may differ for a file with several faults: the decoder's own order of
        // reading a JSON object's members is not fixed).
        let decoded = Result { () throws(FolioError) in try Lockfile.decode(Data(bytes)) }
        let slow = Result { () throws(FolioError) in try Lockfile.decode(Data(bytes), fastReader: false) }
        switch (decoded, slow) {
        case (.success(let a), .success(let b)) where a != b: return ["the fast reader reads another lockfile than the decoder"]
        case (.success, .failure), (.failure, .success): return ["the fast reader and the decoder disagree on whether the file reads"]
        default: break
        }
        let lock: Lockfile
        do {
            lock = try decoded.get()
        } catch {
            guard error.message.contains(Lockfile.fileName) else { return ["a refusal that does not name folio.lock: \(error.message)"] }
            return []
        }
        var problems: [String] = []
        for (id, entry) in lock.entries {
            for output in entry.outputs {
                guard let asset = output.asset else { continue }
                let ext = (asset.file as NSString).pathExtension
                if !LockOutput.isDigest(asset.sha256) || asset.file != "assets/\(asset.sha256).\(ext)" || !LockOutput.assetExtensions.contains(ext) {
                    problems.append("entry \(id): an output names \(asset.file) for \(asset.sha256)")
                }
            }
        }
        // What Folio writes it reads back as the same lockfile.
        let written = lock.encoded()
        do {
            let again = try Lockfile.decode(Data(written.utf8))
            if again.encoded() != written { problems.append("a lockfile written and read back changed") }
        } catch {
            problems.append("a lockfile Folio wrote is refused: \(error.message)")
        }
        return problems
    }

    // MARK: - Gateway answers

    static let statuses = [200, 200, 200, 200, 400, 401, 402, 403, 404, 408, 429, 429, 500, 502, 503, 504]
    static let retryAfters = ["", "5", "0", "-3", "1e400", "nan", "Wed, 21 Oct 2015 07:28:00 GMT", "soon"]

    /// The first byte picks the status (low 4 bits) and a `Retry-After` header (high 3 bits); the rest is the body.
    static func reply(_ bytes: [UInt8]) -> HTTPReply {
        let head = bytes.first ?? 0
        let retryAfter = retryAfters[Int(head >> 5)]
        return HTTPReply(
            status: statuses[Int(head & 0x0F)], headers: retryAfter.isEmpty ? [] : [("Retry-After", retryAfter)], body: Array(bytes.dropFirst()))
    }

    /// The gateway endpoint's own scrubbing, as the generator passes it to a route.
    static let endpoint = try! GatewayEndpoint(baseURL: "https://gateway.invalid", key: key)
    static let scrub: @Sendable (String) -> String = { endpoint.scrub($0) }

    static func sync(_ route: some SyncRoute, _ bytes: [UInt8]) -> [String] {
        switch route.classify(reply(bytes), scrub: scrub) {
        case .success(let result):
            return result.images.isEmpty ? ["a success without an image"] : []
        case .failure(let failure):
            return clean(failure)
        }
    }

    static func task(_ route: some TaskRoute, _ bytes: [UInt8]) -> [String] {
        switch route.classify(reply(bytes), scrub: scrub) {
        case .success(let snapshot):
            var problems: [String] = []
            if snapshot.taskID.isEmpty { problems.append("a task without an id") }
            if snapshot.message?.contains(key) == true { problems.append("the key in a task message: \(snapshot.message!)") }
            return problems
        case .failure(let failure):
            return clean(failure)
        }
    }

    /// A failure has a message, keeps the key out, and asks for a wait the generator can sleep.
    static func clean(_ failure: CallFailure) -> [String] {
        var problems: [String] = []
        if failure.message.isEmpty { problems.append("a failure without a message") }
        if failure.message.contains(key) || failure.code?.contains(key) == true { problems.append("the key in a failure: \(failure.summary)") }
        var timing = Timing()
        timing.random = { 0.5 }
        for attempt in [0, 3, 40] {
            let delay = timing.retryDelay(attempt: attempt, after: failure)
            if !(0...timing.retryCap).contains(delay) { problems.append("a retry delay of \(delay) s after \(failure.summary)") }
        }
        return problems
    }
}
