import Foundation
@testable import FolioCore
import FolioSimulator
import Testing

// What a run killed in the middle of generating leaves, and what the next run makes of it: the
// findings of the crash soak (Tests/Soak/crash_soak.py), each reproduced, then held.

/// A sync call waiting for a concurrency slot has not been sent: a run killed then leaves it to be
/// sent by the next plain run, not marked as a call that may have been charged. (Every queued call
/// of a killed 200-prompt build came back uncertain.)
@Suite(.serialized) struct QueuedCallTests {
    @Test func aKilledRunMarksOnlyTheCallsItSentAsInFlight() async throws {
        // Each prompt's first call takes 1.5 s; with --jobs 1 one is in flight and three wait.
        let files = Dictionary(
            uniqueKeysWithValues: ["a", "b", "c", "d"].map { ("prompts/\($0).md", promptFile("dashscope", "queued \($0) [[sim:slow 1.5s x1]]")) })
        try await GenerationHarness.with(files: files) { h in
            let process = Process()
            process.executableURL = TestPaths.folio
            process.arguments = ["generate", "--project", h.root.path, "--jobs", "1", "--quiet"]
            process.environment = h.binaryEnvironment()
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            defer { killAndWait(process) }
            // Wait for the first call to be on its way, then kill the run in the middle of it.
            var started = false
            for _ in 0..<1000 where !started {
                started = (try? Lockfile.load(project: h.root))?.entries.values.contains { !$0.inFlight.isEmpty } ?? false
                if !started { try await Task.sleep(for: .milliseconds(5)) }
            }
            #expect(started)
            try await Task.sleep(for: .milliseconds(500))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let killed = try Lockfile.load(project: h.root)
            #expect(killed.entries.values.filter { !$0.inFlight.isEmpty }.count == 1, "only the call that was sent is in doubt: \(killed.entries)")

            // The next plain run sends the three that never left, and holds back only the one in doubt.
            let second = try await runFolioOnAThread(["generate", "--project", h.root.path], environment: h.binaryEnvironment())
            #expect(second.status == 4, "\(second.stdout)\(second.stderr)")
            let lock = try Lockfile.load(project: h.root)
            #expect(lock.entries.values.filter { $0.state == .succeeded }.count == 3)
            #expect(lock.entries.values.filter { $0.state == .failed && $0.error?.kind == .uncertain }.count == 1)
            try await Task.sleep(for: .seconds(1.2))  // the killed call is logged once its slow answer is done
            for id in ["a", "b", "c", "d"] {
                #expect(await h.creates("queued \(id) [[") == 1, "\(id) sent once")
            }
        }
    }
}

/// A Gemini image is named in folio.lock before its file is stored: a run killed once the file is in
/// assets/ leaves it found, not paid for again and left unreferenced. (The soak found one such file
/// that no entry named, and its prompt generated twice, after 30 kills.)
@Suite(.serialized) struct StoredInlineImageTests {
    /// Generates `g`, then leaves the lockfile as a run killed after storing its image would have.
    func killedAfterStoring(_ h: GenerationHarness) async throws -> (Lockfile, String) {
        _ = try await h.generate()
        var lock = try Lockfile.load(project: h.root)
        let file = try #require(lock.entries["g"]?.outputs.first?.asset?.file)
        lock.entries["g"]?.state = .pending
        lock.entries["g"]?.inFlight = [0]
        try lock.write(project: h.root)
        return (lock, file)
    }

    @Test func anImageStoredBeforeTheRunStoppedIsKeptNotSentAgain() async throws {
        try await GenerationHarness.with(files: ["prompts/g.md": promptFile("gemini", "stored fox")]) { h in
            let (lock, file) = try await killedAfterStoring(h)
            let plan = Planner.plan(await ProjectLoader.load(h.root).prompts, lock: lock, project: h.root)
            #expect(plan.entries.first?.action == .resume, "\(plan.entries.first?.reason ?? "")")
            let (report, after, _) = try await h.generate()
            #expect(report.generated == ["g"], "\(report.failed)")
            #expect(await h.creates("stored fox") == 1)
            #expect(after.entries["g"]?.state == .succeeded && after.entries["g"]?.inFlight == [])
            #expect(h.assetFiles() == [String(file.dropFirst("assets/".count))])
        }
    }

