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
public enum YAMLDocument {
    /// Parses `text`, whose first line is line `firstLine` of `file`; nil for an empty document.
    public static func parse(_ text: String, file: String, firstLine: Int = 1) throws(Diagnostic) -> YAMLNode? {
        let node: Node?
        do {
            // The basic resolver skips Yams' per-scalar regular expressions (Folio types values itself), and
            // naming the encoding spares Yams a read of the whole environment per document.
            node = try Yams.compose(yaml: text, .basic, .default, .utf8)
        } catch let error as YamlError {
            throw diagnostic(for: error, file: file, firstLine: firstLine)
        } catch {
            throw Diagnostic(file: file, line: firstLine, message: "cannot read YAML: \(error)")
        }
        guard let node else { return nil }
        return convert(node, file: file, lineOffset: firstLine - 1)
    }

    private static func convert(_ node: Node, file: String, lineOffset: Int) -> YAMLNode {
        let line = (node.mark?.line ?? 1) + lineOffset
        let column = node.mark?.column ?? 1
        switch node {
        case .scalar(let scalar):
            return YAMLNode(value: .scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any),
                            file: file, line: line, column: column)
        case .sequence(let sequence):
            return YAMLNode(value: .sequence(sequence.map { convert($0, file: file, lineOffset: lineOffset) }),
                            file: file, line: line, column: column)
        case .mapping(let mapping):
            let entries = mapping.map { pair in
                let keyNode = convert(pair.key, file: file, lineOffset: lineOffset)
                let key: String
                if case .scalar(let text, _) = keyNode.value { key = text } else { key = "\(pair.key.any)" }
                return YAMLEntry(key: key, keyNode: keyNode, value: convert(pair.value, file: file, lineOffset: lineOffset))
            }
            return YAMLNode(value: .mapping(entries), file: file, line: line, column: column)
        case .alias(let alias):
            // Yams resolves aliases while composing; one left here has nothing to stand for.
            return YAMLNode(value: .scalar("", plain: true), file: file, line: alias.mark.map { $0.line + lineOffset } ?? line,
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
            return Diagnostic(file: file, line: context.mark.line + offset, column: context.mark.column,
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

    /// A short rendering of the value for messages: `'abc'`, `a list`, `a mapping`.
    var describe: String {
        if case .scalar(let text, _) = value {
            return text.isEmpty ? "nothing" : "'\(text.count > 60 ? String(text.prefix(57)) + "..." : text)'"
        }
        return kindName
    }
}
