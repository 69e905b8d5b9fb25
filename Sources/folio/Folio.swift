import ArgumentParser
import FolioCore
import Foundation

/// The `folio` command: its subcommands live one per file beside this one.
@main
struct Folio: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "folio",
        abstract: "Turn a folder of Markdown prompt files into a published image gallery.",
        version: "folio \(version)",
        subcommands: [
            BuildCommand.self, GenerateCommand.self, RenderCommand.self, ServeCommand.self, PublishCommand.self, PlanCommand.self, StatusCommand.self,
            CheckCommand.self,
            DiffCommand.self, NewCommand.self, InitCommand.self, CleanCommand.self, SimCommand.self, VersionCommand.self,
        ]
    )

    /// Runs the command line: a `FolioError` prints its report on standard error and ends with its
    /// exit status; usage errors are 2 (SPEC §4).
    static func main() async {
        // A reader that goes away (`folio status | head -1`) is an error on that write, not a signal that kills a build.
        signal(SIGPIPE, SIG_IGN)
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as FolioError {
            if !error.report.isEmpty { Console.error(error.report) }
            Foundation.exit(error.exit.rawValue)
        } catch {
            // Help and version go to standard output with 0; usage errors to standard error with 2.
            let code = exitCode(for: error)
            if code == .success { print(fullMessage(for: error)) } else { Console.error(fullMessage(for: error)) }
            Foundation.exit(code == .validationFailure ? ExitStatus.invalidInput.rawValue : code.rawValue)
        }
    }
}

/// `folio version`: the version and the C libraries it links.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Folio's version and its libraries'.")

    @OptionGroup var verbosity: Verbosity

    func run() {
        print("folio \(Folio.version) (\(Libraries.versions))")
    }
}
