import Foundation
import Glibc

/// The project's `static/` folder: files published verbatim at the same relative path in the site
/// (`static/CNAME` → `site/CNAME`), dot files included (`.nojekyll`, `.well-known/`).
enum StaticFiles {
    static let folder = "static"

    /// One file to publish.
    struct File: Sendable {
        /// Relative to `static/` and to the site.
        var path: String
        /// Absolute path of the file to copy.
        var source: String
        /// Size and modification time, for the render fingerprint.
        var stamp: String
    }

    /// Paths every render writes (files) or fills (folders): a static file there clashes whatever
    /// the prompts are, so `build` can say so before it generates anything.
    static let alwaysGenerated: (files: Set<String>, folders: [String]) = (["index.html", "gallery.json", "feed.xml"], [".folio/", "static/"])

    /// The first static file that would clash with what every render writes, as an error.
    static func checkAgainstAlwaysGenerated(project: URL) throws(FolioError) {
        for file in try list(project: project) {
            let clash = alwaysGenerated.files.contains(file.path) ? file.path : alwaysGenerated.folders.first { file.path.hasPrefix($0) }
            if let clash {
                throw FolioError(
                    "static/\(file.path) would be published at \(file.path), which clashes with \(clash) that Folio generates; rename or remove static/\(file.path)",
                    exit: .invalidInput)
            }
        }
    }

    /// Every file under `static/`, sorted; a symbolic link that resolves outside the project is an error.
    static func list(project: URL) throws(FolioError) -> [File] {
        let root = project.path + "/" + folder
        var info = stat()
        guard lstat(root, &info) == 0 else { return [] }
        let realProject = FastFiles.realPath(project.path) ?? project.path
        guard let realRoot = FastFiles.realPath(root), FastFiles.isInside(realRoot, realProject) else {
            throw FolioError("\(folder)/ resolves outside the project; Folio publishes files only from inside it", exit: .invalidInput)
        }
        guard let entries = FastFiles.entries(below: root) else { throw FolioError("cannot read \(folder)/") }
        var files: [File] = []
        for (child, found) in entries {
            let path = root + "/" + child
            info = found
            if (info.st_mode & S_IFMT) == S_IFLNK {
                guard let target = FastFiles.realPath(path), FastFiles.isInside(target, realProject) else {
                    throw FolioError(
                        "\(folder)/\(child) is a symbolic link that resolves outside the project; Folio does not publish it. Copy the file into \(folder)/ instead.",
                        exit: .invalidInput)
                }
                guard stat(path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR {
                    throw FolioError("\(folder)/\(child) is a symbolic link to a folder; link the files instead, or copy the folder", exit: .invalidInput)
                }
            }
            if (info.st_mode & S_IFMT) == S_IFREG {
                files.append(File(path: child, source: path, stamp: "\(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"))
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}
