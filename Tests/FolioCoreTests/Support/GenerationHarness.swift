import Foundation
@testable import FolioCore
import FolioSimulator

/// A project on disk, a simulator on loopback, and a way to run generation against it.
final class GenerationHarness: Sendable {
    static let key = "sk-folio-test-7f3a9c"
    let root: URL
    let simulator: GatewaySimulator

    /// Runs `body` with a new harness and closes it afterwards (simulator stopped, project removed),
    /// awaited, whether `body` returns or throws.
    static func with<T>(
        files: [String: String], configure: (inout SimulatorConfiguration) -> Void = { _ in },
        _ body: (GenerationHarness) async throws -> T
    ) async throws -> T {
        let harness = try await GenerationHarness(files: files, configure: configure)
        do {
            let result = try await body(harness)
            await harness.close()
            return result
        } catch {
            await harness.close()
            throw error
        }
    }

    /// Writes the project and starts the simulator; private so every test goes through `with`,
    /// which always closes the harness.
    private init(files: [String: String], configure: (inout SimulatorConfiguration) -> Void = { _ in }) async throws {
        let root = makeProject(files)
        var configuration = SimulatorConfiguration()
        configuration.timeScale = 0.0005
        configuration.imageScale = 16
        configuration.key = Self.key
        configure(&configuration)
        do {
            simulator = try await GatewaySimulator.start(configuration)
        } catch {
            try? FileManager.default.removeItem(at: root)
            throw error
        }
        self.root = root
    }

    /// Stops the simulator and removes the project.
    func close() async {
        await simulator.stop()
        try? FileManager.default.removeItem(at: root)
    }

    /// Loads the project and runs one generation, as `folio generate` would.
    func generate(
        retryFailed: Bool = false, regenerate: Bool = false, jobs: Int = 4, retries: Int = 4,
        maxDownloadBytes: Int = 50 * 1024 * 1024
    ) async throws -> (GenerationReport, Lockfile, [GenerationEvent]) {
        // The steps `folio generate` runs, against this harness's simulator.
        var build = BuildOptions(project: root, workingFolder: root, environment: ["ANYINT_BASE_URL": simulator.baseURL, "ANYINT_API_KEY": Self.key])
        (build.jobs, build.retryFailed, build.regenerate) = (jobs, retryFailed, regenerate)
        build.tuneGeneration = { options in
            options.retries = retries
            options.maxDownloadBytes = maxDownloadBytes
            options.timing.scale = 0.001
            options.pollTimeout = 30
        }
        let events = EventLog()
        var state = BuildState(options: build, observer: { event in if case .generation(let e) = event { await events.add(e) } })
        try await Pipeline.run(Pipeline.generate, &state)
        let report = state.generation ?? GenerationReport()
        return (report, try Lockfile.load(project: root), await events.all)
    }

    /// The environment for running the `folio` binary against this simulator, waits sped up by `timeScale`.
    func binaryEnvironment(timeScale: String = "0.01") -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["ANYINT_BASE_URL"] = simulator.baseURL
        environment["ANYINT_API_KEY"] = Self.key
        environment["FOLIO_TIME_SCALE"] = timeScale
        return environment
    }

    /// Creates (or sync generate calls) the simulator saw for prompts containing `text`.
    func creates(_ text: String) async -> Int {
        await simulator.creates(containing: text).count
    }

    /// Every file under the project whose bytes contain `needle`.
    func filesContaining(_ needle: String) -> [String] {
        FastFiles.walk(root.path).filter { path in
            guard let bytes = FastFiles.read(root.path + "/" + path) else { return false }
            return String(decoding: bytes, as: UTF8.self).contains(needle)
        }
    }

    /// Files in assets/ (hidden temporary ones included).
    func assetFiles() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("assets").path))?.sorted() ?? []
    }
}

actor EventLog {
    private(set) var all: [GenerationEvent] = []
    func add(_ event: GenerationEvent) { all.append(event) }
}

/// A prompt file's text.
func promptFile(_ route: String, _ body: String, _ keys: String...) -> String {
    "---\nroute: \(route)\n" + keys.map { $0 + "\n" }.joined() + "---\n" + body + "\n"
}
