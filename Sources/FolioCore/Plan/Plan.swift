import Foundation

/// What a build would do with one prompt.
public enum PlanAction: String, Sendable, Codable, CaseIterable {
    /// Never generated: requests will be sent.
    case new
    /// Generated from the same input, assets present: nothing to do.
    case cached
    /// The prompt changed since it was generated: requests will be sent; old assets stay.
    case stale
    /// A task is pending (or was being submitted): polled, not created again.
    case resume
    /// Failed before; kept failed until the prompt changes or `--retry-failed`.
    case failed
    /// Assets missing but their URLs are still valid: downloaded again, not regenerated.
    case download
    /// Assets missing and their URLs expired: regenerated only with `--regenerate`.
    case missing
}

/// One prompt's line of a plan.
public struct PlanEntry: Sendable, Hashable {
    public var id: String
    public var file: String
    public var route: RouteID
    public var model: String
    /// Where the prompt stands, decided once by `PromptState.of`.
    public var state: PromptState
    public var action: PlanAction
    /// Create requests a build would send (polls not counted).
    public var requests: Int
    /// Files a build would download again.
    public var downloads: Int
    /// Why, when the action needs explaining.
    public var reason: String?
    /// The prompt's input hash, as the lockfile records it.
    public var inputHash: String
    /// What the gateway reported for this prompt's current entry, if anything.
    public var cost: JSONValue?
    /// What the creates a build would send are expected to cost at `prices:` (0 with none to
    /// send); nil when no price applies. Set by `Plan.priced`.
    public var estimatedCost: Double? = nil
    /// What the prompt's whole generation is expected to cost at `prices:`, whatever its state:
    /// what `folio status` sets beside what was spent. Set by `Plan.priced`.
    public var generationCost: Double? = nil
    /// A stale entry's changed generation keys; nil for every other action.
    public var changes: GenerationChanges? = nil
}

/// Per-route counts of a plan.
public struct PlanTotals: Sendable, Hashable {
    public var counts: [PlanAction: Int] = [:]
    public var requests = 0
    public var downloads = 0
    /// What the gateway reported for the entries already generated.
    public var costs: [JSONValue] = []
}

/// What `folio build` would do, computed without network.
public struct Plan: Sendable {
    public var entries: [PlanEntry]
    public var drafts: Int
    /// The prices the estimates were made with (`Plan.priced`).
    public var prices = Prices()

    public var totals: [RouteID: PlanTotals] {
        var totals: [RouteID: PlanTotals] = [:]
        for entry in entries {
            totals[entry.route, default: PlanTotals()].counts[entry.action, default: 0] += 1
            totals[entry.route]!.requests += entry.requests
            totals[entry.route]!.downloads += entry.downloads
            if let cost = entry.cost { totals[entry.route]!.costs.append(cost) }
        }
        return totals
    }

    /// Create requests over all routes.
    public var requests: Int { entries.reduce(0) { $0 + $1.requests } }
}

/// Options that change what a build would send.
public struct PlanOptions: Sendable {
    /// Generate failed entries again.
    public var retryFailed = false
    /// Generate entries whose assets are gone and whose URLs expired.
    public var regenerate = false
    /// The moment URL lifetimes are measured against.
    public var now = Date()
    /// Planning a `--simulate` run: simulated entries count as made.
    public var simulated = false

    public init(retryFailed: Bool = false, regenerate: Bool = false, now: Date = Date(), simulated: Bool = false) {
        self.retryFailed = retryFailed
        self.regenerate = regenerate
        self.now = now
        self.simulated = simulated
    }
}

/// Compares prompts with the lockfile and the asset store.
public enum Planner {
    /// The plan for `prompts` (drafts skipped) against `lock`, checking assets under `project`.
    public static func plan(_ prompts: [Prompt], lock: Lockfile, project: URL, options: PlanOptions = PlanOptions()) -> Plan {
        var entries: [PlanEntry] = []
        var drafts = 0
        for prompt in prompts {
            if prompt.draft {
                drafts += 1
                continue
            }
            entries.append(entry(for: prompt, lock: lock.entries[prompt.id], project: project, options: options))
        }
        return Plan(entries: entries, drafts: drafts)
    }

