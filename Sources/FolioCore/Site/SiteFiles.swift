import Foundation
import Glibc

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
    /// The size of every file written or left as it was, by path.
    private(set) var sizes: [String: Int] = [:]
    /// Folders already checked to be real folders (not symbolic links) inside the site.
    private var safeFolders: Set<String> = [""]

    init(root: URL, owned: Set<String>) {
        self.root = root
        self.owned = owned
    }

    /// Writes `bytes` to `path` (relative to the site) unless the file already holds exactly them.
    mutating func write(_ path: String, _ bytes: [UInt8]) throws(FolioError) {
        // Claimed first: a file Folio did not write is never taken over, not even one with these bytes.
        try claim(path)
        produced.insert(path)
        sizes[path] = bytes.count
        let full = root.path + "/" + path
        if FastFiles.holds(full, exactly: bytes) {
            unchanged += 1
            return
        }
        do {
            // The site is disposable output: no fsync, but never a half-written file either.
            try AtomicFile.write(bytes, to: URL(fileURLWithPath: full), sync: false)
        } catch {
            throw FolioError("cannot write \(full): \(error)")
        }
        written += 1
    }

    /// Writes what `produce` passes to its argument, chunk after chunk, to `path`, unless the file
    /// already holds exactly that; neither the new bytes nor the old are ever held whole.
    mutating func write(_ path: String, streaming produce: (_ emit: ([UInt8]) throws(FolioError) -> Void) throws(FolioError) -> Void)
        throws(FolioError)
    {
        try claim(path)
        note(path, try Self.stream(path, in: root.path, produce))
    }

    /// What streaming one file did: whether it was replaced, and its size.
    struct Streamed: Sendable {
        var replaced: Bool
        var size: Int
    }

    /// Writes what `produce` passes to its argument to `path` under `root` (claimed already),
    /// unless the file already holds exactly that. It touches nothing of a `SiteFiles`, so it may
    /// run beside the rest of a render; `note` then counts the file.
    static func stream(
        _ path: String, in root: String, _ produce: (_ emit: ([UInt8]) throws(FolioError) -> Void) throws(FolioError) -> Void
    ) throws(FolioError) -> Streamed {
        let file = try StreamedFile(replacing: root + "/" + path)
        try produce { chunk throws(FolioError) in try file.append(chunk) }
        return Streamed(replaced: try file.finish(), size: file.size)
    }

    /// Counts a file `stream` wrote (or found as it was) as part of the site.
    mutating func note(_ path: String, _ streamed: Streamed) {
        produced.insert(path)
        sizes[path] = streamed.size
        if streamed.replaced { written += 1 } else { unchanged += 1 }
    }

    mutating func write(_ path: String, _ text: String) throws(FolioError) {
        try write(path, Array(text.utf8))
    }

    /// Makes sure `path` may be written: its folders are real folders inside the site (created as
    /// needed), and a file already there is one Folio wrote.
    mutating func claim(_ path: String) throws(FolioError) {
        try makeFolder(Self.parent(path))
        var info = stat()
        if !path.hasPrefix(".folio/"), !owned.contains(path), lstat(root.path + "/" + path, &info) == 0 {
            throw FolioError(
                "\(root.lastPathComponent)/\(path) is already there and Folio did not write it; it is never overwritten. Move it away, or render into another folder (--out).",
                exit: .invalidInput)
        }
    }

    /// Creates `folder` (relative to the site), refusing to write through a symbolic link.
    mutating func makeFolder(_ folder: String) throws(FolioError) {
        guard !safeFolders.contains(folder) else { return }
        var partial = ""
        for component in folder.split(separator: "/") {
            partial = partial.isEmpty ? String(component) : partial + "/" + component
            if safeFolders.contains(partial) { continue }
            let full = root.path + "/" + partial
            var info = stat()
            if lstat(full, &info) == 0 {
                guard (info.st_mode & S_IFMT) == S_IFDIR else {
                    throw FolioError(
                        "\(root.lastPathComponent)/\(partial) is a \((info.st_mode & S_IFMT) == S_IFLNK ? "symbolic link" : "file"), not a folder; Folio does not write through it. Remove it and render again.",
                        exit: .invalidInput)
                }
            } else if mkdir(full, 0o755) != 0, errno != EEXIST {
                throw FolioError("cannot create \(full): \(String(cString: strerror(errno)))")
            }
            safeFolders.insert(partial)
        }
    }

    /// Marks a file an earlier render wrote, left as it is, as part of the site (`claim` it first).
    mutating func keepUnchanged(_ path: String, size: Int) {
        produced.insert(path)
        sizes[path] = size
        unchanged += 1
    }

    /// Marks files the image step made as part of the site, with the `sizes` it found of some.
    mutating func keep(_ paths: some Sequence<String>, sizes: [String: Int] = [:]) {
        produced.formUnion(paths)
        self.sizes.merge(sizes) { written, _ in written }
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
        // By byte, not by Character: 20,000 paths a render, and grapheme breaking is not free.
        path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[..<$0]) } ?? ""
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

