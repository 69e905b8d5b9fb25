extension Plan {
    /// `{"entries": [...], "totals": {route: {...}}}` as SPEC §4 gives it.
    public var json: JSONValue {
        let entries: [JSONValue] = entries.map { e in
            var pairs: [(String, JSONValue)] = [
                ("id", .string(e.id)), ("route", .string(e.route.rawValue)), ("model", .string(e.model)),
                ("action", .string(e.action.rawValue)), ("requests", .int(e.requests)),
                ("downloads", .int(e.downloads)), ("file", .string(e.file)), ("input_hash", .string(e.inputHash)),
                ("estimated_cost", Money.json(e.estimatedCost)),
            ]
            if let reason = e.reason { pairs.append(("reason", .string(reason))) }
            if let changes = e.changes { pairs.append(("changes", changes.json)) }
            return .object(pairs)
        }
        let totals = self.totals
        let byRoute: [(String, JSONValue)] = totals.keys.sorted().map { route in
            let t = totals[route]!
            var pairs: [(String, JSONValue)] = [PlanAction.new, .cached, .stale, .resume, .failed, .download, .missing].map {
                ($0.rawValue, .int(t.counts[$0] ?? 0))
            }
            pairs.append(("requests", .int(t.requests)))
            pairs.append(("downloads", .int(t.downloads)))
            pairs.append(("estimated_cost", Money.json(estimatedCost(route: route))))
            return (route.rawValue, .object(pairs))
        }
        // Totals stay whole numbers, as SPEC §4 shows them; what was charged so far goes beside them.
        let cost: [(String, JSONValue)] = totals.keys.sorted().map { ($0.rawValue, CostTotals.sum(totals[$0]!.costs)) }
        return .object([
            ("entries", .array(entries)), ("totals", .object(byRoute)), ("cost", .object(cost)),
            ("estimated_cost", Money.json(estimatedCost)), ("currency", prices.currency.map { .string($0) } ?? .null),
        ])
    }

    /// The table `folio plan` prints on a terminal.
    public func table() -> String {
        var lines: [String] = []
        let idWidth = max(2, entries.map(\.id.count).max() ?? 2)
        let modelWidth = max(5, entries.map(\.model.count).max() ?? 5)
        func pad(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        func left(_ s: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - s.count)) + s }
        // Estimates without the currency, which the last line names.
        let costs = entries.map { Money.text($0.estimatedCost, currency: nil) }
        let costWidth = max(4, costs.map(\.count).max() ?? 4)
        lines.append("\(pad("ACTION", 9)) \(pad("ROUTE", 11)) \(pad("MODEL", modelWidth)) \(left("REQ", 4)) \(left("COST", costWidth))  ID")
        for (e, cost) in zip(entries, costs) {
            var line =
                "\(pad(e.action.rawValue, 9)) \(pad(e.route.rawValue, 11)) \(pad(e.model, modelWidth)) \(left(String(e.requests), 4)) \(left(cost, costWidth))  \(e.id)"
            if let reason = e.reason, e.action != .new { line += "  — \(reason)" }
            lines.append(line)
            lines += (e.changes?.lines ?? []).map { "          " + $0 }
        }
        lines.append("")
        let columns: [PlanAction] = [.new, .cached, .stale, .resume, .failed, .download, .missing]
        lines.append(pad("ROUTE", 11) + columns.map { left($0.rawValue, 9) }.joined() + left("requests", 10) + left("cost", 10))
        let totals = self.totals
        for route in totals.keys.sorted() {
            let t = totals[route]!
            lines.append(
                pad(route.rawValue, 11) + columns.map { left(String(t.counts[$0] ?? 0), 9) }.joined() + left(String(t.requests), 10)
                    + left(Money.text(estimatedCost(route: route), currency: nil), 10))
        }
        lines.append("")
        let skipped = drafts > 0 ? " (\(drafts) draft\(drafts == 1 ? "" : "s") skipped)" : ""
        let count = entries.count
        lines.append(
            "\(count) prompt\(count == 1 ? "" : "s")\(skipped): a build would send \(requests) request\(requests == 1 ? "" : "s"), \(costSentence).")
        return lines.joined(separator: "\n")
    }
}