    /// `plan` after generation turned `before` into `after`: a prompt whose entry generation
    /// changed, or that had work to do, is planned again; a cached prompt keeps its action, and only
    /// its state is taken again (an asset may have been edited or deleted while the build ran: one
    /// `stat` per output, its hash remembered).
    public static func refresh(
        _ plan: Plan, prompts: [Prompt], before: Lockfile, after: Lockfile, project: URL, options: PlanOptions = PlanOptions()
    ) -> Plan {
        let byID = Dictionary(prompts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var refreshed = plan
        for (position, line) in plan.entries.enumerated() {
            guard let prompt = byID[line.id] else { continue }
            let entry = after.entries[line.id]
            if line.action == .cached, before.entries[line.id] == entry {
                refreshed.entries[position].state = PromptState.of(prompt, entry: entry, project: project)
            } else {
                refreshed.entries[position] = self.entry(for: prompt, lock: entry, project: project, options: options)
            }
        }
        return refreshed
    }

    /// What a build would do with `prompt`, from its state and `options`.
    static func entry(for prompt: Prompt, lock: LockEntry?, project: URL, options: PlanOptions) -> PlanEntry {
        let g = prompt.generation
        let state = PromptState.of(prompt, entry: lock, project: project)
        var entry = PlanEntry(
            id: prompt.id, file: prompt.file, route: g.route, model: g.model, state: state, action: .new,
            requests: g.requests, downloads: 0, reason: nil, inputHash: prompt.inputHash, cost: lock?.cost)
        guard let lock else { return entry }
        if state == .stale {
            entry.action = .stale
            entry.reason = "the prompt changed since it was generated"
            entry.changes = GenerationChanges.between(recorded: lock.generation, inputHash: lock.inputHash, prompt: prompt)
            return entry
        }
        guard lock.simulated == options.simulated else {
            entry.action = .stale
            entry.reason = "made by the simulator (--simulate); a real build generates it"
            entry.changes = GenerationChanges.between(recorded: lock.generation, inputHash: lock.inputHash, prompt: prompt)
            return entry
        }
        switch state {
        case .new, .stale:
            break  // answered above
        case .pending(let outputs) where g.route.rules.style == .sync && !Planner.inDoubt(lock, outputs).isEmpty && !options.retryFailed:
            // A run stopped while a create was on its way: it may have been charged.
            entry.action = .failed
            entry.requests = 0
            entry.reason = "uncertain: \(Planner.interrupted(lock))"
        case .pending(let outputs) where g.route.rules.style == .sync:
            // A sync route's pending entry holds the variants received so far.
            // Received: an image on disk, a URL to fetch it from, or an inline image once stored (paid
            // for: if its file is gone it is made again only with --regenerate).
            let doubtful = Planner.inDoubt(lock, outputs)
            let received = outputs.filter { ($0.output.url != nil || $0.output.asset != nil) && !doubtful.contains($0.output.index) }
            let absent = received.filter { !$0.isUsable }
            let expired = absent.filter { !AssetCheck.urlAlive($0.output, entry: lock, now: options.now) }
            entry.action = options.regenerate && !expired.isEmpty ? .new : .resume
            entry.requests = max(0, g.n - received.count) + (options.regenerate ? expired.count : 0)
            entry.downloads = absent.count
            entry.reason = "\(received.count) of \(g.n) variants received; the rest are generated"
        case .pending:
            entry.action = .resume
            entry.requests = 0
            entry.reason = "task \(lock.taskID ?? "?") is pending; it is polled, not created again"
        case .submitting:
            // At most one create: only if the gateway does not know the external id.
            entry.action = .resume
            entry.requests = 1
            entry.reason = "looked up by external_task_id \(lock.externalTaskID ?? "?"); created only if the gateway does not know it"
        case .failed:
            if options.retryFailed {
                entry.reason = "retrying a failed generation (--retry-failed)"
            } else {
                entry.action = .failed
                entry.requests = 0
                entry.reason = lock.error.map { "\($0.kind.rawValue): \($0.message)" } ?? "failed"
            }
        case .succeeded(let outputs):
            // A hidden variant gone for good is no reason to generate the prompt again, or to report it.
            let missing = outputs.filter { !$0.isUsable && !AssetCheck.waived($0.output, of: prompt, entry: lock, now: options.now) }
            if missing.isEmpty, !outputs.isEmpty {
                entry.action = .cached
                entry.requests = 0
                return entry
            }
            // A changed or refused asset is named, so it is not mistaken for a plain missing file.
            let problems = missing.compactMap(\.asset.problem)
            let named = problems.isEmpty ? "" : " (\(problems.joined(separator: "; ")))"
            let fetchable = missing.allSatisfy { AssetCheck.urlAlive($0.output, entry: lock, now: options.now) }
            if fetchable, !missing.isEmpty {
                entry.action = .download
                entry.requests = 0
                entry.downloads = missing.count
                entry.reason =
                    "\(missing.count) asset\(missing.count == 1 ? "" : "s") missing or changed\(named); downloaded again from \(missing.count == 1 ? "its URL" : "their URLs")"
            } else if options.regenerate {
                entry.reason = "assets missing or changed and their URLs expired; regenerated (--regenerate)"
            } else {
                entry.action = .missing
                entry.requests = 0
                entry.reason =
                    outputs.isEmpty
                    ? "the lockfile lists no images for it; run with --regenerate"
                    : "\(missing.count) asset\(missing.count == 1 ? "" : "s") missing or changed\(named) and the URLs have expired; restore \(missing.count == 1 ? "it" : "them") from version control, or run with --regenerate to generate again"
            }
        }
        return entry
    }
}

extension Planner {
    /// The variants a stopped run left in flight whose answer is not in `assets/`: they may have been
    /// charged, so are not sent again by themselves. (An inline image named and stored was received.)
    static func inDoubt(_ entry: LockEntry, _ outputs: [CheckedOutput]) -> [Int] {
        entry.inFlight.filter { variant in !outputs.contains { $0.output.index == variant && $0.isUsable } }
    }

    /// Why an entry left with requests in flight is not sent again by itself.
    static func interrupted(_ entry: LockEntry) -> String {
        let variants = entry.inFlight.map(String.init).joined(separator: ", ")
        return
            "an earlier run stopped while the request for variant \(variants) was on its way; it may have been charged. It is sent again only with --retry-failed"
    }
}
