import Foundation
import Glibc

/// What `folio init` and `folio new` write: a new project, the built-in theme to restyle, a draft
/// prompt. Each checks everything before it writes anything, so a refusal changes nothing.
public enum Scaffold {
    // MARK: - A new project

    /// The files of a new project, by path: `folio.yml` with every default spelled out, a first
    /// prompt, and a `.gitignore` for what Folio can rebuild.
    static let projectFiles: [(path: String, text: String)] = [
        (
            SettingsLoader.fileName,
            """
            # Folio project settings. Every key is optional; these are the defaults.
            title: Showcase
            description: Images generated from prompts.
            # base_url: https://example.com/gallery/   # for feeds, sitemap and social cards
            gateway:
              concurrency: 4
              retries: 5
              poll_timeout: 10m
            defaults:
              route: gemini
            images:
              widths: [480, 960, 1600]
              formats: [webp, jpeg]
            pagination: 60

            """
        ),
        (
            "prompts/first-image.md",
            """
            ---
            title: First image
            route: gemini
            aspect_ratio: "4:3"
            tags: [example]
            alt: A lighthouse on a cliff at dusk, painted in watercolor
            ---
            A lighthouse on a cliff at dusk, loose watercolor, warm light in the window.

            """
        ),
        (".gitignore", "site/\n.folio/\n"),
    ]

