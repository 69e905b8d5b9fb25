import Foundation

/// `prices:` in `folio.yml`: what the user pays per route and model, in their own figures. Folio
/// ships no prices (they change, and differ by account); without one, an estimate is unknown.
public struct Prices: Sendable, Hashable {
    /// A label shown beside amounts (`USD`); nil shows bare numbers.
    public var currency: String?
    /// Each route's models and their price.
    public var models: [RouteID: [String: Price]] = [:]

    public init() {}

    /// The price of `model` on `route`, if the user gave one.
    public func price(route: RouteID, model: String) -> Price? {
        models[route]?[model]
    }

    /// True when no model has a price.
    public var isEmpty: Bool { models.values.allSatisfy(\.isEmpty) }
}

/// One model's price: an amount per image, per Kling unit, or per Gemini token.
public struct Price: Sendable, Hashable {
    /// What the amount is paid for, as each route bills it.
    public enum Basis: String, Sendable, Hashable, CaseIterable {
        /// Every image the gateway answers with (DashScope reports `image_count`).
        case image
        /// Kling's units: the task's `final_unit_deduction`.
        case unit
        /// Gemini's tokens: `usageMetadata.totalTokenCount`.
        case token

        /// The `folio.yml` key that names this basis: `per_image`, `per_unit`, `per_token`.
        public var key: String { "per_\(rawValue)" }
        /// The key that says how many units or tokens one image takes, for estimates.
        public var countKey: String? {
            switch self {
            case .image: nil
            case .unit: "units_per_image"
            case .token: "tokens_per_image"
            }
        }

        /// The bases a route bills by, per `api-reference.md`: Gemini reports tokens, DashScope
        /// images, Kling units; an amount per image works for every route.
        public static func of(_ route: RouteID) -> [Basis] {
            switch route {
            case .gemini: [.image, .token]
            case .kling, .klingOmni: [.image, .unit]
            default: [.image]
            }
        }
    }

    public var basis: Basis
    /// The amount per image, unit or token.
    public var amount: Double
    /// Units or tokens one image takes (for `unit` and `token`); nil leaves estimates unknown.
    public var perImage: Double?

    public init(basis: Basis, amount: Double, perImage: Double? = nil) {
        self.basis = basis
        self.amount = amount
        self.perImage = perImage
    }

    /// What `images` images are expected to cost; nil when a unit or token price says not how
    /// many one image takes.
    public func estimate(images: Int) -> Double? {
        switch basis {
        case .image: Money.rounded(amount * Double(images))
        case .unit, .token: perImage.map { Money.rounded(amount * $0 * Double(images)) }
        }
    }

    /// What the gateway's report comes to: Kling's `final_unit_deduction` or Gemini's
    /// `totalTokenCount` times the amount, or DashScope's `image_count` (else `images`, the images
    /// received) times a price per image. Nil when the report lacks what this basis counts.
    public func spent(cost: JSONValue?, images: Int) -> Double? {
        switch basis {
        case .image:
            let count = cost?["image_count"].flatMap(CostTotals.number) ?? Double(images)
            return Money.rounded(amount * count)
        case .unit:
            return cost?["final_unit_deduction"].flatMap(CostTotals.number).map { Money.rounded(amount * $0) }
        case .token:
            guard let cost else { return nil }
            let total =
                cost["totalTokenCount"].flatMap(CostTotals.number)
                ?? cost["candidatesTokenCount"].flatMap(CostTotals.number).map { $0 + (cost["promptTokenCount"].flatMap(CostTotals.number) ?? 0) }
            return total.map { Money.rounded(amount * $0) }
        }
    }
}

/// Amounts of money as Folio shows and adds them.
public enum Money {
    /// `amount` rounded to a millionth, so sums of prices such as 0.1 + 0.2 read 0.3.
    public static func rounded(_ amount: Double) -> Double {
        (amount * 1_000_000).rounded() / 1_000_000
    }

    /// The sum of `amounts`, nil when any is unknown.
    public static func sum(_ amounts: [Double?]) -> Double? {
        var total = 0.0
        for amount in amounts {
            guard let amount else { return nil }
            total += amount
        }
        return rounded(total)
    }

    /// `0.56`, `0.039`, `5.00`, `unknown`: at least two decimals, at most four, and the currency after.
    public static func text(_ amount: Double?, currency: String?) -> String {
        guard let amount else { return "unknown" }
        var digits = String(format: "%.4f", amount)
        while digits.hasSuffix("0"), let dot = digits.firstIndex(of: "."), digits.distance(from: dot, to: digits.endIndex) > 3 {
            digits.removeLast()
        }
        return currency.map { "\(digits) \($0)" } ?? digits
    }

    /// An amount in JSON: a number, or null when unknown.
    public static func json(_ amount: Double?) -> JSONValue {
        amount.map { .double(rounded($0)) } ?? .null
    }
}
