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

    init(device: Int, inode: Int, size: Int, modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int) {
        (self.device, self.inode, self.size, self.modified) = (device, inode, size, modified)
        (self.modifiedNanoseconds, self.changed, self.changedNanoseconds) = (modifiedNanoseconds, changed, changedNanoseconds)
    }

    /// `dev ino size mtime ctime` as the cache file writes it.
    init?(line: Substring) {
        let numbers = line.split(separator: " ").flatMap { $0.split(separator: ".") }.compactMap { Int($0) }
        guard numbers.count == 7 else { return nil }
        (device, inode, size, modified) = (numbers[0], numbers[1], numbers[2], numbers[3])
        (modifiedNanoseconds, changed, changedNanoseconds) = (numbers[4], numbers[5], numbers[6])
    }

    var text: String {
        "\(device) \(inode) \(size) \(modified).\(modifiedNanoseconds) \(changed).\(changedNanoseconds)"
    }
}
