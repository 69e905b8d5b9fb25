/// What generation reports as it goes; the command line turns these into progress lines.
public enum GenerationEvent: Sendable {
    /// A prompt's work began.
    case started(id: String, route: RouteID, action: PlanAction)
    /// A Kling task exists (created now or found again) and is being polled.
    case submitted(id: String, taskID: String)
    /// A call failed in a way worth trying again, after `delay` seconds.
    case retrying(id: String, attempt: Int, delay: Double, reason: String)
    /// Every image of the prompt is in `assets/`.
    case generated(id: String, images: Int)
    /// Nothing to do.
    case cached(id: String)
    /// Its task is still running; a later run resumes it.
    case pending(id: String, reason: String)
    case failed(id: String, error: LockError)
    /// Its assets are gone and cannot be fetched again without `--regenerate`.
    case missing(id: String, reason: String)
}

/// What a generation run came to.
public struct GenerationReport: Sendable {
    public var generated: [String] = []
    public var downloaded: [String] = []
    public var cached: [String] = []
    public var pending: [(id: String, reason: String)] = []
    public var failed: [(id: String, error: LockError)] = []
    public var missing: [(id: String, reason: String)] = []
    /// Prompts the cost cap left for the next run: nothing more was sent for them.
    public var deferred: [(id: String, reason: String)] = []
    /// Create requests sent to the gateway.
    public var requests = 0
    /// What the run spent under its cost cap, when one was set.
    public var spending: SpendingReport?
    public var seconds: Double = 0

    /// Calls that were sent and got no usable answer, so may have been charged (failures of kind `uncertain`).
    /// Counted for this run only: an earlier run's uncertain failure is listed, not counted again.
    public var uncertain = 0

    /// `12 generated, 3 cached, 1 failed in 41 s`.
    public var summary: String {
        var parts = ["\(generated.count) generated"]
        if !downloaded.isEmpty { parts.append("\(downloaded.count) downloaded again") }
        parts.append("\(cached.count) cached")
        if !pending.isEmpty { parts.append("\(pending.count) pending") }
        if !deferred.isEmpty { parts.append("\(deferred.count) left for the next run") }
        parts.append("\(failed.count) failed")
        if !missing.isEmpty { parts.append("\(missing.count) missing") }
        let time = seconds < 10 ? String(format: "%.1f s", seconds) : "\(Int(seconds.rounded())) s"
        let spent = spending.map { "; spent \(Money.text($0.spent, currency: nil)) of a cap of \(Money.text($0.limit, currency: $0.currency))" } ?? ""
        return parts.joined(separator: ", ") + " in \(time)" + spent
    }

    /// SPEC §4: 3 while tasks are pending or prompts were left for the next run by the cost cap
    /// (either way, running again finishes the work), 4 when prompts failed or lost their assets, else 0.
    public var exitStatus: ExitStatus {
        if !pending.isEmpty || !deferred.isEmpty { return .pending }
        if !failed.isEmpty || !missing.isEmpty { return .partial }
        return .ok
    }

    /// This report and `other`'s, as one run's (the generate and download steps each make one).
    public func adding(_ other: GenerationReport) -> GenerationReport {
        var sum = self
        sum.generated = (generated + other.generated).sorted()
        sum.downloaded = (downloaded + other.downloaded).sorted()
        sum.cached = (cached + other.cached).sorted()
        sum.pending = (pending + other.pending).sorted { $0.id < $1.id }
        sum.failed = (failed + other.failed).sorted { $0.id < $1.id }
        sum.missing = (missing + other.missing).sorted { $0.id < $1.id }
        sum.deferred = (deferred + other.deferred).sorted { $0.id < $1.id }
        sum.requests += other.requests
        // Both runs share one cap: the later report has spent at least what the earlier one did.
        sum.spending = [spending, other.spending].compactMap { $0 }.max { $0.spent < $1.spent }
        sum.uncertain += other.uncertain
        // The two runs overlap (downloads run beside generation): the longer is the time taken.
        sum.seconds = max(seconds, other.seconds)
        return sum
    }
}
