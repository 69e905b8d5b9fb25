import Foundation

/// Turns a file's bytes into text the way Folio reads every input: UTF-8, no BOM, `\n` line ends.
public enum SourceText {
    /// The largest input file Folio reads (a prompt file, `folio.yml`): 1 MB, 1,048,576 bytes.
    public static let maxBytes = 1_048_576

    /// A size over `maxBytes` for messages: `2.1 MB`, or `just over 1 MB` when that would round to 1.0.
    public static func megabytes(_ bytes: Int) -> String {
        let tenths = bytes / (maxBytes / 10)
        guard tenths > 10 else { return "just over 1 MB" }
        return "\(tenths / 10).\(tenths % 10) MB"
    }

    /// The text, or a diagnostic naming the line of the first byte that is not UTF-8.
    public static func decode(_ data: Data, file: String) -> Result<String, Diagnostic> {
        decode([UInt8](data), file: file)
    }

    /// The text of `bytes`, or a diagnostic naming the line of the first byte that is not UTF-8.
    public static func decode(_ bytes: [UInt8], file: String) -> Result<String, Diagnostic> {
        var bytes = bytes
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (line, column, byte) = firstInvalidByte(bytes)
            let hint =
                bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF])
                ? "it looks like UTF-16; save it as UTF-8"
                : "save it as UTF-8"
            return .failure(
                Diagnostic(
                    file: file, line: line, column: column,
                    message: String(format: "file is not valid UTF-8 (byte 0x%02X); %@", byte, hint)))
        }
        if !text.contains("\r") { return .success(text) }
        return .success(text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n"))
    }

    private static func firstInvalidByte(_ bytes: [UInt8]) -> (line: Int, column: Int, byte: UInt8) {
        var line = 1
        var lineStart = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            let length: Int
            switch b {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: length = 0
            }
            let valid =
                length > 0 && i + length <= bytes.count
                && bytes[(i + 1)..<(i + length)].allSatisfy { $0 & 0xC0 == 0x80 }
                && String(validating: bytes[i..<(i + length)], as: UTF8.self) != nil
            if !valid {
                let column = (String(validating: bytes[lineStart..<i], as: UTF8.self)?.unicodeScalars.count ?? (i - lineStart)) + 1
                return (line, column, b)
            }
            if b == 0x0A {
                line += 1
                lineStart = i + 1
            }
            i += length
        }
        return (line, 1, 0)
    }
}
