import FolioCore
import Foundation

/// The site as `folio serve` keeps it: rendered again whenever an input changes, with what the
/// last render came to (the error page, while it failed) and the open pages to reload.
actor PreviewSession {
    /// Why the last render failed: the problems in the project, or the error that stopped it.
    struct Failure: Sendable, Equatable {
        var diagnostics: [Diagnostic]
        var message: String
    }

    let options: BuildOptions
    let steps: [BuildStep]
    let printer: BuildPrinter
    let reload = LiveReload()
    /// The output folder, as `folio.yml` (or `--out`) names it at the last render.
    private(set) var site: URL
    private(set) var failure: Failure?
    /// The inputs' digest the site was last rendered from.
    private var rendered: String?
    private var diagnostics: [Diagnostic] = []
    private var report: RenderReport?

    init(options: BuildOptions, steps: [BuildStep], printer: BuildPrinter) {
        self.options = options
        self.steps = steps
        self.printer = printer
        site = Self.site(options) ?? options.project.appendingPathComponent("site")
    }

    /// The output folder `folio.yml` names now, when it can be read.
    static func site(_ options: BuildOptions) -> URL? {
        let (settings, problems) = SettingsLoader.load(project: options.project)
        return problems.errors.isEmpty ? options.site(settings: settings) : nil
    }

    /// Renders the site (with `--simulate`, generates first) and tells open pages when it changed.
    func render() async {
        let before = RenderStamp.take(project: options.project)?.inputs
        let clock = ContinuousClock()
        let start = clock.now
        diagnostics = []
        report = nil
        site = Self.site(options) ?? site
        var state = BuildState(options: options, observer: { [weak self] event in await self?.observe(event) })
        let previous = failure
        do {
            try await Pipeline.run(steps, &state)
            failure = nil
        } catch {
            failure = Failure(diagnostics: diagnostics.errors.sortedByLocation(), message: error.report)
            Console.error(error.report)
        }
        // With `--simulate` the build itself writes folio.lock and assets/: those changes are its
        // own, so the next comparison starts from after it. Without, an edit made while rendering
        // is still seen as a change.
        rendered = options.simulate ? RenderStamp.take(project: options.project)?.inputs : before
        let elapsed = start.duration(to: clock.now).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        if failure == nil, let report {
            Console.error("rendered \(report.pages) pages: \(report.written) written, \(report.removed) removed (\(String(format: "%.2f", seconds)) s)")
        }
        let changed = failure != previous || (report.map { $0.written + $0.removed > 0 } ?? false)
        if changed { await reload.reload() }
    }

    /// Whether an input changed since the last render.
    func inputsChanged() -> Bool {
        let now = RenderStamp.take(project: options.project)?.inputs
        // A tree that cannot be stamped (a linked folder) is rendered again each time: the render
        // itself writes only what changed.
        return now == nil || now != rendered
    }

    /// Renders again each time an input changes, until cancelled; a change is rendered once the
    /// files have been still for `settle` (an editor's save can be several writes). Changes are
    /// heard from inotify (looked at every `interval`), with a full look every 5 s in case an event
    /// was missed; without inotify the inputs are stat'ed every third `interval`.
    func watch(every interval: Duration, settle: Duration = .milliseconds(120)) async {
        let watcher = InputWatcher(project: options.project)
        if watcher == nil { Console.error("folio serve: cannot use inotify here; looking for changes every \(interval * 3)") }
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            ticks += 1
            if ticks % 150 == 0 { await reload.ping() }
            let look = watcher.map { $0.changed() || ticks % 50 == 0 } ?? (ticks % 3 == 0)
            guard !Task.isCancelled, look, inputsChanged() else { continue }
            var last = RenderStamp.take(project: options.project)?.inputs
            for _ in 0..<10 {
                try? await Task.sleep(for: settle)
                _ = watcher?.changed()
                let now = RenderStamp.take(project: options.project)?.inputs
                if now == last { break }
                last = now
            }
            guard !Task.isCancelled else { return }
            await render()
        }
    }

    private func observe(_ event: BuildEvent) async {
        switch event {
        case .diagnostics(let list):
            diagnostics += list
            await printer.handle(event)
        case .rendered(let report, _, _):
            // Standard output keeps only the URL; what each render did goes to standard error.
            self.report = report
            for warning in report.warnings { Console.error("warning: \(warning)") }
        default:
            await printer.handle(event)
        }
    }
}