/// `<output>/.folio/manifest.txt`: the project that renders into the output folder, and every file
/// its renders wrote there. Its presence is what makes a folder Folio's; only the files it lists are
/// ever replaced or pruned, and only by renders of the same project.
enum SiteManifest {
    static let path = ".folio/manifest.txt"
    static let header = "folio-manifest 1"

    /// Who an output folder belongs to.
    enum Owner: Equatable {
        case none
        case thisProject
        case otherProject(String)
    }

    /// Reads only the manifest's first lines: whose folder this is. A folder made by a Folio before
    /// manifests (`.folio/build.txt` alone) counts as this project's.
    static func owner(site: URL, project: URL) -> Owner {
        // Records are never read through a link: such a folder is not Folio's.
        guard RenderStamp.stateFolderIsReal(site) else { return .none }
        guard case .bytes(let bytes) = FastFiles.read(site.path + "/" + path, atMost: 256 << 20) else {
            return BuildRecord.exists(in: site) ? .thisProject : .none
        }
        let lines = bytes.prefix(8192).split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count >= 2, String(decoding: lines[0], as: UTF8.self) == header else { return .none }
        let second = String(decoding: lines[1], as: UTF8.self)
        guard second.hasPrefix("project ") else { return .thisProject }
        let recorded = String(second.dropFirst("project ".count))
        return recorded == projectName(project, site: site) ? .thisProject : .otherProject(recorded)
    }

    /// The project as the manifest names it: its real path relative to the output folder's (`..`
    /// for `site/`), so a project moved or cloned with its site still owns it, and no absolute
    /// local path is written into a folder that may be published.
    static func projectName(_ project: URL, site: URL) -> String {
        let from = (FastFiles.realPath(site.path) ?? site.standardizedFileURL.path).split(separator: "/")
        let to = (FastFiles.realPath(project.path) ?? project.standardizedFileURL.path).split(separator: "/")
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let steps = Array(repeating: "..", count: from.count - common) + to[common...].map(String.init)
        return steps.isEmpty ? "." : steps.joined(separator: "/")
    }

    /// The listed files, or nil when there is no manifest (then a `.folio/build.txt` of an older Folio
    /// lists them).
    static func read(site: URL) -> Set<String>? {
        listing(site: site)?.files
    }

    /// The listed files and the project the manifest names (nil for an older Folio's manifest, which
    /// names none, or a build record read in its place); nil when there is neither.
    static func listing(site: URL) -> (files: Set<String>, project: String?)? {
        guard RenderStamp.stateFolderIsReal(site) else { return nil }
        if case .bytes(let bytes) = FastFiles.read(site.path + "/" + path, atMost: 256 << 20) {
            var files = Set<String>()
            var project: String?
            for (number, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() {
                if number == 0 {
                    guard String(decoding: line, as: UTF8.self) == header else { return nil }
                    continue
                }
                if number == 1, line.starts(with: Array("project ".utf8)) {
                    project = String(decoding: line.dropFirst("project ".utf8.count), as: UTF8.self)
                    continue
                }
                if isSafe(line) { files.insert(String(decoding: line, as: UTF8.self)) }
            }
            return (files, project)
        }
        if let record = BuildRecord.read(site.appendingPathComponent(BuildRecord.path)) {
            return (Set(record.files.map(\.0).filter { isSafe(Array($0.utf8)[...]) }), nil)
        }
        return nil
    }

    static func write(site: URL, project: URL, files: Set<String>) throws(FolioError) {
        let lines = [header, "project " + projectName(project, site: site)] + files.filter { !$0.hasPrefix(".folio/") }.sorted()
        do {
            try AtomicFile.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: site.appendingPathComponent(path), sync: false)
        } catch {
            throw FolioError("cannot write \(site.path)/\(path): \(error)")
        }
    }

    /// A plain relative path inside the site: no `..`, no empty or `.` components, not absolute.
    static func isSafe(_ path: String) -> Bool {
        isSafe(Array(path.utf8)[...])
    }

    static func isSafe(_ path: ArraySlice<UInt8>) -> Bool {
        let slash = UInt8(ascii: "/"), dot = UInt8(ascii: ".")
        guard !path.isEmpty, path.first != slash else { return false }
        var start = path.startIndex, index = path.startIndex
        while true {
            let atEnd = index == path.endIndex
            if !atEnd, path[index] == 0 { return false }
            if atEnd || path[index] == slash {
                let length = index - start
                if length == 0 || (length == 1 && path[start] == dot) || (length == 2 && path[start] == dot && path[start + 1] == dot) {
                    return false
                }
                if atEnd { return true }
                start = index + 1
            }
            index += 1
        }
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
