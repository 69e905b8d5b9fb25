import Foundation
import Glibc

/// Device, inode, size, modification and change time of a file: they change whenever its bytes
/// can have changed, and the change time cannot be set by hand. What the verified-hash cache and the
/// render stamp key on.
struct FileIdentity: Hashable {
    var device = 0, inode = 0, size = 0, modified = 0, modifiedNanoseconds = 0, changed = 0, changedNanoseconds = 0

    init(_ info: stat) {
        device = Int(info.st_dev)
        inode = Int(info.st_ino)
        size = Int(info.st_size)
        modified = info.st_mtim.tv_sec
        modifiedNanoseconds = info.st_mtim.tv_nsec
        changed = info.st_ctim.tv_sec
        changedNanoseconds = info.st_ctim.tv_nsec
    }

    /// `dev ino size mtime ctime` as the cache file writes it.
    init?(line: Substring) {
        self.init(text: Array(line.utf8)[...])
    }

    /// `dev ino size mtime ctime` (`text`), parsed from its bytes: records hold one per file, so
    /// 10,000 of them are read on a render.
    init?(text: ArraySlice<UInt8>) {
        let fields = text.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count == 5, let device = Self.number(fields[0]), let inode = Self.number(fields[1]), let size = Self.number(fields[2]),
            let modified = Self.time(fields[3]), let changed = Self.time(fields[4])
        else { return nil }
        (self.device, self.inode, self.size) = (device, inode, size)
        (self.modified, modifiedNanoseconds, self.changed, changedNanoseconds) = (modified.0, modified.1, changed.0, changed.1)
    }

    /// A decimal number of at most 18 digits.
    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        return value
    }

    /// `seconds.nanoseconds`.
    private static func time(_ text: ArraySlice<UInt8>) -> (Int, Int)? {
        guard let dot = text.firstIndex(of: UInt8(ascii: ".")), let seconds = number(text[..<dot]), let nanoseconds = number(text[(dot + 1)...])
        else { return nil }
        return (seconds, nanoseconds)
    }

    var text: String {
        "\(device) \(inode) \(size) \(modified).\(modifiedNanoseconds) \(changed).\(changedNanoseconds)"
    }
}
