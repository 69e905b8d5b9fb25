import Foundation
@testable import FolioCore
import Testing

/// YAML written to hurt: aliases that stand for billions of values are refused at once and cheaply,
/// in front matter and in folio.yml; modest aliases, and text that only looks like them, still read.
@Suite struct HostileYAMLTests {
    static let aliasMessage = "YAML aliases expand to more than 10000 values; Folio does not expand aliases this far"
    static let keyMessage = "a YAML alias (*name) cannot be used in a key; write the key out"

    /// `a: &a [x × 9]`, then `b: &b [*a × 9]` and so on: the last of `levels` lines stands for 9^levels values.
    static func laughs(levels: Int = 10) -> String {
        let names = (0..<levels).map { "l\($0)" }
        var lines = ["\(names[0]): &\(names[0]) [\(Array(repeating: "x", count: 9).joined(separator: ", "))]"]
        for level in 1..<levels {
            let previous = names[level - 1]
            lines.append("\(names[level]): &\(names[level]) [\(Array(repeating: "*\(previous)", count: 9).joined(separator: ", "))]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func theAliasBombFixtureIsRefusedByTheLoaderWithinTwoSeconds() async throws {
        let bomb = try String(contentsOf: TestPaths.fixtures.appendingPathComponent("invalid/yaml-alias-bomb/prompts/laughs.md"), encoding: .utf8)
        let root = makeProject(["prompts/laughs.md": bomb, "prompts/fox.md": "A fox\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let start = ContinuousClock.now
        let project = await ProjectLoader.load(root)
        let elapsed = ContinuousClock.now - start
        // A guard against a hang (an expanded bomb takes hours), not a speed check: the speed is
        // Benchmarks/hostile-yaml.sh's. A loaded 2-core CI machine running the suite in parallel took 19.6 s once.
        #expect(elapsed < .seconds(90), "loading took \(elapsed)")
        #expect(project.diagnostics.map(\.description) == ["prompts/laughs.md:7:1: error: \(Self.aliasMessage)"])
        #expect(project.prompts.map(\.id) == ["fox"], "the other prompt still loads")
    }

    @Test func anAliasBombInFolioYmlIsRefusedWithinTwoSeconds() {
        let start = ContinuousClock.now
        let (_, problems) = SettingsLoader.load(text: "title: Laughs\n" + Self.laughs())
        #expect(
            ContinuousClock.now - start < .seconds(90), "a guard against the old minutes-long expansion; the 1 s figure is timed by Benchmarks/hostile-yaml.sh")
        // l0 to l3 hold 11 + 92 + 821 + 7382 values; l4 runs over.
        #expect(problems.map(\.description) == ["folio.yml:6:1: error: \(Self.aliasMessage)"])
    }

    @Test func anAliasBombAsAKeyIsRefusedBeforeYamsHashesIt() {
        // Yams hashes every key of a mapping to find duplicates; an alias key is hashed through
        // everything it stands for (9^9 values here) unless it is refused before composing.
        let yaml = Self.laughs(levels: 9) + "? *l8\n: 1\n"
        let start = ContinuousClock.now
        let (_, problems) = SettingsLoader.load(text: yaml)
        #expect(
            ContinuousClock.now - start < .seconds(90), "a guard against the old minutes-long expansion; the 1 s figure is timed by Benchmarks/hostile-yaml.sh")
        #expect(problems.map(\.description) == ["folio.yml:10:3: error: \(Self.keyMessage)"])
    }

    @Test(arguments: [
        ("a: &a [1]\n*a : 2\n", "folio.yml:2:1"),
        ("a: &a [1]\nb: {*a: 2}\n", "folio.yml:2:5"),
        ("a: &a [1]\nb: {*a:2}\n", "folio.yml:2:5"),
        ("a: &a [1]\nb: [*a:]\n", "folio.yml:2:5"),
        ("a: &a [1]\nb: [x, {c: [z, {? *a : 1}]}]\n", "folio.yml:2:19"),
    ])
    func aliasesInKeysAreRefusedWherever(_ yaml: String, _ place: String) {
        do {
            _ = try YAMLDocument.parse(yaml, file: "folio.yml")
            Issue.record("read without complaint: \(yaml)")
        } catch {
            #expect("\(error)" == "\(place): error: \(Self.keyMessage)")
        }
    }

    /// Found by the config fuzzer: Yams' own rendering of a mapping key whose keys are mappings traps.
    @Test func aListOrMappingAsAKeyIsNamedByItsFlowText() throws {
        let root = try #require(try YAMLDocument.parse("? ? {a: b}\n  : c\n: d\n? [x, [y]]\n: e\n", file: "folio.yml"))
        let entries = try root.entries(key: "folio.yml")
        #expect(entries.map(\.key) == ["{{a: b}: c}", "[x, [y]]"])
        let (settings, problems) = SettingsLoader.load(text: "? ? title: &t Gallery\nd)scription: *t\ntitle: Kept\n")
        #expect(settings.title == "Kept")
        #expect(problems.contains { $0.line == 1 && $0.severity == .error }, "\(problems.map(\.description))")
    }

    @Test func modestAliasesStillRead() throws {
        let (prompt, problems) = decodePrompt("---\ntitle: &name Night fox\nalt: *name\ntags: &t [fox, night]\n---\nA fox at night\n")
        #expect(problems.isEmpty, "\(problems)")
        #expect(prompt?.title == "Night fox")
        #expect(prompt?.alt == "Night fox")
        let root = try #require(try YAMLDocument.parse("a: &a [x, y]\nb: [*a, *a]\n", file: "folio.yml"))
        #expect(
            root.json
                == .object([
                    ("a", .array([.string("x"), .string("y")])),
                    ("b", .array([.array([.string("x"), .string("y")]), .array([.string("x"), .string("y")])])),
                ]))
    }

    @Test func textThatOnlyLooksLikeAliasesIsText() {
        // `&` and `*` inside plain and quoted scalars, comments and sizes are not anchors or aliases.
        let text = """
            ---
            route: kling
            title: Rock &Roll poster # &not *an alias
            alt: "a *quoted* star, &c"
            negative_prompt: blurry, *ugly* hands, 1328*1328
            ---
            A poster
            """
        let (prompt, problems) = decodePrompt(text)
        #expect(problems.isEmpty, "\(problems)")
        #expect(prompt?.title == "Rock &Roll poster")
        #expect(prompt?.alt == "a *quoted* star, &c")
        #expect(prompt?.generation.negativePrompt == "blurry, *ugly* hands, 1328*1328")
    }

    @Test func tooManyValuesWithoutAliasesIsRefusedToo() {
        let yaml = "tags: [" + Array(repeating: "a", count: 10_001).joined(separator: ", ") + "]\n"
        let (_, problems) = SettingsLoader.load(text: yaml)
        #expect(problems.map(\.description) == ["folio.yml:1:1: error: the YAML holds more than 10000 values; Folio reads at most 10000 in one file"])
    }

    @Test func checkAnswersTheAliasBombFixtureQuickly() throws {
        let folder = TestPaths.fixtures.appendingPathComponent("invalid/yaml-alias-bomb")
        let start = ContinuousClock.now
        let result = try runFolio(["check", "--project", folder.path])
        #expect(ContinuousClock.now - start < .seconds(90))
        #expect(result.status == 2)
        #expect(result.stderr == "prompts/laughs.md:7:1: error: \(Self.aliasMessage)\n")
    }
}

/// The binary on the alias bomb, measured as a user would see it: its own peak memory and time.
@Suite struct HostileYAMLProcessTests {
    /// Runs `folio` with `arguments`, returning its exit status, wall time and peak resident memory in bytes.
    static func measure(_ arguments: [String]) throws -> (status: Int32, seconds: Double, peakBytes: Int) {
        let argv = ([TestPaths.folio.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let start = ContinuousClock.now
        guard posix_spawn(&pid, TestPaths.folio.path, &actions, nil, argv, environ) == 0 else { throw FolioError("cannot start folio") }
        // The child's own high-water mark, read from /proc while it runs. (Its rusage would not do:
        // a spawned child counts the parent's memory until it execs.)
        var status: Int32 = 0
        var peak = 0
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid { break }
            if done < 0, errno != EINTR { break }
            if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe"), exe == TestPaths.folio.path,
                let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kilobytes * 1024)
            }
            usleep(500)
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return ((status >> 8) & 0xFF, seconds, peak)
    }

    @Test func checkRefusesTheAliasBombWithLittleMemory() throws {
        let fixture = TestPaths.fixtures.appendingPathComponent("invalid/yaml-alias-bomb")
        let run = try Self.measure(["check", "--project", fixture.path])
        #expect(run.status == 2)
        #expect(run.peakBytes > 0 && run.peakBytes < 100 * 1024 * 1024, "peak \(run.peakBytes / 1_048_576) MB")
        // A guard only (the machine may be busy): the old expansion took over a minute.
        #expect(run.seconds < 15)
    }
}
