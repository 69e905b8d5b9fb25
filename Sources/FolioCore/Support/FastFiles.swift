import Glibc

/// Plain POSIX file access for the hot paths that read thousands of small files, where
/// Foundation's URL and resource-value machinery costs more than the reading itself.
public enum FastFiles {
    /// Every regular file below `folder` (following no links, skipping names that start with `.`),
    /// as paths relative to it.
    public static func walk(_ folder: String) -> [String] {
        var files: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? folder : folder + "/" + relative
            guard let directory = opendir(full) else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = name(of: entry)
                if name.hasPrefix(".") { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(folder + "/" + child, &info) == 0 else { continue }
                    type = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : (info.st_mode & S_IFMT) == S_IFREG ? UInt8(DT_REG) : 0
                }
                if type == UInt8(DT_DIR) {
                    pending.append(child)
                } else if type == UInt8(DT_REG) {
                    files.append(child)
                }
            }
        }
        return files
    }

    /// Every entry below `folder` with its `lstat`, dot files included, sorted by path. Links are
    /// listed, never entered; an entry that vanishes while walking is left out. Nil when a folder
    /// cannot be read.
    static func entries(below folder: String) -> [(path: String, info: stat)]? {
        var found: [(path: String, info: stat)] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? folder : folder + "/" + relative
            guard let directory = opendir(full) else { return nil }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = name(of: entry)
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                var info = stat()
                guard lstat(folder + "/" + child, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFDIR { pending.append(child) }
                found.append((child, info))
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The name of a `readdir` entry.
    static func name(of entry: UnsafeMutablePointer<dirent>) -> String {
        withUnsafeBytes(of: entry.pointee.d_name) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
    }

    /// The whole file, or nil when it cannot be read.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        // Read straight into a buffer one byte larger than the file, never zero-filled: the end
        // shows as a short read, with no buffer doubled and copied to find it (which once cost
        // more than the read itself for each published original).
        var failed = false, grew = false
        var bytes = [UInt8](unsafeUninitializedCapacity: max(Int(info.st_size), 0) + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0, errno == EINTR { continue }
                if n <= 0 {
                    failed = n < 0
                    return
                }
                count += n
            }
            grew = true
        }
        // The file grew after fstat: the rest, a chunk at a time.
        var chunk = [UInt8](repeating: 0, count: grew ? 65536 : 0)
        while grew, !failed {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 {
                failed = n < 0
                break
            }
            bytes += chunk[0..<n]
        }
        return failed ? nil : bytes
    }

    /// Whether the file at `path` holds exactly `bytes`, read and compared a chunk at a time: a
    /// 20 MB `gallery.json` is never held twice to learn that it did not change.
    public static func holds(_ path: String, exactly bytes: [UInt8]) -> Bool {
        // Non-blocking: a FIFO put where a file was must not hang the render (fstat then refuses it).
        // Not through a symbolic link: a link put where the file was does not hold it, and is replaced.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) == bytes.count else { return false }
        let chunk = 1 << 18
        var buffer = [UInt8](repeating: 0, count: min(chunk, max(bytes.count, 1)))
        var offset = 0
        return bytes.withUnsafeBytes { expected in
            buffer.withUnsafeMutableBytes { scratch in
                while offset < expected.count {
                    let n = Glibc.read(fd, scratch.baseAddress!, min(scratch.count, expected.count - offset))
                    if n < 0, errno == EINTR { continue }
                    guard n > 0, memcmp(scratch.baseAddress!, expected.baseAddress! + offset, n) == 0 else { return false }
                    offset += n
                }
                // Grown since the stat: not the same file.
                var one: UInt8 = 0
                return Glibc.read(fd, &one, 1) == 0
            }
        }
    }

    /// The size of a regular file, or nil when there is none.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(info.st_size)
    }

    /// What `read(_:atMost:)` found.
    public enum BoundedRead: Sendable, Equatable {
        /// The whole file.
        case bytes([UInt8])
        /// The file holds more than the limit: its size in bytes (at least the limit plus one).
        case tooLarge(Int)
        /// Nothing readable: missing, not permitted, or not a regular file.
        case unreadable
    }

    /// The whole regular file at `path` when it holds at most `limit` bytes; never reads more than
    /// `limit + 1` bytes, so a huge file costs nothing, and never opens a pipe or device for long.
    public static func read(_ path: String, atMost limit: Int) -> BoundedRead {
        readWithIdentity(path, atMost: limit).read
    }

    /// `read(_:atMost:)`, with the identity the file had when it was opened (nil when unreadable).
    static func readWithIdentity(_ path: String, atMost limit: Int) -> (read: BoundedRead, identity: FileIdentity?) {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it changes nothing for regular files.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return (.unreadable, nil) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return (.unreadable, nil) }
        return (readOpen(fd, size: Int(info.st_size), atMost: limit), FileIdentity(info))
    }

    private static func readOpen(_ fd: Int32, size: Int, atMost limit: Int) -> BoundedRead {
        let size = max(size, 0)
        if size > limit { return .tooLarge(size) }
        var bytes = [UInt8](repeating: 0, count: min(size, limit) + 1)
        var offset = 0
        while true {
            if offset == bytes.count {
                // The file grew after fstat: read on, but only up to one byte past the limit.
                guard bytes.count <= limit else { return .tooLarge(max(offset, size)) }
                bytes.append(contentsOf: repeatElement(0, count: min(max(4096, bytes.count), limit + 1 - bytes.count)))
            }
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .unreadable
            }
            if n == 0 { break }
            offset += n
        }
        if offset > limit { return .tooLarge(offset) }
        bytes.removeLast(bytes.count - offset)
        return .bytes(bytes)
    }

    /// The absolute path of an existing file or folder with every `.`, `..` and symbolic link
    /// resolved (`realpath`); nil when it does not exist or a link on the way dangles.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The target a symbolic link names, exactly as written in the link; nil when `path` is not a link.
    public static func linkTarget(_ path: String) -> String? {
        let capacity = 4096
        var buffer = [CChar](repeating: 0, count: capacity + 1)
        let n = readlink(path, &buffer, capacity)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `path` is `folder` or lies below it, comparing whole components: `/a/bc` is not inside
    /// `/a/b`. Both should be absolute and normalised (real paths, say); bytes are compared, not characters.
    public static func isInside(_ path: String, _ folder: String) -> Bool {
        if path.utf8.elementsEqual(folder.utf8) { return true }
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return path.utf8.starts(with: prefix.utf8)
    }

    /// A file found by `walkFollowingLinks`, or a symbolic link it would not follow.
    public struct LinkedFile: Sendable, Equatable {
        /// What was found at a path.
        public enum Kind: Sendable, Equatable {
            /// A regular file, reached directly or through links whose targets stay inside the boundary.
            case file
            /// A link whose target resolves outside the boundary; `target` as the link names it.
            case outside(target: String)
            /// A link whose target does not exist; `target` as the link names it.
            case broken(target: String)
            /// A link to a folder that contains the link (or to one of that folder's ancestors), which
            /// would be walked forever; `target` as the link names it.
            case loop(target: String)
        }

        /// Path relative to the walked folder, `/`-separated, through the links as they are named.
        public var path: String
        /// A file to read, or why a link was not followed.
        public var kind: Kind
        /// For a link: whether its target is a folder.
        public var isFolder: Bool
    }

    /// Every regular file below `folder`, as `walk` finds them (names starting with `.` skipped), but
    /// following symbolic links, to files and folders, whose real path lies inside `boundary` (itself a
    /// real path). A link that leaves the boundary, dangles or loops back is returned as such, never
    /// skipped silently, and not followed.
    public static func walkFollowingLinks(_ folder: String, inside boundary: String) -> [LinkedFile] {
        guard let folderReal = realPath(folder) else { return [] }
        var found: [LinkedFile] = []
        /// A folder still to read: its path relative to `folder`, its real path, the real paths of the
        /// folders it was reached through (itself included), and how many links led to it.
        struct Pending {
            var relative: String
            var real: String
            var chain: [String]
            var links: Int
        }
        let maxLinks = 32
        var pending = [Pending(relative: "", real: folderReal, chain: [folderReal], links: 0)]
        while let current = pending.popLast() {
            let full = current.relative.isEmpty ? folder : folder + "/" + current.relative
            guard let directory = opendir(full) else { continue }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = name(of: entry)
                if name.hasPrefix(".") { continue }
                let child = current.relative.isEmpty ? name : current.relative + "/" + name
                let childFull = folder + "/" + child
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(childFull, &info) == 0 else { continue }
                    switch info.st_mode & S_IFMT {
                    case S_IFDIR: type = UInt8(DT_DIR)
                    case S_IFREG: type = UInt8(DT_REG)
                    case S_IFLNK: type = UInt8(DT_LNK)
                    default: type = 0
                    }
                }
                if type == UInt8(DT_DIR) {
                    let real = current.real + "/" + name
                    pending.append(Pending(relative: child, real: real, chain: current.chain + [real], links: current.links))
                } else if type == UInt8(DT_REG) {
                    found.append(LinkedFile(path: child, kind: .file, isFolder: false))
                } else if type == UInt8(DT_LNK) {
                    let target = linkTarget(childFull) ?? "?"
                    guard let real = realPath(childFull) else {
                        found.append(LinkedFile(path: child, kind: .broken(target: target), isFolder: false))
                        continue
                    }
                    var info = stat()
                    guard stat(real, &info) == 0 else { continue }
                    let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
                    guard isInside(real, boundary) else {
                        found.append(LinkedFile(path: child, kind: .outside(target: target), isFolder: isFolder))
                        continue
                    }
                    if isFolder {
                        // Following a link to a folder that holds any folder on the way here would come back here.
                        if current.links >= maxLinks || current.chain.contains(where: { isInside($0, real) }) {
                            found.append(LinkedFile(path: child, kind: .loop(target: target), isFolder: true))
                        } else {
                            pending.append(Pending(relative: child, real: real, chain: current.chain + [real], links: current.links + 1))
                        }
                    } else if (info.st_mode & S_IFMT) == S_IFREG {
                        found.append(LinkedFile(path: child, kind: .file, isFolder: false))
                    }
                }
            }
        }
        return found
    }
}
