import ArgumentParser
import FolioCore
import Foundation

/// `folio render`: the site from `folio.lock` and `assets/`, without network.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render the site from folio.lock and assets/, without network.")

    @OptionGroup var options: ProjectOptions

    @Option(help: "The output folder (default: output in folio.yml, site).")
    var out: String?

    @Flag(help: "Render into a folder that holds files Folio did not write; they are still never deleted or overwritten.")
    var force = false

    func run() async throws {
        var steps = StepTimer(verbose: options.verbose)
        let render = SiteRender(options: options, out: out, force: force)
        // No input changed since the last render: its answer, from a stat of every input.
        let stamp = try await steps.run("stat inputs") { RenderStamp.take(project: options.projectURL) }
        if let stamp, let site = render.stampedSite(), let (report, notes) = stamp.report(site: site, project: options.projectURL) {
            if !options.quiet, !notes.isEmpty { Output.error(notes.joined(separator: "\n")) }
            render.show(report, site: site)
            try Self.finish(report)
            return
        }
        let project = try await steps.run("load prompts") { try await options.loadValidProject() }
        let lock = try await steps.run("read folio.lock") { try options.loadLockfile() }
        let report = try await render.run(project: project, lock: lock, steps: &steps, stamp: stamp)
        try Self.finish(report)
    }

    /// Exit 4 when prompts failed or lost their images.
    static func finish(_ report: RenderReport) throws {
        let failed = report.placeholders.filter { $0.reason.hasPrefix("failed") || $0.reason.hasPrefix("missing") }
        if !failed.isEmpty { throw FolioExit(code: ExitStatus.partial) }
    }
}

/// The render steps shared by `render` and `build`.
struct SiteRender {
    var options: ProjectOptions
    var out: String?
    var force = false

    /// The output folder: `--out` from the working folder, else `output` in folio.yml from the project.
    func site(settings: Settings, project: URL) -> URL {
        out.map { OutputFolder.resolve($0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) }
            ?? OutputFolder.resolve(settings.output, relativeTo: project)
    }

    /// The output folder, checked before anything is generated or written (so a forbidden folder
    /// is never touched, not even to drop a stale stamp).
    func checkedSite(project: LoadedProject) throws -> URL {
        let site = site(settings: project.settings, project: project.root)
        do {
            try SiteBuilder.checkOutput(site, project: project.root, force: force)
        } catch {
            throw FolioExit(code: error.invalidInput ? ExitStatus.invalidInput : ExitStatus.error, message: "error: \(error.description)")
        }
        return site
    }

    /// The output folder when it can be found without loading the project (for the stamp); nil
    /// when folio.yml or the folder has a problem, which the full render then reports.
    func stampedSite() -> URL? {
        let project = options.projectURL
        let (settings, problems) = SettingsLoader.load(project: project)
        guard problems.errors.isEmpty else { return nil }
        let site = site(settings: settings, project: project)
        return OutputFolder.problem(site, project: project) == nil ? site : nil
    }

    /// The render's summary on standard output, its warnings on standard error.
    func show(_ report: RenderReport, site: URL) {
        for warning in report.warnings { Output.error("warning: \(warning)") }
        guard !options.quiet else { return }
        let placeholders = report.placeholders.isEmpty ? "" : ", \(report.placeholders.count) shown as placeholders"
        print("rendered \(site.lastPathComponent)/: \(report.pages) pages (\(report.written) files written, \(report.unchanged) unchanged), \(report.imagesRendered) images rendered, \(report.imagesSkipped) already done\(placeholders)")
        for (id, reason) in report.placeholders { print("  placeholder \(id): \(reason)") }
    }

    func run(project: LoadedProject, lock: Lockfile, steps: inout StepTimer, stamp: RenderStamp? = nil) async throws -> RenderReport {
        let (theme, problems) = Theme.load(project: project.root)
        Output.report(problems, quiet: options.quiet)
        guard let theme else {
            throw FolioExit(code: ExitStatus.invalidInput, message: "the templates have errors; nothing was rendered")
        }
        let builder = SiteBuilder(project: project, lock: lock, theme: theme, site: try checkedSite(project: project), force: force)
        let report: RenderReport
        do {
            let verbose = options.verbose
            report = try await steps.run("render site") {
                try await builder.build(step: { name in if verbose { Output.error("  render: \(name)") } })
            }
        } catch let error as SiteError {
            RenderStamp.forget(site: builder.site)
            throw FolioExit(code: error.invalidInput ? ExitStatus.invalidInput : ExitStatus.error, message: "error: \(error.description)")
        }
        // What loading printed, for a later render that finds nothing changed.
        let notes = (project.diagnostics + problems).filter { $0.severity != .error }.map(\.description)
        let references = project.prompts.flatMap { $0.generation.images.map(\.path) }
        if let stamp {
            stamp.keep(report, notes: notes, dependencies: references, site: builder.site, project: project.root)
        } else {
            RenderStamp.forget(site: builder.site)
        }
        show(report, site: builder.site)
        return report
    }
}
