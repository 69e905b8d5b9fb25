import Glibc

/// Copies files as independent copies: a reflink (`FICLONE`) where the file system shares blocks,
/// else plain reads and writes.
enum CopyFile {
    /// `_IOW(0x94, 9, int)` from `<linux/fs.h>`.
    private static let ficlone: UInt = 0x4004_9409

    /// Copies `source` to a new file `target` (which must not exist); false when it cannot.
    static func copy(from source: String, to target: String) -> Bool {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { return false }
        defer { close(output) }
        if ioctl(output, ficlone, input) == 0 { return true }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, $0.count, offset) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return false }
            if n == 0 { return true }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { pwrite(output, $0.baseAddress! + written, n - written, offset + off_t(written)) }
                if w < 0, errno == EINTR { continue }
                guard w > 0 else { return false }
                written += w
            }
            offset += off_t(n)
        }
    }
}
