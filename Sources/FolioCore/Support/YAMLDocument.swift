import Foundation
import Yams

/// A value read from YAML, with where it stands in its file, detached from Yams' reference types.
public struct YAMLNode: Sendable, Hashable {
    /// The shape of a YAML value.
    public indirect enum Value: Sendable, Hashable {
        /// A scalar's text; `plain` is false for quoted or block scalars, whose text is never a number or bool.
        case scalar(String, plain: Bool)
        case sequence([YAMLNode])
        case mapping([YAMLEntry])
    }

    public var value: Value
    public var file: String
    public var line: Int
    public var column: Int

    /// A diagnostic at this node.
    public func diagnostic(_ message: String, key: String?, severity: Diagnostic.Severity = .error) -> Diagnostic {
        Diagnostic(file: file, line: line, column: column, key: key, severity: severity, message: message)
    }

    /// True for `~`, `null`, or nothing at all after the colon.
    public var isNull: Bool {
        guard case .scalar(let text, let plain) = value, plain else { return false }
        return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
    }

    /// What kind of value this is, for messages ("a list", "a mapping", "text").
    public var kindName: String {
        switch value {
        case .scalar: "a single value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// One `key: value` pair of a YAML mapping.
public struct YAMLEntry: Sendable, Hashable {
    public var key: String
    /// Where the key itself stands (the line and column errors point at).
    public var keyNode: YAMLNode
    public var value: YAMLNode
}

/// Parses YAML text into `YAMLNode`s with file positions.
///
/// Aliases (`*name`) are where YAML turns hostile: Yams shares an anchored node wherever it is named,
/// so ten lines of aliases naming aliases stand for billions of values. Expanding them is what costs,
/// in two places: converting the nodes here, and Yams hashing a mapping's keys to find duplicates
/// while it composes (an alias used as a key is hashed through all it stands for). So a document that
/// may use aliases is first composed with every possible alias turned into plain text (`AliasScan`),
/// and refused if an alias stands in a key; and conversion stops after `maxValues` values.
public enum YAMLDocument {
    /// The most values (scalars, lists, mappings, keys) one document may hold once aliases are expanded.
    public static let maxValues = 10_000

    /// Parses `text`, whose first line is line `firstLine` of `file`; nil for an empty document.
    public static func parse(_ text: String, file: String, firstLine: Int = 1) throws(Diagnostic) -> YAMLNode? {
        let offset = firstLine - 1
        let scan = AliasScan(text)
        if scan.mayAlias {
            try refuseAliasKeys(scan, file: file, firstLine: firstLine)
        }
        let node: Node?
        do {
            node = try compose(text)
        } catch let error as YamlError {
            throw diagnostic(for: error, file: file, firstLine: firstLine)
        } catch {
            throw Diagnostic(file: file, line: firstLine, message: "cannot read YAML: \(error)")
        }
        guard let node else { return nil }
        var budget = maxValues
        do {
            return try convert(node, file: file, lineOffset: offset, budget: &budget, depth: 0)
        } catch {
            let message =
                scan.mayAlias
                ? "YAML aliases expand to more than \(maxValues) values; Folio does not expand aliases this far"
                : "the YAML holds more than \(maxValues) values; Folio reads at most \(maxValues) in one file"
            throw Diagnostic(file: file, line: error.line, column: error.column, message: message)
        }
    }

    private static func compose(_ text: String) throws -> Node? {
        // The basic resolver skips Yams' per-scalar regular expressions (Folio types values itself), and
        // naming the encoding spares Yams a read of the whole environment per document.
        try Yams.compose(yaml: text, .basic, .default, .utf8)
    }

    /// Composes the text with its possible aliases made plain (which expands nothing, so costs only
    /// the text's length) and refuses an alias inside a mapping key before the real text is composed.
    private static func refuseAliasKeys(_ scan: AliasScan, file: String, firstLine: Int) throws(Diagnostic) {
        let offset = firstLine - 1
        func aliasKey(line: Int, column: Int) -> Diagnostic {
            Diagnostic(
                file: file, line: line + offset, column: column,
                message: "a YAML alias (*name) cannot be used in a key; write the key out")
        }
        guard let marker = scan.marker else {
            throw Diagnostic(
                file: file, line: firstLine,
                message: "this YAML uses aliases (*name) in a way Folio cannot check safely; write the values out instead")
        }
        let plain: Node?
        do {
            plain = try compose(scan.neutralized)
        } catch let error as YamlError {
            // The plain text fails where the real one has an alias as a key with nothing after its ':' in a
            // flow collection (`[*a:]`); anywhere else it fails the same way, the two differing only in the aliases.
            let problem = diagnostic(for: error, file: file, firstLine: firstLine)
            if let risky = scan.keyLike.filter({ $0.line + offset == problem.line }).min(by: { $0.column < $1.column }) {
                throw aliasKey(line: risky.line, column: risky.column)
            }
            throw problem
        } catch {
            throw Diagnostic(file: file, line: firstLine, message: "cannot read YAML: \(error)")
        }
        guard let plain else { return }
        // Without aliases the tree is no bigger than the text; more means an alias the scan missed.
        var limit = 2 * scan.neutralized.utf8.count + 16
        var stack: [(node: Node, inKey: Bool)] = [(plain, false)]
        while let item = stack.popLast() {
            let (node, inKey) = item
            limit -= 1
            guard limit >= 0 else {
                throw Diagnostic(
                    file: file, line: firstLine,
                    message: "YAML aliases expand to more than \(maxValues) values; Folio does not expand aliases this far")
            }
            switch node {
            case .scalar(let scalar):
                guard scalar.style == .plain || scalar.style == .any, scalar.string.unicodeScalars.first == marker,
                    let mark = scalar.mark
                else { continue }
                // A key, or followed by ':' as only a key is (`{*a:b}`, where the plain text reads on past the ':').
                if inKey || scan.keyLike.contains(AliasScan.Position(line: mark.line, column: mark.column)) {
                    throw aliasKey(line: mark.line, column: mark.column)
                }
            case .alias(let alias):
                if inKey { throw aliasKey(line: alias.mark?.line ?? 1, column: alias.mark?.column ?? 1) }
            case .sequence(let sequence):
                for child in sequence { stack.append((child, inKey)) }
            case .mapping(let mapping):
                for pair in mapping {
                    stack.append((pair.key, true))
                    stack.append((pair.value, inKey))
                }
            }
        }
    }

    /// Conversion ran past `maxValues`; where to say so.
    private struct TooManyValues: Error {
        var line: Int
        var column: Int
    }

    private static func convert(_ node: Node, file: String, lineOffset: Int, budget: inout Int, depth: Int) throws(TooManyValues) -> YAMLNode {
        let line = (node.mark?.line ?? 1) + lineOffset
        let column = node.mark?.column ?? 1
        budget -= 1
        guard budget >= 0 else { throw TooManyValues(line: line, column: column) }
        switch node {
        case .scalar(let scalar):
            // Long texts count by their size too, so a long text repeated through aliases cannot
            // expand into gigabytes while staying under the value count: at most ~2.5 MB in all.
            budget -= scalar.string.utf8.count / 256
            guard budget >= 0 else { throw TooManyValues(line: line, column: column) }
            return YAMLNode(
                value: .scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any),
                file: file, line: line, column: column)
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            for child in sequence {
                do {
                    items.append(try convert(child, file: file, lineOffset: lineOffset, budget: &budget, depth: depth + 1))
                } catch {
                    // Point at the top-level item that ran over, not somewhere inside what an alias names.
                    guard depth == 0 else { throw error }
                    throw TooManyValues(line: (child.mark?.line ?? 1) + lineOffset, column: child.mark?.column ?? 1)
                }
            }
            return YAMLNode(value: .sequence(items), file: file, line: line, column: column)
        case .mapping(let mapping):
            var entries: [YAMLEntry] = []
            for pair in mapping {
                do {
                    let keyNode = try convert(pair.key, file: file, lineOffset: lineOffset, budget: &budget, depth: depth + 1)
                    let key: String
                    // A list or mapping as a key (`? [a, b]`) is named by its flow text; Yams' own rendering
                    // (`Node.any`) traps on a mapping whose keys are not text.
                    if case .scalar(let text, _) = keyNode.value { key = text } else { key = keyNode.flowText }
                    let value = try convert(pair.value, file: file, lineOffset: lineOffset, budget: &budget, depth: depth + 1)
                    entries.append(YAMLEntry(key: key, keyNode: keyNode, value: value))
                } catch {
                    // Point at the top-level key whose value ran over.
                    guard depth == 0 else { throw error }
                    throw TooManyValues(line: (pair.key.mark?.line ?? 1) + lineOffset, column: pair.key.mark?.column ?? 1)
                }
            }
            return YAMLNode(value: .mapping(entries), file: file, line: line, column: column)
        case .alias(let alias):
            // Yams resolves aliases while composing; one left here has nothing to stand for.
            return YAMLNode(
                value: .scalar("", plain: true), file: file, line: alias.mark.map { $0.line + lineOffset } ?? line,
                column: column)
        }
    }

    private static func diagnostic(for error: YamlError, file: String, firstLine: Int) -> Diagnostic {
        let offset = firstLine - 1
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context { message += " (\(context.text) on line \(context.mark.line + offset))" }
            if problem.contains("mapping values are not allowed") {
                message += "; a value that holds ': ' must be quoted"
            }
            return Diagnostic(file: file, line: mark.line + offset, column: mark.column, message: message)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let names = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(
                file: file, line: context.mark.line + offset, column: context.mark.column,
                key: duplicates.first,
                message: "key \(names) appears more than once; keep one")
        case .reader(let problem, _, _, _):
            return Diagnostic(file: file, line: firstLine, message: "cannot read YAML: \(problem)")
        default:
            return Diagnostic(file: file, line: firstLine, message: "invalid YAML: \(error)")
        }
    }
}

// MARK: - Typed reading

extension YAMLNode {
    /// The text of a scalar, or a diagnostic naming `key` and what was expected.
    public func text(key: String) throws(Diagnostic) -> String {
        guard case .scalar(let text, _) = value else {
            throw diagnostic("'\(key)' must be text, not \(kindName)", key: key)
        }
        return text
    }

