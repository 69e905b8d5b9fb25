import Foundation
import Glibc

/// Whole-file writes that never leave a half-written file behind.
public enum AtomicFile {
    /// A failed system call while writing `path`.
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var code: Int32
        public var description: String { "cannot write \(path): \(operation) failed: \(String(cString: strerror(code)))" }
    }

    /// Removes the temporary files of writes to `url` that a process which has since ended (killed,
    /// say) left beside it; those of live processes are theirs.
    public static func removeLeftovers(of url: URL) {
        let folder = url.deletingLastPathComponent().path
        let prefix = ".\(url.lastPathComponent)."
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let fields = name.dropFirst(prefix.count).dropLast(4).split(separator: ".")
            guard fields.count == 2, let pid = pid_t(fields[0]), pid > 0, pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { unlink("\(folder)/\(name)") }
        }
    }

    /// A fresh temporary name beside `url`, `.<name>.<pid>.<random>.tmp`: the form `removeLeftovers`
    /// knows, so one that a killed process left is cleaned up.
    static func temporaryPath(for url: URL) -> String {
        "\(url.deletingLastPathComponent().path)/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    }

    /// Writes `bytes` to `url` through a temporary file in the same folder and a rename. With `sync`
    /// (the default) the file and the folder are synced, so the write survives a power cut too;
    /// disposable output (the site) skips that.
    public static func write(_ bytes: [UInt8], to url: URL, sync: Bool = true, beforeRename: (() throws -> Void)? = nil) throws {
        let folder = url.deletingLastPathComponent().path
        let temporary = temporaryPath(for: url)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: url.path, operation: "open", code: errno) }
        var finished = false
        defer {
            if !finished { unlink(temporary) }
        }
        do {
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: url.path, operation: "write", code: errno)
                }
                offset += written
            }
            if sync {
                guard fsync(fd) == 0 else { throw WriteError(path: url.path, operation: "fsync", code: errno) }
            }
        }
        try beforeRename?()
        guard rename(temporary, url.path) == 0 else { throw WriteError(path: url.path, operation: "rename", code: errno) }
        finished = true
        guard sync else { return }
        // Sync the folder so the rename itself survives a power cut.
        let folderFD = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }
}
