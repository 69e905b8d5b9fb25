import Foundation
import Glibc
import Synchronization

/// Where a command's words go: results to standard output, errors, warnings and progress to
/// standard error. The one place that decides whether a stream gets colour (a terminal, no
/// `NO_COLOR`, not `TERM=dumb`) and whether progress may redraw a line in place (a terminal).
public enum Console {
    /// Standard output takes colour.
    static let outputColors = colors(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
    /// Standard error takes colour.
    static let errorColors = colors(isTerminal: isatty(STDERR_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
    /// Standard error is a terminal that can redraw a line in place: live progress, not a line per event.
    public static let errorIsLive = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    /// Whether a stream gets colour: it is a terminal, `NO_COLOR` is unset or empty (no-color.org)
    /// and `TERM` is not `dumb`.
    public static func colors(isTerminal: Bool, environment: [String: String]) -> Bool {
        isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// Text on standard error, a line end added; each line in `tone`, or, without one, its
    /// `error:` or `warning:` heading coloured. A live progress line is cleared first.
    public static func error(_ text: String, tone: Tone? = nil) {
        let body = text.hasSuffix("\n") ? String(text.dropLast()) : text
        let painted = body.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            tone.map { $0.paint(String(line), colored: errorColors) } ?? highlighted(String(line), colored: errorColors)
        }
        clearLiveLine()
        write(STDERR_FILENO, painted.joined(separator: "\n") + "\n")
    }

    /// Draws the live progress line on standard error, in place of the one before (`\r`, clear line).
    static func liveLine(_ text: String) {
        write(STDERR_FILENO, "\r\u{1B}[2K" + text)
        showsLiveLine.store(true, ordering: .relaxed)
    }

    /// Clears the live progress line, if one is shown: anything else printed takes its place.
    static func clearLiveLine() {
        if showsLiveLine.exchange(false, ordering: .relaxed) { write(STDERR_FILENO, "\r\u{1B}[2K") }
    }

    /// A live progress line is on the terminal.
    static let showsLiveLine = Atomic<Bool>(false)

    /// Prints diagnostics to standard error, warnings left out when quiet.
    public static func report(_ diagnostics: [Diagnostic], quiet: Bool) {
        let shown = quiet ? diagnostics.errors : diagnostics
        guard !shown.isEmpty else { return }
        error(shown.map(\.description).joined(separator: "\n"))
    }

    /// Lines on standard output, unbuffered (a script may be waiting for the first), in `tone` on a terminal.
    public static func lines(_ lines: [String], tone: Tone? = nil) {
        guard !lines.isEmpty else { return }
        let painted = tone.map { tone in lines.map { tone.paint($0, colored: outputColors) } } ?? lines
        clearLiveLine()
        write(STDOUT_FILENO, painted.joined(separator: "\n") + "\n")
    }

    /// JSON on standard output: never coloured.
    public static func json(_ value: JSONValue) {
        clearLiveLine()
        write(STDOUT_FILENO, value.pretty)
    }

    /// The columns of the terminal on standard error (80 when it cannot tell).
    static var errorWidth: Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    }

    /// Writes all of `text`, or as much as the reader takes: a closed pipe (`folio build | head -1`)
    /// drops the rest of that stream's output, and the command carries on (a build that has
    /// started paying for images finishes and records them) rather than dying mid-way.
    private static func write(_ descriptor: Int32, _ text: String) {
        guard !closed.withLock({ $0.contains(descriptor) }) else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes = bytes.dropFirst(count)
            } else if count < 0, errno == EINTR || errno == EAGAIN {
                continue
            } else {
                closed.withLock { _ = $0.insert(descriptor) }
                return
            }
        }
    }

    /// Streams whose reader has gone.
    private static let closed = Mutex<Set<Int32>>([])

    /// `line` with its heading coloured: `error:` (also argument parser's `Error:`) and `warning:`
    /// at the start of the line or after a compiler-style location (`prompts/fox.md:3:9: error: …`).
    public static func highlighted(_ line: String, colored: Bool) -> String {
        guard colored, !line.contains("\u{1B}") else { return line }
        for (heading, tone) in [("error:", Tone.error), ("Error:", .error), ("warning:", .warning)] {
            if line.hasPrefix(heading) { return tone.paint(heading, colored: true) + line.dropFirst(heading.count) }
            guard let range = line.range(of: ": " + heading) else { continue }
            // Only after `file:line:column`: the same word inside a message stays as it is.
            let location = line[..<range.lowerBound].split(separator: ":", omittingEmptySubsequences: false)
            guard location.count >= 3, location.suffix(2).allSatisfy({ Int($0) != nil }),
                !location.dropLast(2).joined(separator: ":").contains(" ")
            else { continue }
            let start = line.index(range.lowerBound, offsetBy: 2)
            return String(line[..<start]) + tone.paint(heading, colored: true) + line[range.upperBound...]
        }
        return line
    }
}

/// How a piece of output reads: the colour it gets where colour is allowed.
public enum Tone: Sendable {
    /// `error:` headings and failures: bold red.
    case error
    /// `warning:` headings, pending prompts and partial results: bold yellow.
    case warning
    /// A summary when everything asked for is done: green.
    case success
    /// What `--verbose` adds, and step times: dim.
    case dim

    var code: String {
        switch self {
        case .error: "1;31"
        case .warning: "1;33"
        case .success: "32"
        case .dim: "2"
        }
    }

    /// `text` between this tone's escape codes when `colored`, else as it is.
    public func paint(_ text: String, colored: Bool) -> String {
        colored && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