    /// A whole number, or a diagnostic naming `key`.
    public func integer(key: String) throws(Diagnostic) -> Int {
        guard case .scalar(let text, _) = value, let number = Int(text.replacingOccurrences(of: "_", with: "")) else {
            throw diagnostic("'\(key)' must be a whole number, not \(describe)", key: key)
        }
        return number
    }

    /// `true` or `false` (YAML's `yes`/`no`/`on`/`off` too), or a diagnostic naming `key`.
    public func bool(key: String) throws(Diagnostic) -> Bool {
        if case .scalar(let text, true) = value {
            switch text.lowercased() {
            case "true", "yes", "on": return true
            case "false", "no", "off": return false
            default: break
            }
        }
        throw diagnostic("'\(key)' must be true or false, not \(describe)", key: key)
    }

    /// A list of texts; a single text counts as a list of one, and `a, b` as two.
    public func textList(key: String) throws(Diagnostic) -> [String] {
        switch value {
        case .scalar(let text, _):
            return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        case .sequence(let items):
            var result: [String] = []
            for item in items { result.append(try item.text(key: key)) }
            return result
        case .mapping:
            throw diagnostic("'\(key)' must be a list, not a mapping", key: key)
        }
    }

    /// The entries of a mapping, or a diagnostic naming `key`.
    public func entries(key: String) throws(Diagnostic) -> [YAMLEntry] {
        guard case .mapping(let entries) = value else {
            throw diagnostic("'\(key)' must be a mapping of keys to values, not \(kindName)", key: key)
        }
        return entries
    }

