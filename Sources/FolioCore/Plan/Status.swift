import Foundation

/// `folio status`: each prompt's state, as the plan decided it, without network.
public enum Status {
    /// One line per entry of `plan` (the published prompts): its state's name, and from its lock
    /// entry the task id, the outputs, the error and the cost; from `prompts`, the variants hidden.
    public static func json(_ plan: Plan, lock: Lockfile, prompts: [Prompt] = []) -> JSONValue {
        let hidden = Dictionary(prompts.map { ($0.id, $0.hidden) }, uniquingKeysWith: { first, _ in first })
        var totals: [RouteID: [String: Int]] = [:]
        var costs: [RouteID: [JSONValue]] = [:]
        // What each entry spent (at `prices:`, from the gateway's reports) and was estimated to cost.
        var amounts: [RouteID: [(spent: Double?, estimate: Double?)]] = [:]
        var entries: [JSONValue] = []
        for planned in plan.entries {
            let entry = lock.entries[planned.id]
            let state = planned.state.name
            totals[planned.route, default: [:]][state, default: 0] += 1
            if let cost = entry?.cost { costs[planned.route, default: []].append(cost) }
            let spent = Estimates.spent(entry, prices: plan.prices)
            amounts[planned.route, default: []].append((spent, planned.generationCost))
            totals[planned.route, default: [:]]["images", default: 0] += entry?.outputs.filter { $0.asset != nil }.count ?? 0
            let outputs: JSONValue = .array(
                (entry?.outputs ?? []).map { o in
                    .object([
                        ("index", .int(o.index)), ("file", o.asset.map { .string($0.file) } ?? .null),
                        ("width", .int(o.asset?.width ?? 0)), ("height", .int(o.asset?.height ?? 0)),
                    ])
                })
            let error: JSONValue =
                entry?.error.map {
                    .object([("kind", .string($0.kind.rawValue)), ("code", $0.code.map { .string($0) } ?? .null), ("message", .string($0.message))])
                } ?? .null
            entries.append(
                .object([
                    ("id", .string(planned.id)), ("route", .string(planned.route.rawValue)), ("model", .string(planned.model)), ("state", .string(state)),
                    ("task_id", entry?.taskID.map { .string($0) } ?? .null), ("outputs", outputs), ("error", error), ("cost", entry?.cost ?? .null),
                    ("spent", Money.json(spent)), ("estimated_cost", Money.json(planned.generationCost)),
                    ("hidden", .array((hidden[planned.id] ?? []).map { .int($0) })),
                ]))
        }
        let totalsJSON: [(String, JSONValue)] = totals.keys.sorted().map { route in
            let counts = totals[route]!
            return (
                route.rawValue,
                .object(
                    PromptState.names.map { ($0, .int(counts[$0] ?? 0)) } + [("images", .int(counts["images"] ?? 0))]
                        + spentAndEstimate(amounts[route] ?? []))
            )
        }
        let cost: [(String, JSONValue)] = totals.keys.sorted().map { ($0.rawValue, CostTotals.sum(costs[$0] ?? [])) }
        return .object(
            [("entries", .array(entries)), ("totals", .object(totalsJSON)), ("cost", .object(cost))]
                + spentAndEstimate(amounts.values.flatMap { $0 }) + [("currency", plan.prices.currency.map { .string($0) } ?? .null)])
    }

    /// The table `folio status` prints.
    public static func table(_ json: JSONValue) -> String {
        var lines: [String] = []
        for entry in json["entries"]?.arrayValue ?? [] {
            let id = entry["id"]?.stringValue ?? ""
            let state = entry["state"]?.stringValue ?? ""
            var line =
                state.padding(toLength: 11, withPad: " ", startingAt: 0)
                + (entry["route"]?.stringValue ?? "").padding(toLength: 11, withPad: " ", startingAt: 0) + id
            if let task = entry["task_id"]?.stringValue, state == "pending" { line += "  task \(task)" }
            if let message = entry["error"]?["message"]?.stringValue { line += "  — \(entry["error"]?["kind"]?.stringValue ?? ""): \(message)" }
            if let hidden = entry["hidden"]?.arrayValue, !hidden.isEmpty {
                line += "  hidden \(hidden.compactMap(\.intValue).map(String.init).joined(separator: ", "))"
            }
            line += spentText(entry)
            lines.append(line)
        }
        lines += costLines(json)
        return lines.joined(separator: "\n")
    }
}
