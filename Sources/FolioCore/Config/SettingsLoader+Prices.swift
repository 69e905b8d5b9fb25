import Foundation

/// Reading `prices:` and `gateway.max_cost`: amounts in the user's own currency.
extension SettingsLoader {
    /// What `prices:` takes beside route names.
    static let priceKeys = ["currency"]

    /// `prices: {currency: USD, gemini: {gemini-2.5-flash-image: {per_image: 0.039}}, …}`; each
    /// problem is reported at its line, and the rest is still read.
    static func applyPrices(_ node: YAMLNode, to prices: inout Prices) -> [Diagnostic] {
        if node.isNull { return [] }
        let entries: [YAMLEntry]
        do {
            entries = try node.entries(key: "prices")
        } catch {
            return [error]
        }
        var problems: [Diagnostic] = []
        for entry in entries {
            do throws(Diagnostic) {
                if entry.key == "currency" {
                    let label = try entry.value.text(key: "prices.currency").trimmingCharacters(in: .whitespaces)
                    guard !label.isEmpty, label.count <= 12 else {
                        throw entry.value.diagnostic("prices.currency must be a short label such as USD, not \(entry.value.describe)", key: "prices.currency")
                    }
                    prices.currency = label
                } else if let route = RouteID(rawValue: entry.key) {
                    problems += applyRoutePrices(entry.value, route: route, to: &prices)
                } else {
                    let known = priceKeys + RouteID.allCases.map(\.rawValue)
                    throw entry.keyNode.diagnostic(
                        "unknown setting '\(entry.key)' in 'prices' of folio.yml; it takes currency and route names (\(RouteID.allCases.map(\.rawValue).listed))\(Suggest.didYouMean(entry.key, in: known))",
                        key: "prices.\(entry.key)")
                }
            } catch {
                problems.append(error)
            }
        }
        return problems
    }

    /// One route's models: `kling: {kling-v2-1: {per_unit: 0.14, units_per_image: 1}}`.
    private static func applyRoutePrices(_ node: YAMLNode, route: RouteID, to prices: inout Prices) -> [Diagnostic] {
        let section = "prices.\(route.rawValue)"
        let entries: [YAMLEntry]
        do {
            entries = try node.entries(key: section)
        } catch {
            return [error]
        }
        var problems: [Diagnostic] = []
        let models = route.rules.models
        for entry in entries {
            guard models.contains(entry.key) else {
                problems.append(
                    entry.keyNode.diagnostic(
                        "unknown model '\(entry.key)' in '\(section)' of folio.yml; route \(route.rawValue) has: \(models.listed)\(Suggest.didYouMean(entry.key, in: models))",
                        key: "\(section).\(entry.key)"))
                continue
            }
            do throws(Diagnostic) {
                prices.models[route, default: [:]][entry.key] = try price(entry.value, route: route, key: "\(section).\(entry.key)")
            } catch {
                problems.append(error)
            }
        }
        return problems
    }

    /// One model's price: exactly one of `per_image`, `per_unit`, `per_token` (as the route bills),
    /// with `units_per_image` or `tokens_per_image` beside a unit or token price.
    private static func price(_ node: YAMLNode, route: RouteID, key: String) throws(Diagnostic) -> Price {
        let bases = Price.Basis.of(route)
        let known = bases.map(\.key) + bases.compactMap(\.countKey)
        let example = bases.contains(.unit) ? "{ per_unit: 0.14, units_per_image: 1 }" : bases.contains(.token) ? "{ per_image: 0.039 }" : "{ per_image: 0.03 }"
        guard case .mapping(let entries) = node.value else {
            throw node.diagnostic("\(key) must be a mapping such as \(example), not \(node.describe)", key: key)
        }
        var amounts: [(basis: Price.Basis, amount: Double, node: YAMLNode)] = []
        var counts: [String: (Double, YAMLNode)] = [:]
        for entry in entries {
            let dotted = "\(key).\(entry.key)"
            if !known.contains(entry.key), let other = Price.Basis.allCases.first(where: { $0.key == entry.key || $0.countKey == entry.key }) {
                // A key of another route's billing: say why it does not apply here.
                throw entry.keyNode.diagnostic(
                    "\(dotted): route \(route.rawValue) reports no \(other.rawValue)s to price; it is priced by \(known.listed)", key: dotted)
            }
            guard known.contains(entry.key) else {
                throw entry.keyNode.diagnostic(
                    "unknown setting '\(entry.key)' in '\(key)' of folio.yml; route \(route.rawValue) is priced by \(known.listed)\(Suggest.didYouMean(entry.key, in: known))",
                    key: dotted)
            }
            let value = try amount(entry.value, key: dotted)
            if let basis = bases.first(where: { $0.key == entry.key }) {
                amounts.append((basis, value, entry.keyNode))
            } else {
                counts[entry.key] = (value, entry.keyNode)
            }
        }
        guard let first = amounts.first else {
            throw node.diagnostic("\(key) gives no price; give one of \(bases.map(\.key).listed), such as \(example)", key: key)
        }
        if amounts.count > 1 {
            throw amounts[1].node.diagnostic(
                "\(key) gives both \(first.basis.key) and \(amounts[1].basis.key); keep one", key: "\(key).\(amounts[1].basis.key)")
        }
        for (name, (_, keyNode)) in counts where name != first.basis.countKey {
            throw keyNode.diagnostic(
                "\(key).\(name) goes with \(name == "units_per_image" ? "per_unit" : "per_token"), not \(first.basis.key)", key: "\(key).\(name)")
        }
        return Price(basis: first.basis, amount: first.amount, perImage: first.basis.countKey.flatMap { counts[$0]?.0 })
    }

    /// A non-negative number (`0.039`, `5`, `1_000`), or a diagnostic naming `key`.
    static func amount(_ node: YAMLNode, key: String) throws(Diagnostic) -> Double {
        guard case .scalar(let text, true) = node.value, let value = Double(text.replacingOccurrences(of: "_", with: "")), value.isFinite else {
            throw node.diagnostic("\(key) must be a number such as 0.04, not \(node.describe)", key: key)
        }
        guard value >= 0 else { throw node.diagnostic("\(key) must be 0 or more, not \(text)", key: key) }
        // A billion per unit, image or token is no price: past it, sums of thousands of images
        // could reach infinity and an estimate would read as unknown.
        guard value <= largestAmount else { throw node.diagnostic("\(key) must be at most 1000000000, not \(text)", key: key) }
        return value
    }

    /// The largest amount a price or a cap may name.
    public static let largestAmount = 1e9
}
