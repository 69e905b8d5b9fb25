import Foundation
import Synchronization

/// Options of one generation run.
public struct GenerationOptions: Sendable {
    /// Requests in flight at once; a running Kling task holds `n` of them.
    public var jobs = 4
    /// `gateway.retries`: how many times in all (the first try included) a retryable call is sent.
    public var retries = 5
    /// Tries of one call in all, at least one.
    var attempts: Int { max(1, retries) }
    /// How long a Kling task is polled before it is left pending, in seconds.
    public var pollTimeout: Double = 600
    public var maxDownloadBytes = 50 * 1024 * 1024
    public var retryFailed = false
    public var regenerate = false
    /// Running against the simulator: entries are marked `simulated`.
    public var simulated = false
    /// `prices:`, for what each create is expected to cost and what it spent.
    public var prices = Prices()
    /// The run's cost cap, when one is set: every create asks it first.
    public var spending: SpendingCap?
    public var timing = Timing()

    public init() {}
}

/// Turns the plan into images on disk: calls the routes, polls tasks, downloads, and records every
/// step in the lockfile before the next one happens.
public struct Generator: Sendable {
    let prompts: [Prompt]
    let project: URL
    let store: LockStore
    let http: GatewayHTTP
    let options: GenerationOptions
    let events: @Sendable (GenerationEvent) async -> Void
    let slots: SlotPool
    let downloads: SlotPool
    let downloader: Downloader

    public init(
        prompts: [Prompt], project: URL, store: LockStore, http: GatewayHTTP, options: GenerationOptions,
        events: @escaping @Sendable (GenerationEvent) async -> Void
    ) {
        self.prompts = prompts.filter { !$0.draft }
        self.project = project
        self.store = store
        self.http = http
        self.options = options
        self.events = events
        slots = SlotPool(capacity: options.jobs)
        downloads = SlotPool(capacity: max(2, options.jobs))
        downloader = Downloader(http: http, project: project, maxBytes: options.maxDownloadBytes)
    }

    /// Removes what runs killed before this one left half-written (downloads, lockfile writes).
    /// Once per build, holding the run lock and before any `run`: a sweep beside a running
    /// download would take its temporary file.
    public func removeLeftovers() {
        downloader.removeLeftovers()
        Lockfile.removeLeftovers(project: project)
    }

    /// Runs the job of every planned prompt in `entries`; one prompt's failure never stops the others.
    public func run(_ entries: [PlanEntry]) async -> GenerationReport {
        let clock = ContinuousClock()
        let start = clock.now
        let byID = Dictionary(uniqueKeysWithValues: prompts.map { ($0.id, $0) })
        var report = GenerationReport()
        await withTaskGroup(of: JobResult.self) { group in
            for entry in entries {
                guard let prompt = byID[entry.id] else { continue }
                group.addTask { await self.job(prompt, entry) }
            }
            for await result in group {
                report.requests += result.requests
                switch result.outcome {
                case .generated: report.generated.append(result.id)
                case .downloaded: report.downloaded.append(result.id)
                case .cached: report.cached.append(result.id)
                case .pending(let reason): report.pending.append((result.id, reason))
                case .deferred(let reason): report.deferred.append((result.id, reason))
                case .failed(let error):
                    report.failed.append((result.id, error))
                    if error.kind == .uncertain, result.requests > 0 || result.foundUncertain { report.uncertain += 1 }
                case .missing(let reason): report.missing.append((result.id, reason))
                }
            }
        }
        report.generated.sort()
        report.downloaded.sort()
        report.cached.sort()
        report.pending.sort { $0.id < $1.id }
        report.failed.sort { $0.id < $1.id }
        report.missing.sort { $0.id < $1.id }
        report.deferred.sort { $0.id < $1.id }
        if let spending = options.spending { report.spending = await spending.report }
        let elapsed = start.duration(to: clock.now)
        report.seconds = elapsed / .seconds(1)
        return report
    }

