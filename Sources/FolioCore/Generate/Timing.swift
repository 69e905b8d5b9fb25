import Foundation

/// Every wait generation makes, as parameters, so tests run in milliseconds.
public struct Timing: Sendable {
    /// Full-jitter backoff: a try waits a random time up to min(cap, base · 2^attempt).
    public var retryBase: Double = 1
    public var retryCap: Double = 60
    /// Kling tasks are polled from this delay, growing by `pollGrowth` up to `pollMax`.
    public var pollInitial: Double = 2
    public var pollMax: Double = 15
    public var pollGrowth: Double = 1.5
    /// Multiplies every wait above and every delay a provider asks for.
    public var scale: Double = 1
    /// Sleeps for the given seconds; replaced in tests.
    public var sleep: @Sendable (Double) async throws -> Void = { seconds in
        if seconds > 0 { try await Task.sleep(for: .seconds(seconds)) }
    }
    /// A uniform number in [0, 1); replaced in tests.
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }

    public init() {}

    /// The wait before retry number `attempt` (0 for the first retry) after `failure`.
    func retryDelay(attempt: Int, after failure: CallFailure) -> Double {
        // A provider's asked-for wait is honoured up to the cap; past it the retries run out sooner instead.
        if let asked = failure.retryAfter { return min(max(asked, failure.minimumDelay), retryCap) * scale }
        let ceiling = min(retryCap, retryBase * pow(2, Double(attempt)))
        return max(random() * ceiling, failure.minimumDelay) * scale
    }

    /// The wait before poll number `poll` (0 for the first).
    func pollDelay(_ poll: Int) -> Double {
        min(pollMax, pollInitial * pow(pollGrowth, Double(poll))) * scale
    }
}

/// Concurrency slots: a request holds one while in flight, a running Kling task holds `n`.
actor SlotPool {
    let capacity: Int
    private var available: Int
    private var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        available = max(1, capacity)
    }

    /// Waits for `count` slots (at most the whole pool), first come first served.
    func acquire(_ count: Int) async {
        let count = min(max(count, 1), capacity)
        if waiters.isEmpty, available >= count {
            available -= count
            return
        }
        await withCheckedContinuation { waiters.append((count, $0)) }
    }

    func release(_ count: Int) {
        available += min(max(count, 1), capacity)
        while let first = waiters.first, available >= first.count {
            available -= first.count
            waiters.removeFirst()
            first.continuation.resume()
        }
    }

    /// Runs `body` holding `count` slots.
    func with<T: Sendable>(_ count: Int, _ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire(count)
        defer { release(count) }
        return try await body()
    }
}
