import ArgumentParser
import FolioCore
import Foundation

/// `folio plan`: what `folio build` would do and send, without sending anything.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a build would do: new, cached, stale, resumed, failed, and the requests per route.")

    @OptionGroup var options: ProjectOptions

    @Flag(name: .long, help: "Plan as if failed prompts were to be generated again.") var retryFailed = false

    @Flag(name: .long, help: "Plan as if prompts whose assets and URLs are gone were to be generated again.") var regenerate = false

    @Flag(name: .long, help: "Plan as 'build --simulate' would: simulated images count as made, real ones are not mixed in.") var simulate = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Also write the plan to FILE, with the digest of every input, for 'folio build --plan FILE' to follow exactly.", valueName: "FILE"))
    var out: String?

    func run() async throws {
        let build = try await options.run(Pipeline.plan) { ($0.retryFailed, $0.regenerate, $0.simulate) = (retryFailed, regenerate, simulate) }
        guard let plan = build.plan else { return }
        if let out {
            // Written exactly where it was checked.
            let file = try SavedPlan.destination.check(SavedPlan.file(out, in: build.options.workingFolder), shown: out, project: build.options.project)
            try SavedPlan(build).write(to: file)
            let requests = "\(plan.requests) request\(plan.requests == 1 ? "" : "s")"
            if !options.quiet { Console.error("wrote \(out); 'folio build --plan \(out)' sends exactly its \(requests), or nothing", tone: .dim) }
        }
        if options.json {
            var json = plan.json
            if !build.routeMoves.isEmpty, case .object(var pairs) = json {
                pairs.append(("moves", .array(build.routeMoves.map { .object([("from", .string($0.from)), ("to", .string($0.to))]) })))
                json = .object(pairs)
            }
            Console.json(json)
            return
        }
        print(plan.table())
        // Moves are the plan's too: a build writes them to folio.lock before anything else.
        if !options.quiet {
            for move in build.routeMoves {
                Console.error("\(move.from) is now \(move.to) (its file gained or lost routes): its entry moves, nothing is generated again", tone: .dim)
            }
        }
    }
}

/// `folio status`: each prompt's state, pending task ids, failures and their reasons.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each prompt's state from folio.lock: pending task ids, failures and their reasons.")

    @OptionGroup var options: ProjectOptions

    func run() async throws {
        let build = try await options.run(Pipeline.plan)
        guard let plan = build.plan else { return }
        let status = Status.json(plan, lock: build.lock, prompts: build.project?.prompts ?? [])
        if options.json { Console.json(status) } else { print(Status.table(status)) }
    }
}

/// `folio clean`: list, then with `--yes` delete, assets and lock entries no prompt refers to.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean", abstract: "List assets and lock entries no prompt refers to; delete them with --yes.")

    @OptionGroup var options: ProjectOptions

    @Flag(help: "Delete what is listed.") var yes = false

    func validate() throws { try options.refuseJSON(in: "clean") }

    func run() async throws {
        let build = try await options.run([.load, .clean]) { $0.deleteUnreferenced = yes }
        guard let plan = build.clean else { return }
        // Without --yes the listing is what was asked for; --quiet leaves only it.
        if plan.isEmpty {
            if !options.quiet { print("nothing to clean") }
            return
        }
        if !(yes && options.quiet) { plan.listing.forEach { print($0) } }
        if !options.quiet { print(yes ? "removed \(plan.summary)" : "\(plan.summary) would be removed; run 'folio clean --yes' to remove them") }
    }
}
