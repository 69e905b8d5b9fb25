import Foundation

extension Lockfile {
    /// Writes `folio.lock` into `project` atomically: a temporary file in the same folder, synced,
    /// then renamed over the old one, so a crash leaves either the old file or the new one.
    /// `beforeRename` runs after the temporary file is synced; tests use it to interrupt the write.
    public func write(project: URL, beforeRename: (() throws -> Void)? = nil) throws {
        try AtomicFile.write(Array(encoded().utf8), to: project.appendingPathComponent(Self.fileName), beforeRename: beforeRename)
    }

    /// Removes what writes of `folio.lock` interrupted by the end of their process left in `project`.
    public static func removeLeftovers(project: URL) {
        AtomicFile.removeLeftovers(of: project.appendingPathComponent(fileName))
    }
}
