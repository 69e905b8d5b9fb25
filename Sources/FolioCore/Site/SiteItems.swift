import Foundation

/// One published prompt as the site shows it: its images, or why it has none. A class, and
/// immutable: every page, listing and index reads the same 10,000 items, and a copy of one is a
/// retain, not of a prompt's fifty-odd fields.
final class SiteItem: Sendable {
    let prompt: Prompt
    let entry: LockEntry?
    /// One plan per usable output, in index order; empty when the prompt has no images to show.
    let images: [ImagePlan]
    /// The lock entry's output behind each of `images` (its variant number, its type).
    let outputs: [LockOutput]
    /// Why there is no image, when there is none.
    let placeholder: Placeholder?
    /// Assets of this prompt that are there but may not be published (changed, linked out of the project).
    let problems: [String]
    /// A generated prompt shown with only some of its images (others missing or changed): which, and why.
    let incomplete: IncompletePrompt?
    /// Whether other items share this one's page (the published routes of one file; a route left a
    /// draft by a default does not count).
    let sharesPage: Bool

    var id: String { prompt.id }
    /// `p/<page>/index.html`: one page for every route of a prompt file.
    var page: String { "p/\(prompt.page)/index.html" }
    var folder: String { "p/\(prompt.page)/" }
    /// The id of the route's column on a page of several routes: `route-kling`.
    var columnID: String { "route-\(prompt.generation.route.rawValue)" }
    /// The route's column on a page with several routes; nil on a page with one.
    var anchor: String? { sharesPage ? columnID : nil }
    /// What a card links to: the page, at the route's column when it has several.
    var link: String { anchor.map { "\(page)#\($0)" } ?? page }
    /// The variant `cover` names, else (not usable) the first image shown.
    var cover: ImagePlan? {
        guard let first = images.first else { return nil }
        return outputs.firstIndex { $0.index == prompt.cover }.map { images[$0] } ?? first
    }
    var showsPrompt: Bool { !prompt.privateFields.contains(.prompt) }
    var showsNegative: Bool { !prompt.privateFields.contains(.negativePrompt) }
    var showsParameters: Bool { !prompt.privateFields.contains(.parameters) }
    var alt: String { prompt.alt ?? prompt.title }
    /// The prompt file is published only when nothing in it is private.
    var showsSource: Bool { showsPrompt && showsNegative && showsParameters }

    /// What the site shows of `prompt` in `state`: its usable images, or a placeholder that says why.
    init(prompt: Prompt, entry: LockEntry?, state: PromptState, settings: Settings, formats: [ImageOutputFormat], sharesPage: Bool) {
        self.prompt = prompt
        self.entry = entry
        self.sharesPage = sharesPage
        // Only a finished generation is shown: a pending one's images so far wait for the rest.
        let all: [CheckedOutput] = if case .succeeded(let outputs) = state { outputs } else { [] }
        // Hidden variants (`hide`) are not shown, listed, published or missed: as if not generated.
        let checked = prompt.hidden.isEmpty ? all : all.filter { !prompt.hidden.contains($0.output.index) }
        let outputs = checked.filter(\.isUsable).map(\.output).sorted { $0.index < $1.index }
        self.outputs = outputs
        let images = outputs.compactMap {
            $0.asset.map { ImagePlanner.plan($0, widths: settings.images.widths, formats: formats, encoding: settings.images.encoding) }
        }
        self.images = images
        let problems = checked.compactMap(\.asset.problem)
        self.problems = problems
        placeholder = images.isEmpty ? Placeholder(id: prompt.id, state: state, error: entry?.error, problems: problems) : nil
        incomplete = images.isEmpty ? nil : IncompletePrompt(id: prompt.id, checked: checked)
    }

    /// Which items a site has, and in what order: by weight, then newest first, then by page (the
    /// routes of one page side by side, in the order written). Each prompt's state is the one
    /// `plan` decided; without a plan (`folio render`), the one `Planner.plan` would decide, taken
    /// here on every core: a render needs nothing else of the plan, and `Planner.plan` takes the
    /// 10,000 states (a `stat` of each asset) one after another.
    static func items(
        _ prompts: [Prompt], plan: Plan?, lock: Lockfile, project: URL, settings: Settings, formats: [ImageOutputFormat]
    ) -> [SiteItem] {
        let states = plan.map { plan in Dictionary(plan.entries.map { ($0.id, $0.state) }, uniquingKeysWith: { first, _ in first }) }
        // Positions, not prompts: a copy of 10,000 prompts weighs megabytes.
        let shown = prompts.indices.filter { !prompts[$0].draft && (states == nil || states?[prompts[$0].id] != nil) }
        let perPage = shown.reduce(into: [String: Int]()) { counts, position in
            if prompts[position].isOneOfSeveralRoutes { counts[prompts[position].page, default: 0] += 1 }
        }
        let items = Parallel.map(shown) { position in
            let prompt = prompts[position]
            let entry = lock.entries[prompt.id]
            let state = states?[prompt.id] ?? PromptState.of(prompt, entry: entry, project: project)
            let sharesPage = prompt.isOneOfSeveralRoutes && perPage[prompt.page, default: 0] > 1
            return SiteItem(prompt: prompt, entry: entry, state: state, settings: settings, formats: formats, sharesPage: sharesPage)
        }
        // Sorted by keys taken once: comparing prompts' fields costs more than comparing small keys.
        let keys = items.map {
            SortKey(weight: $0.prompt.weight ?? Int.max, date: $0.prompt.date ?? "", page: $0.prompt.page, position: $0.prompt.routePosition)
        }
        return keys.indices.sorted { keys[$0] < keys[$1] }.map { items[$0] }
    }

