import Foundation
@testable import FolioCore
import Synchronization
import Testing

/// The poller and the backoff, on a fake clock: no test here waits for real.
@Suite struct PollerTests {
    /// A clock that only moves when the code under test sleeps.
    final class FakeClock: Sendable {
        let state = Mutex<(now: Double, sleeps: [Double])>((0, []))
        var now: Double { state.withLock { $0.now } }
        var sleeps: [Double] { state.withLock { $0.sleeps } }
        func sleep(_ seconds: Double) {
            state.withLock {
                $0.now += seconds; $0.sleeps.append(seconds)
            }
        }
    }

    func timing(_ clock: FakeClock) -> Timing {
        var timing = Timing()
        timing.sleep = { clock.sleep($0) }
        timing.random = { 0.5 }
        return timing
    }

    func snapshot(_ status: String) -> TaskSnapshot {
        TaskSnapshot(taskID: "t", status: status, message: nil, urls: status == "succeed" ? ["u"] : [], cost: nil, requestID: nil)
    }

    @Test func delaysGrowFromTwoToFifteenSeconds() async {
        let clock = FakeClock()
        let poller = Poller(timing: timing(clock), timeout: 600, now: { clock.now })
        let polls = Mutex(0)
        let outcome = await poller.poll {
            let n = polls.withLock {
                $0 += 1; return $0
            }
            return .success(snapshot(n < 10 ? "processing" : "succeed"))
        }
        guard case .finished(let final) = outcome else { Issue.record("\(outcome)"); return }
        #expect(final.status == "succeed")
        #expect(clock.sleeps == [2, 3, 4.5, 6.75, 10.125, 15, 15, 15, 15])
    }

    @Test func theDeadlineLeavesTheTaskPending() async {
        let clock = FakeClock()
        let poller = Poller(timing: timing(clock), timeout: 60, now: { clock.now })
        let outcome = await poller.poll { .success(snapshot("processing")) }
        guard case .timedOut(let status) = outcome else { Issue.record("\(outcome)"); return }
        #expect(status == "processing")
        #expect(clock.now >= 60 && clock.now < 80)
    }

    @Test func aQueryFailureEndsPolling() async {
        let clock = FakeClock()
        let poller = Poller(timing: timing(clock), timeout: 60, now: { clock.now })
        let outcome = await poller.poll { .failure(CallFailure(kind: .invalid, code: "1203", message: "task not found", retryable: false, unknownTask: true)) }
        guard case .failed(let failure) = outcome else { Issue.record("\(outcome)"); return }
        #expect(failure.unknownTask)
        #expect(clock.sleeps.isEmpty)
    }

    @Test func backoffIsFullJitterCappedAndHonoursAskedDelays() {
        var t = Timing()
        t.random = { 0.999 }
        let plain = CallFailure(kind: .server, message: "x", retryable: true)
        #expect(
            (0..<8).map { (t.retryDelay(attempt: $0, after: plain) * 1000).rounded() / 1000 } == [0.999, 1.998, 3.996, 7.992, 15.984, 31.968, 59.94, 59.94])
        t.random = { 0 }
        #expect(t.retryDelay(attempt: 3, after: plain) == 0)
        var kling = plain
        kling.minimumDelay = 1
        #expect(t.retryDelay(attempt: 0, after: kling) == 1, "Kling's rate limits back off from at least 1 s")
        var asked = plain
        asked.retryAfter = 15
        #expect(t.retryDelay(attempt: 5, after: asked) == 15)
        t.scale = 0.01
        #expect(t.retryDelay(attempt: 5, after: asked) == 0.15)
    }

    @Test func retryDelayAndRetryAfterAreRead() {
        let body =
            #"{"error": {"code": 429, "message": "slow down", "status": "RESOURCE_EXHAUSTED", "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "15s"}]}}"#
        let reply = HTTPReply(status: 429, headers: [], body: Array(body.utf8))
        guard case .failure(let failure) = Gemini().classify(reply, scrub: { $0 }) else { Issue.record("not a failure"); return }
        #expect(failure.retryable && failure.retryAfter == 15)
        let header = HTTPReply(status: 429, headers: [("Retry-After", "7")], body: Array(#"{"code": 1302, "message": "too fast", "request_id": "r"}"#.utf8))
        guard case .failure(let kling) = Kling().classify(header, scrub: { $0 }) else { Issue.record("not a failure"); return }
        #expect(kling.retryAfter == 7 && kling.retryable && kling.code == "1302")
    }

    @Test func klingIsBranchedOnCodeNotStatus() {
        func kind(_ status: Int, _ code: Int) -> (LockError.Kind, Bool)? {
            let reply = HTTPReply(status: status, headers: [], body: Array(#"{"code": \#(code), "message": "m", "request_id": "r"}"#.utf8))
            guard case .failure(let f) = Kling().classify(reply, scrub: { $0 }) else { return nil }
            return (f.kind, f.retryable)
        }
        #expect(kind(429, 1102)! == (.billing, false))
        #expect(kind(429, 1101)! == (.billing, false))
        #expect(kind(429, 1302)! == (.server, true))
        #expect(kind(429, 1303)! == (.server, true))
        #expect(kind(429, 1304)! == (.auth, false))
        #expect(kind(400, 1301)! == (.moderation, false))
        #expect(kind(401, 1002)! == (.auth, false))
        #expect(kind(500, 5000)! == (.server, true))
        #expect(kind(200, 1201)! == (.invalid, false))
    }

    @Test func aGatewayErrorInAnotherEnvelopeKeepsAShortExcerptAndNoKey() {
        let long = String(repeating: "x", count: 900)
        let reply = HTTPReply(status: 402, headers: [], body: Array(#"{"error": "no credit for key sk-abc123456 \#(long)"}"#.utf8))
        guard case .failure(let f) = DashScope().classify(reply, scrub: { $0.replacingOccurrences(of: "sk-abc123456", with: "[redacted]") }) else {
            Issue.record("not a failure")
            return
        }
        #expect(f.kind == .billing)
        #expect(f.code == "402")
        #expect(f.message.count <= 510)
        #expect(!f.message.contains("sk-abc123456"))
        #expect(f.message.contains("[redacted]"))
    }
}
