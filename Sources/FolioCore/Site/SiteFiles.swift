import Foundation

/// Writes the site's files, leaving alone those whose bytes did not change, and never touching a
/// file that Folio did not write: only paths in the manifest of an earlier render are overwritten
/// or pruned.
struct SiteFiles {
    let root: URL
    /// Files earlier renders of this project wrote here: the only ones that may be replaced or removed.
    let owned: Set<String>
    private(set) var produced = Set<String>()
    private(set) var written = 0
    private(set) var unchanged = 0
    /// Folders already checked to be real folders (not symbolic links) inside the site.
    private var safeFolders: Set<String> = [""]

    init(root: URL, owned: Set<String>) {
        self.root = root
        self.owned = owned
    }

    /// Writes `bytes` to `path` (relative to the site) unless the file already holds exactly them.
    mutating func write(_ path: String, _ bytes: [UInt8]) throws(SiteError) {
        // Claimed first: a file Folio did not write is never taken over, not even one with these bytes.
        try claim(path)
        produced.insert(path)
        let full = root.path + "/" + path
        if FastFiles.size(full) == bytes.count, FastFiles.read(full) == bytes {
            unchanged += 1
            return
        }
        do {
            // The site is disposable output: no fsync, but never a half-written file either.
            try AtomicFile.write(bytes, to: URL(fileURLWithPath: full), sync: false)
        } catch {
            throw SiteError("cannot write \(full): \(error)")
        }
        written += 1
    }

    mutating func write(_ path: String, _ text: String) throws(SiteError) {
        try write(path, Array(text.utf8))
    }

    /// Makes sure `path` may be written: its folders are real folders inside the site (created as
    /// needed), and a file already there is one Folio wrote.
    mutating func claim(_ path: String) throws(SiteError) {
        try makeFolder(Self.parent(path))
        var info = stat()
        if !path.hasPrefix(".folio/"), !owned.contains(path), lstat(root.path + "/" + path, &info) == 0 {
            throw SiteError("\(root.lastPathComponent)/\(path) is already there and Folio did not write it; it is never overwritten. Move it away, or render into another folder (--out).",
                            invalidInput: true)
        }
    }

    /// Creates `folder` (relative to the site), refusing to write through a symbolic link.
    mutating func makeFolder(_ folder: String) throws(SiteError) {
        guard !safeFolders.contains(folder) else { return }
        var partial = ""
        for component in folder.split(separator: "/") {
            partial = partial.isEmpty ? String(component) : partial + "/" + component
            if safeFolders.contains(partial) { continue }
            let full = root.path + "/" + partial
            var info = stat()
            if lstat(full, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw SiteError("\(root.lastPathComponent)/\(partial) is a \((info.st_mode & S_IFMT) == S_IFLNK ? "symbolic link" : "file"), not a folder; Folio does not write through it. Remove it and render again.",
                                    invalidInput: true)
                }
            } else if mkdir(full, 0o755) != 0, errno != EEXIST {
                throw SiteError("cannot create \(full): \(String(cString: strerror(errno)))")
            }
            safeFolders.insert(partial)
        }
    }

    /// Marks files the image step made as part of the site.
    mutating func keep(_ paths: some Sequence<String>) {
        produced.formUnion(paths)
    }

    /// Deletes the files an earlier render wrote that this one did not (pages of removed prompts,
    /// unused renditions), and folders left empty by that. Nothing else is ever deleted.
    func prune() -> Int {
        var removed = 0
        var folders = Set<String>()
        for path in owned.subtracting(produced).sorted() where SiteManifest.isSafe(path) && !path.hasPrefix(".folio/") {
            // Never through a symbolic link: each folder on the way must be a real folder.
            let folder = Self.parent(path)
            guard Self.realFolders(root.path, folder) else { continue }
            if unlink(root.path + "/" + path) == 0 { removed += 1 }
            if !folder.isEmpty { folders.insert(folder) }
        }
        // Deepest first, so a removed prompt's `p/<id>/` goes and then its empty parents.
        var candidates = folders
        for folder in folders {
            var parent = Self.parent(folder)
            while !parent.isEmpty {
                candidates.insert(parent)
                parent = Self.parent(parent)
            }
        }
        for folder in candidates.sorted(by: { $0.count > $1.count }) where Self.realFolders(root.path, folder) {
            rmdir(root.path + "/" + folder)  // only succeeds when empty
        }
        return removed
    }

    /// `a/b/c` → `a/b`; `a` → ``.
    static func parent(_ path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) } ?? ""
    }

    /// Whether every component of `folder` under `root` is a real folder (not a link).
    static func realFolders(_ root: String, _ folder: String) -> Bool {
        var partial = root
        for component in folder.split(separator: "/") {
            partial += "/" + component
            var info = stat()
            guard lstat(partial, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
        }
        return true
    }
}

/// `<output>/.folio/manifest.txt`: every file renders of this project wrote into the output folder.
/// Its presence is what makes a folder Folio's; only the files it lists are ever replaced or pruned.
enum SiteManifest {
    static let path = ".folio/manifest.txt"
    static let header = "folio-manifest 1"

    /// The listed files, or nil when there is no manifest (a folder Folio did not make, or one made by
    /// a Folio before manifests, whose `.folio/build.txt` lists its files instead).
    static func read(site: URL) -> Set<String>? {
        if case .bytes(let bytes) = FastFiles.read(site.path + "/" + path, atMost: 256 << 20) {
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            guard lines.first == header else { return nil }
            return Set(lines.dropFirst().filter(isSafe))
        }
        if let record = BuildRecord.read(site.appendingPathComponent(BuildRecord.path)) {
            return Set(record.files.map(\.0).filter(isSafe))
        }
        return nil
    }

    static func write(site: URL, files: Set<String>) throws(SiteError) {
        let text = ([header] + files.filter { !$0.hasPrefix(".folio/") }.sorted()).joined(separator: "\n") + "\n"
        do {
            try AtomicFile.write(Array(text.utf8), to: site.appendingPathComponent(path), sync: false)
        } catch {
            throw SiteError("cannot write \(site.path)/\(path): \(error)")
        }
    }

    /// A plain relative path inside the site: no `..`, no empty or `.` components, not absolute.
    static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Entries of the output folder other than Folio's own `.folio`, up to `limit`.
    static func foreignEntries(site: URL, limit: Int = 3) -> [String] {
        guard let directory = opendir(site.path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while names.count < limit, let entry = readdir(directory) {
            let name = FastFiles.name(of: entry)
            if name == "." || name == ".." || name == ".folio" { continue }
            names.append(name)
        }
        return names.sorted()
    }
}

#if canImport(Glibc)
import Glibc
#endif