    /// By weight, then newest first, then by page, then (the routes of one page) as `routes:` lists them.
    struct SortKey: Comparable {
        var weight: Int
        var date: String
        var page: String
        var position: Int

        static func < (a: SortKey, b: SortKey) -> Bool {
            if a.weight != b.weight { return a.weight < b.weight }
            if a.date != b.date { return a.date > b.date }
            if a.page != b.page { return a.page < b.page }
            return a.position < b.position
        }
    }
}

/// A published prompt the site shows as a placeholder card instead of images, and why.
public struct Placeholder: Sendable, Hashable {
    /// What the card calls the prompt's state.
    public enum Kind: String, Sendable {
        /// New, or changed since its images were made.
        case notGenerated = "not generated"
        case failed
        /// Submitting or pending.
        case pending
        /// Generated, but none of its images is usable in `assets/`.
        case missing
    }

    public var id: String
    public var kind: Kind
    /// The sentence the card shows under its kind: "This prompt needs generating — run `folio build`."
    public var explanation: String

    /// `failed: Moderation (1301): …`: the kind and the explanation, as the render report lists them.
    public var reason: String { "\(kind.rawValue): \(explanation)" }

    /// The prompt failed or lost its images: the site is rendered, but `render` exits 4 until it is fixed.
    public var needsAttention: Bool { kind == .failed || kind == .missing }

    public init(id: String, kind: Kind, explanation: String) {
        self.id = id
        self.kind = kind
        self.explanation = explanation
    }

    /// The placeholder of a prompt in `state` that has no usable image; `problems` are its assets' that cannot be used.
    init(id: String, state: PromptState, error: LockError?, problems: [String]) {
        switch state {
        case .new:
            self.init(id: id, kind: .notGenerated, explanation: "This prompt needs generating — run `folio build`.")
        case .stale:
            self.init(id: id, kind: .notGenerated, explanation: "The prompt changed since its images were made: it needs generating — run `folio build`.")
        case .failed:
            self.init(
                id: id, kind: .failed,
                explanation: error.map { "\($0.kind.rawValue.capitalized)\($0.code.map { " (\($0))" } ?? ""): \($0.message)" } ?? "Generation failed.")
        case .submitting, .pending:
            self.init(id: id, kind: .pending, explanation: "Still generating; run folio build again to collect it.")
        case .succeeded:
            self.init(
                id: id, kind: .missing,
                explanation: problems.isEmpty
                    ? "Its images are not in assets/; run folio build to fetch them."
                    : "Its images in assets/ cannot be used: \(problems.joined(separator: "; ")).")
        }
    }
}

/// A generated prompt the site shows with only some of its images: the others are missing from
/// `assets/` or changed there. Like a placeholder that needs attention, it makes `render` exit 4 and
/// stops `publish` unless `--allow-partial`.
public struct IncompletePrompt: Sendable, Hashable {
    public var id: String
    /// `1 of 2 images shown; image 2: not in assets/`.
    public var explanation: String

    public init(id: String, explanation: String) {
        self.id = id
        self.explanation = explanation
    }

    /// Nil when every output is usable.
    init?(id: String, checked: [CheckedOutput]) {
        let unusable = checked.filter { !$0.isUsable }.sorted { $0.output.index < $1.output.index }
        guard !unusable.isEmpty else { return nil }
        let why = unusable.map { "image \($0.output.index + 1): \($0.asset.problem ?? "not in assets/")" }
        self.init(id: id, explanation: "\(checked.count - unusable.count) of \(checked.count) images shown; \(why.joined(separator: "; "))")
    }
}

/// Tag slugs for URLs: `Street Photo` → `street-photo`.
enum TagSlug {
    static func of(_ tag: String) -> String {
        let folded = tag.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        let ascii = folded.unicodeScalars.contains { (0x61...0x7A).contains($0.value) || (0x30...0x39).contains($0.value) }
        // Tags in scripts without Latin letters get a stable hashed slug.
        return ascii ? Slug.suggest(tag) : "t-" + String(SHA256Hex.of(Array(tag.utf8)).prefix(10))
    }
}