    // MARK: - One prompt

    enum Outcome: Sendable {
        case generated, downloaded, cached
        case pending(String)
        /// Not sent: the cost cap was reached; the next run makes it.
        case deferred(String)
        case failed(LockError)
        case missing(String)
    }

    struct JobResult: Sendable {
        var id: String
        var outcome: Outcome
        var requests = 0
        /// An uncertain call of an earlier, stopped run, found by this one.
        var foundUncertain = false
    }

    /// Counts create requests sent by one job.
    final class Counter: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    private func job(_ prompt: Prompt, _ plan: PlanEntry) async -> JobResult {
        let counter = Counter()
        let outcome: Outcome
        switch plan.action {
        case .cached:
            await events(.cached(id: prompt.id))
            return JobResult(id: prompt.id, outcome: .cached)
        case .failed:
            if let entry = await store.entry(prompt.id), entry.state == .pending, !entry.inFlight.isEmpty {
                // Found now: a request an earlier run left in flight. Recorded as uncertain, not sent.
                let error = LockError(kind: .uncertain, code: nil, message: Planner.interrupted(entry))
                let outcome = await fail(prompt.id, error)
                await events(.failed(id: prompt.id, error: error))
                return JobResult(id: prompt.id, outcome: outcome, foundUncertain: true)
            }
            let error = await store.entry(prompt.id)?.error ?? LockError(kind: .server, code: nil, message: plan.reason ?? "failed")
            await events(.failed(id: prompt.id, error: error))
            return JobResult(id: prompt.id, outcome: .failed(error))
        case .missing:
            await events(.missing(id: prompt.id, reason: plan.reason ?? "assets missing"))
            return JobResult(id: prompt.id, outcome: .missing(plan.reason ?? "assets missing"))
        case .download:
            await events(.started(id: prompt.id, route: prompt.generation.route, action: .download))
            outcome = await redownload(prompt, counter: counter)
        case .new, .stale, .resume:
            await events(.started(id: prompt.id, route: prompt.generation.route, action: plan.action))
            let resume = plan.action == .resume
            switch prompt.generation.route.definition.calls {
            case .sync(let route): outcome = await syncJob(prompt, route: route, counter: counter)
            case .task(let route): outcome = await taskJob(prompt, route: route, resume: resume, counter: counter)
            }
        }
        switch outcome {
        case .generated, .downloaded:
            await events(.generated(id: prompt.id, images: await store.entry(prompt.id)?.outputs.count ?? 0))
        case .pending(let reason), .deferred(let reason): await events(.pending(id: prompt.id, reason: reason))
        case .failed(let error): await events(.failed(id: prompt.id, error: error))
        case .missing(let reason): await events(.missing(id: prompt.id, reason: reason))
        case .cached: break
        }
        return JobResult(id: prompt.id, outcome: outcome, requests: counter.count)
    }

    // MARK: Lockfile steps

    static func now() -> String { Timestamp.format(Date()) }

    /// Writes a change to the prompt's entry; a failed write stops that prompt.
    func commit(_ id: String, _ change: @escaping @Sendable (inout LockEntry) -> Void) async throws(StopJob) {
        do {
            try await store.commit(id) { entry in
                guard var current = entry else { return }
                change(&current)
                current.updatedAt = Self.now()
                entry = current
            }
        } catch {
            throw StopJob(outcome: .failed(LockError(kind: .server, code: nil, message: "cannot write folio.lock: \(error)")))
        }
    }

    func begin(_ prompt: Prompt, state: LockEntry.State, externalID: String? = nil) async throws(StopJob) {
        let g = prompt.generation
        let now = Self.now()
        let simulated = options.simulated
        do {
            try await store.commit(prompt.id) { entry in
                entry = LockEntry(
                    inputHash: prompt.inputHash, route: g.route, model: g.model, state: state, externalTaskID: externalID,
                    createdAt: now, updatedAt: now, simulated: simulated, generation: g.record)
            }
        } catch {
            throw StopJob(outcome: .failed(LockError(kind: .server, code: nil, message: "cannot write folio.lock: \(error)")))
        }
    }

