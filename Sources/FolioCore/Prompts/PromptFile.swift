/// A prompt file split into its front matter and its body, with the line each starts on.
public struct PromptFile: Sendable {
    /// The YAML between the `---` lines; nil when the file has no front matter.
    public var frontMatter: String?
    /// The file line of the front matter's first line.
    public var frontMatterLine: Int
    /// Everything after the closing `---`, untrimmed.
    public var body: String
    /// The file line the body starts on.
    public var bodyLine: Int

    /// Splits `text` (already UTF-8, BOM-less, `\n` line ends). Only the first `---` pair is front
    /// matter; a `---` further down belongs to the body.
    public static func split(_ text: String, file: String) throws(Diagnostic) -> PromptFile {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func isFence(_ line: Substring) -> Bool {
            var trimmed = line
            while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
            return trimmed == "---"
        }
        // Blank lines before the opening fence are allowed.
        var start = 0
        while start < lines.count, lines[start].allSatisfy({ $0 == " " || $0 == "\t" }) { start += 1 }
        guard start < lines.count, isFence(lines[start]) else {
            return PromptFile(frontMatter: nil, frontMatterLine: 1, body: text, bodyLine: 1)
        }
        var end = start + 1
        while end < lines.count {
            if isFence(lines[end]) || lines[end].trimmingSuffix() == "..." { break }
            end += 1
        }
        guard end < lines.count else {
            throw Diagnostic(
                file: file, line: start + 1,
                message: "the front matter opened with '---' on line \(start + 1) is never closed; add a line '---' after its last key")
        }
        let yaml = lines[(start + 1)..<end].joined(separator: "\n")
        let body = lines[(end + 1)...].joined(separator: "\n")
        return PromptFile(frontMatter: yaml, frontMatterLine: start + 2, body: body, bodyLine: end + 2)
    }
}

extension Substring {
    func trimmingSuffix() -> Substring {
        var s = self
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return s
    }
}
