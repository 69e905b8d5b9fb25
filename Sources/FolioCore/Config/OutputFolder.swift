import Foundation
import Glibc

/// The rule for the folder Folio renders into: it belongs to Folio, so it is never the project
/// folder, never contains it, and is never one of the project's own folders or inside one, judged by
/// real path (symbolic links, `.` and `..` resolved) and whole path components.
public enum OutputFolder {
    /// The project's folders no output may be, lie inside or contain, with what each holds.
    public static let reserved: [(name: String, holds: String)] = [
        ("prompts", "the prompt files"),
        ("assets", "the downloaded originals"),
        ("templates", "the template overrides"),
        ("static", "the files published as they are"),
        (".folio", "Folio's own records"),
    ]

    /// `path` as an absolute, standardized file URL; a relative path is taken relative to `base`.
    public static func resolve(_ path: String, relativeTo base: URL) -> URL {
        let absolute = path.hasPrefix("/") ? path : base.path + "/" + path
        return URL(fileURLWithPath: lexical(absolute), isDirectory: true)
    }

    /// Why `output` cannot be the output folder of `project`, as a complete sentence; nil when it can.
    /// `shownAs` is how the user wrote it (`site/..`), for the message; by default the path relative to
    /// the project, or the absolute path when it lies outside.
    /// `role` names the folder in the sentence and `why` says what it must be instead (`folio
    /// publish` asks the same of the folder it publishes to).
    public static func problem(
        _ output: URL, project: URL, shownAs: String? = nil, role: String = "output folder",
        why: String = "the output must be a folder of Folio's own (it removes what it no longer renders there), such as 'site'"
    ) -> String? {
        let outputPath = lexical(output.path)
        let projectPath = realPath(project.path)
        let real = realPath(outputPath)
        let shown = display(outputPath, project: lexical(project.path))
        var name = "'\(shownAs.flatMap { $0.isEmpty ? nil : $0 } ?? shown)'"
        // Say where a symbolic link leads when that is what puts the folder in the way.
        let realShown = display(real, project: projectPath)
        if realShown != shown { name += " ('\(realShown)' by its real path)" }
        if contains(real, projectPath) {
            if contains(projectPath, real) {
                return "the \(role) \(name) is the project folder itself; \(why)"
            }
            return "the \(role) \(name) contains the project folder (\(projectPath)); \(why) inside the project"
        }
        for folder in reserved {
            let reservedPath = realPath(projectPath + "/" + folder.name)
            if contains(reservedPath, real) {
                let place = contains(real, reservedPath) ? "is the project's \(folder.name)/ folder" : "lies inside the project's \(folder.name)/ folder"
                return "the \(role) \(name) \(place), which holds \(folder.holds); \(why)"
            }
            if contains(real, reservedPath) {
                return "the \(role) \(name) contains the project's \(folder.name)/ folder (\(reservedPath)), which holds \(folder.holds); \(why)"
            }
        }
        var info = stat()
        if stat(real, &info) == 0, (info.st_mode & S_IFMT) != S_IFDIR {
            return "the \(role) \(name) is a file, not a folder; \(why)"
        }
        // A link to nothing: the folder could only be made where the link points, which Folio does not do.
        if lstat(outputPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, stat(outputPath, &info) != 0 {
            return "the \(role) \(name) is a symbolic link to \(real), which does not exist; make that folder, or name another"
        }
        return nil
    }

    /// The real path `path` (absolute) stands for: each component that exists resolved as the system
    /// would, symbolic links included (a dangling one to where it points); `..` after a real folder is
    /// its parent; the components that do not exist yet appended as written.
    public static func realPath(_ path: String) -> String {
        var resolved: [Substring] = []
        var pending: [Substring] = path.split(separator: "/").reversed()
        var hops = 0
        while let part = pending.popLast() {
            if part == "." { continue }
            if part == ".." {
                if !resolved.isEmpty { resolved.removeLast() }
                continue
            }
            let candidate = "/" + (resolved + [part]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK, hops < 40, let target = FastFiles.linkTarget(candidate) {
                hops += 1
                if target.hasPrefix("/") { resolved = [] }
                pending.append(contentsOf: target.split(separator: "/").reversed())
                continue
            }
            resolved.append(part)
        }
        return "/" + resolved.joined(separator: "/")
    }

    /// `/a/./b/../c/` → `/a/c`, without looking at the disk.
    static func lexical(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `inner` is `outer` or lies inside it: by whole components, and by identity on disk, so
    /// that two names for one folder (a case-insensitive file system, a bind mount) count as one.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        if FastFiles.isInside(inner, outer) { return true }
        var target = stat()
        guard stat(outer, &target) == 0, (target.st_mode & S_IFMT) == S_IFDIR else { return false }
        var path = inner
        while true {
            var info = stat()
            if stat(path, &info) == 0, info.st_dev == target.st_dev, info.st_ino == target.st_ino { return true }
            guard path != "/", let slash = path.lastIndex(of: "/") else { return false }
            path = slash == path.startIndex ? "/" : String(path[..<slash])
        }
    }

    /// `path` relative to `project` when it lies inside it (`.` for the project itself), else absolute.
    static func display(_ path: String, project: String) -> String {
        if path == project { return "." }
        if FastFiles.isInside(path, project) { return String(path.dropFirst(project == "/" ? 1 : project.count + 1)) }
        return path
    }
}
