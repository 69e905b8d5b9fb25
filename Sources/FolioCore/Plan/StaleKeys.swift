import Foundation

extension Generation {
    /// What the lockfile records of the generation: `hashInput`, its keys sorted at every level as
    /// reading the file gives them back, so an entry is written the same whether it was just made
    /// or read and written again (no churn in `git diff folio.lock`).
    public var record: JSONValue { hashInput.keysSorted }
}

extension JSONValue {
    /// The same value with every object's keys in the order decoding gives them.
    var keysSorted: JSONValue {
        switch self {
        case .object(let pairs): .object(pairs.map { ($0.0, $0.1.keysSorted) }.sorted { $0.0 < $1.0 })
        case .array(let items): .array(items.map(\.keysSorted))
        default: self
        }
    }
}

/// One generation key whose value differs between a stale lock entry and its prompt now.
public struct GenerationChange: Sendable, Hashable {
    /// The key as the input hash names it: `aspect_ratio`, `prompt`, `images`, `extra`.
    public var key: String
    /// The recorded value; nil when the key was not set (a default-less key left out).
    public var old: JSONValue?
    public var new: JSONValue?
    /// For text and reference images, what changed in a few words (`2 words changed`); the table
    /// shows it instead of the whole values.
    public var summary: String?
}

/// Which keys made a stale entry stale.
public enum GenerationChanges: Sendable, Hashable {
    /// The entry was written before Folio recorded its generation: which keys changed is unknown.
    case unrecorded
    /// The record does not hash to the entry's `input_hash` (edited by hand, or merged from another
    /// entry): it would name changes other than the ones that made the entry stale, so it is not shown.
    case untrusted
    /// Every key whose value differs, in the order the input hash lists them (empty when the
    /// generation is the same and the entry is stale for another reason, such as `--simulate`).
    case keys([GenerationChange])

