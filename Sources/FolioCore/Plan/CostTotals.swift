import Foundation

/// Adds up what the gateway reported it charged, per route: Kling units, Gemini tokens, DashScope images.
public enum CostTotals {
    /// The fields of a stored cost that count something, and so add up across calls and prompts:
    /// Kling's `final_unit_deduction`, Gemini's token counts, DashScope's `image_count`. Everything
    /// else a route reports beside them describes one call (DashScope's `width` and `height`) and is
    /// left out of totals.
    public static let counters: Set<String> = [
        "final_unit_deduction",
        "promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount",
        "image_count",
    ]

    /// The sum of the counters in `costs` (numbers given as text, like Kling's `"2"`, count too).
    public static func sum(_ costs: [JSONValue]) -> JSONValue {
        var totals: [String: Double] = [:]
        for cost in costs {
            guard case .object(let pairs) = cost else { continue }
            for (key, value) in pairs where counters.contains(key) {
                if let number = number(value) { totals[key, default: 0] += number }
            }
        }
        return .object(
            totals.keys.sorted().map { key in
                let value = totals[key]!
                return (key, value.rounded() == value && abs(value) < 9e15 ? .int(Int(value)) : .double(value))
            })
    }

    /// A counter's value as a number: JSON numbers, or text holding one (`"2"`, `" 2.5 "`).
    public static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): Double(i)
        case .double(let d) where d.isFinite: d
        case .string(let s): Double(s.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }
}
