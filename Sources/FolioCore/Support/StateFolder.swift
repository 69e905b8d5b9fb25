import Foundation
import Glibc

/// The project's `.folio/` folder, where Folio keeps its own state (the run lock, verified hashes).
/// A cloned project could ship `.folio` or a file in it as a symbolic link to somewhere else, so the
/// folder must be a real folder and its files are opened without following links.
enum StateFolder {
    static let name = ".folio"

    /// `<project>/.folio`, created when missing; nil with the reason when it is not a real folder.
    static func path(project: URL) -> Result<String, FolioError> {
        let folder = project.path + "/" + name
        var info = stat()
        if lstat(folder, &info) != 0 {
            guard mkdir(folder, 0o755) == 0 || errno == EEXIST else {
                return .failure(FolioError("cannot create \(folder): \(String(cString: strerror(errno)))"))
            }
            guard lstat(folder, &info) == 0 else { return .failure(FolioError("cannot create \(folder)")) }
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            return .failure(
                FolioError(
                    "\(folder) is not a folder (a symbolic link?); Folio keeps its state only in a real .folio folder inside the project. Remove it and run again."
                ))
        }
        return .success(folder)
    }

    /// Opens `<project>/.folio/<file>` for writing (created when missing), refusing a symbolic link
    /// or anything but a regular file; -1 when it cannot.
    static func open(project: URL, file: String, flags: Int32) -> Int32 {
        guard case .success(let folder) = path(project: project) else { return -1 }
        let fd = Glibc.open(folder + "/" + file, flags | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o644)
        guard fd >= 0 else { return -1 }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return -1
        }
        return fd
    }
}