    func fail(_ id: String, _ error: LockError) async -> Outcome {
        let project = project
        do {
            try await commit(id) {
                $0.state = .failed
                $0.error = error
                Self.forgetUnstored(&$0, project: project)
            }
        } catch {
            return error.outcome
        }
        return .failed(error)
    }

    /// Clears the in-flight marks; an inline image named for a call in flight whose file was never
    /// stored was not received, so its output goes too (the call stays in doubt, not "missing").
    static func forgetUnstored(_ entry: inout LockEntry, project: URL) {
        let doubtful = entry.inFlight
        entry.outputs.removeAll { doubtful.contains($0.index) && $0.url == nil && !AssetCheck.present($0, project: project) }
        entry.inFlight = []
    }

    /// Ends a job early with an outcome.
    struct StopJob: Error {
        var outcome: Outcome

        var isMissing: Bool {
            if case .missing = outcome { return true }
            return false
        }
    }

    // MARK: Calls with retries

    /// Calls `attempt` until it succeeds, fails for good, or the retries run out.
    func withRetries<T: Sendable>(_ id: String, _ attempt: () async -> Result<T, CallFailure>) async -> Result<T, CallFailure> {
        var tries = 0
        while true {
            let result = await attempt()
            guard case .failure(let failure) = result, failure.retryable, tries + 1 < options.attempts else { return result }
            let delay = options.timing.retryDelay(attempt: tries, after: failure)
            tries += 1
            await events(.retrying(id: id, attempt: tries, delay: delay, reason: failure.summary))
            do { try await options.timing.sleep(delay) } catch { return result }
        }
    }

    func referenceBytes(_ g: Generation) throws(StopJob) -> [Data] {
        var list: [Data] = []
        for image in g.images {
            guard let data = FileManager.default.contents(atPath: project.appendingPathComponent(image.path).path),
                SHA256Hex.of(data) == image.sha256
            else {
                throw StopJob(
                    outcome: .failed(LockError(kind: .invalid, code: nil, message: "reference image \(image.path) changed or vanished during the build")))
            }
            list.append(data)
        }
        return list
    }
}

// MARK: - Sync routes

extension Generator {
    func syncJob(_ prompt: Prompt, route: any SyncRoute, counter: Counter) async -> Outcome {
        do {
            return try await syncSteps(prompt, route: route, counter: counter)
        } catch {
            return error.outcome
        }
    }

