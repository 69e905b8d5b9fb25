/// Everything Folio checks about a route before it sends a request: one table per route, kept in
/// the route's file (`Gemini.swift`), per `api-reference.md`.
public struct RouteRules: Sendable {
    /// How a route answers.
    public enum Style: Sendable {
        /// Answers the request itself with the image (inline or URL).
        case sync
        /// Answers with a task id that is then polled.
        case task
    }

    /// Limits on the reference images a route takes.
    public struct References: Sendable {
        public var maxCount: Int
        public var maxBytes: Int
        /// Formats by the names `ImageHeader` gives (`png`, `jpeg`, `webp`, `heic`, `heif`).
        public var formats: [String]
        /// Each side at least this many pixels, when set.
        public var minSide: Int?
        /// Width / height within this range, when set.
        public var aspectRange: ClosedRange<Double>?
        /// What the route calls the field, for messages.
        public var fieldName: String
    }

    public var route: RouteID
    public var style: Style
    public var models: [String]
    public var defaultModel: String
    /// Keys this route takes beyond those every route takes.
    public var keys: Set<FrontMatterKey>
    public var aspectRatios: [String]
    /// The aspect ratio sent when neither the file nor the defaults give one; nil means none is sent.
    public var defaultAspectRatio: String?
    public var sizes: [String]
    public var defaultSize: String?
    public var resolutions: [String]
    public var defaultResolution: String?
    public var imageSizes: [String]
    public var defaultImageSize: String?
    public var n: ClosedRange<Int> = 1...9
    /// Images one request returns: 1 means `n` variants take `n` requests.
    public var imagesPerCall: ImagesPerCall
    public var maxPromptLength: Int?
    public var maxNegativePromptLength: Int?
    public var seedRange: ClosedRange<Int>?
    public var seriesAmount: ClosedRange<Int>?
    public var references: References?
    /// How long result URLs stay valid, in seconds; nil for inline results.
    public var resultLifetime: Double?
    /// Why a key this route does not take is refused, where there is more to say than "not accepted".
    public var refusals: [FrontMatterKey: String]

    /// How many images one request returns.
    public enum ImagesPerCall: Sendable {
        case one
        case all
    }

    /// Requests needed for `n` variants.
    public func requests(forVariants n: Int) -> Int {
        switch imagesPerCall {
        case .one: n
        case .all: 1
        }
    }

    public func accepts(_ key: FrontMatterKey) -> Bool {
        FrontMatterKey.everyRoute.contains(key) || keys.contains(key)
    }

    /// The keys this route takes, for messages.
    public var acceptedKeyNames: [String] {
        FrontMatterKey.allCases.filter { accepts($0) }.map(\.rawValue)
    }

    /// The message for a key this route does not take.
    public func refusal(of key: FrontMatterKey) -> String {
        if let reason = refusals[key] { return "route \(route.rawValue) takes no '\(key.rawValue)': \(reason)" }
        return "route \(route.rawValue) takes no '\(key.rawValue)'"
    }
}
