import Foundation
import Glibc

/// An exclusive lock on `.folio/run.lock` in the project, held by every command that rewrites
/// `folio.lock` (generate, build, clean --yes) and by publish, so no build changes the site while
/// it is published. The file names the process holding it.
public struct RunLock: Sendable {
    public static let path = ".folio/run.lock"
    let fd: Int32

    /// Takes the lock, or says which process holds it.
    public static func acquire(project: URL, command: String) throws(FolioError) -> RunLock {
        let file = project.appendingPathComponent(path).path
        if case .failure(let error) = StateFolder.path(project: project) { throw error }
        let fd = StateFolder.open(project: project, file: "run.lock", flags: O_RDWR)
        guard fd >= 0 else {
            throw FolioError("cannot open \(file) (it must be a plain file, not a link): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var bytes = [UInt8](repeating: 0, count: 200)
            let count = max(0, bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) })
            let holder = String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            let who = holder.isEmpty ? "another folio" : "process \(holder)"
            throw FolioError("\(who) is working in this project and holds \(path); wait for it to finish, then run again")
        }
        // Who holds it, for the message another command prints.
        let text = Array("\(getpid()) (folio \(command))\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return RunLock(fd: fd)
    }

    /// Lets the lock go.
    public func release() {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