    /// The value as JSON, resolving plain scalars by YAML's core schema.
    public var json: JSONValue {
        switch value {
        case .scalar(let text, let plain):
            guard plain else { return .string(text) }
            if isNull { return .null }
            switch text {
            case "true", "True", "TRUE": return .bool(true)
            case "false", "False", "FALSE": return .bool(false)
            default: break
            }
            if let i = Int(text) { return .int(i) }
            if let d = Double(text), text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .double(d) }
            return .string(text)
        case .sequence(let items):
            return .array(items.map(\.json))
        case .mapping(let entries):
            return .object(entries.map { ($0.key, $0.value.json) })
        }
    }

    /// The value in YAML's flow style (`[a, {b: c}]`), cut short past 200 characters: how a list or
    /// mapping used as a key is named.
    var flowText: String {
        var out = ""
        func write(_ node: YAMLNode) {
            guard out.count <= 200 else { return }
            switch node.value {
            case .scalar(let text, _): out += text
            case .sequence(let items):
                out += "["
                for (index, item) in items.enumerated() {
                    if index > 0 { out += ", " }
                    write(item)
                }
                out += "]"
            case .mapping(let entries):
                out += "{"
                for (index, entry) in entries.enumerated() {
                    if index > 0 { out += ", " }
                    write(entry.keyNode)
                    out += ": "
                    write(entry.value)
                }
                out += "}"
            }
        }
        write(self)
        return out.count > 200 ? String(out.prefix(197)) + "..." : out
    }

