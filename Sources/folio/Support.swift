import ArgumentParser
import FolioCore
import FolioSimulator
import Foundation

/// Options every project command takes.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: "The project folder.") var project: String = "."

    @Flag(name: .long, help: "Machine-readable output (plan, status, check, diff).") var json = false

    @OptionGroup var verbosity: Verbosity

    var verbose: Bool { verbosity.verbose }
    var quiet: Bool { verbosity.quiet }

    var projectURL: URL {
        URL(fileURLWithPath: project, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
    }

    /// Runs `steps` with what this command line asked for, printing as the build goes; ends the
    /// command with the build's exit status when it is not 0 (pending, partial).
    @discardableResult
    func run(_ steps: [BuildStep], configure: (inout BuildOptions) -> Void = { _ in }) async throws -> BuildState {
        var options = buildOptions
        configure(&options)
        return try await Pipeline.run(steps, options: options, printer: printer)
    }

    /// The project's build options before a command adds its own.
    var buildOptions: BuildOptions {
        var options = BuildOptions(project: projectURL)
        options.startSimulator = GatewaySimulator.forBuilds
        return options
    }

    var printer: BuildPrinter { BuildPrinter(quiet: quiet, verbose: verbose) }

    /// `--json` on a command that prints no JSON is refused (exit 2) rather than ignored: a script
    /// that parses what it prints must not be handed text.
    func refuseJSON(in command: String) throws {
        if json { throw ValidationError("--json is not available for 'folio \(command)'; plan, status, check and diff print JSON") }
    }
}

/// `--verbose` and `--quiet`, which every command takes (one that has nothing more to say accepts `--verbose`).
struct Verbosity: ParsableArguments {
    @Flag(name: .long, help: "Say more.") var verbose = false

    @Flag(name: .long, help: "Say only what went wrong.") var quiet = false

    func validate() throws {
        if verbose, quiet { throw ValidationError("--verbose and --quiet cannot be used together") }
    }
}

/// `--image-detail simple|photo`, which `folio sim` takes, and `build`, `generate` and `serve` with `--simulate`.
extension SimulatedImageDetail: ExpressibleByArgument {
    static let help = """
        How much detail simulated images have: simple (flat shapes, about 200 KB per 1024×1024 PNG) or \
        photo (photographic texture and grain, about 1.5 MB per 1024×1024 PNG and as slow to decode as a \
        real model's: for benchmarks).
        """

    /// Refuses `--image-detail` without `--simulate`: only the simulator draws images.
    static func validate(_ detail: SimulatedImageDetail?, simulate: Bool) throws {
        if detail != nil, !simulate { throw ValidationError("--image-detail only applies with --simulate (it sets how the simulator draws)") }
    }
}