    private func syncSteps(_ prompt: Prompt, route: any SyncRoute, counter: Counter) async throws(StopJob) -> Outcome {
        let g = prompt.generation
        let references = try referenceBytes(g)
        var entry = await store.entry(prompt.id)
        // As it was before this job: put back when the cost cap leaves the prompt for the next run.
        let before = entry
        let callEstimate = estimate(g, images: 1)
        let resumable = entry?.state == .pending || entry?.state == .failed || (entry?.state == .succeeded && options.regenerate)
        if entry?.inputHash == prompt.inputHash, entry?.simulated == options.simulated, resumable {
            // Variants already received were paid for: keep them, make only the rest. With
            // --regenerate, one whose file is gone and whose URL has expired is made again.
            // (A request left in flight by a stopped run reaches here only with --retry-failed.)
            let project = project, regenerate = options.regenerate
            try await commit(prompt.id) { e in
                e.state = .pending
                e.error = nil
                Self.forgetUnstored(&e, project: project)
                if regenerate {
                    let snapshot = e
                    e.outputs.removeAll { !AssetCheck.present($0, project: project) && !AssetCheck.urlAlive($0, entry: snapshot, now: Date()) }
                }
            }
        } else {
            try await begin(prompt, state: .pending)
        }
        entry = await store.entry(prompt.id)
        var lost: [Int] = []
        variants: for variant in 0..<g.n {
            // A variant whose link the host reports gone is made again at once under --regenerate
            // (once), whatever the link's clock says.
            var regenerated = false
            while true {
                let known = entry?.outputs.first { $0.index == variant }
                if let known, AssetCheck.present(known, project: project) { continue variants }
                let image: ResultImage
                if let known, let url = known.url {
                    image = .url(url)
                } else if let known, known.asset != nil {
                    // An inline image that was received and paid for, whose file is gone or changed:
                    // made again only with --regenerate (which dropped it above).
                    lost.append(known.index)
                    continue variants
                } else {
                    let path = route.path(g)
                    let body = route.body(g, variant: variant, references: references)
                    var marked = false
                    var reserved: Double?
                    var deferred = false
                    let result = await withRetries(prompt.id) { () async -> Result<SyncResult, CallFailure> in
                        await slots.acquire(1)
                        // The cost cap is asked once per call, when it holds its slot: as it would be sent.
                        if !marked, reserved == nil, let spending = options.spending {
                            guard let amount = await spending.reserve(callEstimate, key: Self.capKey(g.route, g.model)) else {
                                await slots.release(1)
                                deferred = true
                                return .failure(CallFailure(kind: .server, message: "the cost cap is reached", retryable: false))
                            }
                            reserved = amount
                        }
                        // Write-ahead, as Kling's `submitting`, once the request holds its slot: a run
                        // that stops before the answer is recorded leaves this mark, and the next run
                        // does not send the request again. One still waiting for a slot was never sent.
                        if !marked {
                            do throws(StopJob) {
                                try await commit(prompt.id) { e in if !e.inFlight.contains(variant) { e.inFlight.append(variant) } }
                                marked = true
                            } catch {
                                await slots.release(1)
                                let reason = if case .failed(let failure) = error.outcome { failure.message } else { "cannot write folio.lock" }
                                return .failure(CallFailure(kind: .server, message: reason, retryable: false))
                            }
                        }
                        counter.add()
                        let answer: Result<SyncResult, CallFailure>
                        do {
                            let reply = try await http.gateway(.POST, path, json: body)
                            answer = route.classify(reply, scrub: http.endpoint.scrub)
                        } catch {
                            // Sent, but no answer: the provider may have made (and charged for) the image.
                            answer = .failure(Classify.transport(error).forPaidCreate)
                        }
                        await slots.release(1)
                        return answer
                    }
                    if deferred { return try await leaveForNextRun(prompt, before: before, sentAny: counter.count > 0) }
                    await settle(reserved, result, route: g.route, model: g.model)
                    let answer: SyncResult
                    switch result {
                    case .success(let value): answer = value
                    case .failure(let failure) where failure.retryable:
                        // A passing trouble that outlasted the retries (none of which reached the
                        // provider or was charged): the entry stays pending, nothing is lost.
                        try await commit(prompt.id) { e in e.inFlight.removeAll { $0 == variant } }
                        return .pending("\(failure.summary); the variants received are kept, a later run makes the rest")
                    case .failure(let failure): return await fail(prompt.id, failure.lockError)
                    }
                    image = answer.images[0]
                    let inline: StoredAsset? = if case .inline(let bytes, _) = image { downloader.identity(bytes) } else { nil }
                    try await commit(prompt.id) { e in
                        if case .url(let url) = image {
                            // A URL recorded can be downloaded later: the request is no longer in doubt.
                            e.inFlight.removeAll { $0 == variant }
                            e.outputs.removeAll { $0.index == variant }
                            e.outputs.append(LockOutput(index: variant, url: url, asset: nil))
                            e.outputs.sort { $0.index < $1.index }
                        } else if let inline {
                            // The file an inline image is about to be stored as, named first: a run that
                            // stops once it is stored finds it there; one that stops before is still in doubt.
                            e.outputs.removeAll { $0.index == variant }
                            e.outputs.append(LockOutput(index: variant, url: nil, asset: inline))
                            e.outputs.sort { $0.index < $1.index }
                        }
                        if let text = answer.text { e.text = e.text.map { $0 == text ? $0 : $0 + "\n\n" + text } ?? text }
                        e.cost = Self.addCost(e.cost, answer.cost)
                        e.requestID = answer.requestID ?? e.requestID
                    }
                }
                let stored: StoredAsset
                do throws(StopJob) {
                    stored = try await save(image, id: prompt.id)
                    if case .url = image { try expect(stored, matches: known) }
                } catch {
                    guard error.isMissing, options.regenerate, case .url = image, !regenerated else { throw error }
                    regenerated = true
                    try await commit(prompt.id) { e in e.outputs.removeAll { $0.index == variant } }
                    entry = await store.entry(prompt.id)
                    continue
                }
                let url: String? = if case .url(let u) = image { u } else { nil }
                try await commit(prompt.id) { e in
                    e.inFlight.removeAll { $0 == variant }
                    e.outputs.removeAll { $0.index == variant }
                    e.outputs.append(LockOutput(index: variant, url: url, asset: stored))
                    e.outputs.sort { $0.index < $1.index }
                    if e.outputs.count == g.n, e.outputs.allSatisfy({ $0.asset != nil }), e.inFlight.isEmpty {
                        e.state = .succeeded
                        e.error = nil
                    }
                }
                entry = await store.entry(prompt.id)
                continue variants
            }
        }
        if !lost.isEmpty {
            let which = lost.map(String.init).joined(separator: ", ")
            return .missing(
                "the image of variant \(which) is gone from assets/ and had no URL; restore it from version control, or run with --regenerate to generate it again"
            )
        }
        if entry?.state != .succeeded {
            // Every variant was there already: stored by a run that stopped before saying so.
            try await commit(prompt.id) { e in
                guard e.outputs.count == g.n, e.outputs.allSatisfy({ $0.asset != nil }), e.inFlight.isEmpty else { return }
                e.state = .succeeded
                e.error = nil
            }
        }
        return .generated
    }

