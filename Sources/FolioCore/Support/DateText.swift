/// The dates prompt files may give.
public enum DateText {
    /// `YYYY-MM-DD`, optionally followed by `THH:MM[:SS[.fff]]` and `Z` or `±HH[:]MM`, with a real day.
    public static func isValid(_ value: String) -> Bool {
        let b = Array(value.utf8)
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= b.count, range.allSatisfy({ (48...57).contains(b[$0]) }) else { return nil }
            return range.reduce(0) { $0 * 10 + Int(b[$1] - 48) }
        }
        guard b.count >= 10, digits(0..<4) != nil, b[4] == 45, let month = digits(5..<7), b[7] == 45, let day = digits(8..<10),
            (1...12).contains(month), (1...[31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]).contains(day)
        else { return false }
        if b.count == 10 { return true }
        guard b[10] == 84 || b[10] == 32, let hour = digits(11..<13), b.count > 13, b[13] == 58, let minute = digits(14..<16),
            hour < 24, minute < 60
        else { return false }
        var i = 16
        if i < b.count, b[i] == 58 {
            guard let second = digits((i + 1)..<(i + 3)), second < 61 else { return false }
            i += 3
            if i < b.count, b[i] == 46 {
                i += 1
                let start = i
                while i < b.count, (48...57).contains(b[i]) { i += 1 }
                guard i > start else { return false }
            }
        }
        if i == b.count { return true }
        if b[i] == 90 { return i + 1 == b.count }
        guard b[i] == 43 || b[i] == 45, digits((i + 1)..<(i + 3)) != nil else { return false }
        i += 3
        if i < b.count, b[i] == 58 { i += 1 }
        return digits(i..<(i + 2)) != nil && i + 2 == b.count
    }
}
