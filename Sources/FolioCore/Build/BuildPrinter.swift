import Foundation

import Glibc

/// Prints what a build reports: diagnostics and warnings, each step's time with `--verbose`,
/// generation's progress (one live line on a terminal, a line per event otherwise) and summaries.
public actor BuildPrinter {
    private let quiet: Bool
    private let verbose: Bool
    private let live = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    private let start = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var total = 0, done = 0, failed = 0, pending = 0, running = 0

    public init(quiet: Bool, verbose: Bool) {
        self.quiet = quiet
        self.verbose = verbose
    }

    public func handle(_ event: BuildEvent) {
        switch event {
        case .diagnostics(let list): Console.report(list, quiet: quiet)
        case .warning(let text): Console.error("warning: \(text)")
        case .step(let index, let name, let seconds): if verbose { Console.error(String(format: "[%d] %@ %.3f s", index, name, seconds)) }
        case .generating(let count): total = count
        case .generation(let event): progress(event)
        case .generated(let report):
            if live, !quiet { Console.partialLine("\r\u{1B}[2K") }
            Console.lines(report.closingLines(quiet: quiet))
        case .published(let report, let destination, let dryRun):
            if !quiet {
                let changes = report.written.map { "  write  \($0)" } + report.removed.map { "  remove \($0)" }
                Console.lines((dryRun || verbose ? changes : []) + [report.summary(destination, dryRun: dryRun)])
            }
        case .checkedPublished(let check):
            for problem in check.problems { Console.error("error: \(problem)") }
            if !quiet { Console.lines([check.summary]) }
        case .rendered(let report, let site, let notes):
            if !quiet, !notes.isEmpty { Console.error(notes.joined(separator: "\n")) }
            for warning in report.warnings { Console.error("warning: \(warning)") }
            if !quiet { Console.lines(report.lines(site: site.lastPathComponent)) }
        }
    }

    private func progress(_ event: GenerationEvent) {
        switch event {
        case .started: running += 1
        case .cached: done += 1
        case .generated: done += 1; running -= 1
        case .pending: pending += 1; running -= 1
        case .failed, .missing: failed += 1; running = max(0, running - 1)
        case .submitted, .retrying: break
        }
        guard !quiet else { return }
        guard live else {
            if let line = event.line(verbose: verbose) { Console.error(line) }
            return
        }
        if case .failed = event, let line = event.line(verbose: true) { Console.error("\r\u{1B}[2K" + line) }
        let now = ContinuousClock.now
        guard now - lastDraw > .milliseconds(80) else { return }
        lastDraw = now
        let status = "\(done)/\(total) done · \(pending) pending · \(failed) failed · \(running) in flight · \((now - start).components.seconds) s"
        Console.partialLine("\r\u{1B}[2K" + status)
    }
}

/// Where a command's words go: results to standard output, errors, warnings and progress to standard error.
public enum Console {
    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Text on standard error without a line end: the live progress line, redrawn in place.
    static func partialLine(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Prints diagnostics to standard error, warnings left out when quiet.
    public static func report(_ diagnostics: [Diagnostic], quiet: Bool) {
        let shown = quiet ? diagnostics.errors : diagnostics
        guard !shown.isEmpty else { return }
        error(shown.map(\.description).joined(separator: "\n"))
    }

    /// Lines on standard output, unbuffered (a script may be waiting for the first).
    public static func lines(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    public static func json(_ value: JSONValue) {
        FileHandle.standardOutput.write(Data(value.pretty.utf8))
    }
}