    /// Adds up what each call reported: `CostTotals.counters` by key, anything else (DashScope's
    /// `width` and `height`) kept from the last call.
    static func addCost(_ total: JSONValue?, _ more: JSONValue?) -> JSONValue? {
        guard let more else { return total }
        guard case .object(let old)? = total, case .object(let new) = more else { return more }
        var pairs = old
        for (key, value) in new {
            if CostTotals.counters.contains(key), let index = pairs.firstIndex(where: { $0.0 == key }), let a = pairs[index].1.intValue, let b = value.intValue
            {
                pairs[index].1 = .int(a + b)
            } else if let index = pairs.firstIndex(where: { $0.0 == key }) {
                pairs[index].1 = value
            } else {
                pairs.append((key, value))
            }
        }
        return .object(pairs)
    }

    /// Stores an inline image or downloads a URL, retrying a broken download.
    func save(_ image: ResultImage, id: String) async throws(StopJob) -> StoredAsset {
        switch image {
        case .inline(let bytes, _):
            do {
                return try downloader.store(bytes)
            } catch {
                throw StopJob(outcome: await fail(id, LockError(kind: .server, code: nil, message: error.message)))
            }
        case .url(let url):
            var tries = 0
            while true {
                await downloads.acquire(1)
                let result: Result<StoredAsset, DownloadFailure>
                do {
                    result = .success(try await downloader.download(url))
                } catch {
                    result = .failure(error)
                }
                await downloads.release(1)
                switch result {
                case .success(let stored): return stored
                case .failure(let failure):
                    guard failure.retryable, tries + 1 < options.attempts else {
                        if failure.gone {
                            throw StopJob(outcome: .missing("the image URL has expired (\(failure.message)); run with --regenerate to generate it again"))
                        }
                        // The image was paid for and its URL is recorded: never a failure that
                        // --retry-failed would pay for again, but pending until it can be fetched.
                        throw StopJob(outcome: .pending("download failed: \(failure.message); the URL is kept, a later run downloads it"))
                    }
                    let delay = options.timing.retryDelay(attempt: tries, after: CallFailure(kind: .network, message: failure.message, retryable: true))
                    tries += 1
                    await events(.retrying(id: id, attempt: tries, delay: delay, reason: "download: \(failure.message)"))
                    try? await options.timing.sleep(delay)
                }
            }
        }
    }

