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

    func run() async throws {
        if published {
            try await options.run(Pipeline.checkPublished) { $0.out = out }
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
