import Foundation

/// `folio diff [REV]`: how the project's prompts and `folio.lock` differ from a git revision's —
/// for a pull request, what it changes in the gallery and what it cost.
public struct ProjectDiff: Sendable {
    /// The revision as the user named it (`HEAD`), and the commit it names.
    public var revision: String
    public var commit: String
    /// Every prompt that differs, by id.
    public var prompts: [PromptDiff]
    /// The prices of the working tree's `folio.yml` (`prices:`), which both sides are priced with.
    public var prices: Prices
    /// Prompt files of the revision that did not load (left out of the comparison), with why.
    public var revisionProblems: [Diagnostic]

    /// What the changed prompts' entries cost now less what they cost at the revision, priced;
    /// nil when any of them cannot be priced.
    public var costDifference: Double? { Money.sum(prompts.map(\.costDifference)) }
}

/// One prompt as one side of a diff has it: its file (nil when there is none, or it did not load)
/// and its lock entry.
public struct DiffSide: Sendable {
    public var prompt: Prompt?
    public var entry: LockEntry?
    /// What the entry cost at the working tree's prices, from what the gateway reported; nil when unknown.
    public var spent: Double?

    /// The entry's images, in variant order: what it has of each variant.
    public var outputs: [LockOutput] { (entry?.outputs ?? []).sorted { $0.index < $1.index } }
}

/// A key whose value differs between the two sides.
public struct KeyChange: Sendable, Hashable {
    public var key: String
    /// Nil when the key is not set on that side.
    public var old: JSONValue?
    public var new: JSONValue?
    /// For prose and reference images: what changed, in a few words (`2 words changed`).
    public var summary: String?

    /// `aspect_ratio: 1:1 → 16:9`, or `prompt: 2 words changed`.
    public var line: String {
        if let summary { return "\(key): \(summary)" }
        return "\(key): \(GenerationChanges.shown(old)) → \(GenerationChanges.shown(new))"
    }
}

/// How one prompt differs.
public struct PromptDiff: Sendable {
    public enum Kind: String, Sendable {
        /// A prompt file now that the revision did not have; with no prompt file on either side,
        /// a lock entry now that the revision did not have (`ProjectDiff.kind`).
        case added
        /// A prompt file the revision had that is gone; with no prompt file on either side, a lock
        /// entry the revision had that is gone.
        case removed
        /// A prompt file on both sides (or, with none, a lock entry on both), with different keys
        /// or a different lock entry.
        case changed
    }

    public var id: String
    public var kind: Kind
    public var old: DiffSide
    public var new: DiffSide
    /// Generation keys that differ (they make new images).
    public var generation: [KeyChange]
    /// Display keys that differ (`title`, `hide`, `cover`, …).
    public var display: [KeyChange]
    /// What changed in the lock entry: its state, its images, its reported cost, its error.
    public var entry: [KeyChange]

    /// The images of the new entry that the old one did not have.
    public var newImages: [StoredAsset] {
        let before = Set(old.outputs.compactMap(\.asset?.sha256))
        return new.outputs.compactMap(\.asset).filter { !before.contains($0.sha256) }
    }

    /// New less old, priced; nil when either side cannot be priced.
    public var costDifference: Double? {
        guard let a = old.spent, let b = new.spent else { return nil }
        return Money.rounded(b - a)
    }
}

// MARK: - Comparing