    /// Downloads the assets of a succeeded entry whose files are gone but whose URLs should still work.
    /// A link the host says is gone is forgotten, so no later run tries it again.
    func redownload(_ prompt: Prompt, counter: Counter) async -> Outcome {
        do throws(StopJob) {
            guard let entry = await store.entry(prompt.id) else { return .missing("no lockfile entry") }
            for output in entry.outputs where !AssetCheck.present(output, project: project) {
                if AssetCheck.waived(output, of: prompt, entry: entry, now: Date()) { continue }
                guard let url = output.url else { return .missing("an inline image is gone and has no URL; run with --regenerate") }
                let saved: Result<StoredAsset, StopJob>
                do { saved = .success(try await save(.url(url), id: prompt.id)) } catch { saved = .failure(error) }
                if case .failure(let stop) = saved, stop.isMissing {
                    // The host says the link is gone: it is forgotten, and with --regenerate the
                    // images are made again now.
                    try await commit(prompt.id) { e in
                        if let index = e.outputs.firstIndex(where: { $0.index == output.index }) { e.outputs[index].url = nil }
                    }
                    if options.regenerate { return await regenerateGone(prompt, output: output.index, counter: counter) }
                }
                let stored = try saved.get()
                // Other bytes than were paid for (the link is kept: a later answer may be right);
                // with --regenerate, made again like a gone link.
                do throws(StopJob) {
                    try expect(stored, matches: output)
                } catch {
                    if options.regenerate { return await regenerateGone(prompt, output: output.index, counter: counter) }
                    throw error
                }
                try await commit(prompt.id) { e in
                    guard let index = e.outputs.firstIndex(where: { $0.index == output.index }) else { return }
                    e.outputs[index] = LockOutput(index: output.index, url: url, asset: stored)
                }
            }
            return .downloaded
        } catch {
            return error.outcome
        }
    }
}

extension Generator {
    /// A download of an image whose SHA-256 is recorded must give those bytes: what a URL serves
    /// later is not taken for what was paid for. (The new file stays in assets/ for `folio clean`.)
    func expect(_ stored: StoredAsset, matches known: LockOutput?) throws(StopJob) {
        guard let known = known?.asset, known.sha256 != stored.sha256 else { return }
        throw StopJob(
            outcome: .missing(
                """
                the image at its URL is not the one recorded (SHA-256 \(stored.sha256.prefix(12))… instead of \(known.sha256.prefix(12))…), \
                so it was not used; restore \(known.file) from version control, or run with --regenerate
                """))
    }

    /// Generates a succeeded prompt again whose image link turned out dead: a sync route makes only
    /// the lost variant, a task route a new task.
    func regenerateGone(_ prompt: Prompt, output index: Int, counter: Counter) async -> Outcome {
        switch prompt.generation.route.definition.calls {
        case .sync(let route):
            do {
                try await commit(prompt.id) { e in
                    e.state = .pending
                    e.outputs.removeAll { $0.index == index }
                }
            } catch {
                return error.outcome
            }
            return await syncJob(prompt, route: route, counter: counter)
        case .task(let route):
            return await taskJob(prompt, route: route, resume: false, counter: counter)
        }
    }
}

extension CallFailure {
    init(kind: LockError.Kind, message: String, retryable: Bool) {
        self.init(kind: kind, code: nil, message: message, retryable: retryable)
    }
}

extension LockError {
    var outcome: Generator.Outcome { .failed(self) }
}