    /// The folder `folio init DIR` names, relative to `workingFolder`. Refused (exit 2): an empty
    /// name, a `~` the shell did not expand (quoted: it would be taken for a folder named `~`, or
    /// some other user's home), and `/`, a home folder or a system folder, which a project would litter.
    public static func projectFolder(_ text: String, workingFolder: URL) throws(FolioError) -> URL {
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw FolioError("folio init needs a folder to create the project in, such as 'folio init my-gallery'", exit: .invalidInput)
        }
        if text.hasPrefix("~") {
            throw FolioError(
                "'\(text)' starts with a ~ the shell did not expand (it was quoted); write the folder out, such as \"$HOME/my-gallery\"",
                path: text, exit: .invalidInput)
        }
        // A folder, whether or not it exists yet: relative paths are taken inside it.
        let base = URL(fileURLWithPath: workingFolder.path, isDirectory: true)
        let folder = URL(fileURLWithPath: text, relativeTo: base).standardizedFileURL
        // `/home/<someone>` is a home folder too, whoever's it is.
        let parts = folder.resolvingSymlinksInPath().path.split(separator: "/")
        if PublishTarget.isSystemFolder(folder) || (parts.count == 2 && parts[0] == "home") {
            throw FolioError(
                "\(folder.path) is /, a home folder or a system folder; a project needs a folder of its own, such as ~/my-gallery",
                path: text, exit: .invalidInput)
        }
        // As written, so messages name it as the user did.
        return text.hasPrefix("/") ? folder : URL(fileURLWithPath: text, relativeTo: base)
    }

    /// Creates a project in `folder` (made if missing): `projectFiles`, and with `theme` every file of
    /// the built-in theme in `templates/`. Refuses a folder that already holds a project, or a theme
    /// file that is already there. Returns the paths written, relative to `folder`.
    @discardableResult
    public static func makeProject(in folder: URL, theme: Bool = false) throws(FolioError) -> [String] {
        for existing in [SettingsLoader.fileName, "prompts"] where exists(folder, existing) {
            throw FolioError("\(folder.relativePath) already has \(existing); nothing was changed", path: folder.relativePath)
        }
        var files: [(path: String, bytes: [UInt8])] = []
        for file in projectFiles {
            if file.path == ".gitignore" {
                if let merged = try gitignore(in: folder, adding: file.text) { files.append(merged) }
            } else {
                files.append((file.path, Array(file.text.utf8)))
            }
        }
        if theme {
            try checkNoThemeFiles(in: folder)
            files += themeFiles
        }
        return try write(files, into: folder)
    }

    /// The project's `.gitignore` with the lines Folio needs: a new file, or an existing one (a
    /// repository's own) with only the missing lines added at its end, in its own line endings; nil
    /// when none is missing, or when it is a symbolic link (a dotfile manager's: left as it is).
    /// Anything else in its place (a folder, an unreadable file) is refused before anything is written.
    static func gitignore(in folder: URL, adding text: String) throws(FolioError) -> (path: String, bytes: [UInt8])? {
        let path = folder.appendingPathComponent(".gitignore").path
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw FolioError("cannot read \(folder.relativePath)/.gitignore; nothing was changed", path: path) }
            return (".gitignore", Array(text.utf8))
        }
        if (info.st_mode & S_IFMT) == S_IFLNK { return nil }
        guard (info.st_mode & S_IFMT) == S_IFREG, let data = FileManager.default.contents(atPath: path) else {
            throw FolioError("\(folder.relativePath)/.gitignore is not a readable file; nothing was changed", path: path)
        }
        let existing = String(decoding: data, as: UTF8.self)
        let have = Set(existing.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) })
        let missing = text.split(separator: "\n").map(String.init).filter { !have.contains($0) }
        guard !missing.isEmpty else { return nil }
        let newline = existing.contains("\r\n") ? "\r\n" : "\n"
        let separator = data.isEmpty || data.last == UInt8(ascii: "\n") ? "" : newline
        return (".gitignore", Array((existing + separator + missing.joined(separator: newline) + newline).utf8))
    }

    // MARK: - The built-in theme

    /// The built-in theme as project files: `templates/<name>` for every template, `folio.css`,
    /// `folio.js` and `favicon.svg`, in the order `Theme` lists them.
    static var themeFiles: [(path: String, bytes: [UInt8])] {
        (Theme.templates.map { "\($0).mustache" } + Theme.staticFiles).map { name in
            (path: "\(Theme.folder)/\(name)", bytes: Theme.builtIn[name]!)
        }
    }

    /// Refuses when any file of the built-in theme is in `project/templates/` already: a project's
    /// own templates are never overwritten.
    static func checkNoThemeFiles(in project: URL) throws(FolioError) {
        let present = themeFiles.map(\.path).filter { exists(project, $0) }
        guard present.isEmpty else {
            throw FolioError(
                "\(project.relativePath) already has \(present.joined(separator: ", ")); nothing was changed",
                path: project.relativePath)
        }
    }

    // MARK: - A draft prompt

    /// Writes `prompts/<id>.md`, a draft for `route` to start from; refuses an id that does not fit
    /// the slug rule (suggesting one that does), an unknown route, and a file that already exists.
    /// Returns the path written, relative to `project`.
    @discardableResult
    public static func newPrompt(id: String, route: String, project: URL) throws(FolioError) -> String {
        let segments = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !segments.isEmpty, segments.allSatisfy(Slug.fits) else {
            // Segments with nothing to keep (empty, `.`, `..`) are left out: `../../evil` suggests `evil`.
            let kept = segments.filter { $0.contains { $0.isLetter || $0.isNumber } }.map { Slug.suggest($0) }
            let suggestion = kept.isEmpty ? "prompt" : kept.joined(separator: "/")
            throw FolioError("'\(id)' does not fit the id rule (lowercase a-z, 0-9 and '-' segments); try '\(suggestion)'", exit: .invalidInput)
        }
        guard let routeID = RouteID(rawValue: route) else {
            throw FolioError("unknown route '\(route)'; routes: \(RouteID.allCases.map(\.rawValue).joined(separator: ", "))", exit: .invalidInput)
        }
        let path = "prompts/\(id).md"
        guard !exists(project, path) else { throw FolioError("\(path) already exists; nothing was changed", path: path) }
        try write([(path, Array(draftPrompt(title: Slug.title(segments.last!), route: routeID).utf8))], into: project)
        return path
    }

    /// A draft prompt file for `route`: its title, a square aspect ratio or the route's default size
    /// where it takes one, empty tags, an alt text to replace, and `draft: true`.
    static func draftPrompt(title: String, route: RouteID) -> String {
        let rules = route.rules
        var keys = ["title: \(title)", "route: \(route.rawValue)"]
        if rules.aspectRatios.contains("1:1") { keys.append("aspect_ratio: \"1:1\"") }
        if let size = rules.defaultSize { keys.append("size: \(size)") }
        keys += ["tags: []", "alt: Describe the image for people who cannot see it", "draft: true"]
        return "---\n" + keys.joined(separator: "\n") + "\n---\nDescribe the image you want here.\n"
    }

    // MARK: - Writing

    /// Every folder on the way to `path` that exists is a folder of the project (a symbolic link may
    /// lead to another folder inside it, as the loader allows, never out of it; a file would stop the
    /// write half done), and `path` itself is not a link.
    static func checkPath(_ path: String, in folder: URL) throws(FolioError) {
        let parts = path.split(separator: "/").map(String.init)
        let root = FastFiles.realPath(folder.path) ?? folder.path
        var prefix = ""
        for (position, part) in parts.enumerated() {
            prefix += (prefix.isEmpty ? "" : "/") + part
            var info = stat()
            guard lstat(folder.path + "/" + prefix, &info) == 0 else { return }
            var type = info.st_mode & S_IFMT
            let last = position == parts.count - 1
            if !last, type == S_IFLNK, let real = FastFiles.realPath(folder.path + "/" + prefix), FastFiles.isInside(real, root),
                stat(real, &info) == 0
            {
                type = info.st_mode & S_IFMT
            }
            if (!last && type != S_IFDIR) || (last && type == S_IFLNK) {
                let what = type == S_IFLNK ? (last ? "a symbolic link" : "a symbolic link out of the project") : "not a folder"
                throw FolioError(
                    "\(folder.relativePath)/\(prefix) is \(what); Folio writes \(path) only into real folders of the project. Nothing was changed.",
                    path: prefix)
            }
        }
    }

    static func exists(_ folder: URL, _ path: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(path).path)
    }

    /// Writes each file atomically, making its folders; returns the paths. Every path is checked
    /// before the first is written.
    static func write(_ files: [(path: String, bytes: [UInt8])], into folder: URL) throws(FolioError) -> [String] {
        for (path, _) in files { try checkPath(path, in: folder) }
        for (path, bytes) in files {
            let url = folder.appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try AtomicFile.write(bytes, to: url)
            } catch {
                throw FolioError("cannot write \(url.relativePath): \(error)", path: url.relativePath)
            }
        }
        return files.map(\.path)
    }
}
