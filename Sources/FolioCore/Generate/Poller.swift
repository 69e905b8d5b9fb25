import Foundation

/// Polls a task until it ends: explicit outcomes, a growing delay (2 s → 15 s by default), a deadline,
/// and a clock and sleep that tests replace.
struct Poller: Sendable {
    /// How polling ended.
    enum Outcome: Sendable {
        /// The task reached `succeed` or `failed`.
        case finished(TaskSnapshot)
        /// A query failed for good (or kept failing past its retries).
        case failed(CallFailure)
        /// The deadline passed while the task was still in `status`.
        case timedOut(status: String)
        /// The wait was cancelled.
        case interrupted
    }

    var timing: Timing
    /// Seconds from the first poll to giving up.
    var timeout: Double
    /// Seconds on a monotonic clock; replaced in tests.
    var now: @Sendable () -> Double = {
        let elapsed = ContinuousClock.now - Poller.origin
        return elapsed / .seconds(1)
    }

    static let origin = ContinuousClock.now

    /// Calls `query` until the task finishes, sleeping `timing.pollDelay(k)` between polls.
    func poll(_ query: () async -> Result<TaskSnapshot, CallFailure>) async -> Outcome {
        let deadline = now() + timeout
        var count = 0
        while true {
            switch await query() {
            case .failure(let failure):
                return .failed(failure)
            case .success(let snapshot):
                if snapshot.finished { return .finished(snapshot) }
                guard now() < deadline else { return .timedOut(status: snapshot.status) }
                do {
                    try await timing.sleep(timing.pollDelay(count))
                } catch {
                    return .interrupted
                }
                count += 1
            }
        }
    }
}
