/// "Did you mean" suggestions for misspelt keys and values.
public enum Suggest {
    /// The closest candidate to `word` if it is close enough to be a likely typo, else nil.
    public static func closest(to word: String, in candidates: some Sequence<String>) -> String? {
        let lowered = word.lowercased()
        let candidates = Array(candidates)
        // The same word in another case (`2K` for `2k`) or a clipped one (`aspect` for `aspect_ratio`).
        if let sameLetters = candidates.first(where: { $0.lowercased() == lowered }) { return sameLetters }
        if lowered.count >= 4, let longer = candidates.filter({ $0.lowercased().hasPrefix(lowered) }).min(by: { $0.count < $1.count }) {
            return longer
        }
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let distance = editDistance(lowered, candidate.lowercased())
            if best == nil || distance < best!.distance {
                best = (candidate, distance)
            }
        }
        guard let best else { return nil }
        // Short words are too easily near each other (`5:4` and `3:4`) to guess at.
        let limit = lowered.count <= 3 ? 0 : max(1, lowered.count / 4)
        return best.distance <= limit ? best.candidate : nil
    }

    /// `"; did you mean 'x'?"` or an empty string.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        closest(to: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Edit distance over Unicode scalars, a swap of two neighbours counting as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension Sequence where Element == String {
    /// `a, b, c` for messages that list allowed values.
    var listed: String { joined(separator: ", ") }
}
