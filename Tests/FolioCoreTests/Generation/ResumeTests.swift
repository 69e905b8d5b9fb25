import AsyncHTTPClient
@testable import FolioCore
import FolioSimulator
import Foundation
import NIOCore
import Testing

/// The built `folio` binary, killed with SIGKILL mid-generation and run again: nothing is paid twice.
@Suite(.serialized) struct ResumeTests {
    func start(_ h: GenerationHarness, output: URL) throws -> Process {
        let process = Process()
        process.executableURL = TestPaths.folio
        process.arguments = ["generate", "--project", h.root.path]
        process.environment = h.binaryEnvironment()
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits until the lockfile shows `id` in `state` (and, for pending, with a task id).
    func waitForState(_ h: GenerationHarness, _ id: String, _ state: LockEntry.State) async throws -> LockEntry {
        for _ in 0..<1000 {
            if let entry = try? Lockfile.load(project: h.root).entries[id], entry.state == state, state != .pending || entry.taskID != nil {
                return entry
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw FolioError("\(id) never reached \(state)")
    }

    @Test func killedWhileAKlingTaskIsPendingItResumesByPolling() async throws {
        try await GenerationHarness.with(
            files: ["prompts/k.md": promptFile("kling", "resume me", "n: 2")],
            configure: { $0.timeScale = 0.1 }
        ) { h in
            let log = h.root.appendingPathComponent("run1.log")
            let first = try start(h, output: log)
            defer { killAndWait(first) }
            let pending = try await waitForState(h, "k", .pending)
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(first.terminationReason == .uncaughtSignal)
            #expect(try Lockfile.load(project: h.root).entries["k"]?.state == .pending)

            let second = try await runFolioOnAThread(["generate", "--project", h.root.path], environment: h.binaryEnvironment())
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            let entry = try #require(try Lockfile.load(project: h.root).entries["k"])
            #expect(entry.state == .succeeded)
            #expect(entry.taskID == pending.taskID)
            #expect(entry.outputs.count == 2)
            for output in entry.outputs { #expect(FileManager.default.fileExists(atPath: h.root.appendingPathComponent(try #require(output.asset).file).path)) }
            #expect(await h.creates("resume me") == 1, "exactly one create for the prompt")
            #expect(h.filesContaining(GenerationHarness.key).isEmpty)
            #expect(!second.stdout.contains(GenerationHarness.key) && !second.stderr.contains(GenerationHarness.key))
        }
    }

    @Test func killedBetweenTheCreateAndItsAnswerItRecoversByExternalTaskID() async throws {
        try await GenerationHarness.with(
            files: ["prompts/k.md": promptFile("kling-omni", "stalled answer [[sim:stall 1.5s]]")],
            configure: { $0.timeScale = 0.001 }
        ) { h in
            let first = try start(h, output: h.root.appendingPathComponent("run1.log"))
            defer { killAndWait(first) }
            let submitting = try await waitForState(h, "k", .submitting)
            let external = try #require(submitting.externalTaskID)
            // Wait until the gateway has the task (the create arrived), then kill before its answer.
            var known = false
            for _ in 0..<200 where !known {
                known = try await taskKnown(h, external)
                if !known { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(known)
            kill(first.processIdentifier, SIGKILL)
            first.waitUntilExit()
            #expect(try Lockfile.load(project: h.root).entries["k"]?.state == .submitting)

            let second = try await runFolioOnAThread(["generate", "--project", h.root.path], environment: h.binaryEnvironment())
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            let entry = try #require(try Lockfile.load(project: h.root).entries["k"])
            #expect(entry.state == .succeeded)
            #expect(entry.externalTaskID == external)
            #expect(entry.outputs.count == 1)
            // The stalled create finishes on the simulator's side after its pause; only then is it logged.
            try await Task.sleep(for: .seconds(1.6))
            #expect(await h.creates("stalled answer") == 1, "recovered by external_task_id: still one create")
            let lookups = await h.simulator.requests().filter { $0.kind == "query" && $0.path.hasSuffix(external) }
            #expect(!lookups.isEmpty)
        }
    }

    /// Whether the simulator knows a task by its external id (asked the way a client would).
    func taskKnown(_ h: GenerationHarness, _ external: String) async throws -> Bool {
        var request = HTTPClientRequest(url: "\(h.simulator.baseURL)/transtreams/kling/v1/images/omni-image/\(external)")
        request.headers.add(name: "Authorization", value: "Bearer \(GenerationHarness.key)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(Array(buffer: body))))?["code"]?.intValue == 0
    }
}
