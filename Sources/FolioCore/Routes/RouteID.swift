/// The name of a gateway route, as prompt files, `folio.yml` and the lockfile write it.
///
/// The known names are those of `Routes.all`, in its order; each route's file declares its own
/// (`RouteID.gemini` in `Gemini.swift`). `init(rawValue:)`, and so decoding, refuses any other name.
public struct RouteID: RawRepresentable, CaseIterable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// The route named `rawValue`; nil when no registered route has that name.
    public init?(rawValue: String) {
        guard Routes.ids.contains(RouteID(known: rawValue)) else { return nil }
        self.rawValue = rawValue
    }

    /// A route's own name, declared in its file: not checked against the registry, which lists it.
    init(known name: String) {
        rawValue = name
    }

    /// Every route, in the registry's order.
    public static var allCases: [RouteID] { Routes.ids }

    /// Registry order: the order plans, status and totals list routes in.
    public static func < (lhs: RouteID, rhs: RouteID) -> Bool {
        Routes.ids.firstIndex(of: lhs)! < Routes.ids.firstIndex(of: rhs)!
    }

    public var description: String { rawValue }

    /// The route's limits and values, from `api-reference.md`.
    public var rules: RouteRules { definition.rules }

    /// Everything Folio knows about the route. (Found by a scan of the few names, which compares
    /// small strings by their bits: cheaper than hashing, and asked for many times per prompt.)
    var definition: any Route { Routes.all[Routes.ids.firstIndex(of: self)!] }
}
