import Foundation

/// The lockfile shared by concurrent jobs: every change is written atomically before `commit` returns.
/// Changes that arrive while a write is under way go together in the next write (group commit).
public actor LockStore {
    public let project: URL
    public private(set) var lock: Lockfile
    private var version = 0
    private var written = 0
    private var writing = false
    private var waiters: [(version: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    /// Files written, for tests and benchmarks.
    public private(set) var writes = 0
    /// Each entry's text in the file, and the entries changed since it was taken: the file is
    /// written after every change, and encoding all of a 10,000-entry lockfile each time made the
    /// writes, not the gateway, what a long run waited on.
    private var fragments: [String: [UInt8]] = [:]
    private var changed: Set<String> = []

    public init(project: URL, lock: Lockfile) {
        self.project = project
        self.lock = lock
        changed = Set(lock.entries.keys)
    }

    public func entry(_ id: String) -> LockEntry? { lock.entries[id] }

    /// Applies `change` to entry `id` and returns once a lockfile holding it is on disk.
    public func commit(_ id: String, _ change: @Sendable (inout LockEntry?) -> Void) async throws {
        var entry = lock.entries[id]
        change(&entry)
        lock.entries[id] = entry
        changed.insert(id)
        version += 1
        let mine = version
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            waiters.append((mine, continuation))
            if !writing { flush() }
        }
    }

    private func flush() {
        writing = true
        for id in changed { fragments[id] = lock.entries[id].map { Lockfile.fragment(id, $0) } }
        changed.removeAll()
        let pieces = fragments.keys.sorted().map { fragments[$0]! }
        let upTo = version
        let file = project.appendingPathComponent(Lockfile.fileName)
        // Put together and written off the actor, so jobs can queue their next changes meanwhile.
        Task.detached {
            let result: Result<Void, any Error>
            do {
                try AtomicFile.write(Lockfile.assemble(pieces), to: file)
                result = .success(())
            } catch {
                result = .failure(error)
            }
            await self.finished(upTo: upTo, result)
        }
    }

    private func finished(upTo: Int, _ result: Result<Void, any Error>) {
        writes += 1
        if case .success = result { written = upTo }
        let done = waiters.filter { $0.version <= upTo }
        waiters.removeAll { $0.version <= upTo }
        for waiter in done { waiter.continuation.resume(with: result) }
        writing = false
        if !waiters.isEmpty { flush() }
    }
}
