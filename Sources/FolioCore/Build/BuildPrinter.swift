/// Prints what a build reports: diagnostics and warnings, each step's time with `--verbose`, the
/// progress of long steps (generation, image rendering, uploads: one live line with counts and the
/// time left on a terminal; otherwise a line per generation event and nothing per item) and
/// summaries. Colour is `Console`'s to decide.
public actor BuildPrinter {
    private let quiet: Bool
    private let verbose: Bool
    private let live: Bool
    private let clock = ContinuousClock()
    private var lastDraw: ContinuousClock.Instant
    private var generationStart: ContinuousClock.Instant
    private var total = 0, done = 0, cached = 0, failed = 0, pending = 0, running = 0
    /// The long step in progress: its label, when its count was `baseline`, and the highest count seen.
    private var step: (label: String, start: ContinuousClock.Instant, baseline: Int, done: Int)?

    /// Summaries go to standard error too (`folio serve`, whose standard output is its URL alone).
    private let resultsToStandardError: Bool

    public init(quiet: Bool, verbose: Bool, resultsToStandardError: Bool = false) {
        self.quiet = quiet
        self.verbose = verbose
        self.resultsToStandardError = resultsToStandardError
        live = Console.errorIsLive
        lastDraw = clock.now - .seconds(1)
        generationStart = clock.now
    }

    public func handle(_ event: BuildEvent) {
        switch event {
        case .generation(let event): progress(event)
        case .progress(let label, let done, let total): progress(label, done: done, total: total)
        case .diagnostics(let list): Console.report(list, quiet: quiet)
        case .warning(let text): Console.error("warning: \(text)")
        case .step(let index, let name, let seconds):
            if verbose { Console.error(String(format: "[%d] %@ %.3f s", index, name, seconds), tone: .dim) }
        case .generating(let count): (total, generationStart) = (count, clock.now)
        case .generated(let report):
            let lines = report.closingLines(quiet: quiet)
            for (index, line) in lines.enumerated() {
                let summary = !quiet && index == 0
                output([line], tone: summary ? (report.exitStatus == .ok ? .success : .warning) : Self.tone(closing: line))
            }
        case .published(let report, let destination, let dryRun):
            if !quiet {
                let changes = report.written.map { "  write  \($0)" } + report.removed.map { "  remove \($0)" }
                if dryRun || verbose { output(changes) }
                output(report.notes)
                output([report.summary(destination, dryRun: dryRun)], tone: dryRun ? nil : .success)
            }
        case .checkedPublished(let check):
            for problem in check.problems { Console.error("error: \(problem)") }
            if !quiet { output([check.summary], tone: check.problems.isEmpty ? .success : .error) }
        case .rendered(let report, let site, let notes):
            if !quiet, !notes.isEmpty { Console.error(notes.joined(separator: "\n")) }
            for warning in report.warnings { Console.error("warning: \(warning)") }
            if !quiet {
                let lines = report.lines(site: site.lastPathComponent)
                output(Array(lines.prefix(1)), tone: report.placeholders.isEmpty && report.incomplete.isEmpty ? .success : .warning)
                output(Array(lines.dropFirst()))
            }
        }
    }

    /// Result lines: standard output, unless this printer sends them to standard error.
    private func output(_ lines: [String], tone: Tone? = nil) {
        if resultsToStandardError {
            if !lines.isEmpty { Console.error(lines.joined(separator: "\n"), tone: tone) }
        } else {
            Console.lines(lines, tone: tone)
        }
    }

    /// A generation event: counted for the live line, or on its own line when standard error is not a terminal.
    private func progress(_ event: GenerationEvent) {
        switch event {
        case .started: running += 1
        case .cached: done += 1; cached += 1
        case .generated: done += 1; running -= 1
        case .pending: pending += 1; running -= 1
        case .failed, .missing: failed += 1; running = max(0, running - 1)
        case .submitted, .retrying: break
        }
        guard !quiet else { return }
        guard live else {
            if let line = event.line(verbose: verbose) { Console.error(line, tone: Self.tone(event)) }
            return
        }
        var force = false
        if case .failed = event, let line = event.line(verbose: true) {
            Console.error(line, tone: .error)
            force = true
        }
        // The rate counts the prompts that took work: cached ones are done at once.
        let resolved = done + pending + failed
        let elapsed = (clock.now - generationStart) / .seconds(1)
        let left = ProgressLine.secondsLeft(remaining: total - resolved, measured: resolved - cached, elapsed: elapsed)
        let details = ["\(pending) pending", "\(failed) failed", "\(running) in flight"]
        draw(ProgressLine.text("generating", done: resolved, total: total, details: details, secondsLeft: left), force: force)
    }

    /// A long step's count: redrawn on a terminal, cleared when the step is through (its summary
    /// follows); nothing otherwise (the step's summary is its one line).
    private func progress(_ label: String, done: Int, total: Int) {
        let now = clock.now
        if step?.label != label || done == 0 { step = (label, now, done, done) }
        guard var current = step else { return }
        current.done = max(current.done, done)
        step = current
        guard !quiet, live else { return }
        if current.done >= total { return Console.clearLiveLine() }
        let left = ProgressLine.secondsLeft(
            remaining: total - current.done, measured: current.done - current.baseline, elapsed: (now - current.start) / .seconds(1))
        draw(ProgressLine.text(label, done: current.done, total: total, secondsLeft: left), force: !Console.showsLiveLine.load(ordering: .relaxed))
    }

    /// Redraws the live line, at most ten times a second unless `force`d.
    private func draw(_ text: String, force: Bool) {
        let now = clock.now
        guard force || now - lastDraw >= .milliseconds(100) else { return }
        lastDraw = now
        Console.liveLine(ProgressLine.fitted(text, width: Console.errorWidth))
    }

    /// Failures in red, what waits in yellow, what only `--verbose` shows dim.
    static func tone(_ event: GenerationEvent) -> Tone? {
        switch event {
        case .failed, .missing: .error
        case .pending, .retrying: .warning
        case .started, .submitted, .cached: .dim
        case .generated: nil
        }
    }

    /// The closing lines after the summary: failed and missing prompts in red, pending ones in yellow.
    static func tone(closing line: String) -> Tone? {
        if line.hasPrefix("  failed") || line.hasPrefix("  missing") { return .error }
        return line.hasPrefix("  pending") ? .warning : nil
    }
}
