import Foundation

/// The most one run may spend (`--max-cost`, else `gateway.max_cost`), in the unit of `prices:`.
///
/// Before the run, `check` refuses a plan whose estimate is over the cap or unknown. During it,
/// every create asks `reserve` first, at the moment it would be sent: it goes only if what this run
/// spent, plus the estimates of the creates still in flight, plus its own estimate stay within the
/// cap. Once one is refused, no later create is sent (a cheaper one slipping in after a refusal
/// would make the order of the jobs decide what gets made); tasks already created are still polled
/// and downloaded. What a create spent is what the gateway reported for it, at `prices:`; a report
/// that says nothing priceable counts the estimate. So the run spends at most the cap when the
/// prices' counts per image are right, and at most one call's underestimate more per call in
/// flight when the gateway charges more than they say.
public actor SpendingCap {
    public let limit: Double
    let currency: String?
    /// What this run's creates came to, from the gateway's reports.
    public private(set) var spent = 0.0
    /// The estimates of creates sent whose cost is not reported yet (a Kling task until it ends).
    public private(set) var inFlight = 0.0
    /// A create was refused: the run sends no more.
    public private(set) var reached = false

    public init(limit: Double, currency: String? = nil) {
        self.limit = limit
        self.currency = currency
    }

    /// Per route and model: how much more than the prices said the gateway has charged (the
    /// largest ratio reported, at least 1), and how many creates are in flight with no report yet.
    private var ratios: [String: Double] = [:]
    private var unreported: [String: Int] = [:]

    /// The amount reserved for a create of route and model `key` expected to cost `estimate`, if it
    /// may be sent now (it counts as in flight until `settle`); nil once the cap is reached. An
    /// unknown estimate is refused: the cap could not be kept.
    ///
    /// Until a create of `key` has reported what it cost, it is the only one of `key` in flight:
    /// the counts a price assumes (tokens or units per image) may be low, and creates sent at once
    /// on a low estimate would pass the cap by one underestimate each, not by one call. After a
    /// report, each create reserves its estimate times the largest ratio reported. A create that
    /// has waited two minutes for that first report goes at its estimate.
    func reserve(_ estimate: Double?, key: String) async -> Double? {
        var waited = 0
        while ratios[key] == nil, unreported[key, default: 0] > 0, !reached, waited < 2400 {
            try? await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        guard !reached, let estimate else {
            reached = true
            return nil
        }
        let amount = Money.rounded(estimate * (ratios[key] ?? 1))
        guard Money.rounded(spent + inFlight + amount) <= limit else {
            reached = true
            return nil
        }
        inFlight = Money.rounded(inFlight + amount)
        unreported[key, default: 0] += 1
        return amount
    }

    /// A create of `key` counted in flight at `reserved` came to `amount` (0 when it was not charged).
    func settle(_ reserved: Double, spent amount: Double, key: String) {
        inFlight = max(0, Money.rounded(inFlight - reserved))
        spent = Money.rounded(spent + amount)
        unreported[key] = max(0, unreported[key, default: 0] - 1)
        if amount > 0, reserved > 0 {
            let ratio = ratios[key] ?? 1
            ratios[key] = max(ratio, ratio * amount / reserved)
        }
    }

    /// Why a prompt was left for the next run.
    var reason: String {
        "left for the next run: the cost cap of \(Money.text(limit, currency: currency)) is reached"
    }

    /// What the run spent, for its summary.
    var report: SpendingReport {
        SpendingReport(spent: Money.rounded(spent + inFlight), limit: limit, currency: currency)
    }

    /// Refuses (exit 2) a plan whose creates are estimated over `limit`, or whose estimate is
    /// unknown (a price is missing), before anything is sent. `flag` says the cap came from `--max-cost`.
    public static func check(_ plan: Plan, limit: Double?, flag: Bool) throws(FolioError) {
        guard let limit else { return }
        let currency = plan.prices.currency
        let cap = "the cap of \(Money.text(limit, currency: currency)) (\(flag ? "--max-cost" : "gateway.max_cost in folio.yml"))"
        let unpriced = plan.unpriced
        if !unpriced.isEmpty {
            throw FolioError(
                "the plan's estimated cost is unknown, so \(cap) cannot be kept: \(Estimates.missingPrices(unpriced)); nothing was sent. Add the prices, or build without a cap.",
                exit: .invalidInput)
        }
        if let total = plan.estimatedCost, total > limit {
            let requests = plan.requests
            throw FolioError(
                "the plan's estimated cost is \(Money.text(total, currency: currency)) for \(requests) request\(requests == 1 ? "" : "s"), over \(cap); nothing was sent. Raise the cap, or build fewer prompts ('folio plan' shows each one's estimate).",
                exit: .invalidInput)
        }
    }
}

// MARK: - Creates under the cap

extension Generator {
    /// What a sync call reserved came to: the gateway's report at `prices:` (the estimate when it
    /// reports nothing the price counts); nothing for a call that failed before it was charged; the
    /// estimate for one that may have been charged without an answer (`uncertain`).
    func settle(_ reserved: Double?, _ result: Result<SyncResult, CallFailure>, route: RouteID, model: String) async {
        guard let reserved, let spending = options.spending else { return }
        switch result {
        case .success(let answer):
            let amount = options.prices.price(route: route, model: model)?.spent(cost: answer.cost, images: answer.images.count)
            await spending.settle(reserved, spent: amount ?? reserved, key: Self.capKey(route, model))
        case .failure(let failure):
            await spending.settle(reserved, spent: failure.kind == .uncertain ? reserved : 0, key: Self.capKey(route, model))
        }
    }

    /// What a finished task this run created came to: its `final_unit_deduction` (or images) at
    /// `prices:`; a failed task that reports nothing, nothing; a succeeded one, the estimate.
    func settle(_ reserved: Double?, task: TaskSnapshot, route: RouteID, model: String) async {
        guard let reserved, let spending = options.spending else { return }
        let amount = options.prices.price(route: route, model: model)?.spent(cost: task.cost, images: task.urls.count)
        await spending.settle(reserved, spent: amount ?? (task.status == "failed" ? 0 : reserved), key: Self.capKey(route, model))
    }

    /// What `images` images of `g` are expected to cost at `prices:`; nil without a price.
    func estimate(_ g: Generation, images: Int) -> Double? {
        options.prices.price(route: g.route, model: g.model)?.estimate(images: images)
    }

    /// Asks the cap before a create expected to cost `estimate`: the amount reserved, or nil
    /// without a cap; `StopJob` with the prompt left for the next run when the cap is reached.
    func reserve(_ estimate: Double?, for g: Generation) async throws(StopJob) -> Double? {
        guard let spending = options.spending else { return nil }
        guard let reserved = await spending.reserve(estimate, key: Self.capKey(g.route, g.model)) else {
            throw StopJob(outcome: .deferred(await spending.reason))
        }
        return reserved
    }

    /// What the cost cap tells creates apart by: their route and model.
    static func capKey(_ route: RouteID, _ model: String) -> String { "\(route.rawValue) \(model)" }

    /// A prompt the cap left for the next run. When this job sent nothing, its lock entry is put
    /// back as it was: a new prompt stays new, a stale one keeps the images it had.
    func leaveForNextRun(_ prompt: Prompt, before: LockEntry?, sentAny: Bool) async throws(StopJob) -> Outcome {
        let reason = await options.spending?.reason ?? "left for the next run"
        if !sentAny {
            do {
                try await store.commit(prompt.id) { $0 = before }
            } catch {
                throw StopJob(outcome: .failed(LockError(kind: .server, code: nil, message: "cannot write folio.lock: \(error)")))
            }
        }
        return .deferred(reason)
    }
}

/// What a run with a cost cap spent: the gateway's reports at `prices:`, and the estimates of tasks
/// it created that have not reported yet.
public struct SpendingReport: Sendable, Hashable {
    public var spent: Double
    public var limit: Double
    public var currency: String?
}

extension GenerationReport {
    /// The prompts the cap left for the next run, and what the run spent against it.
    var spendingLines: [String] {
        guard let spending, !deferred.isEmpty else { return [] }
        let count = deferred.count
        let listed = deferred.prefix(5).map(\.id).joined(separator: ", ") + (count > 5 ? ", …" : "")
        // A task still running has not reported its cost: it counts at its estimate.
        let estimated = pending.isEmpty ? "" : " (tasks still running at their estimate)"
        return [
            "  left for the next run: \(listed)",
            """
            The cost cap of \(Money.text(spending.limit, currency: spending.currency)) is reached: this run spent \(Money.text(spending.spent, currency: spending.currency)) \
            by the gateway's reports\(estimated), and sent no create for \(count) prompt\(count == 1 ? "" : "s"). Run again to make \(count == 1 ? "it" : "them") \
            (each run counts its own spending), or raise --max-cost.
            """,
        ]
    }
}
