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

    /// Refuses (exit 2) to write `url` when it is inside one of the project's own files or folders
    /// (through symbolic links too), is not a regular file, or is a file this command did not write.
    /// `shown` is the name as the user wrote it.
    public func check(_ url: URL, shown: String, project: URL) throws(FolioError) {
        let path = url.standardizedFileURL.path
        func refuse(_ why: String) -> FolioError {
            FolioError("\(shown) \(why), so \(kind) is not written there; choose another file", path: shown, exit: .invalidInput)
        }
        // Where the file would land, its folder's links resolved (the file itself is replaced, never followed).
        let folder = OutputFolder.realPath((path as NSString).deletingLastPathComponent)
        let landing = (folder == "/" ? "" : folder) + "/" + (path as NSString).lastPathComponent
        let root = OutputFolder.realPath(project.standardizedFileURL.path)
        if landing.hasPrefix(root + "/") {
            let relative = String(landing.dropFirst(root.count + 1))
            let first = relative.split(separator: "/").first.map(String.init) ?? relative
            if Self.projectFiles.contains(relative) || Self.projectFolders.contains(first) {
                throw refuse(Self.projectFiles.contains(relative) ? "is the project's own file" : "is inside the project's \(first)/ folder")
            }
        }
        var info = stat()
        guard lstat(landing, &info) == 0 else { return }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard let bytes = FastFiles.read(landing), isOurs(bytes) else {
                throw refuse("is already there and is not \(kind) '\(writer)' wrote (it is never overwritten)")
            }
        case S_IFLNK: throw refuse("is a symbolic link")
        case S_IFDIR: throw refuse("is a folder")
        default: throw refuse("is not a regular file")
        }
    }
}
