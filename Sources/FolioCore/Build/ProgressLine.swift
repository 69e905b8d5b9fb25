/// The live progress line a terminal shows for a long step, as pure functions:
/// `rendering images  412/1000  41%  ~38 s left`.
public enum ProgressLine {
    /// The line for `done` of `total` items, then `details` (`1 pending · 0 failed`), then the time
    /// left when there is an estimate (`secondsLeft`).
    public static func text(_ label: String, done: Int, total: Int, details: [String] = [], secondsLeft: Double? = nil) -> String {
        var parts = [label]
        if total > 0 { parts += ["\(done)/\(total)", "\(min(100, max(0, done * 100 / total)))%"] }
        if !details.isEmpty { parts.append(details.joined(separator: " · ")) }
        if let secondsLeft { parts.append("~\(duration(secondsLeft)) left") }
        return parts.joined(separator: "  ")
    }

    /// The time the `remaining` items take at the rate `measured` items took in `elapsed` seconds;
    /// nil until there is something to go by: at least one item and a second.
    public static func secondsLeft(remaining: Int, measured: Int, elapsed: Double) -> Double? {
        guard remaining > 0, measured > 0, elapsed >= 1 else { return nil }
        return elapsed / Double(measured) * Double(remaining)
    }

    /// `38 s`, `4 min`, `1 h 5 min`: whole seconds under a minute and a half, then whole minutes.
    public static func duration(_ seconds: Double) -> String {
        let whole = max(1, Int(seconds.rounded(.up)))
        if whole < 90 { return "\(whole) s" }
        let minutes = Int((Double(whole) / 60).rounded())
        if minutes < 60 { return "\(minutes) min" }
        return minutes % 60 == 0 ? "\(minutes / 60) h" : "\(minutes / 60) h \(minutes % 60) min"
    }

    /// `text` cut to fit in `width` columns without wrapping (a wrapped line cannot be redrawn in place).
    public static func fitted(_ text: String, width: Int) -> String {
        let room = max(1, width - 1)
        return text.count <= room ? text : String(text.prefix(max(0, room - 1))) + "…"
    }
}
