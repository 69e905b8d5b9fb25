import ArgumentParser
import FolioCore

/// `folio status`: each prompt's state, pending task ids, failures and their reasons.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each prompt's state from folio.lock: pending task ids, failures and their reasons.")

    @OptionGroup var options: ProjectOptions

    func run() async throws {
        let project = try await options.loadValidProject()
        let lock = try options.loadLockfile()
        let status = Status.json(project.prompts, lock: lock)
        if options.json {
            Output.json(status)
        } else {
            print(Status.table(status))
        }
    }
}
