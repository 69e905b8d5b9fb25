/// The keys of a prompt file's front matter.
public enum FrontMatterKey: String, CaseIterable, Sendable, Hashable {
    // Display keys: changing them never regenerates.
    case title, alt, tags, caption, date, weight, draft, cover, hide, `private`
    // Generation keys: changing them regenerates.
    case route, model, n
    case negativePrompt = "negative_prompt"
    case size
    case aspectRatio = "aspect_ratio"
    case resolution
    case imageSize = "image_size"
    case seed, watermark
    case promptExtend = "prompt_extend"
    case resultType = "result_type"
    case seriesAmount = "series_amount"
    case images, extra

    /// Whether a change to this key changes the input hash.
    public var isGenerationKey: Bool {
        switch self {
        case .title, .alt, .tags, .caption, .date, .weight, .draft, .cover, .hide, .private: false
        default: true
        }
    }

    /// Keys every route takes, whatever its rules.
    static let everyRoute: Set<FrontMatterKey> = [
        .title, .alt, .tags, .caption, .date, .weight, .draft, .cover, .hide, .private, .route, .model, .n, .extra,
    ]
}
