/// Every setting of `folio.yml`, with the defaults Folio uses when the file leaves one out.
public struct Settings: Sendable {
    public var title = "Showcase"
    public var description = "Images generated from prompts."
    /// Who writes the prompts: the IPTC "AI Prompt Writer Name" of every published image; nil leaves it out.
    public var author: String?
    /// Absolute URL of the published site, with a trailing slash; nil keeps feeds and cards relative.
    public var baseURL: String?
    public var language = "en"
    public var gateway = Gateway()
    /// The user's own prices, for estimates and what was spent (`prices:`); Folio ships none.
    public var prices = Prices()
    public var defaults = Defaults.builtIn
    public var images = Images()
    /// Images per index page.
    public var pagination = 60
    /// The output folder, relative to the project.
    public var output = "site"

    public init() {}

    /// How Folio talks to the gateway.
    public struct Gateway: Sendable {
        public var baseURL = "https://api.anyint.ai"
        /// Requests in flight at once; a Kling task holds `n` of them.
        public var concurrency = 4
        /// Attempts for a retryable failure.
        public var retries = 5
        /// How long a task is polled before the run leaves it pending, in seconds.
        public var pollTimeout: Double = 600
        /// Largest download accepted, in bytes.
        public var maxDownloadBytes = 50 * 1024 * 1024
        /// `gateway.max_cost`: the most one build may spend, in the unit of `prices`; `--max-cost` wins.
        public var maxCost: Double?
    }

    /// Values applied to prompts that leave a key unset: for every route, or for one route.
    public struct Defaults: Sendable {
        /// Applied to every prompt whose route takes the key.
        public var all: [FrontMatterKey: YAMLNode] = [:]
        /// Applied to the prompts of one route; these win over `all`.
        public var byRoute: [RouteID: [FrontMatterKey: YAMLNode]] = [:]

        /// Folio's own: gemini, and each route's built-in defaults (square 1k Kling images).
        public static var builtIn: Defaults {
            func value(_ text: String) -> YAMLNode {
                YAMLNode(value: .scalar(text, plain: true), file: "folio.yml", line: 1, column: 1)
            }
            var defaults = Defaults()
            defaults.all[.route] = value("gemini")
            for route in Routes.all where !route.builtInDefaults.isEmpty {
                defaults.byRoute[route.id] = route.builtInDefaults.mapValues(value)
            }
            return defaults
        }

        /// The default for `key` on `route`, if any.
        public func value(for key: FrontMatterKey, route: RouteID) -> YAMLNode? {
            if let value = byRoute[route]?[key] { return value }
            guard route.rules.accepts(key) else { return nil }
            return all[key]
        }
    }

    /// Sizes, formats and encoding of the published images.
    public struct Images: Sendable {
        public var widths = [480, 960, 1600]
        public var formats: [ImageOutputFormat] = [.webp, .jpeg]
        /// Each format's quality and encoder effort.
        public var encoding = ImageEncoding()
    }
}
