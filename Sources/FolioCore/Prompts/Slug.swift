import Foundation

/// The rule prompt ids follow: lowercase `[a-z0-9-]` segments.
public enum Slug {
    /// Whether `segment` fits the rule.
    public static func fits(_ segment: String) -> Bool {
        !segment.isEmpty && segment.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
    }

    /// A readable title from a slug: `launch-poster` → `Launch poster`.
    public static func title(_ slug: String) -> String {
        let words = slug.replacingOccurrences(of: "-", with: " ")
        return words.prefix(1).uppercased() + words.dropFirst()
    }

    /// `prompts/a/../b.png` → `prompts/b.png`; nil when the path climbs out of its root or is empty.
    public static func normalize(_ path: String) -> String? {
        var parts: [Substring] = []
        for part in path.split(separator: "/") where part != "." && !part.isEmpty {
            if part == ".." {
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    /// The nearest segment that fits: `Café Poster` → `cafe-poster`.
    public static func suggest(_ segment: String) -> String {
        let folded = segment.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        var out = ""
        var pendingHyphen = false
        for scalar in folded.unicodeScalars {
            if (0x61...0x7A).contains(scalar.value) || (0x30...0x39).contains(scalar.value) {
                if pendingHyphen, !out.isEmpty { out.append("-") }
                pendingHyphen = false
                out.unicodeScalars.append(scalar)
            } else {
                pendingHyphen = true
            }
        }
        return out.isEmpty ? "prompt" : out
    }
}
