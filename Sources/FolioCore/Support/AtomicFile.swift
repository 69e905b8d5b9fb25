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

    /// Writes `bytes` to `url` through a temporary file in the same folder and a rename. With `sync`
    /// (the default) the file and the folder are synced, so the write survives a power cut too;
    /// disposable output (the site) skips that.
    public static func write(_ bytes: [UInt8], to url: URL, sync: Bool = true, beforeRename: (() throws -> Void)? = nil) throws {
        let folder = url.deletingLastPathComponent().path
        let temporary = "\(folder)/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
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
