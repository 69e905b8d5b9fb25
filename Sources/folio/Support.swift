import ArgumentParser
import FolioCore
import Foundation

/// SPEC §4's exit codes.
enum ExitStatus {
    static let ok: Int32 = 0
    static let error: Int32 = 1
    static let invalidInput: Int32 = 2
    static let pending: Int32 = 3
    static let partial: Int32 = 4
}

/// Ends a command with an exit code and, optionally, a message for standard error.
struct FolioExit: Error {
    var code: Int32
    var message: String = ""
}

/// Options every project command takes.
struct ProjectOptions: ParsableArguments {
    @Option(name: .long, help: "The project folder.")
    var project: String = "."

    @Flag(name: .long, help: "Machine-readable output.")
    var json = false

    @Flag(name: .long, help: "Say more.")
    var verbose = false

    @Flag(name: .long, help: "Say only what went wrong.")
    var quiet = false

    var projectURL: URL {
        URL(fileURLWithPath: project, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
    }

    /// Loads the project; its warnings go to standard error, its errors end the command with exit 2.
    func loadValidProject() async throws -> LoadedProject {
        let project = await ProjectLoader.load(projectURL)
        Output.report(project.diagnostics, quiet: quiet)
        let errors = project.diagnostics.errors.count
        if errors > 0 {
            throw FolioExit(code: ExitStatus.invalidInput,
                            message: "\(errors) error\(errors == 1 ? "" : "s") in the project; nothing was done. Fix \(errors == 1 ? "it" : "them") and run again ('folio check' lists them).")
        }
        return project
    }

    /// Takes the project's run lock, which every command that rewrites `folio.lock` holds; exit 1
    /// naming the process that holds it.
    func acquireRunLock(command: String) throws -> RunLock {
        do {
            return try RunLock.acquire(project: projectURL, command: command)
        } catch {
            throw FolioExit(code: ExitStatus.error, message: "error: \(error.description)")
        }
    }

    func loadLockfile() throws -> Lockfile {
        do {
            return try Lockfile.load(project: projectURL)
        } catch {
            throw FolioExit(code: ExitStatus.error, message: "error: \(error.description)")
        }
    }
}

/// Where output goes: results to standard output, errors and warnings to standard error.
enum Output {
    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// Prints diagnostics to standard error, warnings left out when quiet.
    static func report(_ diagnostics: [Diagnostic], quiet: Bool) {
        let shown = quiet ? diagnostics.errors : diagnostics
        guard !shown.isEmpty else { return }
        error(shown.map(\.description).joined(separator: "\n"))
    }

    static func json(_ value: JSONValue) {
        FileHandle.standardOutput.write(Data(value.pretty.utf8))
    }
}

/// Names each step as it runs and, when verbose, how long it took: `[2/3] read folio.lock 0.041 s`.
struct StepTimer {
    var verbose: Bool
    private var index = 0
    private let clock = ContinuousClock()

    init(verbose: Bool) {
        self.verbose = verbose
    }

    mutating func run<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        index += 1
        let start = clock.now
        let result = try await body()
        if verbose {
            let elapsed = start.duration(to: clock.now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            Output.error(String(format: "[%d] %@ %.3f s", index, name, seconds))
        }
        return result
    }
}
