import Foundation

/// A project read from disk: its settings, its prompts and every problem found on the way.
public struct LoadedProject: Sendable {
    public var root: URL
    public var settings: Settings
    /// Every prompt without errors, drafts included, sorted by id.
    public var prompts: [Prompt]
    /// Sorted by file and position.
    public var diagnostics: [Diagnostic]
    /// The SHA-256 of the `folio.yml` bytes `settings` were read from; empty when not read from a file.
    public var settingsDigest = ""
    /// The prompt cache as this load would leave it, when it differs from the one on disk: written
    /// by a command that goes on to write (`writePromptCache`), never by one that only reads or
    /// stops (a refused render touches nothing in the project).
    var promptCacheUpdate: PromptCache.Update?

    /// Writes the prompt cache this load found out of date, once.
    mutating func writePromptCache() {
        promptCacheUpdate?.write(project: root)
        promptCacheUpdate = nil
    }

    /// The prompts a build generates and publishes.
    public var published: [Prompt] { prompts.filter { !$0.draft } }
}

/// Reads `folio.yml` and every prompt file under `prompts/`, in parallel.
public enum ProjectLoader {
    public static let promptsFolder = "prompts"

    /// Loads the project at `root`.
    public static func load(_ root: URL) async -> LoadedProject {
        let root = root.standardizedFileURL
        let (settings, settingsProblems, settingsDigest) = SettingsLoader.loadWithDigest(project: root)
        var diagnostics = settingsProblems
        let promptsURL = root.appendingPathComponent(promptsFolder)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: promptsURL.path, isDirectory: &isFolder), isFolder.boolValue else {
            diagnostics.append(
                Diagnostic(
                    file: promptsFolder,
                    message: "the project has no prompts/ folder; create it and add a prompt file (prompts/first.md), or run 'folio init'"))
            return LoadedProject(root: root, settings: settings, prompts: [], diagnostics: diagnostics.sortedByLocation(), settingsDigest: settingsDigest)
        }

