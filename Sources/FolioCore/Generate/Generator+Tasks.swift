import Foundation
import NIOHTTP1

// MARK: - Task routes (Kling, Kling Omni)

extension Generator {
    func taskJob(_ prompt: Prompt, route: any TaskRoute, resume: Bool, counter: Counter) async -> Outcome {
        let g = prompt.generation
        // A running task holds one slot per image it makes.
        let held = g.expectedImages
        await slots.acquire(held)
        let outcome: Outcome
        do {
            outcome = try await taskSteps(prompt, route: route, resume: resume, counter: counter)
        } catch {
            outcome = error.outcome
        }
        await slots.release(held)
        return outcome
    }

    /// A task id from an answer or the lockfile as one URL path segment: data, never a path.
    static func pathSegment(_ id: String) -> String {
        // No '.': an id of `.` or `..` must not become a path step.
        let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
        return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// One call to a task route, classified.
    private func taskCall(_ route: any TaskRoute, _ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async -> Result<TaskSnapshot, CallFailure> {
        do {
            let reply = try await http.gateway(method, path, json: body)
            return route.classify(reply, scrub: http.endpoint.scrub)
        } catch {
            return .failure(Classify.transport(error))
        }
    }

    private func taskSteps(_ prompt: Prompt, route: any TaskRoute, resume: Bool, counter: Counter, again: Bool = false) async throws(StopJob) -> Outcome {
        let path = route.path
        var entry = await store.entry(prompt.id)
        let resumable =
            resume && entry?.inputHash == prompt.inputHash && entry?.simulated == options.simulated
            && (entry?.state == .pending || entry?.state == .submitting)
        // What this job's create reserved under the cost cap, until the task reports its cost.
        var reservation: Double?
        if !resumable {
            // The cap first: a prompt it leaves for the next run keeps its lock entry as it was.
            reservation = try await reserve(estimate(prompt.generation, images: prompt.generation.expectedImages), for: prompt.generation)
            // Write-ahead: the external id is on disk before the create is sent.
            let external = "folio-" + UUID().uuidString.lowercased()
            try await begin(prompt, state: .submitting, externalID: external)
            entry = await store.entry(prompt.id)
        }
        guard var current = entry else { throw StopJob(outcome: .failed(LockError(kind: .server, code: nil, message: "the lockfile entry vanished"))) }

        if current.state == .submitting {
            guard let external = current.externalTaskID else {
                throw StopJob(outcome: .failed(LockError(kind: .invalid, code: nil, message: "a submitting entry without external_task_id")))
            }
            let snapshot: TaskSnapshot
            do {
                snapshot = try await createOnce(
                    prompt, route: route, external: external, lookupFirst: resumable, reservation: &reservation, counter: counter)
            } catch {
                // Refused at create: no task was made, so nothing was spent.
                if case .failed = error.outcome, let reservation {
                    await options.spending?.settle(reservation, spent: 0, key: Self.capKey(prompt.generation.route, prompt.generation.model))
                }
                throw error
            }
            try await commit(prompt.id) { e in
                e.state = .pending
                e.taskID = snapshot.taskID
                e.requestID = snapshot.requestID ?? e.requestID
            }
            current = await store.entry(prompt.id) ?? current
        }
        guard let taskID = current.taskID else {
            throw StopJob(outcome: .failed(LockError(kind: .invalid, code: nil, message: "a pending entry without task_id")))
        }
        await events(.submitted(id: prompt.id, taskID: taskID))

        // Poll until the task ends or the deadline passes; a failing query is retried like any call.
        let poller = Poller(timing: options.timing, timeout: options.pollTimeout)
        let final: TaskSnapshot
        switch await poller.poll({ await withRetries(prompt.id) { await taskCall(route, .GET, "\(path)/\(Self.pathSegment(taskID))") } }) {
        case .finished(let snapshot):
            final = snapshot
        case .failed(let failure) where failure.unknownTask:
            // The create answered with this id, so the task was made (and paid for): "unknown" now is
            // no proof that it failed (another key, a gateway hiccup). Keep it, never create again by itself.
            return .pending(
                """
                the gateway does not know task \(taskID) (\(failure.summary)); it stays pending and a later run asks again. \
                Check that ANYINT_API_KEY is the key that created it; edit the prompt to generate it anew
                """)
        case .failed(let failure):
            // The task is paid for: whatever the query said (a rotated key, arrears, an outage),
            // keep polling it on later runs rather than giving it up.
            return .pending("task \(taskID): \(failure.summary); a later run polls it again")
        case .timedOut(let status):
            return .pending("task \(taskID) is still \(status) after \(Int(options.pollTimeout)) s; run again to resume it")
        case .interrupted:
            return .pending("interrupted while polling task \(taskID)")
        }
        await settle(reservation, task: final, route: prompt.generation.route, model: prompt.generation.model)
        if final.status == "failed" {
            let message = final.message ?? "the task failed"
            let kind: LockError.Kind = message.lowercased().contains("risk control") || message.lowercased().contains("content") ? .moderation : .server
            return await fail(prompt.id, LockError(kind: kind, code: "task_failed", message: message))
        }
        guard !final.urls.isEmpty else {
            return await fail(prompt.id, LockError(kind: .server, code: nil, message: "the task succeeded without images"))
        }
        // Indices the lockfile can hold: no answer may list more images than that.
        guard final.urls.count <= LockOutput.maxIndex else {
            return await fail(
                prompt.id, LockError(kind: .invalid, code: nil, message: "the task answered \(final.urls.count) images, more than any prompt asks for"))
        }
        // The URLs first: if a download breaks, a later run fetches them instead of paying again.
        try await commit(prompt.id) { e in
            e.cost = final.cost
            e.outputs = final.urls.enumerated().map { index, url in
                e.outputs.first { $0.index == index && $0.url == url && $0.asset != nil }
                    ?? LockOutput(index: index, url: url, asset: nil)
            }
        }
        for (index, url) in final.urls.enumerated() {
            let known = await store.entry(prompt.id)?.outputs.first(where: { $0.index == index })
            if let known, AssetCheck.present(known, project: project) { continue }
            let stored: StoredAsset
            do throws(StopJob) {
                stored = try await save(.url(url), id: prompt.id)
                if known?.url == url { try expect(stored, matches: known) }
            } catch {
                // The host says the task's images are gone: with --regenerate, a new task at once (once).
                guard error.isMissing, options.regenerate, !again else { throw error }
                return try await taskSteps(prompt, route: route, resume: false, counter: counter, again: true)
            }
            try await commit(prompt.id) { e in
                guard let slot = e.outputs.firstIndex(where: { $0.index == index }) else { return }
                e.outputs[slot] = LockOutput(index: index, url: url, asset: stored)
            }
        }
        try await commit(prompt.id) { e in
            e.state = .succeeded
            e.error = nil
        }
        return .generated
    }

    /// Finds the task by its external id (when resuming) or creates it; never creates twice for one external id.
    private func createOnce(
        _ prompt: Prompt, route: any TaskRoute, external: String, lookupFirst: Bool, reservation: inout Double?, counter: Counter
    ) async throws(StopJob) -> TaskSnapshot {
        let g = prompt.generation
        var lookup = lookupFirst
        var tries = 0
        while true {
            if lookup {
                switch await withRetries(prompt.id, { await taskCall(route, .GET, "\(route.path)/\(Self.pathSegment(external))") }) {
                case .success(let snapshot): return snapshot
                case .failure(let failure) where failure.unknownTask: break
                case .failure(let failure):
                    throw StopJob(outcome: .pending("cannot tell whether task \(external) exists: \(failure.summary); a later run looks again"))
                }
            }
            let references = try referenceBytes(g)
            let body = route.body(g, externalID: external, references: references)
            // A create resumed from `submitting` asks the cost cap here, once: the gateway did not know it.
            if reservation == nil { reservation = try await reserve(estimate(g, images: g.expectedImages), for: g) }
            counter.add()
            let result = await taskCall(route, .POST, route.path, body: body)
            switch result {
            case .success(let snapshot): return snapshot
            case .failure(let failure):
                guard failure.retryable, tries + 1 < options.attempts else {
                    if failure.retryable {
                        throw StopJob(outcome: .pending("create of \(external) kept failing (\(failure.summary)); a later run looks it up and tries again"))
                    }
                    throw StopJob(outcome: await fail(prompt.id, failure.lockError))
                }
                // An answer lost in transit may hide a task that exists: look before creating again.
                // Only Kling's own rate limits (1302, 1303) say for certain that nothing was created;
                // after any other failure the task may exist, so look before creating again.
                lookup = !(failure.code == "1302" || failure.code == "1303")
                let delay = options.timing.retryDelay(attempt: tries, after: failure)
                tries += 1
                await events(.retrying(id: prompt.id, attempt: tries, delay: delay, reason: failure.summary))
                try? await options.timing.sleep(delay)
            }
        }
    }
}
