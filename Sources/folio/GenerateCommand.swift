import ArgumentParser
import FolioCore

/// Options of the commands that generate.
struct GenerateOptions: ParsableArguments {
    @Option(help: "Requests in flight at once (default: gateway.concurrency).") var jobs: Int?

    @Flag(help: "Run the built-in gateway simulator in-process: no key, no network.") var simulate = false

    @Option(help: ArgumentHelp(SimulatedImageDetail.help + " Needs --simulate.")) var imageDetail: SimulatedImageDetail?

    @Flag(help: "Generate prompts that failed before (moderation, billing) again.") var retryFailed = false

    @Option(
        help: ArgumentHelp(
            "The most this run may spend, in the unit of prices: in folio.yml (default: gateway.max_cost). Over it or unknown, the build refuses to start (exit 2); reached, it sends no more creates and leaves the rest for the next run (exit 3).",
            valueName: "AMOUNT"))
    var maxCost: Double?

    @Flag(help: "Generate prompts whose assets are gone and whose URLs expired again.") var regenerate = false

    @Option(
        help: ArgumentHelp(
            "Follow a plan saved by 'folio plan --out FILE': send exactly its requests, or refuse (exit 2) when any input changed since.",
            valueName: "FILE"))
    var plan: String?

    func validate() throws {
        if let jobs, !(1...64).contains(jobs) { throw ValidationError("--jobs must be from 1 to 64") }
        try SimulatedImageDetail.validate(imageDetail, simulate: simulate)
        if let maxCost, !(maxCost >= 0 && maxCost <= SettingsLoader.largestAmount) {
            throw ValidationError("--max-cost must be an amount from 0 to 1000000000, such as 5.00")
        }
    }

    func apply(to options: inout BuildOptions) {
        (options.jobs, options.simulate, options.retryFailed, options.regenerate) = (jobs, simulate, retryFailed, regenerate)
        options.simulatedImageDetail = imageDetail ?? .simple
        options.maxCost = maxCost
        options.savedPlan = plan
    }
}

/// `folio generate`: generate what is missing and download it; no rendering.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate what is missing and download it into assets/, recording every step in folio.lock.")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var generation: GenerateOptions

    func validate() throws { try options.refuseJSON(in: "generate") }

    func run() async throws {
        try await options.run(Pipeline.generate) { generation.apply(to: &$0) }
    }
}

/// `folio build`: generate what is missing, then render the site.
struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Generate what is missing, then render the site.")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var generation: GenerateOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try options.refuseJSON(in: "build") }

    func run() async throws {
        try await options.run(Pipeline.build) {
            generation.apply(to: &$0); output.apply(to: &$0)
        }
    }
}

/// Options of the commands that render.
struct OutputOptions: ParsableArguments {
    @Option(help: "The output folder (default: output in folio.yml, site).") var out: String?

    @Flag(help: "Render into a folder that holds files Folio did not write; they are still never deleted or overwritten.") var force = false

    func apply(to options: inout BuildOptions) {
        (options.out, options.force) = (out, force)
    }
}

/// `folio render`: the site from `folio.lock` and `assets/`, without network.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render the site from folio.lock and assets/, without network.")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try options.refuseJSON(in: "render") }

    func run() async throws {
        try await options.run(Pipeline.render) { output.apply(to: &$0) }
    }
}

/// `folio publish DEST`: render, read the site back, then copy it to a folder, commit it to `git:BRANCH`
/// or upload it to `s3://BUCKET/PREFIX`.
struct PublishCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "publish",
        abstract: "Render, check, then publish the site to a folder, a git branch (git:gh-pages) or an object store (s3://bucket/prefix).")

    @OptionGroup var options: ProjectOptions
    @OptionGroup var output: OutputOptions

    @Argument(
        help: """
            A folder; git:BRANCH for a branch of the project's repository; or s3://BUCKET/PREFIX for an S3-compatible \
            object store, through the aws command line and its own configuration (AWS_PROFILE, AWS_ENDPOINT_URL, …). \
            Without one, the site is rendered and checked only.
            """) var destination: String?

    @Option(help: "Commit the site to this branch of the project's repository: the same as git:BRANCH.") var branch: String?

    @Flag(help: "Publish even while prompts are pending, failed, not generated (they show as placeholders) or missing some of their images.")
    var allowPartial = false

    @Flag(help: "List what would change; change nothing.") var dryRun = false

    func validate() throws { try options.refuseJSON(in: "publish") }

    func run() async throws {
        if destination != nil, branch != nil { throw FolioError("give a destination or --branch, not both", exit: .invalidInput) }
        let target = try (destination ?? branch.map { "git:" + $0 }).map(Self.target) ?? .checkOnly
        try await options.run(Pipeline.publish) {
            output.apply(to: &$0)
            $0.publish = (target, Folio.version, allowPartial, dryRun)
        }
    }

    /// Where `destination` publishes to; a usage error when it names nowhere Folio publishes.
    static func target(_ destination: String) throws -> PublishTarget {
        if let target = PublishTarget.parse(destination) { return target }
        if let problem = PublishTarget.objectStoreProblem(destination) { throw FolioError(problem, exit: .invalidInput) }
        throw FolioError(
            "cannot publish to '\(destination)': give a folder (./name when its name has a colon; not /, your home or a system folder), git:BRANCH or s3://BUCKET/PREFIX",
            exit: .invalidInput)
    }
}
