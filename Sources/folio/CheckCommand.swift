import ArgumentParser
import FolioCore

/// `folio check`: every problem in the configuration and the prompt files, at once.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate folio.yml and the prompt files; exit 2 if anything is wrong.")

    @OptionGroup var options: ProjectOptions

    @Flag(help: "Read the rendered site back: every image's AI label, signed originals, private values; exit 4 on a problem.") var published = false

    @Option(help: "With --published: the output folder (default: output in folio.yml, site).") var out: String?

    var checkOptions: BuildOptions {
        var build = options.buildOptions
        build.out = out
        return build
    }

    func run() async throws {
        if published {
            guard options.json else {
                try await options.run(Pipeline.checkPublished) { $0.out = out }
                return
            }
            // Only the JSON on standard output; a project that does not load still says why on standard error.
            let printer = BuildPrinter(quiet: true, verbose: false)
            var build = BuildState(options: checkOptions, observer: { await printer.handle($0) })
            try await Pipeline.run(Pipeline.checkPublished, &build)
            guard let check = build.published else { return }
            Console.json(check.json)
            if !check.problems.isEmpty { throw FolioError.exit(.partial) }
            return
        }
        let report = try await CheckReport.run(project: options.projectURL)
        if options.json {
            Console.json(report.json)
        } else {
            Console.report(report.diagnostics, quiet: options.quiet)
            if !options.quiet {
                Console.lines([report.summary], tone: report.errors > 0 ? .error : report.warnings > 0 ? .warning : .success)
            }
        }
        if report.exitStatus != .ok { throw FolioError.exit(report.exitStatus) }
    }
}
