import Foundation

/// Estimates from `prices:`: what a plan's creates are expected to cost, and what was spent, from
/// what the gateway reported. A price Folio does not have is never made up: such an amount is nil,
/// shown as "unknown".
extension Plan {
    /// This plan with each entry's estimates at `prices`: `estimatedCost` for the creates a build
    /// would send (0 when it sends none), `generationCost` for the prompt's whole generation.
    public func priced(_ prices: Prices, prompts: [Prompt]) -> Plan {
        let byID = Dictionary(prompts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var plan = self
        plan.prices = prices
        for index in plan.entries.indices {
            let entry = plan.entries[index]
            guard let prompt = byID[entry.id] else { continue }
            let price = prices.price(route: entry.route, model: entry.model)
            plan.entries[index].estimatedCost = entry.requests == 0 ? 0 : price?.estimate(images: Estimates.images(prompt.generation, requests: entry.requests))
            plan.entries[index].generationCost = price?.estimate(images: prompt.generation.expectedImages)
        }
        return plan
    }

    /// What the plan's creates are expected to cost, over all routes; nil when any is unknown.
    public var estimatedCost: Double? { Money.sum(entries.map(\.estimatedCost)) }

    /// The entries that would send creates with no price to estimate them by.
    public var unpriced: [PlanEntry] { entries.filter { $0.requests > 0 && $0.estimatedCost == nil } }

    /// `estimated at 0.56 USD`, or why the estimate is unknown: the routes and models with no price.
    var costSentence: String {
        if let total = estimatedCost { return "estimated at \(Money.text(total, currency: prices.currency))" }
        return "estimated cost unknown: \(Estimates.missingPrices(unpriced))"
    }

    /// `route → estimated cost` of the plan's creates, nil for a route where one is unknown.
    func estimatedCost(route: RouteID) -> Double? {
        Money.sum(entries.filter { $0.route == route }.map(\.estimatedCost))
    }
}

/// The arithmetic behind the estimates.
public enum Estimates {
    /// Images that `requests` creates of generation `g` make: one per call on a route that answers
    /// one image per call, else every image the task makes.
    public static func images(_ g: Generation, requests: Int) -> Int {
        switch g.route.rules.imagesPerCall {
        case .one: requests
        case .all: requests * g.expectedImages
        }
    }

    /// `no price in folio.yml for gemini gemini-2.5-flash-image (2 prompts)`.
    public static func missingPrices(_ entries: [PlanEntry]) -> String {
        var counts: [String: Int] = [:]
        for entry in entries { counts["\(entry.route.rawValue) \(entry.model)", default: 0] += 1 }
        let named = counts.keys.sorted().map { "\($0) (\(counts[$0]!) prompt\(counts[$0]! == 1 ? "" : "s"))" }
        return "no price in folio.yml for \(named.joined(separator: ", "))"
    }

    /// What one lock entry cost, at `prices`, by what the gateway reported for it: 0 for none
    /// (nothing was reported), nil when no price applies or the report lacks what its price counts.
    public static func spent(_ entry: LockEntry?, prices: Prices) -> Double? {
        guard let entry else { return 0 }
        let images = entry.outputs.count
        if entry.cost == nil, images == 0 { return 0 }
        return prices.price(route: entry.route, model: entry.model)?.spent(cost: entry.cost, images: images)
    }
}

/// `folio status`'s amounts: what was spent, by the gateway's reports at `prices:`, beside the estimate.
extension Status {
    /// `spent` and `estimated_cost` over `amounts`, each null when any part is unknown.
    static func spentAndEstimate(_ amounts: [(spent: Double?, estimate: Double?)]) -> [(String, JSONValue)] {
        [("spent", Money.json(Money.sum(amounts.map(\.spent)))), ("estimated_cost", Money.json(Money.sum(amounts.map(\.estimate))))]
    }

    /// `  spent 0.28 (estimated 0.14)` for an entry of `folio status --json` that spent something
    /// or whose spending is unknown; nothing for one that spent nothing.
    static func spentText(_ entry: JSONValue) -> String {
        let spent = entry["spent"].flatMap(CostTotals.number)
        if spent == 0 { return "" }
        return "  spent \(Money.text(spent, currency: nil)) (estimated \(Money.text(entry["estimated_cost"].flatMap(CostTotals.number), currency: nil)))"
    }

    /// The closing line: what was spent in all, beside the estimate, in the currency of `prices:`.
    static func costLines(_ json: JSONValue) -> [String] {
        let currency = json["currency"]?.stringValue
        let amount = json["spent"].flatMap(CostTotals.number)
        let estimate = Money.text(json["estimated_cost"].flatMap(CostTotals.number), currency: currency)
        // No entry received an image or had a cost reported: nothing to price (a gallery priced at 0
        // that was generated still says what the gateway reported).
        let entries = json["entries"]?.arrayValue ?? []
        let nothing = entries.allSatisfy { ($0["outputs"]?.arrayValue ?? []).isEmpty && ($0["cost"] ?? .null) == .null }
        let spent = nothing ? "nothing spent yet" : "spent \(Money.text(amount, currency: currency)) as the gateway reported it"
        return ["", "\(spent), against an estimate of \(estimate) at the prices in folio.yml"]
    }
}
