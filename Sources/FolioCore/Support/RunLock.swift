import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why the run lock could not be taken.
public struct RunLockError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// An exclusive lock on `.folio/run.lock` in the project, held by every command that rewrites
/// `folio.lock` (generate, build, clean --yes). The file names the process holding it.
public struct RunLock: Sendable {
    public static let path = ".folio/run.lock"
    let fd: Int32

    /// Takes the lock, or says which process holds it.
    public static func acquire(project: URL, command: String) throws(RunLockError) -> RunLock {
        let folder = project.appendingPathComponent(".folio")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = project.appendingPathComponent(path).path
        let fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RunLockError(description: "cannot create \(file): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = FastFiles.read(file).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
            close(fd)
            let who = holder.isEmpty ? "another folio" : "process \(holder)"
            throw RunLockError(description: "\(who) is working in this project and holds \(path); wait for it to finish, then run again")
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