    @Test func anImageNamedButNeverStoredIsStillInDoubtAndSentAgainOnlyWhenAsked() async throws {
        try await GenerationHarness.with(files: ["prompts/g.md": promptFile("gemini", "named fox")]) { h in
            let (_, file) = try await killedAfterStoring(h)
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(file))
            let (plain, _, _) = try await h.generate()
            #expect(plain.failed.map(\.error.kind) == [.uncertain])
            #expect(await h.creates("named fox") == 1)
            let (retried, after, _) = try await h.generate(retryFailed: true)
            #expect(retried.generated == ["g"], "sent again, not 'missing': \(retried.missing)")
            #expect(await h.creates("named fox") == 2)
            let named = Set(after.entries.values.flatMap(\.outputs).compactMap { $0.asset?.file.dropFirst("assets/".count) }.map(String.init))
            #expect(Set(h.assetFiles()) == named)
        }
    }

    @Test func anImageThatCannotBeStoredIsNotLeftNamed() async throws {
        let outside = TestPaths.temporaryFolder("folio-outside")
        defer { try? FileManager.default.removeItem(at: outside) }
        try await GenerationHarness.with(files: ["prompts/g.md": promptFile("gemini", "homeless fox")]) { h in
            try FileManager.default.createSymbolicLink(at: h.root.appendingPathComponent("assets"), withDestinationURL: outside)
            let (report, lock, _) = try await h.generate()
            #expect(report.failed.map(\.id) == ["g"])
            #expect(lock.entries["g"]?.outputs == [], "no output names a file that was never stored")
        }
    }
}

/// The temporary files of a download, or of a lockfile write, that a run was killed in the middle of
/// are removed by the next run.
@Suite(.serialized) struct LeftoverFileTests {
    @Test func aPartialDownloadLeftByAKilledRunIsRemoved() async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile("dashscope", "a shoe")]) { h in
            let assets = h.root.appendingPathComponent("assets")
            try FileManager.default.createDirectory(at: assets, withIntermediateDirectories: true)
            let partial = assets.appendingPathComponent(".download-0A6D9B0E-2C1F-4C39-9D1B-5A1E0C6A7F00.part")
            try Data([0x89, 0x50, 0x4E, 0x47]).write(to: partial)
            let (report, lock, _) = try await h.generate()
            #expect(report.generated == ["d"])
            #expect(!FileManager.default.fileExists(atPath: partial.path))
            #expect(h.assetFiles() == lock.entries["d"]!.outputs.compactMap { $0.asset?.file.dropFirst("assets/".count) }.map(String.init))
        }
    }

    @Test func aLockfileWriteInterruptedByAKillLeavesNoTemporaryFileBehind() async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile("dashscope", "a boot")]) { h in
            // A process that has ended, as a killed run has, and this one, which is alive.
            let gone = Process()
            gone.executableURL = URL(fileURLWithPath: "/bin/true")
            try gone.run()
            gone.waitUntilExit()
            let stale = h.root.appendingPathComponent(".folio.lock.\(gone.processIdentifier).12345.tmp")
            let live = h.root.appendingPathComponent(".folio.lock.\(getpid()).12345.tmp")
            for url in [stale, live] { try Data("{".utf8).write(to: url) }
            let (report, _, _) = try await h.generate()
            #expect(report.generated == ["d"])
            #expect(!FileManager.default.fileExists(atPath: stale.path), "the write of a process that is gone")
            #expect(FileManager.default.fileExists(atPath: live.path), "a live process's write is its own")
        }
    }
}

/// `runFolio` on a thread of its own: the simulator the run talks to lives in this process, and a
/// test that waited on the cooperative pool could starve it (two cores, two pool threads).
func runFolioOnAThread(_ arguments: [String], environment: [String: String]) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try runFolio(arguments, environment: environment) }) }.start()
    }
}
