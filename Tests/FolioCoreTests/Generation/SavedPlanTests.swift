import Foundation
import Testing
@testable import FolioCore

/// `folio plan --out FILE` and `folio build|generate --plan FILE`, run as the binary against the
/// simulator on loopback: a saved plan sends exactly its creates, and anything that changed since
/// it was made stops the build before its first request.
@Suite(.serialized) struct SavedPlanTests {
    static let files = [
        "prompts/fox.md": promptFile("gemini", "A watercolor fox", "aspect_ratio: \"1:1\""),
        "prompts/shoe.md": promptFile("dashscope", "A white running shoe", "n: 2"),
        "prompts/lake.md": promptFile("gemini", "An alpine lake at dawn"),
    ]

    /// Runs `folio` with `arguments` in `harness`'s project, against its simulator.
    static func folio(_ harness: GenerationHarness, _ arguments: String...) async throws -> ProcessResult {
        try await runFolioBeside(harness, arguments)
    }

    /// Create (and sync generate) requests the simulator has answered so far.
    static func creates(_ harness: GenerationHarness) async -> [String] {
        await harness.simulator.requests().filter { $0.kind == "create" || $0.kind == "generate" }.compactMap(\.prompt)
    }

    static func write(_ text: String, _ path: String, in harness: GenerationHarness) throws {
        try Data(text.utf8).write(to: harness.root.appendingPathComponent(path))
    }

