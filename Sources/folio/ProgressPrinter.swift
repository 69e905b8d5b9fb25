import FolioCore
import Foundation

/// Progress of a generation run on standard error: one live line on a terminal, one line per event otherwise.
actor ProgressPrinter {
    private let total: Int
    private let quiet: Bool
    private let verbose: Bool
    private let live: Bool
    private let start = ContinuousClock.now
    private var done = 0
    private var failed = 0
    private var pending = 0
    private var running = 0
    private var lastDraw = ContinuousClock.now - .seconds(1)

    init(total: Int, quiet: Bool, verbose: Bool) {
        self.total = total
        self.quiet = quiet
        self.verbose = verbose
        live = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
    }

    func handle(_ event: GenerationEvent) {
        switch event {
        case .started: running += 1
        case .cached: done += 1
        case .generated: done += 1; running -= 1
        case .pending: pending += 1; running -= 1
        case .failed(_, _), .missing: failed += 1; running = max(0, running - 1)
        case .submitted, .retrying: break
        }
        guard !quiet else { return }
        if live {
            if case .failed(let id, let error) = event { line("failed \(id): \(error.kind.rawValue): \(error.message)") }
            draw()
        } else if let text = Self.describe(event, verbose: verbose) {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        guard live, !quiet else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    private func line(_ text: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text + "\n").utf8))
    }

    private func draw() {
        let now = ContinuousClock.now
        guard now - lastDraw > .milliseconds(80) else { return }
        lastDraw = now
        let seconds = (now - start).components.seconds
        let status = "\(done)/\(total) done · \(pending) pending · \(failed) failed · \(running) in flight · \(seconds) s"
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + status).utf8))
    }

    static func describe(_ event: GenerationEvent, verbose: Bool) -> String? {
        switch event {
        case .started(let id, let route, let action): return verbose ? "\(action.rawValue) \(id) (\(route.rawValue))" : nil
        case .submitted(let id, let task): return verbose ? "task \(task) for \(id)" : nil
        case .retrying(let id, let attempt, let delay, let reason):
            return "retry \(attempt) of \(id) in \(String(format: "%.1f", delay)) s: \(reason)"
        case .generated(let id, let images): return "generated \(id) (\(images) image\(images == 1 ? "" : "s"))"
        case .cached(let id): return verbose ? "cached \(id)" : nil
        case .pending(let id, let reason): return "pending \(id): \(reason)"
        case .failed(let id, let error): return "failed \(id): \(error.kind.rawValue)\(error.code.map { " \($0)" } ?? ""): \(error.message)"
        case .missing(let id, let reason): return "missing \(id): \(reason)"
        }
    }
}

extension Output {
    /// The closing summary: `12 generated, 3 cached, 1 failed in 41 s`, then each failure with its reason.
    static func summary(_ report: GenerationReport, quiet: Bool) {
        var lines: [String] = []
        if !quiet { lines.append(report.summary) }
        for (id, error) in report.failed {
            lines.append("  failed  \(id): \(error.kind.rawValue)\(error.code.map { " \($0)" } ?? ""): \(error.message)")
        }
        for (id, reason) in report.missing { lines.append("  missing \(id): \(reason)") }
        for (id, reason) in report.pending { lines.append("  pending \(id): \(reason)") }
        let uncertain = report.uncertain
        if uncertain > 0 {
            lines.append("\(uncertain) call\(uncertain == 1 ? "" : "s") may have been charged without returning an image (failed as uncertain); none was sent again. Check your usage with the provider, then run with --retry-failed to send \(uncertain == 1 ? "it" : "them") once more.")
        }
        if !report.pending.isEmpty {
            lines.append("Run the same command again to resume: Kling tasks are polled or looked up by their external id, and only variants never asked for are requested.")
        }
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