extension ProjectDiff {
    /// Compares `project` and `lock` (the working tree) with the revision `name` of the repository
    /// that holds the project: its prompt files, the reference images they name, `folio.yml` and
    /// `folio.lock`, read with git into a temporary folder (`materialise`) and loaded as a project.
    public static func make(project: LoadedProject, lock: Lockfile, revision name: String, environment: [String: String]) async throws(FolioError)
        -> ProjectDiff
    {
        let revision = try GitRevision.open(project: project.root, name: name, environment: environment)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("folio-diff-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        _ = try materialise(revision, into: folder)
        let before = await ProjectLoader.load(folder)
        let oldLock: Lockfile
        do {
            oldLock = try Lockfile.load(project: folder)
        } catch {
            throw FolioError("folio.lock at \(name) cannot be read: \(error.message)", path: Lockfile.fileName, exit: .invalidInput)
        }
        var diff = compare(old: (before.prompts, oldLock), new: (project.prompts, lock), prices: project.settings.prices)
        diff.revision = name
        diff.commit = revision.commit
        diff.revisionProblems = before.diagnostics.errors.filter { $0.file != ProjectLoader.promptsFolder }
        return diff
    }

    /// The prompts that differ between `old` and `new`, sorted by id.
    static func compare(old: ([Prompt], Lockfile), new: ([Prompt], Lockfile), prices: Prices) -> ProjectDiff {
        let old = movingRoutes(old, to: new.0)
        let before = Dictionary(old.0.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(new.0.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let ids = Set(before.keys).union(after.keys).union(old.1.entries.keys).union(new.1.entries.keys)
        var prompts: [PromptDiff] = []
        for id in ids.sorted() {
            let a = DiffSide(prompt: before[id], entry: old.1.entries[id], spent: Estimates.spent(old.1.entries[id], prices: prices))
            let b = DiffSide(prompt: after[id], entry: new.1.entries[id], spent: Estimates.spent(new.1.entries[id], prices: prices))
            let change = PromptDiff(
                id: id, kind: kind(old: a, new: b), old: a, new: b, generation: generationChanges(a.prompt, b.prompt),
                display: keyChanges(a.prompt.map(displayKeys) ?? [], b.prompt.map(displayKeys) ?? []),
                entry: keyChanges(a.entry.map(entryKeys) ?? [], b.entry.map(entryKeys) ?? []))
            if change.kind != .changed || !change.generation.isEmpty || !change.display.isEmpty || !change.entry.isEmpty { prompts.append(change) }
        }
        return ProjectDiff(revision: "", commit: "", prompts: prompts, prices: prices, revisionProblems: [])
    }

    /// The revision's side under the ids the working tree's prompts have now: a file that gained or
    /// lost routes (`launch` → `launch@kling`) is the same prompt, changed, not one removed and one
    /// added — as a build moves its lock entry (`Lockfile.movingRoutes`) instead of paying again.
    static func movingRoutes(_ old: ([Prompt], Lockfile), to prompts: [Prompt]) -> ([Prompt], Lockfile) {
        var before = old.0
        let now = Set(prompts.map(\.id))
        var then = Set(before.map(\.id))
        for prompt in prompts where !then.contains(prompt.id) {
            let from = prompt.idWithOtherRouteCount
            guard !now.contains(from), let index = before.firstIndex(where: { $0.id == from && $0.generation.route == prompt.generation.route })
            else { continue }
            before[index].id = prompt.id
            then.insert(prompt.id)
        }
        return (before, old.1.movingRoutes(for: prompts).0)
    }

    /// Whether a prompt was added, removed or changed. The prompt file decides when either side
    /// has one: a file on one side only is added or removed even when both sides have a lock entry
    /// for its id (the entry of a removed prompt stays in `folio.lock` until `folio clean`, and one
    /// written before the file was restored is an old entry, not the prompt's past), so the change
    /// is named as the reviewer sees it in the pull request's files. With no prompt file on either
    /// side, the lock entry decides: one on the new side only is added, on the old side only
    /// removed, and on both changed.
    static func kind(old: DiffSide, new: DiffSide) -> PromptDiff.Kind {
        if old.prompt != nil || new.prompt != nil {
            return old.prompt == nil ? .added : (new.prompt == nil ? .removed : .changed)
        }
        return old.entry == nil ? .added : (new.entry == nil ? .removed : .changed)
    }

    /// The generation keys that differ, as the input hash names them; for a prompt on one side only, every key it sets.
    static func generationChanges(_ old: Prompt?, _ new: Prompt?) -> [KeyChange] {
        if let old, let new {
            guard old.inputHash != new.inputHash,
                case .keys(let changes) = GenerationChanges.between(recorded: old.generation.hashInput, inputHash: old.inputHash, prompt: new)
            else { return [] }
            return changes.map { KeyChange(key: $0.key, old: $0.old, new: $0.new, summary: $0.summary) }
        }
        let keys = (old ?? new).map { pairs(of: $0.generation.hashInput).filter { $0.0 != "folio_hash" } } ?? []
        return keyChanges(old == nil ? [] : keys, new == nil ? [] : keys)
    }

    /// The display keys of `prompt`, as the front matter names them.
    static func displayKeys(_ prompt: Prompt) -> [(String, JSONValue)] {
        var pairs: [(String, JSONValue)] = [("title", .string(prompt.title))]
        if let alt = prompt.alt { pairs.append(("alt", .string(alt))) }
        if !prompt.tags.isEmpty { pairs.append(("tags", .array(prompt.tags.map { .string($0) }))) }
        if let caption = prompt.caption { pairs.append(("caption", .string(caption))) }
        if let date = prompt.date { pairs.append(("date", .string(date))) }
        if let weight = prompt.weight { pairs.append(("weight", .int(weight))) }
        if prompt.draft { pairs.append(("draft", .bool(true))) }
        pairs.append(("cover", .int(prompt.cover)))
        if !prompt.hidden.isEmpty { pairs.append(("hide", .array(prompt.hidden.map { .int($0) }))) }
        if !prompt.privateFields.isEmpty { pairs.append(("private", .array(prompt.privateFields.map(\.rawValue).sorted().map { .string($0) }))) }
        return pairs
    }

    /// What a diff shows of a lock entry: its state, images, error and reported cost (not its
    /// times or task ids, which change with every run and mean nothing to a reviewer).
    static func entryKeys(_ entry: LockEntry) -> [(String, JSONValue)] {
        var pairs: [(String, JSONValue)] = [("state", .string(entry.state.rawValue))]
        if entry.simulated { pairs.append(("simulated", .bool(true))) }
        let images = entry.outputs.sorted { $0.index < $1.index }.map { $0.asset.map { JSONValue.string($0.sha256) } ?? .null }
        pairs.append(("images", .array(images)))
        if let error = entry.error { pairs.append(("error", .string("\(error.kind.rawValue): \(error.message)"))) }
        if let cost = entry.cost { pairs.append(("cost", cost)) }
        return pairs
    }

    /// Keys whose values differ between two lists of pairs, in the order they first appear.
    static func keyChanges(_ old: [(String, JSONValue)], _ new: [(String, JSONValue)]) -> [KeyChange] {
        let a = Dictionary(old, uniquingKeysWith: { first, _ in first })
        let b = Dictionary(new, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        return (old + new).map(\.0).filter { seen.insert($0).inserted && a[$0] != b[$0] }.map { key in
            KeyChange(key: key, old: a[key], new: b[key], summary: key == "images" ? imagesSummary(a[key], b[key]) : nil)
        }
    }

    /// `2 images, 1 new`: a lock entry's images, by how many the new side has that the old did not.
    static func imagesSummary(_ old: JSONValue?, _ new: JSONValue?) -> String {
        let before = Set(old?.arrayValue?.compactMap(\.stringValue) ?? [])
        let after = new?.arrayValue?.compactMap(\.stringValue) ?? []
        let fresh = after.filter { !before.contains($0) }.count
        let count = "\(after.count) image\(after.count == 1 ? "" : "s")"
        return fresh == 0 ? "\(count), none new (was \(before.count))" : "\(count), \(fresh) new (was \(before.count))"
    }

    static func pairs(of value: JSONValue) -> [(String, JSONValue)] {
        if case .object(let pairs) = value { return pairs }
        return []
    }
}
