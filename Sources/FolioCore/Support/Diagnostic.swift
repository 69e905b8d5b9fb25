/// A problem found in a project's input, pointing at the file, line, column and key it concerns.
public struct Diagnostic: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// How bad a diagnostic is.
    public enum Severity: String, Sendable, Hashable, Codable {
        case error, warning
    }

    /// The file, relative to the project folder (`prompts/fox.md`, `folio.yml`).
    public var file: String
    /// 1-based line; the opening `---` of a prompt file is line 1.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int
    /// The key the problem concerns, dotted for nested keys (`gateway.retries`, `images[1]`).
    public var key: String?
    public var severity: Severity
    public var message: String

    public init(
        file: String, line: Int = 1, column: Int = 1, key: String? = nil,
        severity: Severity = .error, message: String
    ) {
        self.file = file
        self.line = max(line, 1)
        self.column = max(column, 1)
        self.key = key
        self.severity = severity
        self.message = message
    }

    /// The compiler-style line: `prompts/fox.md:3:9: error: unknown key 'aspect'; did you mean 'aspect_ratio'?`.
    public var description: String {
        "\(file):\(line):\(column): \(severity.rawValue): \(message)"
    }
}

extension Array where Element == Diagnostic {
    /// The errors, leaving out warnings.
    public var errors: [Diagnostic] { filter { $0.severity == .error } }

    /// Sorted the way a reader scans them: by file, then position.
    public func sortedByLocation() -> [Diagnostic] {
        sorted { ($0.file, $0.line, $0.column, $0.message) < ($1.file, $1.line, $1.column, $1.message) }
    }
}
