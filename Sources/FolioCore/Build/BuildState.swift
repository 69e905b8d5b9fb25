import Foundation

/// What a command asks of a build: the project, the output folder and how to generate.
public struct BuildOptions: Sendable {
    public var project: URL
    /// `--out`, read from `workingFolder`; nil takes `output` from `folio.yml`, read from the project.
    public var out: String?
    public var workingFolder: URL
    /// Render into a folder that holds files Folio did not write (they are still never deleted or overwritten).
    public var force = false
    /// Generate through an in-process simulator (started by `startSimulator`), never the gateway.
    public var simulate = false
    /// How much detail that simulator draws into its images (`--image-detail`).
    public var simulatedImageDetail = SimulatedImageDetail.simple
    public var jobs: Int?
    public var retryFailed = false
    public var regenerate = false
    /// `--max-cost`: the most this run may spend at `prices:`; nil takes `gateway.max_cost`.
    public var maxCost: Double?

    /// The cost cap this run keeps: `--max-cost`, else `gateway.max_cost`, else none.
    func costCap(_ settings: Settings) -> Double? { maxCost ?? settings.gateway.maxCost }
    /// `--plan FILE`, as given (read from `workingFolder`): a plan saved by `folio plan --out`, which
    /// the build follows exactly or refuses.
    public var savedPlan: String?
    /// `folio publish DEST`: where the rendered site goes, and how.
    public var publish: (target: PublishTarget, label: String, allowPartial: Bool, dryRun: Bool)?
    /// `folio clean --yes`: delete what no prompt refers to (holding the run lock).
    public var deleteUnreferenced = false
    /// `ANYINT_API_KEY`, `ANYINT_BASE_URL`, `FOLIO_TIME_SCALE`, `FOLIO_SIM_IMAGE_SCALE`.
    public var environment: [String: String]
    /// Adjusts the generation options after `folio.yml`'s and the command line's are applied (tests
    /// shorten retries and waits with it).
    public var tuneGeneration: (@Sendable (inout GenerationOptions) -> Void)?
    /// Starts the simulator `--simulate` generates through (the simulator is its own target, which
    /// depends on this one): given the time scale, the image scale and the image detail, its base URL
    /// and a way to stop it.
    public var startSimulator: (@Sendable (_ timeScale: Double, _ imageScale: Int, _ imageDetail: SimulatedImageDetail) async throws -> SimulatedGateway)?

    public init(
        project: URL, out: String? = nil, workingFolder: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.project = project
        self.out = out
        self.workingFolder = workingFolder
        self.environment = environment
    }

    /// The output folder: `--out` from the working folder, else `output` in folio.yml from the project.
    public func site(settings: Settings) -> URL {
        out.map { OutputFolder.resolve($0, relativeTo: workingFolder) } ?? OutputFolder.resolve(settings.output, relativeTo: project)
    }

    var planOptions: PlanOptions {
        PlanOptions(retryFailed: retryFailed, regenerate: regenerate, simulated: simulate)
    }
}

/// A running simulator, as the build sees it.
public struct SimulatedGateway: Sendable {
    public var baseURL: String
    public var stop: @Sendable () async -> Void

    public init(baseURL: String, stop: @escaping @Sendable () async -> Void) {
        self.baseURL = baseURL
        self.stop = stop
    }
}

/// How much detail the simulator draws into its images (`--image-detail`).
public enum SimulatedImageDetail: String, Sendable, CaseIterable {
    /// Flat shapes and the title: small files (about 200 KB per 1024×1024 PNG), quick to decode.
    case simple
    /// The same pictures with photographic texture, grain and light, so that their files are as
    /// large and as slow to decode as a real model's (about 1.5 MB per 1024×1024 PNG): for benchmarks.
    case photo
}

/// One build in memory, passed from step to step: the project as loaded, the lockfile (read once
/// and kept up to date by generation), the plan (computed once), and what each step produced.
public struct BuildState: Sendable {
    /// What the command asked for; a saved plan (`--plan`) sets its own options here in the `plan` step.
    public internal(set) var options: BuildOptions
    let observer: @Sendable (BuildEvent) async -> Void
    public internal(set) var project: LoadedProject?
    public internal(set) var lock = Lockfile()
    /// Lock entries `lock` holds under a new id, not yet written: a file that gained or lost routes.
    public internal(set) var routeMoves: [RouteMove] = []
    public internal(set) var plan: Plan?
    public internal(set) var generation: GenerationReport?
    public internal(set) var render: RenderReport?
    /// What `folio publish` did.
    public internal(set) var publishReport: PublishReport?
    /// What `folio check --published` found.
    public internal(set) var published: PublishedCheck?
    /// What `folio clean` found (and, with `deleteUnreferenced`, deleted).
    public internal(set) var clean: CleanPlan?
    /// Each step's name and seconds, in order.
    public internal(set) var timings: [(name: String, seconds: Double)] = []
    /// A step answered everything: the driver runs no more.
    var finished = false
    /// The names of the pipeline's steps, so a step can tell what comes after it.
    var stepNames: [String] = []
    /// What loading the theme found (warnings), kept for the render stamp's notes.
    var themeProblems: [Diagnostic] = []
    var site: URL?
    var siteRender: SiteRender?
    var stamp: RenderStamp?
    var session: GatewaySession?
    /// The `download` step's jobs, started beside generation.
    var downloads: Task<GenerationReport, Never>?
    var runLock: RunLock?

    public init(options: BuildOptions, observer: @escaping @Sendable (BuildEvent) async -> Void = { _ in }) {
        self.options = options
        self.observer = observer
    }

    func observe(_ event: BuildEvent) async {
        await observer(event)
    }

    /// Stops what the build opened: the gateway session (and simulator), the run lock.
    mutating func close() async {
        if let downloads {
            _ = await downloads.value
            self.downloads = nil
        }
        if let session {
            await session.close()
            self.session = nil
        }
        closeWithoutWaiting()
    }

    /// Releases the run lock, which needs no waiting (also when a step was cancelled).
    mutating func closeWithoutWaiting() {
        runLock?.release()
        runLock = nil
    }

    /// SPEC §4's exit status for what the build came to, the worse of generation's (3 pending, 4
    /// failed or missing) and the render's (4 when a page shows a prompt failed or without its images,
    /// such as an asset changed while the build ran).
    public var exitStatus: ExitStatus {
        let rendered: ExitStatus = render?.hasFailedOrMissing == true || published?.problems.isEmpty == false ? .partial : .ok
        return max(generation?.exitStatus ?? .ok, rendered)
    }
}

/// The connection to the gateway (or the simulator) for the generate and download steps.
struct GatewaySession: Sendable {
    var store: LockStore
    var http: GatewayHTTP
    var generator: Generator
    var simulator: SimulatedGateway?

    func close() async {
        await http.shutdown()
        await simulator?.stop()
    }
}
