import Foundation
import Glibc

/// A file written where the user says (`plan --out FILE`, `diff --out FILE`). A mistyped name must
/// not cost anything: the file is never one of the project's own (`folio.lock`, `folio.yml`, a
/// prompt, a paid image) and never a file that is already there unless an earlier run of the same
/// command wrote it.
public struct ReportFile: Sendable {
    /// What the file is called in messages: `the plan`, `the report`.
    public var kind: String
    /// The command that writes it: `folio plan --out`.
    public var writer: String
    /// Whether the bytes of a file already there are one this command wrote.
    public var isOurs: @Sendable ([UInt8]) -> Bool

    public init(kind: String, writer: String, isOurs: @escaping @Sendable ([UInt8]) -> Bool) {
        self.kind = kind
        self.writer = writer
        self.isOurs = isOurs
    }

    /// What the project holds that no report may replace: its files, and every folder of them.
    static let projectFiles: Set<String> = ["folio.lock", "folio.yml"]
    static let projectFolders: Set<String> = ["prompts", "assets", "templates", "static", ".folio", ".git"]

    /// Refuses (exit 2) to write `url` when it is inside one of the own files or folders of this
    /// project or of any project around the place it lands (the nearest folder above it with a
    /// `folio.yml`), through symbolic links too; when it is not a regular file; or when it is a file
    /// this command did not write. Returns the path to write: the one checked, links in its folder resolved.
    @discardableResult
    public func check(_ url: URL, shown: String, project: URL) throws(FolioError) -> URL {
        let path = url.standardizedFileURL.path
        let shown = shown.isEmpty ? "''" : shown
        func refuse(_ why: String) -> FolioError {
            FolioError("\(shown) \(why), so \(kind) is not written there; choose another file", path: shown, exit: .invalidInput)
        }
        // Where the file would land, its folder's links resolved (the file itself is replaced, never followed).
        let folder = OutputFolder.realPath((path as NSString).deletingLastPathComponent)
        let landing = (folder == "/" ? "" : folder) + "/" + (path as NSString).lastPathComponent
        let ownRoot = OutputFolder.realPath(project.standardizedFileURL.path)
        var roots = [ownRoot]
        if let other = Self.enclosingProject(of: folder), other != ownRoot { roots.append(other) }
        for root in roots where landing.hasPrefix(root == "/" ? "/" : root + "/") {
            let relative = String(landing.dropFirst(root == "/" ? 1 : root.count + 1))
            let first = relative.split(separator: "/").first.map(String.init) ?? relative
            if Self.projectFiles.contains(relative) || Self.projectFolders.contains(first) {
                let whose = root == ownRoot ? "the project's" : "the project \(root)'s"
                throw refuse(Self.projectFiles.contains(relative) ? "is \(whose) own file" : "is inside \(whose) \(first)/ folder")
            }
        }
        var info = stat()
        guard lstat(landing, &info) == 0 else { return URL(fileURLWithPath: landing) }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            // At most 64 MB is read to tell: a larger file is no plan or report of Folio's.
            guard case .bytes(let bytes) = FastFiles.read(landing, atMost: 64 << 20), isOurs(bytes) else {
                throw refuse("is already there and is not \(kind) '\(writer)' wrote (it is never overwritten)")
            }
            return URL(fileURLWithPath: landing)
        case S_IFLNK: throw refuse("is a symbolic link")
        case S_IFDIR: throw refuse("is a folder")
        default: throw refuse("is not a regular file")
        }
    }

    /// The nearest folder at or above `folder` (a real path) that holds a `folio.yml`: a project.
    static func enclosingProject(of folder: String) -> String? {
        var current = folder
        while true {
            var info = stat()
            if lstat(current + (current == "/" ? "" : "/") + "folio.yml", &info) == 0 { return current }
            guard current != "/" else { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
    }
}