        let (files, pathProblems) = promptFiles(in: promptsURL, project: root)
        diagnostics += pathProblems
        let decoder = PromptDecoder(settings: settings, project: root)
        let context = PromptCache.context(settingsDigest: settingsDigest)
        let cache = context.map { PromptCache.read(project: root, context: $0) } ?? PromptCache(context: "")
        let results = await decodeAll(files, decoder: decoder, cache: cache, root: root)
        let cacheUpdate = context.flatMap { Self.update(results, of: cache, context: $0) }
        var prompts: [Prompt] = []
        // Exactly: grown by doubling, 10,000 prompts would hold room for 16,384 for the whole build.
        prompts.reserveCapacity(results.reduce(0) { $0 + $1.prompts.count })
        var seenDefaults = Set<String>()
        for (decoded, problems, _) in results {
            prompts += decoded
            for problem in problems {
                // A bad default in folio.yml would otherwise be reported once per prompt.
                if problem.file == SettingsLoader.fileName {
                    let key = "\(problem.line):\(problem.column):\(problem.key ?? "")"
                    guard seenDefaults.insert(key).inserted else { continue }
                }
                diagnostics.append(problem)
            }
        }
        prompts.sort { $0.id < $1.id }
        return LoadedProject(
            root: root, settings: settings, prompts: prompts, diagnostics: diagnostics.sortedByLocation(), settingsDigest: settingsDigest,
            promptCacheUpdate: cacheUpdate)
    }

    /// A prompt file found on disk, with the id its path gives.
    struct Found: Sendable {
        var path: String
        var id: String
    }

    /// Every `.md` file under `prompts/`, with the id rule and duplicate ids checked. Symbolic links are
    /// followed while their real paths stay inside the project; one that leads out of it, dangles or
    /// loops is an error, never skipped in silence.
    static func promptFiles(in folder: URL, project: URL) -> ([Found], [Diagnostic]) {
        var found: [Found] = []
        var problems: [Diagnostic] = []
        var owners: [String: String] = [:]
        let boundary = FastFiles.realPath(project.path) ?? project.path
        if let real = FastFiles.realPath(folder.path), !FastFiles.isInside(real, boundary) {
            let target = FastFiles.linkTarget(folder.path) ?? real
            return (
                [],
                [
                    Diagnostic(
                        file: promptsFolder,
                        message:
                            "\(promptsFolder)/ is a symbolic link to a folder outside the project (\(target)); Folio reads prompt files only from inside the project"
                    )
                ]
            )
        }
        var paths: [String] = []
        for entry in FastFiles.walkFollowingLinks(folder.path, inside: boundary) {
            let file = "\(promptsFolder)/\(entry.path)"
            let isPrompt = entry.path.lowercased().hasSuffix(".md")
            let what = entry.isFolder ? "folder" : "file"
            switch entry.kind {
            case .file:
                if isPrompt { paths.append(entry.path) }
            case .outside(let target):
                // Links to other files (reference images) are checked where a prompt names them.
                guard isPrompt || entry.isFolder else { continue }
                problems.append(
                    Diagnostic(
                        file: file,
                        message: "a symbolic link to a \(what) outside the project (\(target)); Folio reads prompt files only from inside the project"))
            case .broken(let target):
                guard isPrompt else { continue }
                problems.append(
                    Diagnostic(
                        file: file,
                        message: "a symbolic link to a file that does not exist (\(target)); restore the file or remove the link"))
            case .loop(let target):
                problems.append(
                    Diagnostic(
                        file: file,
                        message: "a symbolic link to a folder that contains it (\(target)); Folio does not follow links that lead back into themselves"))
            }
        }
        paths.sort()
        for relative in paths {
            let file = "\(promptsFolder)/\(relative)"
            var segments = relative.split(separator: "/").map(String.init)
            let name = segments.removeLast()
            let stem = String(name.dropLast(3))
            var fits = true
            for folder in segments where !Slug.fits(folder) {
                fits = false
                problems.append(
                    Diagnostic(
                        file: file,
                        message: "folder name '\(folder)' does not fit the id rule (lowercase a-z, 0-9 and '-'); rename the folder to '\(Slug.suggest(folder))'"
                    ))
            }
            if !Slug.fits(stem) {
                fits = false
                problems.append(
                    Diagnostic(
                        file: file,
                        message: "file name '\(name)' does not fit the id rule (lowercase a-z, 0-9 and '-'); rename it to '\(Slug.suggest(stem)).md'"))
            }
            guard fits else { continue }
            let id = (segments + [stem]).joined(separator: "/")
            if let owner = owners[id] {
                problems.append(
                    Diagnostic(
                        file: file, message: "id '\(id)' is already taken by \(owner); rename one of the two files"))
                continue
            }
            owners[id] = file
            found.append(Found(path: file, id: id))
        }
        return (found, problems)
    }

    /// What one prompt file gave: its prompts, its problems, and how it stands with the cache.
    typealias Decoded = (prompts: [Prompt], problems: [Diagnostic], source: DecodedSource)

    /// Where a file's prompts came from.
    enum DecodedSource {
        /// The cache, for this file as read.
        case cached(PromptCache.Source)
        /// Decoded now from this file as read.
        case decoded(PromptCache.Source)
        /// Not decoded (unreadable, too large, not UTF-8).
        case unread
    }

    private static func decodeAll(_ files: [Found], decoder: PromptDecoder, cache: PromptCache, root: URL) async -> [Decoded] {
        let workers = max(1, min(ProcessInfo.processInfo.activeProcessorCount, files.count))
        let chunk = (files.count + workers - 1) / max(workers, 1)
        return await withTaskGroup(of: (Int, [Decoded]).self) { group in
            for worker in 0..<workers {
                let slice = Array(files[min(worker * chunk, files.count)..<min((worker + 1) * chunk, files.count)])
                group.addTask {
                    (worker, slice.map { decodeOne($0, decoder: decoder, cache: cache, root: root) })
                }
            }
            var parts = [[Decoded]](repeating: [], count: workers)
            for await (worker, results) in group { parts[worker] = results }
            return parts.flatMap { $0 }
        }
    }

    /// The cache to write when this run decoded a file it may keep, or a file it held is gone or
    /// changed; nil when it found every file in it.
    private static func update(_ results: [Decoded], of cache: PromptCache, context: String) -> PromptCache.Update? {
        var kept: [(source: PromptCache.Source, prompts: [Prompt])] = []
        var changed = false
        for (prompts, problems, source) in results {
            switch source {
            case .cached(let source):
                kept.append((source, prompts))
            case .decoded(let source):
                guard PromptCache.keeps(prompts, problems: problems) else { continue }
                kept.append((source, prompts))
                changed = true
            case .unread:
                continue
            }
        }
        return changed || kept.count != cache.count ? PromptCache.Update(files: kept, context: context) : nil
    }

    private static func decodeOne(_ found: Found, decoder: PromptDecoder, cache: PromptCache, root: URL) -> Decoded {
        let data: [UInt8]
        let (read, identity) = FastFiles.readWithIdentity(root.path + "/" + found.path, atMost: SourceText.maxBytes)
        switch read {
        case .bytes(let bytes):
            data = bytes
        case .tooLarge(let size):
            return (
                [],
                [
                    Diagnostic(
                        file: found.path,
                        message: "the file is \(SourceText.megabytes(size)); prompt files may be at most 1 MB")
                ],
                .unread
            )
        case .unreadable:
            return ([], [Diagnostic(file: found.path, message: "cannot read the file; check its permissions")], .unread)
        }
        let digest = SHA256Hex.of(data)
        let source = PromptCache.Source(file: found.path, sha256: digest, identity: identity?.text ?? "")
        if let prompts = cache.prompts(source, id: found.id) {
            return (prompts, [], .cached(source))
        }
        switch SourceText.decode(data, file: found.path) {
        case .failure(let problem):
            return ([], [problem], .unread)
        case .success(let text):
            var (prompts, problems) = decoder.decodeAll(text: text, file: found.path, id: found.id)
            for index in prompts.indices { prompts[index].sourceSHA256 = digest }
            return (prompts, problems, identity == nil ? .unread : .decoded(source))
        }
    }
}
