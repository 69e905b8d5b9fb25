import Foundation
import Synchronization

/// Waiting for SIGINT or SIGTERM without a thread blocked on it.
public enum Signals {
    public static func waitForInterrupt() async {
        var sources: [DispatchSourceSignal] = []
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Once(continuation)
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { once.resume() }
                source.resume()
                sources.append(source)
            }
        }
        for source in sources { source.cancel() }
    }

    /// Resumes a continuation the first time only.
    final class Once: Sendable {
        private let state: Mutex<CheckedContinuation<Void, Never>?>
        init(_ continuation: CheckedContinuation<Void, Never>) { state = Mutex(continuation) }
        func resume() { state.withLock { $0.take() }?.resume() }
    }
}
