import Foundation

/// One published prompt as the site shows it: its images, or why it has none.
struct SiteItem: Sendable {
    var prompt: Prompt
    var entry: LockEntry?
    /// One plan per output, in index order; empty when the prompt has no images to show.
    var images: [ImagePlan]
    /// Why there is no image, when there is none: `failed`, `pending`, `not generated`.
    var state: String?
    var reason: String?
    /// Assets of this prompt that are there but may not be published (changed, linked out of the project).
    var problems: [String] = []

    var id: String { prompt.id }
    /// `p/<id>/index.html`.
    var page: String { "p/\(prompt.id)/index.html" }
    var folder: String { "p/\(prompt.id)/" }
    var cover: ImagePlan? { images.isEmpty ? nil : images[min(max(prompt.cover, 0), images.count - 1)] }
    var showsPrompt: Bool { !prompt.privateFields.contains(.prompt) }
    var showsNegative: Bool { !prompt.privateFields.contains(.negativePrompt) }
    var showsParameters: Bool { !prompt.privateFields.contains(.parameters) }
    var alt: String { prompt.alt ?? prompt.title }
    /// The prompt file is published only when nothing in it is private.
    var showsSource: Bool { showsPrompt && showsNegative && showsParameters }

    /// Which items a site has, and in what order: by weight, then newest first, then by id.
    static func items(_ prompts: [Prompt], lock: Lockfile, project: URL, settings: Settings, formats: [ImageOutputFormat]) -> [SiteItem] {
        var items: [SiteItem] = []
        for prompt in prompts where !prompt.draft {
            let entry = lock.entries[prompt.id]
            var item = SiteItem(prompt: prompt, entry: entry, images: [], state: nil, reason: nil)
            switch entry {
            case .none:
                item.state = "not generated"
                item.reason = "Run folio build to generate it."
            case .some(let e) where e.inputHash != prompt.inputHash:
                item.state = "not generated"
                item.reason = "The prompt changed since its images were made; run folio build."
            case .some(let e) where e.state == .failed:
                item.state = "failed"
                item.reason = e.error.map { "\($0.kind.rawValue.capitalized)\($0.code.map { " (\($0))" } ?? ""): \($0.message)" } ?? "Generation failed."
            case .some(let e) where e.state != .succeeded:
                item.state = "pending"
                item.reason = "Still generating; run folio build again to collect it."
            case .some(let e):
                var present: [LockOutput] = []
                for output in e.outputs {
                    let state = AssetCheck.state(output, project: project)
                    if state == .verified {
                        present.append(output)
                    } else if let problem = state.problem {
                        item.problems.append(problem)
                    }
                }
                if present.isEmpty {
                    item.state = "missing"
                    item.reason = item.problems.isEmpty
                        ? "Its images are not in assets/; run folio build to fetch them."
                        : "Its images in assets/ cannot be used: \(item.problems.joined(separator: "; "))."
                } else {
                    item.images = present.sorted { $0.index < $1.index }
                        .map { ImagePlanner.plan($0, widths: settings.images.widths, formats: formats) }
                }
            }
            items.append(item)
        }
        // Sorted by keys taken once: moving 10,000 large values about costs more than comparing them.
        let keys = items.map { SortKey(weight: $0.prompt.weight ?? Int.max, date: $0.prompt.date ?? "", id: $0.id) }
        return keys.indices.sorted { keys[$0] < keys[$1] }.map { items[$0] }
    }

    /// By weight, then newest first, then by id.
    struct SortKey: Comparable {
        var weight: Int
        var date: String
        var id: String

        static func < (a: SortKey, b: SortKey) -> Bool {
            if a.weight != b.weight { return a.weight < b.weight }
            if a.date != b.date { return a.date > b.date }
            return a.id < b.id
        }
    }

    static func order(_ a: SiteItem, _ b: SiteItem) -> Bool {
        let wa = a.prompt.weight ?? Int.max, wb = b.prompt.weight ?? Int.max
        if wa != wb { return wa < wb }
        let da = a.prompt.date ?? "", db = b.prompt.date ?? ""
        if da != db { return da > db }
        return a.id < b.id
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