    /// A short rendering of the value for messages: `'abc'`, `a list`, `a mapping`.
    var describe: String {
        if case .scalar(let text, _) = value {
            return text.isEmpty ? "nothing" : "'\(text.count > 60 ? String(text.prefix(57)) + "..." : text)'"
        }
        return kindName
    }
}

// MARK: - Aliases

/// Where a YAML text may use anchors and aliases, found without parsing it, and a copy of the text in
/// which every possible alias is plain text.
///
/// An alias token is `*` followed by a name (`[0-9A-Za-z_-]+`, libyaml's rule) where a node may start:
/// at the start of the text or a line, after a blank, or right after one of ``[]{},:?"'``. Inside plain,
/// quoted and block scalars and comments the same pattern is only text; the scan cannot tell, so it
/// counts those too: it may see aliases that are not there, never miss one that is. Replacing the `*`
/// keeps every position, so what the plain copy composes to points at the real text's lines and columns.
struct AliasScan {
    /// A line and column (1-based, Unicode scalars, counted as libyaml counts them).
    struct Position: Hashable {
        var line: Int
        var column: Int
    }

    /// Whether the text has both something that may be an anchor and something that may be an alias;
    /// without an anchor, no alias can stand for anything and composing fails at the first one.
    private(set) var mayAlias = false
    /// A private-use character absent from the text, which replaces each possible alias's `*`;
    /// nil when every candidate is taken (the text is then refused).
    private(set) var marker: Unicode.Scalar?
    /// The text with each possible alias's `*` replaced by `marker`.
    private(set) var neutralized = ""
    /// Possible aliases followed on their line by ':' and then not a blank. In a flow collection that
    /// ':' makes the alias a key, but the plain copy reads on past it (`{*a:b}` is one scalar there).
    private(set) var keyLike: Set<Position> = []

    init(_ text: String) {
        // Most documents have no `*` or no `&` at all.
        guard text.utf8.contains(UInt8(ascii: "*")), text.utf8.contains(UInt8(ascii: "&")) else { return }
        let scalars = Array(text.unicodeScalars)
        var anchors = false
        var aliases: [Int] = []
        var previous: Unicode.Scalar?
        for (index, scalar) in scalars.enumerated() {
            defer { previous = scalar }
            guard scalar == "*" || scalar == "&", index + 1 < scalars.count, Self.isName(scalars[index + 1]),
                Self.mayPrecedeNode(previous)
            else { continue }
            if scalar == "*" { aliases.append(index) } else { anchors = true }
        }
        mayAlias = anchors && !aliases.isEmpty
        guard mayAlias else { return }
        let used = Set(scalars.lazy.filter { (0xE000...0xF8FF).contains($0.value) }.map(\.value))
        guard let free = (UInt32(0xE000)...0xF8FF).first(where: { !used.contains($0) }), let marker = Unicode.Scalar(free) else { return }
        self.marker = marker

        var out = String.UnicodeScalarView()
        var line = 1, column = 1
        var nextAlias = 0
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if nextAlias < aliases.count, aliases[nextAlias] == index {
                nextAlias += 1
                var after = index + 1
                while after < scalars.count, Self.isName(scalars[after]) { after += 1 }
                while after < scalars.count, scalars[after] == " " || scalars[after] == "\t" { after += 1 }
                if after + 1 < scalars.count, scalars[after] == ":", !Self.isBlank(scalars[after + 1]) {
                    keyLike.insert(Position(line: line, column: column))
                }
                out.append(marker)
            } else {
                out.append(scalar)
            }
            index += 1
            switch scalar {
            case "\r":
                if index < scalars.count, scalars[index] == "\n" {
                    out.append("\n")
                    index += 1
                }
                line += 1
                column = 1
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                // libyaml counts NEL, LS and PS as line breaks too.
                line += 1
                column = 1
            default:
                column += 1
            }
        }
        neutralized = String(out)
    }

    /// A character of an anchor or alias name, by libyaml's rule.
    static func isName(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "A"..."Z", "a"..."z", "_", "-": true
        default: false
        }
    }

    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case " ", "\t", "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }

    /// Whether a token (an anchor or alias) may start right after `previous`; generous on purpose.
    static func mayPrecedeNode(_ previous: Unicode.Scalar?) -> Bool {
        guard let previous else { return true }
        switch previous {
        case "[", "]", "{", "}", ",", ":", "?", "-", "\"", "'", "!", "|", ">", "\u{FEFF}": return true
        default: return isBlank(previous)
        }
    }
}
