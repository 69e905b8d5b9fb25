import Foundation
import Glibc

/// A file written a chunk at a time under a temporary name in its folder, and compared as it goes
/// with the file it replaces: renamed over it when the bytes differ, removed when they are the same,
/// so the file is never half-written and never rewritten for nothing — and the whole of it (a
/// 20 MB `gallery.json` at 10,000 images) is never held in memory, new or old.
final class StreamedFile {
    let path: String
    private let temporary: String
    private var fd: Int32
    /// The file being replaced, read alongside; -1 when there is none, or once it differed.
    private var old: Int32
    private var scratch: [UInt8] = []
    private(set) var size = 0
    private var finished = false

    /// Opens the temporary file beside `path`, and `path` itself for the comparison.
    init(replacing path: String) throws(FolioError) {
        self.path = path
        temporary = AtomicFile.temporaryPath(for: URL(fileURLWithPath: path))
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FolioError("cannot write \(path): open failed: \(String(cString: strerror(errno)))") }
        // Non-blocking: a FIFO put where the file was must not hang the render (fstat then refuses it).
        // Not through a symbolic link: a link put where the file was is replaced, never kept.
        old = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        var info = stat()
        if old >= 0, fstat(old, &info) != 0 || (info.st_mode & S_IFMT) != S_IFREG {
            close(old)
            old = -1
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if old >= 0 { close(old) }
        if !finished { unlink(temporary) }
    }

    /// Writes `bytes` next, and compares them with the old file's bytes at the same place.
    func append(_ bytes: [UInt8]) throws(FolioError) {
        guard !bytes.isEmpty else { return }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FolioError("cannot write \(path): write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        size += bytes.count
        if old >= 0, !oldContinues(with: bytes) {
            close(old)
            old = -1
        }
    }

    /// Whether the old file's next bytes are `bytes`.
    private func oldContinues(with bytes: [UInt8]) -> Bool {
        if scratch.count < bytes.count { scratch = [UInt8](repeating: 0, count: bytes.count) }
        var filled = 0
        while filled < bytes.count {
            let n = scratch.withUnsafeMutableBytes { Glibc.read(old, $0.baseAddress! + filled, bytes.count - filled) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            filled += n
        }
        return scratch.withUnsafeBytes { a in bytes.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, bytes.count) == 0 } }
    }

    /// Puts the new file in place, unless the old one holds the same bytes; true when it did.
    func finish() throws(FolioError) -> Bool {
        close(fd)
        fd = -1
        var same = false
        if old >= 0 {
            var one: UInt8 = 0
            same = Glibc.read(old, &one, 1) == 0
            close(old)
            old = -1
        }
        finished = true
        if same {
            unlink(temporary)
            return false
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FolioError("cannot write \(path): rename failed: \(String(cString: strerror(code)))")
        }
        return true
    }
}
