/// Adds up what the gateway reported it charged, per route: Kling units, Gemini tokens, DashScope images.
public enum CostTotals {
    /// The sum of the numeric fields of `costs` (numbers given as text, like Kling's `"2"`, count too).
    public static func sum(_ costs: [JSONValue]) -> JSONValue {
        var totals: [String: Double] = [:]
        for cost in costs {
            guard case .object(let pairs) = cost else { continue }
            for (key, value) in pairs {
                let number: Double? = switch value {
                case .int(let i): Double(i)
                case .double(let d): d
                case .string(let s): Double(s)
                default: nil
                }
                if let number { totals[key, default: 0] += number }
            }
        }
        return .object(totals.keys.sorted().map { key in
            let value = totals[key]!
            return (key, value.rounded() == value ? .int(Int(value)) : .double(value))
        })
    }
}
