import Crypto
import Foundation
import Glibc
import Synchronization

/// What `assets/` holds for one lockfile output.
public enum AssetState: Sendable, Hashable {
    /// The file is there and its bytes hash to the recorded SHA-256.
    case verified
    /// The lockfile knows the image's URL but it was never downloaded.
    case notDownloaded
    /// No file.
    case missing
    /// A file is there but it is not the image that was paid for (edited, truncated, replaced).
    case changed(String)
    /// The file may not be read: a symbolic link out of the project.
    case refused(String)

    /// Why the asset cannot be used, for messages; nil when it is verified or simply absent.
    public var problem: String? {
        switch self {
        case .changed(let why), .refused(let why): why
        case .verified, .notDownloaded, .missing: nil
        }
    }
}

/// Checks on the files in `assets/`: an asset counts only when its bytes hash to what the lockfile
/// recorded. Hashes already verified are remembered in `.folio/verified-assets`, keyed by device,
/// inode, size, modification and change time, so a rebuild stats each file instead of reading it.
public enum AssetCheck {
    /// The state of `output`'s file under `project`.
    public static func state(_ output: LockOutput, project: URL) -> AssetState {
        guard let asset = output.asset else { return .notDownloaded }
        return VerifiedHashes.of(project: project).check(file: asset.file, sha256: asset.sha256, bytes: asset.bytes)
    }

    /// The asset exists and is verified by hash.
    public static func present(_ output: LockOutput, project: URL) -> Bool {
        state(output, project: project) == .verified
    }

    /// Whether `output`'s URL can still be fetched, by the route's documented lifetime.
    /// Whether `output` is a variant `prompt` hides (`hide`) whose file cannot come back (its URL is
    /// dead): not shown, so it is neither missing nor to be fetched, and blocks none of the others.
    /// One still at its URL is fetched like any other.
    public static func waived(_ output: LockOutput, of prompt: Prompt, entry: LockEntry, now: Date) -> Bool {
        prompt.hidden.contains(output.index) && !urlAlive(output, entry: entry, now: now)
    }

    public static func urlAlive(_ output: LockOutput, entry: LockEntry, now: Date) -> Bool {
        guard output.url != nil, let lifetime = entry.route.rules.resultLifetime else { return false }
        // From the generation's start: earlier than the URL's own birth, so never too hopeful.
        guard let created = entry.createdAt.flatMap(Timestamp.parse) ?? entry.updatedAt.flatMap(Timestamp.parse) else { return false }
        // A margin, so a download does not start on a link about to die.
        return now.timeIntervalSince(created) < lifetime - 300
    }

    /// Remembers that the file at `path` (relative to `project`) hashes to `sha256`, as the
    /// downloader does right after writing it.
    static func remember(_ path: String, sha256: String, project: URL) {
        VerifiedHashes.of(project: project).remember(path, sha256: sha256)
    }
}

/// The verified-hash cache of one project.
final class VerifiedHashes: Sendable {
    static let cacheFile = ".folio/verified-assets"
    private static let registry = Mutex<[String: VerifiedHashes]>([:])

    let project: String
    /// The project's real path, with a trailing `/`.
    let realProject: String
    /// `assets/` resolves outside the project (a symbolic link): nothing in it is used.
    let assetsOutside: String?
    private let known: Mutex<(hashes: [FileIdentity: String], fd: Int32)>

    static func of(project: URL) -> VerifiedHashes {
        registry.withLock { all in
            if let cache = all[project.path] { return cache }
            let cache = VerifiedHashes(project: project.path)
            all[project.path] = cache
            return cache
        }
    }

    private init(project: String) {
        self.project = project
        let real = FastFiles.realPath(project) ?? project
        realProject = real
        if let assets = FastFiles.realPath(project + "/" + StoredAsset.folder), !FastFiles.isInside(assets, realProject) {
            assetsOutside = assets
        } else {
            assetsOutside = nil
        }
        var hashes: [FileIdentity: String] = [:]
        // Bounded, and never a pipe: the file may come from a cloned project. Past 16 MB it starts over.
        let cached = FastFiles.read(project + "/" + Self.cacheFile, atMost: 16 << 20)
        if case .bytes(let bytes) = cached {
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                guard let space = line.lastIndex(of: " ") else { continue }
                let digest = String(line[line.index(after: space)...])
                if LockOutput.isDigest(digest), let identity = FileIdentity(line: line[..<space]) { hashes[identity] = digest }
            }
        }
        hashesWereCut = { if case .tooLarge = cached { true } else { false } }()
        known = Mutex((hashes, -1))
    }

    /// The cache file was over its size limit and is started again on the next write.
    private let hashesWereCut: Bool

    deinit {
        let fd = known.withLock { $0.fd }
        if fd >= 0 { close(fd) }
    }

    func check(file: String, sha256: String, bytes: Int) -> AssetState {
        if let outside = assetsOutside {
            return .refused("\(StoredAsset.folder)/ is a symbolic link to \(outside), outside the project; Folio uses assets only from inside the project")
        }
        let path = project + "/" + file
        var info = stat()
        guard lstat(path, &info) == 0 else { return .missing }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            guard let target = FastFiles.realPath(path) else { return .missing }
            guard FastFiles.isInside(target, realProject) else {
                return .refused("\(file) is a symbolic link to \(target), outside the project; it is not used")
            }
            guard stat(path, &info) == 0 else { return .missing }
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .missing }
        guard Int(info.st_size) == bytes else {
            return .changed("\(file) is \(info.st_size) bytes, not the \(bytes) that were downloaded: it changed after it was stored")
        }
        let key = FileIdentity(info)
        let digest: String
        if let cached = known.withLock({ $0.hashes[key] }) {
            digest = cached
        } else {
            guard let computed = Self.hash(path) else { return .missing }
            digest = computed
            record(key, digest)
        }
        guard digest == sha256 else {
            return .changed("\(file) does not hash to its recorded SHA-256: it changed after it was stored")
        }
        return .verified
    }

    func remember(_ file: String, sha256: String) {
        var info = stat()
        guard stat(project + "/" + file, &info) == 0 else { return }
        record(FileIdentity(info), sha256)
    }

    /// Adds a line to the cache file (append-only; a damaged line is skipped on reading).
    private func record(_ key: FileIdentity, _ digest: String) {
        known.withLock { state in
            guard state.hashes[key] != digest else { return }
            state.hashes[key] = digest
            if state.fd == -1 {
                // A real file in a real .folio folder, or no cache at all.
                let flags = O_WRONLY | O_APPEND | (hashesWereCut ? O_TRUNC : 0)
                state.fd = StateFolder.open(project: URL(fileURLWithPath: project), file: "verified-assets", flags: flags)
                if state.fd < 0 { state.fd = -2 }
            }
            guard state.fd >= 0 else { return }
            let line = Array("\(key.text) \(digest)\n".utf8)
            _ = line.withUnsafeBytes { Glibc.write(state.fd, $0.baseAddress, $0.count) }
        }
    }

    /// SHA-256 of a file, read in 1 MB pieces.
    static func hash(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { break }
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0.prefix(n))) }
        }
        return SHA256Hex.hex(hasher.finalize())
    }
}
