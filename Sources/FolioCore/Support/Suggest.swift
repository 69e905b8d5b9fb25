/// "Did you mean" suggestions for misspelt keys and values.
public enum Suggest {
    /// The closest candidate to `word` if it is close enough to be a likely typo, else nil.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance {
                best = (candidate, distance)
            }
        }
        guard let best else { return nil }
        // A prefix or a near spelling counts; a wholly different word does not.
        let limit = max(2, min(word.count, best.candidate.count) / 3)
        if best.distance <= limit || best.candidate.hasPrefix(lowered) && lowered.count >= 3 {
            return best.candidate
        }
        return nil
    }

    /// `"; did you mean 'x'?"` or an empty string.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

extension Sequence where Element == String {
    /// `a, b, c` for messages that list allowed values.
    var listed: String { joined(separator: ", ") }
}
