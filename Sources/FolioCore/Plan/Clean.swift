import Foundation

/// What `folio clean` would remove: assets no current prompt's lock entry refers to, and the lock
/// entries of prompts that no longer exist.
public struct CleanPlan: Sendable {
    /// Relative to the project: `assets/<sha>.<ext>`, sorted.
    public var assets: [String]
    public var bytes: Int
    /// Ids whose prompt file is gone, sorted.
    public var entries: [String]

    public var isEmpty: Bool { assets.isEmpty && entries.isEmpty }

    /// Compares `assets/` and the lockfile with the prompts on disk (drafts count as present).
    public static func make(prompts: [Prompt], lock: Lockfile, project: URL) -> CleanPlan {
        let ids = Set(prompts.map(\.id))
        let kept = lock.entries.filter { ids.contains($0.key) }
        let referenced = Set(kept.values.flatMap { $0.outputs.compactMap(\.asset?.file) })
        let folder = project.appendingPathComponent(StoredAsset.folder).path
        var assets: [String] = []
        var bytes = 0
        // Only Folio's own files: content-addressed names, in an assets/ that is inside the project.
        // (Anything else there — a kept `.changed-…` copy, a user's file — is never deleted.)
        let inside = VerifiedHashes.of(project: project).assetsOutside == nil
        for name in inside ? FastFiles.walk(folder) : [] where !name.contains("/") && isAssetName(name) {
            let path = "\(StoredAsset.folder)/\(name)"
            if !referenced.contains(path) {
                assets.append(path)
                bytes += FastFiles.size(project.path + "/" + path) ?? 0
            }
        }
        return CleanPlan(assets: assets.sorted(), bytes: bytes, entries: lock.entries.keys.filter { !ids.contains($0) }.sorted())
    }

    /// `<64 hex digits>.<png|jpg|webp>`: a name Folio gave a downloaded image.
    static func isAssetName(_ name: String) -> Bool {
        guard let dot = name.firstIndex(of: ".") else { return false }
        return LockOutput.isDigest(String(name[..<dot])) && LockOutput.assetExtensions.contains(String(name[name.index(after: dot)...]))
    }

    /// Deletes the listed assets and drops the listed entries from the lockfile (written atomically).
    public func apply(lock: Lockfile, project: URL) throws -> Lockfile {
        var lock = lock
        for id in entries { lock.entries[id] = nil }
        if !entries.isEmpty { try lock.write(project: project) }
        for path in assets { try? FileManager.default.removeItem(atPath: project.path + "/" + path) }
        return lock
    }
}
