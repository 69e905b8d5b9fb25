import Foundation

/// What of a revision `folio diff` writes to a temporary folder to load it as a project: only what
/// loading reads, never the rest of the repository (which may hold thousands of large images).
extension ProjectDiff {
    /// Writes the project at `revision` into `folder`, in two steps: `folio.yml`, `folio.lock` and
    /// `prompts/`; then the reference images those prompt files name (`images:`, at the top or
    /// under a route's own keys). Returns the paths written, relative to the project, sorted.
    static func materialise(_ revision: GitRevision, into folder: URL) throws(FolioError) -> [String] {
        // Of prompts/, the prompt files only: pictures kept there are read in the second step, and
        // only those a prompt names.
        let sources = try revision.files(at: [SettingsLoader.fileName, Lockfile.fileName, ProjectLoader.promptsFolder]).filter {
            $0.path == SettingsLoader.fileName || $0.path == Lockfile.fileName || isPromptFile($0.path)
        }
        var written = try revision.materialise(sources, into: folder)
        var references = Set<String>()
        for path in written where isPromptFile(path) {
            guard case .bytes(let bytes) = FastFiles.read(folder.path + "/" + path, atMost: SourceText.maxBytes),
                case .success(let text) = SourceText.decode(bytes, file: path)
            else { continue }
            references.formUnion(referenceImages(text: text, file: path))
        }
        references.subtract(written)
        // A reference is a file: one that names a folder (`images: ../assets`) is not taken for every
        // file under it, which could be the whole of assets/.
        let named = try revision.files(at: references.sorted()).filter { references.contains($0.path) }
        if !named.isEmpty { written += try revision.materialise(named, into: folder) }
        return written.sorted()
    }

    /// Whether `path` is one `ProjectLoader` reads as a prompt file: a `.md` file under `prompts/`.
    static func isPromptFile(_ path: String) -> Bool {
        path.hasPrefix(ProjectLoader.promptsFolder + "/") && path.lowercased().hasSuffix(".md")
    }

    /// The reference images the prompt file `file` names, as paths relative to the project, as
    /// `PromptDecoder` resolves them (relative to the prompt file's folder); a path that is
    /// absolute or leads out of the project is left out, as the decoder refuses it. Every route's
    /// `images:` counts, whether or not the route takes reference images: a path too many costs
    /// one small read, one too few would make the prompt fail to load. (`images` cannot be a
    /// default in `folio.yml`, so the front matter is the only place that names them.)
    static func referenceImages(text: String, file: String) -> [String] {
        guard let split = try? PromptFile.split(text, file: file), let yaml = split.frontMatter,
            let root = try? YAMLDocument.parse(yaml, file: file, firstLine: split.frontMatterLine),
            case .mapping(let entries) = root.value
        else { return [] }
        let key = FrontMatterKey.images.rawValue
        var lists: [YAMLNode] = []
        for entry in entries {
            if entry.key == key { lists.append(entry.value) }
            // A file with several routes (`routes: [gemini, kling]`) gives a route its own keys under its name.
            if RouteID(rawValue: entry.key) != nil, case .mapping(let own) = entry.value.value {
                lists += own.filter { $0.key == key }.map(\.value)
            }
        }
        let folder = (file as NSString).deletingLastPathComponent
        return lists.flatMap(paths).compactMap { path in path.hasPrefix("/") ? nil : Slug.normalize(folder + "/" + path) }
    }

    /// The texts of one `images:` value: one path, or a list of them (anything else names none).
    private static func paths(_ node: YAMLNode) -> [String] {
        switch node.value {
        case .scalar(let text, _): return node.isNull ? [] : [text]
        case .sequence(let items): return items.compactMap { if case .scalar(let text, _) = $0.value { text } else { nil } }
        case .mapping: return []
        }
    }
}
