import Foundation
@testable import FolioCore
import Testing

/// SPEC §4's output conventions: colour only on a terminal and never with `NO_COLOR`, `--quiet`
/// and `--verbose` on every command, shell completions, and progress with counts and the time
/// left on a terminal, a line per event otherwise.
@Suite(.serialized) struct OutputConventionTests {
    // MARK: - The progress line

    @Test func theProgressLineShowsCountsPercentAndTheTimeLeft() {
        #expect(ProgressLine.text("rendering images", done: 412, total: 1000, secondsLeft: 37.2) == "rendering images  412/1000  41%  ~38 s left")
        #expect(ProgressLine.text("rendering images", done: 0, total: 21) == "rendering images  0/21  0%")
        #expect(
            ProgressLine.text("generating", done: 3, total: 13, details: ["1 pending", "0 failed", "2 in flight"], secondsLeft: 125)
                == "generating  3/13  23%  1 pending · 0 failed · 2 in flight  ~2 min left")
        #expect(ProgressLine.text("uploading", done: 5, total: 0) == "uploading")
    }

    @Test func theTimeLeftComesFromTheRateSoFarOnceThereIsSomethingToGoBy() {
        #expect(ProgressLine.secondsLeft(remaining: 600, measured: 400, elapsed: 25) == 37.5)
        #expect(ProgressLine.secondsLeft(remaining: 600, measured: 0, elapsed: 25) == nil, "no item done yet")
        #expect(ProgressLine.secondsLeft(remaining: 600, measured: 50, elapsed: 0.5) == nil, "not a second yet")
        #expect(ProgressLine.secondsLeft(remaining: 0, measured: 50, elapsed: 5) == nil, "nothing left")
    }

    @Test func durationsReadAsSecondsThenMinutesThenHours() {
        #expect(ProgressLine.duration(0.2) == "1 s")
        #expect(ProgressLine.duration(37.2) == "38 s")
        #expect(ProgressLine.duration(89) == "89 s")
        #expect(ProgressLine.duration(90) == "2 min")
        #expect(ProgressLine.duration(3599) == "1 h")
        #expect(ProgressLine.duration(3900) == "1 h 5 min")
        #expect(ProgressLine.duration(7200) == "2 h")
    }

    @Test func theLiveLineNeverWraps() {
        let line = String(repeating: "x", count: 200)
        #expect(ProgressLine.fitted(line, width: 80).count == 79)
        #expect(ProgressLine.fitted(line, width: 80).hasSuffix("…"))
        #expect(ProgressLine.fitted("short", width: 80) == "short")
    }

    // MARK: - Colour

    @Test func colourNeedsATerminalAndNoNoColor() {
        #expect(Console.colors(isTerminal: true, environment: ["TERM": "xterm"]))
        #expect(Console.colors(isTerminal: true, environment: [:]))
        #expect(!Console.colors(isTerminal: false, environment: ["TERM": "xterm"]))
        #expect(!Console.colors(isTerminal: true, environment: ["TERM": "xterm", "NO_COLOR": "1"]))
        #expect(!Console.colors(isTerminal: true, environment: ["TERM": "xterm", "NO_COLOR": "0"]), "any non-empty value disables it")
        #expect(Console.colors(isTerminal: true, environment: ["TERM": "xterm", "NO_COLOR": ""]), "an empty NO_COLOR does not")
        #expect(!Console.colors(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func headingsAreColouredAtTheStartOrAfterALocationOnly() {
        let red = "\u{1B}[1;31merror:\u{1B}[0m", yellow = "\u{1B}[1;33mwarning:\u{1B}[0m"
        #expect(Console.highlighted("error: no key", colored: true) == "\(red) no key")
        #expect(Console.highlighted("prompts/fox.md:3:9: error: unknown key", colored: true) == "prompts/fox.md:3:9: \(red) unknown key")
        #expect(Console.highlighted("warning: slow", colored: true) == "\(yellow) slow")
        #expect(Console.highlighted("failed fox: the server said: error: quota", colored: true) == "failed fox: the server said: error: quota")
        #expect(Console.highlighted("error: no key", colored: false) == "error: no key")
        #expect(Tone.success.paint("done", colored: false) == "done")
        #expect(Tone.success.paint("done", colored: true) == "\u{1B}[32mdone\u{1B}[0m")
    }

    // MARK: - The binary, on a file and on a terminal

    @Test func outputToFilesHasNoRedrawsAndNoEscapeCodes() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var environment = Self.environment
        environment["TERM"] = "xterm"
        let build = try runFolio(["build", "--project", copy.path, "--simulate", "--verbose"], environment: environment)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        let everything = build.stdout + build.stderr
        #expect(!everything.contains("\r"))
        #expect(!everything.contains("\u{1B}"))
        // A line per event, not one redrawn line.
        #expect(build.stderr.contains("generated posters/launch (2 images)\n"))
        #expect(build.stdout.contains("rendered site/: 30 pages"))
        #expect(!everything.contains("rendering images"), "no per-image progress off a terminal: the summary is the step's line")
        let check = try runFolio(["check", "--project", Self.invalidProject.path], environment: environment)
        #expect(check.status == 2)
        #expect(check.stderr.contains(": error: ") && !check.stderr.contains("\u{1B}"))
    }

    @Test func aTerminalGetsColourUnlessNoColorIsSet() throws {
        let command = "\(TestPaths.folio.path) check --project \(Self.invalidProject.path)"
        let coloured = try Self.onTerminal(command, environment: [:])
        #expect(coloured.contains("\u{1B}[1;31merror:\u{1B}[0m"), "\(coloured)")
        #expect(Self.hasColour(coloured))
        for (name, value) in [("NO_COLOR", "1"), ("NO_COLOR", "yes"), ("TERM", "dumb")] {
            let plain = try Self.onTerminal(command, environment: [name: value])
            #expect(plain.contains(": error: "), "\(plain)")
            #expect(!Self.hasColour(plain), "\(name)=\(value): \(plain.debugDescription)")
        }
        #expect(Self.hasColour(try Self.onTerminal(command, environment: ["NO_COLOR": ""])), "an empty NO_COLOR leaves colour on")
    }

    @Test func aTerminalShowsOneLiveLineWithCountsAndNoColourWithNoColor() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        let command = "\(TestPaths.folio.path) build --project \(copy.path) --simulate"
        let output = try Self.onTerminal(command, environment: ["NO_COLOR": "1"])
        #expect(output.contains("\r\u{1B}[2Kgenerating  0/13  0%"), "\(output.debugDescription)")
        #expect(output.contains("\r\u{1B}[2Krendering images  0/21  0%"), "\(output.debugDescription)")
        #expect(output.contains("13 generated, 0 cached, 0 failed"))
        #expect(!output.contains("generated posters/launch (2 images)"), "no line per event on a terminal")
        #expect(!Self.hasColour(output))
        // The summary replaces the live line: it is cleared before the summary is printed.
        #expect(output.contains("\r\u{1B}[2Krendered site/: 30 pages"), "\(output.debugDescription)")
    }

    // MARK: - Every command

    @Test func everyCommandTakesQuietAndVerbose() throws {
        let commands = try Self.subcommands()
        #expect(Set(["build", "generate", "render", "publish", "plan", "status", "check", "new", "init", "clean", "sim", "version"]).isSubset(of: commands))
        for command in commands {
            let help = try runFolio([command, "--help"])
            #expect(help.status == 0, "\(command)")
            #expect(help.stdout.contains("--quiet") && help.stdout.contains("--verbose"), "folio \(command) takes --quiet and --verbose")
        }
        #expect(try runFolio(["version", "--verbose"]).status == 0)
        let both = try runFolio(["check", "--quiet", "--verbose"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--verbose and --quiet cannot be used together"))
    }

    /// `--json` is machine-readable output where SPEC §4 promises it (plan, status, check, and
    /// check --published), and refused (exit 2, nothing done) where a command prints none: a script
    /// that parses the output is never handed text.
    @Test func jsonIsJSONOrRefused() throws {
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = folder.appendingPathComponent("gallery")
        #expect(try runFolio(["init", project.path, "--quiet"]).status == 0)
        for command in ["build", "generate", "render", "publish", "clean", "serve"] {
            let refused = try runFolio([command, "--project", project.path, "--json"])
            #expect(refused.status == 2, "folio \(command) --json")
            #expect(refused.stderr.contains("--json is not available for 'folio \(command)'"), "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent("site").path), "nothing was rendered")
        #expect(try runFolio(["status", "--project", project.path]).stdout.contains("nothing spent yet, against an estimate of"))
        for arguments in [["plan"], ["status"], ["check"]] {
            let result = try runFolio(arguments + ["--project", project.path, "--json"])
            #expect(result.status == 0, "\(arguments) \(result.stderr)")
            #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))) != nil, "\(arguments): \(result.stdout)")
        }
        // Nothing rendered yet: check --published says why, as JSON, and exits 4.
        let published = try runFolio(["check", "--published", "--project", project.path, "--json"])
        #expect(published.status == 4)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(published.stdout.utf8))
        #expect(json["problems"]?.arrayValue?.first?.stringValue?.contains("is not a site this project rendered") == true, "\(published.stdout)")
        #expect(json["images"]?.intValue == 0)
    }

    @Test func quietLeavesOnlyWhatWentWrong() throws {
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = folder.appendingPathComponent("gallery")
        let results = [
            try runFolio(["init", project.path, "--quiet"]),
            try runFolio(["new", "posters/quiet", "--project", project.path, "--quiet"]),
            try runFolio(["check", "--project", project.path, "--quiet"]),
            try runFolio(["clean", "--project", project.path, "--quiet"]),
            try runFolio(["render", "--project", project.path, "--quiet"]),
        ]
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")
        }
        // Machine-readable output stays as it is.
        let json = try runFolio(["plan", "--project", project.path, "--json", "--quiet"])
        #expect(json.status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil, "\(json.stdout)")
        // Errors still show.
        let broken = try runFolio(["check", "--project", Self.invalidProject.path, "--quiet"])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("error: ") && broken.stdout.isEmpty)
    }

    // MARK: - Completions

    @Test func completionScriptsNameEverySubcommand() throws {
        let commands = try Self.subcommands()
        for shell in ["bash", "zsh", "fish"] {
            let script = try runFolio(["--generate-completion-script", shell])
            #expect(script.status == 0, "\(shell): \(script.stderr)")
            for command in commands { #expect(script.stdout.contains(command), "\(shell) completes \(command)") }
        }
        let bash = try runFolio(["--generate-completion-script", "bash"]).stdout
        #expect(bash.contains("complete ") && bash.contains("_folio"))
        #expect(bash.contains("--quiet"))
    }

    // MARK: - Helpers

    static let invalidProject = TestPaths.fixtures.appendingPathComponent("invalid/bad-date")

    /// The test process's environment, made fast and key-less for simulated builds.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        environment.removeValue(forKey: "NO_COLOR")
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "8"
        return environment
    }

    /// What `command` writes to a pseudo-terminal (util-linux `script`), with `TERM=xterm` and `changes`.
    static func onTerminal(_ command: String, environment changes: [String: String]) throws -> String {
        var environment = Self.environment
        environment["TERM"] = "xterm"
        environment["SHELL"] = "/bin/sh"
        environment.merge(changes) { $1 }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        process.arguments = ["-qec", command, "/dev/null"]
        process.environment = environment
        // Never the test runner's terminal: script would put it in raw mode and read from it.
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        let folder = TestPaths.temporaryFolder("folio-pty")
        defer { try? FileManager.default.removeItem(at: folder) }
        let output = folder.appendingPathComponent("output")
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return String(decoding: try Data(contentsOf: output), as: UTF8.self)
    }

    /// Whether `text` holds a colour (SGR) escape sequence; clearing a line is not colour.
    static func hasColour(_ text: String) -> Bool {
        text.contains(/\u{1B}\[[0-9;]*m/)
    }

    /// The subcommands `folio --help` lists.
    static func subcommands() throws -> [String] {
        let help = try runFolio(["--help"]).stdout
        guard let section = help.components(separatedBy: "SUBCOMMANDS:\n").last else { return [] }
        return section.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }.compactMap { line in
            line.hasPrefix("  ") && !line.hasPrefix("   ") ? line.split(separator: " ").first.map(String.init) : nil
        }
    }
}