    @Test func aSavedPlanSendsExactlyItsCreatesAndNothingElse() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            let generated = try await Self.folio(harness, "generate")
            #expect(generated.status == 0, "\(generated.stderr)")
            let before = await Self.creates(harness).count
            #expect(before == 4, "fox 1, shoe 2 (one call per variant), lake 1")
            // One prompt edited (stale), one added (new), one untouched (cached).
            try Self.write(promptFile("gemini", "A watercolor fox in snow", "aspect_ratio: \"1:1\""), "prompts/fox.md", in: harness)
            try Self.write(promptFile("dashscope", "A red kite over dunes"), "prompts/kite.md", in: harness)
            let plan = harness.root.appendingPathComponent("plan.json").path
            let planned = try await Self.folio(harness, "plan", "--out", plan)
            #expect(planned.status == 0, "\(planned.stderr)")
            #expect(planned.stderr.contains("wrote \(plan)"))
            let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan))) as? [String: Any])
            #expect(saved["version"] as? Int == 1)
            let inputs = try #require(saved["inputs"] as? [String: Any])
            #expect(Set(inputs.keys) == ["folio.lock", "folio.yml", "prompts/fox.md", "prompts/kite.md", "prompts/lake.md", "prompts/shoe.md"])
            #expect(inputs["folio.yml"] is NSNull, "no folio.yml: recorded as absent")
            let lockBytes = try Data(contentsOf: harness.root.appendingPathComponent("folio.lock"))
            #expect(inputs["folio.lock"] as? String == SHA256Hex.of(lockBytes))
            #expect((saved["options"] as? [String: Bool]) == ["retry_failed": false, "regenerate": false, "simulate": false])
            let actions = Dictionary(
                uniqueKeysWithValues: try #require(saved["entries"] as? [[String: Any]]).map { ($0["id"] as! String, $0["action"] as! String) })
            #expect(actions == ["fox": "stale", "kite": "new", "lake": "cached", "shoe": "cached"])

            let built = try await Self.folio(harness, "generate", "--plan", plan)
            #expect(built.status == 0, "\(built.stderr)")
            let sent = await Self.creates(harness).dropFirst(before)
            #expect(sent.sorted() == ["A red kite over dunes", "A watercolor fox in snow"], "exactly the plan's two creates")

            // The lockfile the plan was made against has changed since: the same plan is refused.
            let again = try await Self.folio(harness, "generate", "--plan", plan)
            #expect(again.status == 2)
            #expect(again.stderr.contains("changed   folio.lock"), "\(again.stderr)")
            #expect(await Self.creates(harness).count == before + 2)
        }
    }

    @Test func aPromptEditedAfterPlanOutMakesBuildPlanRefuseWithNoRequestSent() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            let plan = harness.root.appendingPathComponent("plan.json").path
            #expect(try await Self.folio(harness, "plan", "--out", plan).status == 0)
            try Self.write(promptFile("gemini", "A watercolor fox, edited after review", "aspect_ratio: \"1:1\""), "prompts/fox.md", in: harness)
            try Self.write(promptFile("gemini", "A prompt nobody reviewed"), "prompts/extra.md", in: harness)
            try FileManager.default.removeItem(at: harness.root.appendingPathComponent("prompts/lake.md"))
            let built = try await Self.folio(harness, "build", "--plan", plan)
            #expect(built.status == 2, "\(built.stderr)")
            #expect(built.stderr.contains("error: \(plan) no longer matches the project; nothing was sent"))
            #expect(built.stderr.contains("changed   prompts/fox.md"))
            #expect(built.stderr.contains("appeared  prompts/extra.md"))
            #expect(built.stderr.contains("vanished  prompts/lake.md"))
            #expect(!built.stderr.contains("shoe"), "an unchanged input is not named")
            #expect(await harness.simulator.requests().isEmpty, "not one request, not even a query")
            #expect(!FileManager.default.fileExists(atPath: harness.root.appendingPathComponent("folio.lock").path))
        }
    }

    @Test func aChangedReferenceImageOrFolioYmlIsAChangedInput() async throws {
        var files = Self.files
        files["prompts/table.md"] = promptFile("kling-omni", "Put <<<image_1>>> on a marble table", "images: [bottle.png]")
        files["folio.yml"] = "title: Saved plans\n"
        try await GenerationHarness.with(files: files) { harness in
            let bottle = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("prompts/products/ref/bottle.png"))
            try bottle.write(to: harness.root.appendingPathComponent("prompts/bottle.png"))
            let plan = harness.root.appendingPathComponent("plan.json").path
            let planned = try await Self.folio(harness, "plan", "--out", plan)
            #expect(planned.status == 0, "\(planned.stderr)")
            let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan))) as? [String: Any])
            #expect((saved["inputs"] as? [String: Any])?["prompts/bottle.png"] as? String == SHA256Hex.of(bottle))
            // Bytes after the image's end: it still reads as the same picture, but it is not the same file.
            try (bottle + Data("retouched".utf8)).write(to: harness.root.appendingPathComponent("prompts/bottle.png"))
            try Self.write("title: Saved plans, renamed\n", "folio.yml", in: harness)
            let built = try await Self.folio(harness, "generate", "--plan", plan)
            #expect(built.status == 2)
            #expect(built.stderr.contains("changed   prompts/bottle.png"), "\(built.stderr)")
            #expect(built.stderr.contains("changed   folio.yml"))
            #expect(await harness.simulator.requests().isEmpty)
        }
    }

    @Test func aPlanThatNoLongerMatchesWhatABuildWouldDoIsRefusedEvenWithTheSameInputs() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            let generated = try await Self.folio(harness, "generate")
            #expect(generated.status == 0, "\(generated.stderr)")
            let plan = harness.root.appendingPathComponent("plan.json").path
            #expect(try await Self.folio(harness, "plan", "--out", plan).status == 0)
            // assets/ is not an input, but a deleted image changes what a build does: Gemini's inline
            // images cannot be fetched again, so the plan's `cached` is now `missing`.
            let lock = try Lockfile.load(project: harness.root)
            let file = try #require(lock.entries["fox"]?.outputs.first?.asset?.file)
            try FileManager.default.removeItem(at: harness.root.appendingPathComponent(file))
            let requestsBefore = await harness.simulator.requests().count
            let built = try await Self.folio(harness, "generate", "--plan", plan)
            #expect(built.status == 2)
            #expect(built.stderr.contains("is not what a build would do now"), "\(built.stderr)")
            #expect(built.stderr.contains("fox: planned cached, 0 requests, now missing, 0 requests"))
            #expect(await harness.simulator.requests().count == requestsBefore)
        }
    }

    @Test func optionsThatChangeWhatIsCreatedMustBeThePlans() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            let plan = harness.root.appendingPathComponent("plan.json").path
            #expect(try await Self.folio(harness, "plan", "--out", plan).status == 0)
            let retry = try await Self.folio(harness, "generate", "--plan", plan, "--retry-failed")
            #expect(retry.status == 2)
            #expect(retry.stderr.contains("was made without --retry-failed"), "\(retry.stderr)")
            let simulate = try await Self.folio(harness, "generate", "--plan", plan, "--simulate")
            #expect(simulate.status == 2)
            #expect(simulate.stderr.contains("was made for the gateway, not with --simulate"), "\(simulate.stderr)")
            #expect(await harness.simulator.requests().isEmpty)

            // A plan made with --retry-failed is built with it, without repeating the flag.
            let retrying = harness.root.appendingPathComponent("retrying.json").path
            #expect(try await Self.folio(harness, "plan", "--retry-failed", "--out", retrying).status == 0)
            var state = BuildState(options: BuildOptions(project: harness.root, workingFolder: harness.root))
            state.options.savedPlan = "retrying.json"
            let saved = try #require(try state.adoptSavedPlan())
            #expect(saved.options.retryFailed)
            #expect(state.options.retryFailed)
        }
    }

    @Test func aDamagedOrForeignPlanFileIsAnInputErrorNamingIt() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            let cases: [(String, String)] = [
                ("{ \"entries\": [", "plan.json is not a plan written by 'folio plan --out': not a JSON object"),
                ("{\"name\": \"package\", \"version\": \"1.0.0\"}", "plan.json is not a plan written by 'folio plan --out'"),
                ("{\"version\": 7, \"inputs\": {}, \"entries\": []}", "plan.json is a version 7 plan, written by a newer Folio"),
                (
                    "{\"version\": 1, \"inputs\": {\"../../etc/passwd\": \"x\"}, \"entries\": [], \"options\": {}}",
                    "plan.json is damaged: inputs[\"../../etc/passwd\"] is not a SHA-256"
                ),
            ]
            let plan = harness.root.appendingPathComponent("plan.json").path
            for (text, message) in cases {
                try Self.write(text, "plan.json", in: harness)
                let built = try await Self.folio(harness, "generate", "--plan", plan)
                #expect(built.status == 2, "\(text)")
                #expect(built.stderr.contains(message.replacingOccurrences(of: "plan.json", with: plan)), "\(built.stderr)")
            }
            let missing = try await Self.folio(harness, "generate", "--plan", harness.root.appendingPathComponent("none.json").path)
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("cannot read the plan"))
            #expect(await harness.simulator.requests().isEmpty)
        }
    }

    /// A mistyped `--out` costs nothing: `plan --out` and `diff --out` never replace the project's
    /// own files (folio.lock, folio.yml, a prompt, a paid image) or a file they did not write; an
    /// earlier plan is replaced.
    @Test func planAndDiffOutNeverReplaceTheProjectsFilesOrAForeignOne() async throws {
        try await GenerationHarness.with(files: Self.files) { harness in
            #expect(try await Self.folio(harness, "build", "--quiet").status == 0)
            let before = snapshot(harness.root)
            try Self.write("my notes\n", "notes.txt", in: harness)
            let asset = try #require(before.keys.first { $0.hasPrefix("assets/") && $0.hasSuffix(".png") })
            let cases: [(String, String)] = [
                ("folio.lock", "folio.lock is the project's own file, so the plan is not written there"),
                ("folio.yml", "is the project's own file"), ("prompts/fox.md", "is inside the project's prompts/ folder"),
                ("prompts/new.json", "is inside the project's prompts/ folder"), (asset, "is inside the project's assets/ folder"),
                ("notes.txt", "notes.txt is already there and is not the plan 'folio plan --out' wrote (it is never overwritten)"),
            ]
            for (out, message) in cases {
                let planned = try await Self.folio(harness, "plan", "--out", harness.root.appendingPathComponent(out).path)
                #expect(planned.status == 2, "plan --out \(out)")
                #expect(planned.stderr.contains(message), "\(planned.stderr)")
                let diffed = try await Self.folio(harness, "diff", "--out", harness.root.appendingPathComponent(out).path)
                #expect(diffed.status == 2, "diff --out \(out)")
            }
            // Another project's own files are as safe: `--project` names this one, --out lands in that one.
            let other = TestPaths.temporaryFolder("folio-other-project")
            defer { try? FileManager.default.removeItem(at: other) }
            try Data("title: Other\n".utf8).write(to: other.appendingPathComponent("folio.yml"))
            let elsewhere = try await Self.folio(harness, "plan", "--out", other.appendingPathComponent("prompts/new.md").path)
            #expect(elsewhere.status == 2)
            #expect(elsewhere.stderr.contains("is inside the project \(other.resolvingSymlinksInPath().path)'s prompts/ folder"), "\(elsewhere.stderr)")
            #expect(!FileManager.default.fileExists(atPath: other.appendingPathComponent("prompts").path))
            var after = snapshot(harness.root)
            #expect(after.removeValue(forKey: "notes.txt") != nil)
            #expect(after == before, "nothing of the project changed")
            // An earlier plan is replaced.
            let plan = harness.root.appendingPathComponent("plan.json").path
            #expect(try await Self.folio(harness, "plan", "--out", plan).status == 0)
            #expect(try await Self.folio(harness, "plan", "--out", plan).status == 0)
        }
    }

    /// A plan file comes from anyone: its input paths reach stderr escaped and cut short.
    @Test func aPlanFilesInputPathIsEscapedInItsError() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("folio-plan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("plan.json")
        let path = "\u{1B}[2J" + String(repeating: "a", count: 500)
        let document = JSONValue.object([("version", .int(1)), ("inputs", .object([(path, .string("x"))])), ("entries", .array([])), ("options", .object([]))])
        try Data(document.compact.utf8).write(to: url)
        let error = #expect(throws: FolioError.self) { try SavedPlan.read(url, name: "plan.json") }
        let message = error.map { "\($0)" } ?? ""
        #expect(!message.unicodeScalars.contains("\u{1B}"), "no escape sequence reaches stderr")
        #expect(!message.contains(String(repeating: "a", count: 100)), "a long path is cut short")
    }
}

/// Runs the `folio` binary against `harness`'s in-process simulator, waiting on a thread of its own:
/// a test that blocked one of the few cooperative threads while the simulator needs them to answer
/// could starve it (two such tests at once on a two-core machine do).
func runFolioBeside(_ harness: GenerationHarness, _ arguments: [String]) async throws -> ProcessResult {
    let environment = harness.binaryEnvironment(), arguments = arguments + ["--project", harness.root.path]
    return try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try runFolio(arguments, environment: environment) })
        }
    }

}
