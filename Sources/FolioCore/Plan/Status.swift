/// `folio status`: each prompt's state from the lockfile, without network.
public enum Status {
    /// One line per published prompt: the lock entry's state, or `new` / `stale` when the lockfile has nothing for its input.
    public static func json(_ prompts: [Prompt], lock: Lockfile) -> JSONValue {
        var totals: [RouteID: [String: Int]] = [:]
        var costs: [RouteID: [JSONValue]] = [:]
        var entries: [JSONValue] = []
        for prompt in prompts where !prompt.draft {
            let g = prompt.generation
            let entry = lock.entries[prompt.id]
            let state: String
            if let entry { state = entry.inputHash == prompt.inputHash ? entry.state.rawValue : "stale" } else { state = "new" }
            totals[g.route, default: [:]][state, default: 0] += 1
            if let cost = entry?.cost { costs[g.route, default: []].append(cost) }
            totals[g.route, default: [:]]["images", default: 0] += entry?.outputs.filter { !$0.file.isEmpty }.count ?? 0
            let outputs: JSONValue = .array((entry?.outputs ?? []).map { o in
                .object([("index", .int(o.index)), ("file", o.file.isEmpty ? .null : .string(o.file)), ("width", .int(o.width)), ("height", .int(o.height))])
            })
            let error: JSONValue = entry?.error.map { .object([("kind", .string($0.kind.rawValue)), ("code", $0.code.map { .string($0) } ?? .null), ("message", .string($0.message))]) } ?? .null
            entries.append(.object([
                ("id", .string(prompt.id)), ("route", .string(g.route.rawValue)), ("model", .string(g.model)), ("state", .string(state)),
                ("task_id", entry?.taskID.map { .string($0) } ?? .null), ("outputs", outputs), ("error", error), ("cost", entry?.cost ?? .null),
            ]))
        }
        let states = ["new", "stale", "submitting", "pending", "succeeded", "failed"]
        let totalsJSON: [(String, JSONValue)] = totals.keys.sorted().map { route in
            let counts = totals[route]!
            return (route.rawValue, .object(states.map { ($0, .int(counts[$0] ?? 0)) } + [("images", .int(counts["images"] ?? 0))]))
        }
        let cost: [(String, JSONValue)] = totals.keys.sorted().map { ($0.rawValue, CostTotals.sum(costs[$0] ?? [])) }
        return .object([("entries", .array(entries)), ("totals", .object(totalsJSON)), ("cost", .object(cost))])
    }

    /// The table `folio status` prints.
    public static func table(_ json: JSONValue) -> String {
        var lines: [String] = []
        for entry in json["entries"]?.arrayValue ?? [] {
            let id = entry["id"]?.stringValue ?? ""
            let state = entry["state"]?.stringValue ?? ""
            var line = state.padding(toLength: 11, withPad: " ", startingAt: 0) + (entry["route"]?.stringValue ?? "").padding(toLength: 11, withPad: " ", startingAt: 0) + id
            if let task = entry["task_id"]?.stringValue, state == "pending" { line += "  task \(task)" }
            if let message = entry["error"]?["message"]?.stringValue { line += "  — \(entry["error"]?["kind"]?.stringValue ?? ""): \(message)" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

import Foundation
