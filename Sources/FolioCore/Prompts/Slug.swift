import Foundation

/// The rule prompt ids follow: lowercase `[a-z0-9-]` segments.
public enum Slug {
    /// Whether `segment` fits the rule.
    public static func fits(_ segment: String) -> Bool {
        !segment.isEmpty && segment.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
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
