import ArgumentParser
import FolioCore
import Foundation

/// `folio check`: every problem in the configuration and the prompt files, at once.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate folio.yml and the prompt files; exit 2 if anything is wrong.")

    @OptionGroup var options: ProjectOptions

    func run() async throws {
        let report = try await CheckReport.run(project: options.projectURL)
        if options.json {
            Console.json(report.json)
        } else {
            Console.report(report.diagnostics, quiet: options.quiet)
            if !options.quiet { print(report.summary) }
        }
        if report.exitStatus != .ok { throw FolioError.exit(report.exitStatus) }
    }
}
