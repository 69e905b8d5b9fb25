import ArgumentParser
import FolioCore
import Foundation

/// `folio plan`: what `folio build` would do and send, without sending anything.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a build would do: new, cached, stale, resumed, failed, and the requests per route.")

    @OptionGroup var options: ProjectOptions

    @Flag(name: .long, help: "Plan as if failed prompts were to be generated again.")
    var retryFailed = false

    @Flag(name: .long, help: "Plan as if prompts whose assets and URLs are gone were to be generated again.")
    var regenerate = false

    func run() async throws {
        var steps = StepTimer(verbose: options.verbose)
        let project = try await steps.run("load prompts") { try await options.loadValidProject() }
        let lock = try await steps.run("read folio.lock") { try options.loadLockfile() }
        let plan = try await steps.run("plan") {
            Planner.plan(project.prompts, lock: lock, project: project.root,
                         options: PlanOptions(retryFailed: retryFailed, regenerate: regenerate))
        }
        if options.json {
            Output.json(plan.json)
        } else {
            print(plan.table())
        }
    }
}
