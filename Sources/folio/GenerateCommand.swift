import ArgumentParser
import FolioCore
import FolioSimulator
import Foundation

/// Options of the commands that generate.
struct GenerateOptions: ParsableArguments {
    @Option(help: "Requests in flight at once (default: gateway.concurrency).")
    var jobs: Int?

    @Flag(help: "Run the built-in gateway simulator in-process: no key, no network.")
    var simulate = false

    @Flag(help: "Generate prompts that failed before (moderation, billing) again.")
    var retryFailed = false

    @Flag(help: "Generate prompts whose assets are gone and whose URLs expired again.")
    var regenerate = false

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be from 1 to 64") }
    }
}

/// `folio generate`: generate what is missing and download it; no rendering.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate what is missing and download it into assets/, recording every step in folio.lock.")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var generation: GenerateOptions

    func run() async throws {
        var steps = StepTimer(verbose: options.verbose)
        let project = try await steps.run("load prompts") { try await options.loadValidProject() }
        let report = try await GenerationRun(options: options, generation: generation).run(project: project, steps: &steps)
        if report.exitCode != 0 { throw FolioExit(code: report.exitCode) }
    }
}

/// `folio build`: generate what is missing, then render the site.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate what is missing, then render the site.")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var generation: GenerateOptions

    @Option(help: "The output folder (default: output in folio.yml, site).")
    var out: String?

    @Flag(help: "Render into a folder that holds files Folio did not write; they are still never deleted or overwritten.")
    var force = false

    func run() async throws {
        var steps = StepTimer(verbose: options.verbose)
        let project = try await steps.run("load prompts") { try await options.loadValidProject() }
        let render = SiteRender(options: options, out: out, force: force)
        // A forbidden output folder stops the build before anything is paid for.
        _ = try render.checkedSite(project: project)
        let report = try await GenerationRun(options: options, generation: generation).run(project: project, steps: &steps)
        // Render from the lockfile as generation left it. (No stamp: the prompts were read before
        // generating, and may have changed since; the next `render` stamps its own inputs.)
        let lock = try options.loadLockfile()
        _ = try await render.run(project: project, lock: lock, steps: &steps)
        if report.exitCode != 0 { throw FolioExit(code: report.exitCode) }
    }
}

/// The generate steps shared by `generate` and `build`: read the lockfile, plan, (start the simulator), generate, report.
struct GenerationRun {
    var options: ProjectOptions
    var generation: GenerateOptions

    func run(project: LoadedProject, steps: inout StepTimer) async throws -> GenerationReport {
        // One generating process per project: two would each write the lockfile they read.
        let runLock = try options.acquireRunLock(command: "generate")
        defer { runLock.release() }
        let lock = try await steps.run("read folio.lock") { try options.loadLockfile() }
        let environment = ProcessInfo.processInfo.environment
        if generation.simulate, let real = lock.entries.first(where: { !$0.value.simulated }) {
            throw FolioExit(code: ExitStatus.error, message: """
                error: folio.lock holds real generations ('\(real.key)' among them); --simulate would mix simulated images into them. \
                Run --simulate on a copy of the project, or without --simulate to use the gateway.
                """)
        }
        let plan = Planner.plan(project.prompts, lock: lock, project: project.root,
                                options: PlanOptions(retryFailed: generation.retryFailed, regenerate: generation.regenerate, simulated: generation.simulate))
        // Downloads go to the image hosts and need no key; only requests and polls do.
        // With --regenerate a download may turn into a create (its link turns out gone).
        let needsGateway = plan.entries.contains { $0.requests > 0 || $0.action == .resume || (generation.regenerate && $0.action == .download) }

        // Tests and demos speed every wait up by the same factor as the simulator's clock.
        let timeScale = environment["FOLIO_TIME_SCALE"].flatMap(Double.init) ?? (generation.simulate ? 0.05 : 1)
        var simulator: GatewaySimulator?
        let endpoint: GatewayEndpoint
        do {
            if generation.simulate {
                var configuration = SimulatorConfiguration()
                configuration.timeScale = timeScale
                configuration.imageScale = environment["FOLIO_SIM_IMAGE_SCALE"].flatMap(Int.init) ?? 1
                let started = try await GatewaySimulator.start(configuration)
                simulator = started
                endpoint = try GatewayEndpoint(baseURL: started.baseURL, key: "simulated")
            } else if needsGateway {
                endpoint = try GatewaySetup.endpoint(settings: project.settings, environment: environment)
            } else {
                // Nothing to send to the gateway: no key needed, and none is read.
                endpoint = try GatewayEndpoint(baseURL: "https://gateway.invalid", key: "unused")
            }
        } catch let error as GenerationError {
            throw FolioExit(code: error.isConfiguration ? ExitStatus.invalidInput : ExitStatus.error, message: "error: \(error.description)")
        }

        let store = LockStore(project: project.root, lock: lock)
        let http = GatewayHTTP(endpoint: endpoint)
        let printer = ProgressPrinter(total: plan.entries.count, quiet: options.quiet, verbose: options.verbose)
        // Faster waits are for the simulator and tests: a real gateway is never hurried.
        if !endpoint.isLoopback, timeScale != 1, needsGateway {
            Output.error("warning: FOLIO_TIME_SCALE is ignored: the gateway \(endpoint.baseURL) is not on this machine")
        }
        var generationOptions = GatewaySetup.options(settings: project.settings, jobs: generation.jobs, retryFailed: generation.retryFailed,
                                                     regenerate: generation.regenerate,
                                                     timeScale: GatewaySetup.timeScale(requested: timeScale, endpoint: endpoint))
        generationOptions.simulated = generation.simulate
        let generator = Generator(prompts: project.prompts, project: project.root, store: store, http: http, options: generationOptions,
                                  events: { event in await printer.handle(event) })
        let report = try await steps.run("generate and download") { await generator.run() }
        await printer.finish()
        await http.shutdown()
        await simulator?.stop()
        Output.summary(report, quiet: options.quiet)
        return report
    }
}
