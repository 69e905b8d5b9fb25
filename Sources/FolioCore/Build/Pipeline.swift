import Foundation

/// One named step of a build: a small value the driver runs, times and names in any error.
public struct BuildStep: Sendable {
    public let name: String
    let body: @Sendable (inout BuildState) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (inout BuildState) async throws -> Void) {
        self.name = name
        self.body = body
    }
}

/// The commands' step lists, literally: what each command does, in order.
public enum Pipeline {
    /// `folio build`: generate what is missing, then render the site.
    public static let build: [BuildStep] = [
        .load, .plan, .generate, .download, .renderImages, .writePages, .checkLinks, .prune,
    ]
    /// `folio generate`: generate and download, no rendering.
    public static let generate: [BuildStep] = [.load, .plan, .generate, .download]
    /// `folio render`: the site from `folio.lock` and `assets/`, answered from the stamp when no input changed.
    public static let render: [BuildStep] = [.statInputs, .load, .renderImages, .writePages, .checkLinks, .prune]
    /// `folio publish DEST`: a full render (no stamp), the site read back, then copied to DEST.
    public static let publish: [BuildStep] = [
        .load, .renderImages, .writePages, .checkLinks, .prune, .checkPublished, .publish,
    ]
    /// `folio check --published`: the rendered site read back.
    public static let checkPublished: [BuildStep] = [.load, .checkPublished]
    /// `folio plan`: what a build would do.
    public static let plan: [BuildStep] = [.load, .plan]

    /// Runs `steps` for `options`, `printer` saying what happens; a build that finishes with a
    /// status other than 0 (pending, partial) throws it, so every command ends the same way.
    public static func run(_ steps: [BuildStep], options: BuildOptions, printer: BuildPrinter) async throws(FolioError) -> BuildState {
        var state = BuildState(options: options, observer: { await printer.handle($0) })
        try await run(steps, &state)
        if state.exitStatus != .ok { throw FolioError.exit(state.exitStatus) }
        return state
    }

    /// Runs `steps` in order on `state`, timing each, and stops at the first that fails; its
    /// error names the step. A step may end the run early by setting `state.finished` (the
    /// render stamp does, when nothing changed). What a step opened, `state.close()` closes.
    public static func run(_ steps: [BuildStep], _ state: inout BuildState) async throws(FolioError) {
        let clock = ContinuousClock()
        defer { state.closeWithoutWaiting() }
        state.stepNames = steps.map(\.name)
        for (index, step) in steps.enumerated() where !state.finished {
            let start = clock.now
            do {
                try await step.body(&state)
            } catch var error as FolioError {
                await state.close()
                error.step = error.step ?? step.name
                throw error
            } catch {
                await state.close()
                throw FolioError("\(error)", step: step.name)
            }
            let elapsed = start.duration(to: clock.now)
            let seconds = elapsed / .seconds(1)
            state.timings.append((step.name, seconds))
            await state.observe(.step(index: index + 1, name: step.name, seconds: seconds))
        }
        await state.close()
    }
}

/// What a build tells the command line as it goes; the command line decides what to print.
public enum BuildEvent: Sendable {
    /// Problems found while loading (warnings, and errors before the build stops).
    case diagnostics([Diagnostic])
    case warning(String)
    /// A step finished, after `seconds`.
    case step(index: Int, name: String, seconds: Double)
    /// Generation begins with this many planned prompts.
    case generating(total: Int)
    case generation(GenerationEvent)
    /// A long step's progress: `done` of `total` items (images rendered, files uploaded), `label`
    /// naming the work (`rendering images`, `uploading`); a first event with `done: 0` marks its
    /// start, for the estimate of the time left. A terminal shows one line redrawn in place.
    case progress(label: String, done: Int, total: Int)
    /// Generation and downloading are over.
    case generated(GenerationReport)
    /// The site was published (or, with `--dry-run`, would have been).
    case published(PublishReport, destination: String, dryRun: Bool)
    /// The published site was read back (`folio check --published`).
    case checkedPublished(PublishedCheck)
    /// The site is rendered (or found unchanged), with what loading noted when it was answered from the stamp.
    case rendered(RenderReport, site: URL, notes: [String])
}
