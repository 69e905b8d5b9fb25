import Foundation

/// Writes the site's files, leaving alone those whose bytes did not change.
struct SiteFiles {
    let root: URL
    private(set) var produced = Set<String>()
    private(set) var written = 0
    private(set) var unchanged = 0

    init(root: URL) {
        self.root = root
    }

    /// Writes `bytes` to `path` (relative to the site) unless the file already holds exactly them.
    mutating func write(_ path: String, _ bytes: [UInt8]) throws {
        produced.insert(path)
        let full = root.path + "/" + path
        if FastFiles.size(full) == bytes.count, FastFiles.read(full) == bytes {
            unchanged += 1
            return
        }
        let url = URL(fileURLWithPath: full)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The site is disposable output: no fsync, but never a half-written file either.
        try AtomicFile.write(bytes, to: url, sync: false)
        written += 1
    }

    mutating func write(_ path: String, _ text: String) throws {
        try write(path, Array(text.utf8))
    }

    /// Marks files the image step made as part of the site.
    mutating func keep(_ paths: some Sequence<String>) {
        produced.formUnion(paths)
    }

    /// Deletes files this build did not produce (pages of removed prompts, unused renditions),
    /// leaving Folio's own cache alone.
    func prune() -> Int {
        var removed = 0
        for path in FastFiles.walk(root.path) where !produced.contains(path) && !path.hasPrefix(".folio/") {
            if unlink(root.path + "/" + path) == 0 { removed += 1 }
        }
        return removed
    }
}

#if canImport(Glibc)
import Glibc
#endif