    /// The changes from `recorded` (a lock entry's `generation`, taken with `inputHash`) to `prompt`'s
    /// generation now.
    public static func between(recorded: JSONValue?, inputHash: String, prompt: Prompt) -> GenerationChanges {
        guard let recorded, case .object(let oldPairs) = recorded else { return .unrecorded }
        guard "sha256:" + SHA256Hex.of(Array(recorded.canonical.utf8)) == inputHash else { return .untrusted }
        guard case .object(let newPairs) = prompt.generation.hashInput else { return .unrecorded }
        let old = Dictionary(oldPairs, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(newPairs, uniquingKeysWith: { first, _ in first })
        // The prompt's order first, then keys only the record has (a key since left out).
        let keys = newPairs.map(\.0) + oldPairs.map(\.0).filter { new[$0] == nil }
        var changes: [GenerationChange] = []
        for key in keys where old[key] != new[key] {
            changes.append(
                GenerationChange(
                    key: key, old: old[key], new: new[key], summary: summary(key, old[key], new[key], images: prompt.generation.images)))
        }
        return .keys(changes)
    }

    /// A short account of a change to prose or to reference images; nil for the other keys, whose
    /// values are short enough to show whole.
    static func summary(_ key: String, _ old: JSONValue?, _ new: JSONValue?, images: [ReferenceImage]) -> String? {
        switch key {
        case "prompt", "negative_prompt":
            guard let old = old?.stringValue, let new = new?.stringValue else { return nil }
            return WordChanges.count(from: old, to: new).summary
        case "images":
            let before = old?.arrayValue?.compactMap(\.stringValue) ?? []
            let after = new?.arrayValue?.compactMap(\.stringValue) ?? []
            return imagesSummary(before, after, images: images)
        default:
            return nil
        }
    }

    /// `bottle.png added, 3f5a1c2b removed`: a reference image still in the prompt by its file name,
    /// one no longer there by the start of its SHA-256 (the lockfile records content, not paths).
    /// Names and references pass through `shown` like every other value: both come from files
    /// anyone can edit, and a terminal obeys the escape sequences in them.
    static func imagesSummary(_ before: [String], _ after: [String], images: [ReferenceImage]) -> String {
        let names = Dictionary(
            images.map { ("sha256:" + $0.sha256, shown(.string(($0.path as NSString).lastPathComponent))) }, uniquingKeysWith: { a, _ in a })
        let added = after.filter { !before.contains($0) }.map { names[$0] ?? short($0) }
        let removed = before.filter { !after.contains($0) }.map(short)
        var parts: [String] = []
        if !added.isEmpty { parts.append(added.joined(separator: ", ") + " added") }
        if !removed.isEmpty { parts.append(removed.joined(separator: ", ") + " removed") }
        return parts.isEmpty ? "same images, another order" : parts.joined(separator: "; ")
    }

    /// The first 8 hex digits of a `sha256:` reference, control characters escaped (the reference
    /// is read from folio.lock, which need not hold a hash at all).
    static func short(_ reference: String) -> String {
        shown(.string(String((reference.hasPrefix("sha256:") ? reference.dropFirst(7) : Substring(reference)).prefix(8))))
    }

    /// The JSON `plan --json` gives a stale entry's `changes`: null when unknown.
    public var json: JSONValue {
        guard case .keys(let changes) = self else { return .null }
        return .array(
            changes.map { change in
                var pairs: [(String, JSONValue)] = [("key", .string(change.key)), ("old", change.old ?? .null), ("new", change.new ?? .null)]
                if let summary = change.summary { pairs.append(("summary", .string(summary))) }
                return .object(pairs)
            })
    }

    /// The lines the plan table prints under a stale entry: `aspect_ratio: 1:1 → 16:9`.
    public var lines: [String] {
        switch self {
        case .unrecorded: return ["which keys changed is unknown: the entry was written before Folio recorded its generation"]
        case .untrusted:
            return ["which keys changed is unknown: the generation recorded in folio.lock does not hash to its input_hash (edited by hand?)"]
        case .keys(let changes):
            return changes.map { change in
                if let summary = change.summary { return "\(change.key): \(summary)" }
                return "\(change.key): \(Self.shown(change.old)) → \(Self.shown(change.new))"
            }
        }
    }

    /// A value as the table shows it: text bare, anything else as compact JSON, `none` when unset;
    /// control characters escaped (a lockfile comes from anyone's pull request, and a terminal
    /// obeys escape sequences) and long values cut short.
    static func shown(_ value: JSONValue?) -> String {
        guard let value, !value.isNull else { return "none" }
        let text = value.stringValue ?? value.compact
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.isUnprintable {
                out += scalar.escaped(asASCII: true)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out.count > 60 ? String(out.prefix(59)) + "…" : out
    }
}

/// How many words an edit of a text changed, added and removed.
struct WordChanges: Equatable {
    var changed = 0
    var added = 0
    var removed = 0

    /// Counts by the longest common run of words between the texts' words; a word removed where
    /// another was added counts as changed. Words are split at ASCII spaces and line breaks, over
    /// UTF-8 bytes: splitting by `Character` costs more than the rest of a 10,000-prompt plan in
    /// which every prompt is stale.
    static func count(from old: String, to new: String) -> WordChanges {
        var a = words(old)[...]
        var b = words(new)[...]
        // The common start and end cost nothing; most edits are a few words in one place.
        while let x = a.first, let y = b.first, x == y { a.removeFirst(); b.removeFirst() }
        while let x = a.last, let y = b.last, x == y { a.removeLast(); b.removeLast() }
        let common = a.count * b.count > 4_000_000 ? 0 : longestCommon(Array(a), Array(b))
        let removed = a.count - common, added = b.count - common
        let changed = min(removed, added)
        return WordChanges(changed: changed, added: added - changed, removed: removed - changed)
    }

    /// The words of `text` as UTF-8 bytes.
    static func words(_ text: String) -> [ArraySlice<UInt8>] {
        Array(text.utf8).split { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }
    }

    /// The length of the longest common subsequence, one row at a time.
    static func longestCommon(_ a: [ArraySlice<UInt8>], _ b: [ArraySlice<UInt8>]) -> Int {
        guard !a.isEmpty, !b.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: b.count + 1)
        var row = previous
        for x in a {
            for (j, y) in b.enumerated() {
                row[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], row[j])
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }

    /// `2 words changed`, `1 word added, 3 removed`; `whitespace only` when no word differs.
    var summary: String {
        func words(_ n: Int) -> String { n == 1 ? "1 word" : "\(n) words" }
        var parts: [String] = []
        if changed > 0 { parts.append("\(words(changed)) changed") }
        if added > 0 { parts.append("\(parts.isEmpty ? words(added) : String(added)) added") }
        if removed > 0 { parts.append("\(parts.isEmpty ? words(removed) : String(removed)) removed") }
        return parts.isEmpty ? "whitespace only" : parts.joined(separator: ", ")
    }
}

extension Unicode.Scalar {
    /// A character a terminal acts on or hides rather than shows (C0 and C1 controls, DEL, and
    /// format characters such as U+202E, which reverses the text after it): what text from a
    /// lockfile or a plan file is printed with escaped.
    var isUnprintable: Bool { properties.generalCategory == .control || properties.generalCategory == .format }
}
