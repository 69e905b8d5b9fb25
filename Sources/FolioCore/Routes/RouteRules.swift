/// Everything Folio checks about a route before it sends a request: one table, per `api-reference.md`.
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

// MARK: - The four routes

extension RouteRules {
    static let klingAspectRatios = ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"]

    public static let gemini = RouteRules(
        route: .gemini, style: .sync,
        models: ["gemini-3.1-flash-image-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image"],
        defaultModel: "gemini-3.1-flash-image-preview",
        keys: [.aspectRatio, .imageSize, .images],
        aspectRatios: ["1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9"],
        defaultAspectRatio: nil,
        sizes: [], defaultSize: nil,
        resolutions: [], defaultResolution: nil,
        imageSizes: ["512", "1K", "2K", "4K"], defaultImageSize: "1K",
        imagesPerCall: .one,
        maxPromptLength: nil, maxNegativePromptLength: nil, seedRange: nil, seriesAmount: nil,
        references: References(maxCount: 14, maxBytes: 7 * 1_000_000, formats: ["png", "jpeg", "webp", "heic", "heif"],
                               minSide: nil, aspectRange: nil, fieldName: "inlineData"),
        resultLifetime: nil,
        refusals: [
            .negativePrompt: "it has no negative prompt; say what to avoid in the prompt itself",
            .seed: "its schema has no seed",
            .resolution: "set the output size with image_size (512, 1K, 2K, 4K)",
            .size: "set the shape with aspect_ratio and the output size with image_size (512, 1K, 2K, 4K)",
        ]
    )

    public static let dashscope = RouteRules(
        route: .dashscope, style: .sync,
        models: ["qwen-image-plus", "qwen-image"],
        defaultModel: "qwen-image-plus",
        keys: [.size, .negativePrompt, .seed, .watermark, .promptExtend],
        aspectRatios: [], defaultAspectRatio: nil,
        sizes: ["1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"], defaultSize: "1664*928",
        resolutions: [], defaultResolution: nil,
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .one,
        maxPromptLength: 800, maxNegativePromptLength: 500, seedRange: 0...2_147_483_647, seriesAmount: nil,
        references: nil,
        resultLifetime: 24 * 3600,
        refusals: [
            .aspectRatio: "set the shape with size: 1664*928 (16:9), 1472*1104 (4:3), 1328*1328 (1:1), 1104*1472 (3:4) or 928*1664 (9:16)",
            .resolution: "set the shape and size with size: 1664*928, 1472*1104, 1328*1328, 1104*1472 or 928*1664",
            .imageSize: "set the shape and size with size: 1664*928, 1472*1104, 1328*1328, 1104*1472 or 928*1664",
            .images: "qwen-image text-to-image takes no reference images; use gemini, kling or kling-omni",
        ]
    )

    public static let kling = RouteRules(
        route: .kling, style: .task,
        models: ["kling-v2-1"],
        defaultModel: "kling-v2-1",
        keys: [.negativePrompt, .aspectRatio, .resolution, .images, .watermark],
        aspectRatios: klingAspectRatios, defaultAspectRatio: "16:9",
        sizes: [], defaultSize: nil,
        resolutions: ["1k", "2k"], defaultResolution: "1k",
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .all,
        maxPromptLength: 2500, maxNegativePromptLength: 2500, seedRange: nil, seriesAmount: nil,
        references: References(maxCount: 1, maxBytes: 10 * 1_000_000, formats: ["png", "jpeg"],
                               minSide: 300, aspectRange: (1 / 2.5)...2.5, fieldName: "image"),
        resultLifetime: 30 * 24 * 3600,
        refusals: [
            .seed: "Kling's image API has no seed",
            .size: "set the shape with aspect_ratio (\(klingAspectRatios.joined(separator: ", "))) and the size with resolution (1k, 2k)",
            .imageSize: "set the output size with resolution (1k, 2k)",
        ]
    )

    public static let klingOmni = RouteRules(
        route: .klingOmni, style: .task,
        models: ["kling-v3-omni"],
        defaultModel: "kling-v3-omni",
        keys: [.aspectRatio, .resolution, .images, .resultType, .seriesAmount],
        aspectRatios: klingAspectRatios + ["auto"], defaultAspectRatio: "1:1",
        sizes: [], defaultSize: nil,
        resolutions: ["1k", "2k", "4k"], defaultResolution: "1k",
        imageSizes: [], defaultImageSize: nil,
        imagesPerCall: .all,
        maxPromptLength: 2500, maxNegativePromptLength: nil, seedRange: nil, seriesAmount: 2...9,
        references: References(maxCount: 10, maxBytes: 10 * 1_000_000, formats: ["png", "jpeg"],
                               minSide: 300, aspectRange: (1 / 2.5)...2.5, fieldName: "image_list"),
        resultLifetime: 30 * 24 * 3600,
        refusals: [
            .negativePrompt: "Kling V3 Omni has no negative prompt; say what to avoid in the prompt itself",
            .seed: "Kling's image API has no seed",
            .size: "set the shape with aspect_ratio and the size with resolution (1k, 2k, 4k)",
            .imageSize: "set the output size with resolution (1k, 2k, 4k)",
            .watermark: "Kling V3 Omni's image API has no watermark setting",
        ]
    )
}
