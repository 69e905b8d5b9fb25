import Foundation
@testable import FolioCore
import FolioSimulator
import Synchronization
import Testing

/// The build pipeline the binary runs, driven in-process: its steps in order, the plan computed
/// once, the lockfile kept in memory, and an error that names the step it stopped in.
@Suite(.serialized) struct PipelineTests {
    /// Options for a simulated build of `project`, with fast waits and small images.
    static func options(_ project: URL, out: String? = nil) -> BuildOptions {
        var environment: [String: String] = ["FOLIO_TIME_SCALE": "0.002", "FOLIO_SIM_IMAGE_SCALE": "8"]
        environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
        var options = BuildOptions(project: project, out: out, workingFolder: project, environment: environment)
        options.simulate = true
        options.startSimulator = GatewaySimulator.forBuilds
        return options
    }

    /// Every event the build reported, in order.
    final class Events: Sendable {
        private let list = Mutex<[BuildEvent]>([])
        func add(_ event: BuildEvent) { list.withLock { $0.append(event) } }
        var all: [BuildEvent] { list.withLock { $0 } }
        var stepNames: [String] { all.compactMap { if case .step(_, let name, _) = $0 { name } else { nil } } }
    }

    @Test func aBuildRunsItsNamedStepsInOrderAndASecondFindsNothingToDo() async throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        let events = Events()
        var first = BuildState(options: Self.options(copy), observer: { events.add($0) })
        try await Pipeline.run(Pipeline.build, &first)
        #expect(events.stepNames == ["load", "plan", "generate", "download", "render images", "write pages", "check links", "prune"])
        #expect(first.timings.map(\.name) == events.stepNames)
        #expect(first.exitStatus == .ok)
        #expect(first.generation?.generated.count == 13)
        // The lockfile in memory is the one on disk: rendering read no other.
        let onDisk = try Lockfile.load(project: copy)
        #expect(first.lock.entries.keys.sorted() == onDisk.entries.keys.sorted())
        #expect(first.lock.entries.values.allSatisfy { $0.state == .succeeded })
        #expect(first.render?.pages == 30)
        // The plan, brought up to date after generating, shows every new image: no placeholders.
        #expect(first.render?.placeholders.isEmpty == true)
        #expect(first.plan?.entries.allSatisfy { if case .succeeded = $0.state { true } else { false } } == true)
        #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("site/p/posters/launch/index.html").path))

        var second = BuildState(options: Self.options(copy))
        try await Pipeline.run(Pipeline.build, &second)
        #expect(second.generation?.cached.count == 13)
        #expect(second.generation?.requests == 0)
        #expect(second.render?.written == 0)
        #expect(second.plan?.entries.allSatisfy { $0.action == .cached } == true)
    }

    @Test func aForbiddenOutputFolderStopsTheLoadStepBeforeAnythingIsLockedOrPaidFor() async throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var state = BuildState(options: Self.options(copy, out: "."))
        let error = await #expect(throws: FolioError.self) { try await Pipeline.run(Pipeline.build, &state) }
        #expect(error?.step == "load")
        #expect(error?.exit == .invalidInput)
        #expect(error?.report.hasSuffix("(stopped in the 'load' step)") == true)
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent(".folio/run.lock").path), "no run lock taken")
        #expect(state.generation == nil)
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("folio.lock").path), "nothing generated")
    }

    @Test func aDamagedLockfileStopsTheLoadStepAndNamesTheFile() async throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        try Data("{ not json".utf8).write(to: copy.appendingPathComponent("folio.lock"))
        var state = BuildState(options: Self.options(copy))
        let error = await #expect(throws: FolioError.self) { try await Pipeline.run(Pipeline.render, &state) }
        #expect(error?.step == "load")
        #expect(error?.path == "folio.lock")
        #expect(error?.exit == .error)
        #expect(error?.report.hasPrefix("error: folio.lock is damaged: not valid JSON") == true)
    }

    @Test func aBrokenTemplateStopsTheRenderImagesStepWithExitTwo() async throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var generated = BuildState(options: Self.options(copy))
        try await Pipeline.run(Pipeline.generate, &generated)
        let templates = copy.appendingPathComponent("templates")
        try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
        try Data("{{#items}} never closed".utf8).write(to: templates.appendingPathComponent("card.mustache"))
        let events = Events()
        var state = BuildState(options: Self.options(copy), observer: { events.add($0) })
        let error = await #expect(throws: FolioError.self) { try await Pipeline.run(Pipeline.render, &state) }
        #expect(error?.step == "render images")
        #expect(error?.exit == .invalidInput)
        #expect(error?.report.hasPrefix("the templates have errors") == true)
        let reported: [Diagnostic] = events.all.flatMap { event -> [Diagnostic] in if case .diagnostics(let list) = event { list } else { [] } }
        #expect(reported.contains { $0.file == "templates/card.mustache" && $0.severity == .error })
    }

    @Test func aThemeFileLinkedOutOfTheProjectIsNeverPublished() async throws {
        let copy = try copySampleProject()
        let secret = TestPaths.temporaryFolder("folio-secret")
        defer {
            try? FileManager.default.removeItem(at: copy)
            try? FileManager.default.removeItem(at: secret)
        }
        try FileManager.default.createDirectory(at: secret, withIntermediateDirectories: true)
        try Data("private key\n".utf8).write(to: secret.appendingPathComponent("id"))
        let css = copy.appendingPathComponent("templates/folio.css")
        try FileManager.default.createDirectory(at: css.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: css)
        try FileManager.default.createSymbolicLink(at: css, withDestinationURL: secret.appendingPathComponent("id"))
        let events = Events()
        var state = BuildState(options: Self.options(copy), observer: { events.add($0) })
        let error = await #expect(throws: FolioError.self) { try await Pipeline.run(Pipeline.build, &state) }
        #expect(error?.step == "render images")
        let reported: [Diagnostic] = events.all.flatMap { event -> [Diagnostic] in if case .diagnostics(let list) = event { list } else { [] } }
        #expect(reported.contains { $0.file == "templates/folio.css" && $0.message.contains("resolves outside the project") })
        let published = copy.appendingPathComponent("site/static/folio.css")
        #expect((try? String(contentsOf: published, encoding: .utf8))?.contains("private key") != true)
    }

    @Test func renderExitsFourWhenAPromptFailedAndTheStampRemembersIt() async throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var generated = BuildState(options: Self.options(copy))
        try await Pipeline.run(Pipeline.generate, &generated)
        // One entry marked failed by hand: the site shows a placeholder, and render exits 4.
        var lock = try Lockfile.load(project: copy)
        lock.entries["posters/launch"]?.state = .failed
        lock.entries["posters/launch"]?.error = LockError(kind: .moderation, code: "IMAGE_SAFETY", message: "blocked")
        try lock.write(project: copy)
        // Inputs changed within two seconds of a render are "racy" and get no stamp: wait them out.
        try await Task.sleep(for: .seconds(3))
        var render = BuildState(options: Self.options(copy))
        try await Pipeline.run(Pipeline.render, &render)
        #expect(render.exitStatus == .partial)
        #expect(render.timings.map(\.name).contains("prune"))
        var again = BuildState(options: Self.options(copy))
        try await Pipeline.run(Pipeline.render, &again)
        #expect(again.timings.map(\.name) == ["stat inputs"], "answered from the stamp")
        #expect(again.exitStatus == .partial)
        #expect(again.render?.placeholders.map(\.id) == ["posters/launch"])
    }
}
