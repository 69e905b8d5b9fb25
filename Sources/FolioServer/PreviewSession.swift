import FolioCore
import Foundation
import Synchronization

/// The site as `folio serve` keeps it: rendered again whenever an input changes, with what the
/// last render came to (the error page, while it failed) and the open pages to reload.
actor PreviewSession {
    /// Why the last render failed: the problems in the project, or the error that stopped it.
    struct Failure: Sendable, Equatable {
        var diagnostics: [Diagnostic]
        var message: String
    }

    /// What requests are answered from, read without waiting for a render: the folder of the
    /// last render that succeeded and the files it wrote (nothing else there is served), and why
    /// the last render failed. A folder a render refused (`--out /etc`) is never served.
    struct Served: Sendable {
        var site: String?
        var files: Set<String> = []
        var failure: Failure?
    }

    nonisolated let served = Mutex(Served())
    nonisolated let reload = LiveReload()
    /// The port the server listens on, known once it is bound (requests must name it in `Host`).
    nonisolated let port = Mutex(0)
    let options: BuildOptions
    let steps: [BuildStep]
    let printer: BuildPrinter
    /// The inputs' digest the site was last rendered from.
    private var rendered: String?
    private var diagnostics: [Diagnostic] = []
    private var site: URL?

    init(options: BuildOptions, steps: [BuildStep], printer: BuildPrinter) {
        self.options = options
        self.steps = steps
        self.printer = printer
    }

    /// Renders the site (with `--simulate`, generates first) and tells open pages when it changed.
    func render() async {
        // Without --simulate the digest before the render; with it, the user's edits alone (the
        // build writes folio.lock and assets/ itself).
        let before = options.simulate ? nil : RenderStamp.take(project: options.project)?.inputs
        let edits = options.simulate ? RenderStamp.take(project: options.project, generated: false)?.inputs : nil
        diagnostics = []
        site = nil
        changedFiles = false
        let previous = served.withLock { $0.failure }
        var state = BuildState(options: options, observer: { [weak self] event in await self?.observe(event) })
        var failure: Failure?
        do {
            try await Pipeline.run(steps, &state)
        } catch {
            failure = Failure(diagnostics: diagnostics.errors.sortedByLocation(), message: error.report)
            Console.error(error.report)
        }
        if options.simulate {
            // The build writes folio.lock and assets/ itself: the next comparison starts from
            // after it, unless the user edited something while it ran.
            let editedMeanwhile = RenderStamp.take(project: options.project, generated: false)?.inputs != edits
            rendered = editedMeanwhile ? nil : RenderStamp.take(project: options.project)?.inputs
        } else {
            // Rendering writes none of the inputs: an edit made meanwhile is still seen as a change.
            rendered = before
        }
        let (site, files) = (self.site, self.site.flatMap { renderedFiles(in: $0) })
        let moved = served.withLock { served in
            served.failure = failure
            guard failure == nil, let site, let files else { return false }
            let moved = served.site != site.path
            (served.site, served.files) = (site.path, files)
            return moved
        }
        if failure == nil, site == nil || files == nil {
            served.withLock { $0.failure = Failure(diagnostics: [], message: "the render wrote no record of its files") }
        }
        if moved || failure != previous || changedFiles { reload.reload() }
    }

    /// The last render wrote or removed a file.
    private var changedFiles = false

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
            if ticks % 150 == 0 { reload.ping() }
            // The site folder removed, or an input changed since the last render.
            let siteGone = served.withLock { $0.site }.map { !hasRenderRecord(URL(fileURLWithPath: $0)) } ?? false
            let look = siteGone || (watcher.map { $0.changed() || ticks % 50 == 0 } ?? (ticks % 3 == 0))
            guard !Task.isCancelled, look else { continue }
            var last = RenderStamp.take(project: options.project)?.inputs
            // A tree that cannot be stamped (a linked folder) is rendered again each time: the
            // render itself writes only what changed.
            guard siteGone || last == nil || last != rendered else { continue }
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
        case .rendered(let report, let site, _):
            self.site = site
            changedFiles = report.written + report.removed > 0
        default:
            break
        }
        await printer.handle(event)
    }
}
