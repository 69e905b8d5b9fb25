import Foundation
@testable import FolioCore

/// Paths and helpers shared by the tests.
enum TestPaths {
    /// The package root, found from this file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The `folio` binary built beside the test bundle.
    static var folio: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0])
        var folder = testBinary.deletingLastPathComponent()
        // The test runner may be inside the `.xctest` bundle or beside it.
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("folio")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/folio")
    }

    /// A fresh temporary folder, removed by the caller with `remove`.
    static func temporaryFolder(_ name: String = "folio-test") -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// What a finished process printed and returned.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs the `folio` binary with `arguments` and waits for it.
func runFolio(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    try runProcess(TestPaths.folio.path, arguments, environment: environment)
}

/// Runs `executable` with `arguments` and waits: its status, standard output and standard error.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    // Files, not pipes: nothing can block on a full pipe, and no reader thread is needed.
    let folder = TestPaths.temporaryFolder("folio-run")
    defer { try? FileManager.default.removeItem(at: folder) }
    let outURL = folder.appendingPathComponent("stdout"), errURL = folder.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let stdout = try Data(contentsOf: outURL), stderr = try Data(contentsOf: errURL)
    return ProcessResult(
        status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

/// Kills `process` if it is still running and waits for it to end, so no test leaves one behind.
func killAndWait(_ process: Process) {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    process.waitUntilExit()
}

/// The first line a child process writes to `handle` (a server's URL), read byte by byte so nothing after it is taken.
func firstLine(of handle: FileHandle) throws -> String {
    var line = [UInt8]()
    while let byte = try handle.read(upToCount: 1)?.first, byte != 0x0A { line.append(byte) }
    return String(decoding: line, as: UTF8.self)
}

/// Writes `files` (path → text) under a new temporary project and returns its folder.
func makeProject(_ files: [String: String]) -> URL {
    let root = TestPaths.temporaryFolder("folio-project")
    for (path, text) in files {
        let url = root.appendingPathComponent(path)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: url)
    }
    return root
}

/// Decodes one prompt file's text with the given folio.yml text, as the loader would.
func decodePrompt(_ text: String, config: String = "", id: String = "test", project: URL? = nil) -> (Prompt?, [Diagnostic]) {
    let (settings, problems) = SettingsLoader.load(text: config)
    precondition(problems.isEmpty, "config problems: \(problems)")
    let decoder = PromptDecoder(settings: settings, project: project ?? FileManager.default.temporaryDirectory)
    return decoder.decode(text: text, file: "prompts/\(id).md", id: id)
}

/// The error messages (no location) of a decode.
func messages(_ result: (Prompt?, [Diagnostic])) -> [String] {
    result.1.map(\.message)
}

/// The repository's sample project (`folio.yml`, `prompts/`) copied to a temporary folder, without any lockfile or assets.
func copySampleProject() throws -> URL {
    let root = TestPaths.temporaryFolder("folio-sample")
    for item in ["folio.yml", "prompts"] {
        try FileManager.default.copyItem(at: TestPaths.packageRoot.appendingPathComponent(item), to: root.appendingPathComponent(item))
    }
    return root
}

/// A seeded generator (SplitMix64), so a failing random case can be made again from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
