/// One prompt file, read and validated: what it shows and what it asks the gateway for.
public struct Prompt: Sendable, Hashable {
    /// The path under `prompts/` without `.md`: `posters/launch`. A file with several routes
    /// (`routes: [gemini, kling]`) is one prompt per route, each with the route after an `@`:
    /// `posters/launch@kling`. It names the lock entry.
    public var id: String
    /// The file's id, whatever its routes: the site's page (`p/<page>/`) shows every route of it.
    public var page: String
    /// The first folder of the id, if the file is in one.
    public var album: String?
    /// The file, relative to the project: `prompts/posters/launch.md`.
    public var file: String
    public var title: String
    public var alt: String?
    public var tags: [String]
    /// Markdown shown under the image.
    public var caption: String?
    /// `YYYY-MM-DD` or an ISO 8601 date and time, as written.
    public var date: String?
    public var weight: Int?
    public var draft: Bool
    /// Which variant leads the card.
    public var cover: Int
    /// Variants kept off the site (`hide: [2, 3]`), sorted: still in `assets/` and the lockfile.
    public var hidden: [Int] = []
    /// Fields withheld from the page, the manifest and the embedded metadata.
    public var privateFields: Set<PrivateField>
    /// What is sent to the gateway, defaults applied.
    public var generation: Generation {
        didSet { inputHash = generation.inputHash }
    }
    /// The input hash of `generation`, taken once when it is set (canonical JSON and SHA-256 are not free).
    public private(set) var inputHash: String
    /// SHA-256 of the file's bytes as read, so later steps know it changed without reading it again.
    public var sourceSHA256: String

    /// Where this prompt's route stands in the file's `routes:` (0 for a file with one route): the
    /// page shows the routes in the order written.
    public var routePosition = 0

    /// One route of a file with several (`id` is `page@route`).
    public var isOneOfSeveralRoutes: Bool { id != page }

    /// The id this prompt had, or will have, when its file names one route instead of several or
    /// several instead of one: `launch` for `launch@kling`, and the other way round. What was paid
    /// for moves between the two (`Lockfile.movingRoutes`).
    public var idWithOtherRouteCount: String {
        isOneOfSeveralRoutes ? page : "\(page)@\(generation.route.rawValue)"
    }

    public init(
        id: String, album: String?, file: String, title: String, alt: String?, tags: [String], caption: String?, date: String?,
        weight: Int?, draft: Bool, cover: Int, privateFields: Set<PrivateField>, generation: Generation, sourceSHA256: String = ""
    ) {
        self.id = id
        page = id
        self.album = album
        self.file = file
        self.title = title
        self.alt = alt
        self.tags = tags
        self.caption = caption
        self.date = date
        self.weight = weight
        self.draft = draft
        self.cover = cover
        self.privateFields = privateFields
        self.generation = generation
        inputHash = generation.inputHash
        self.sourceSHA256 = sourceSHA256
    }

    /// A prompt as an earlier run decoded it (`PromptCache`): its input hash as then taken of
    /// `generation`, not taken again. The other fields are set after.
    init(restoring generation: Generation, inputHash: String, id: String, file: String, title: String) {
        self.id = id
        page = id
        self.file = file
        self.title = title
        tags = []
        draft = false
        cover = 0
        privateFields = []
        self.generation = generation
        self.inputHash = inputHash
        sourceSHA256 = ""
    }
}

/// A field a prompt file can keep off the published site.
public enum PrivateField: String, CaseIterable, Sendable, Hashable, Codable {
    case prompt
    case negativePrompt = "negative_prompt"
    case parameters
}

/// A reference image named by `images:`, hashed by content.
public struct ReferenceImage: Sendable, Hashable, Codable {
    /// Relative to the project: `prompts/products/bottle.png`.
    public var path: String
    /// Lowercase hex SHA-256 of the file's bytes.
    public var sha256: String
    public var bytes: Int
    /// `png`, `jpeg`, `webp`, `heic` or `heif`.
    public var format: String
    public var width: Int?
    public var height: Int?
}

/// The normalised generation keys of a prompt: every default applied, so equal requests are equal values.
public struct Generation: Sendable, Hashable {
    public var route: RouteID
    public var model: String
    /// The body, trimmed: the exact text sent.
    public var prompt: String
    /// Variants asked for (for a Kling Omni series: 1; the series size is `seriesAmount`).
    public var n: Int
    public var negativePrompt: String?
    public var size: String?
    public var aspectRatio: String?
    public var resolution: String?
    public var imageSize: String?
    public var seed: Int?
    public var watermark: Bool?
    public var promptExtend: Bool?
    public var resultType: String?
    public var seriesAmount: Int?
    public var images: [ReferenceImage]
    /// Fields merged into the request body that Folio does not model.
    public var extra: JSONValue?

    /// Requests one full generation sends (polls not counted).
    public var requests: Int { route.rules.requests(forVariants: n) }

    /// Images one full generation yields.
    public var expectedImages: Int {
        if resultType == "series" { return seriesAmount ?? 4 }
        return n
    }

    /// The canonical value the input hash is taken of.
    public var hashInput: JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("folio_hash", .int(1)),
            ("route", .string(route.rawValue)),
            ("model", .string(model)),
            ("prompt", .string(prompt)),
            ("n", .int(n)),
        ]
        func add(_ key: String, _ value: String?) { if let value { pairs.append((key, .string(value))) } }
        add("negative_prompt", negativePrompt)
        add("size", size)
        add("aspect_ratio", aspectRatio)
        add("resolution", resolution)
        add("image_size", imageSize)
        add("result_type", resultType)
        if let seed { pairs.append(("seed", .int(seed))) }
        if let watermark { pairs.append(("watermark", .bool(watermark))) }
        if let promptExtend { pairs.append(("prompt_extend", .bool(promptExtend))) }
        if let seriesAmount { pairs.append(("series_amount", .int(seriesAmount))) }
        if !images.isEmpty { pairs.append(("images", .array(images.map { .string("sha256:" + $0.sha256) }))) }
        if let extra { pairs.append(("extra", extra)) }
        return .object(pairs)
    }

    /// `sha256:` and the hex digest of `hashInput`'s canonical JSON.
    public var inputHash: String { "sha256:" + SHA256Hex.of(Array(hashInput.canonical.utf8)) }
}
