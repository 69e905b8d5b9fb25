import Foundation

extension CleanPlan {
    /// One line per lock entry and asset to remove: `entry   fox (its prompt file is gone)`,
    /// `asset   assets/<sha256>.png`.
    public var listing: [String] {
        // `launch@kling` is one route of a file: the file may still be there, with the route taken out of `routes`.
        entries.map { "entry   \($0) (\($0.contains("@") ? "its prompt file, or this route in its routes, is gone" : "its prompt file is gone"))" }
            + assets.map { "asset   \($0)" }
    }

    /// How much goes: `1 lock entry and 2 assets (0.3 MB)`.
    public var summary: String {
        let megabytes = String(format: "%.1f MB", Double(bytes) / 1_000_000)
        return "\(entries.count) lock entr\(entries.count == 1 ? "y" : "ies") and \(assets.count) asset\(assets.count == 1 ? "" : "s") (\(megabytes))"
    }
}
