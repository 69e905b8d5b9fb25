import Foundation
import Testing
@testable import FolioCore

/// Why an entry is stale: the lockfile records each entry's normalised generation, and `folio plan`
/// names the keys that changed since, in its table and in its JSON.
@Suite(.serialized) struct StaleKeysTests {
    static func folio(_ harness: GenerationHarness, _ arguments: String...) async throws -> ProcessResult {
        try await runFolioBeside(harness, arguments)
    }

    @Test func planNamesTheChangedKeysOfAStaleEntryInTheTableAndInJSON() async throws {
        let files = [
            "prompts/fox.md": promptFile("gemini", "A watercolor fox in a snowy forest", "aspect_ratio: \"1:1\""),
            "prompts/lake.md": promptFile("gemini", "An alpine lake at dawn"),
        ]
        try await GenerationHarness.with(files: files) { harness in
            let generated = try await Self.folio(harness, "generate")
            #expect(generated.status == 0, "\(generated.stderr)")
            let lock = try Lockfile.load(project: harness.root)
            let fox = try #require(lock.entries["fox"])
            #expect(fox.generation?["aspect_ratio"]?.stringValue == "1:1")
            #expect(fox.generation?["prompt"]?.stringValue == "A watercolor fox in a snowy forest")
            #expect(fox.generation.map { "sha256:" + SHA256Hex.of(Array($0.canonical.utf8)) } == fox.inputHash, "exactly what the hash is taken over")

            try Data(promptFile("gemini", "A watercolor cat in a snowy meadow", "aspect_ratio: \"16:9\"").utf8)
                .write(to: harness.root.appendingPathComponent("prompts/fox.md"))
            let table = try await Self.folio(harness, "plan")
            #expect(table.status == 0, "\(table.stderr)")
            let lines = table.stdout.split(separator: "\n").map(String.init)
            let row = try #require(lines.firstIndex { $0.hasPrefix("stale") && $0.contains("fox") })
            #expect(lines[row + 1].trimmingCharacters(in: .whitespaces) == "prompt: 2 words changed")
            #expect(lines[row + 2].trimmingCharacters(in: .whitespaces) == "aspect_ratio: 1:1 → 16:9")
            #expect(!table.stdout.contains("lake:"), "a cached entry lists no changes")

            let json = try await Self.folio(harness, "plan", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            let entries = try #require(object["entries"] as? [[String: Any]])
            let stale = try #require(entries.first { $0["id"] as? String == "fox" })
            let changes = try #require(stale["changes"] as? [[String: String]])
            #expect(
                changes == [
                    ["key": "prompt", "old": "A watercolor fox in a snowy forest", "new": "A watercolor cat in a snowy meadow", "summary": "2 words changed"],
                    ["key": "aspect_ratio", "old": "1:1", "new": "16:9"],
                ])
            #expect(entries.first { $0["id"] as? String == "lake" }?.keys.contains("changes") == false, "only stale entries carry changes")

            // An entry written before Folio recorded its generation still reads; its changes are unknown.
            var old = try Lockfile.load(project: harness.root)
            old.entries["fox"]?.generation = nil
            try old.write(project: harness.root)
            #expect(try Lockfile.load(project: harness.root).entries["fox"]?.generation == nil)
            let unknown = try await Self.folio(harness, "plan", "--json")
            #expect(unknown.status == 0, "\(unknown.stderr)")
            let again = try #require(try JSONSerialization.jsonObject(with: Data(unknown.stdout.utf8)) as? [String: Any])
            let foxAgain = try #require((again["entries"] as? [[String: Any]])?.first { $0["id"] as? String == "fox" })
            #expect(foxAgain["changes"] is NSNull)
            #expect(try await Self.folio(harness, "plan").stdout.contains("which keys changed is unknown"))
        }
    }

    @Test func theRecordReadsBackAndAnEditedOneIsNotBelieved() throws {
        let (prompt, problems) = decodePrompt("---\nroute: kling\naspect_ratio: \"3:4\"\nnegative_prompt: blurry\n---\nA poster\n")
        #expect(problems.isEmpty)
        let g = try #require(prompt).generation
        var lock = Lockfile()
        lock.entries["p"] = LockEntry(inputHash: g.inputHash, route: .kling, model: g.model, state: .pending, taskID: "T", generation: g.record)
        lock.entries["old"] = LockEntry(inputHash: "sha256:00", route: .gemini, model: "m", state: .failed)
        let text = lock.encoded()
        #expect(try Lockfile.decode(Data(text.utf8)) == lock)
        #expect(text.contains("      \"generation\": {\n        \"aspect_ratio\": \"3:4\",\n        \"folio_hash\": 1,"), "two-space indent, keys sorted")
        #expect(text.components(separatedBy: "\"generation\"").count == 2, "written only where it is known")

        // Edited by hand: it no longer hashes to input_hash, so it would explain another change than
        // the one that made the entry stale. The lockfile still reads; the record is not shown.
        let edited = text.replacingOccurrences(of: "\"aspect_ratio\": \"3:4\"", with: "\"aspect_ratio\": \"1:1\"")
        let read = try Lockfile.decode(Data(edited.utf8))
        var changed = try #require(prompt)
        changed.generation.aspectRatio = "16:9"
        let entry = try #require(read.entries["p"])
        #expect(GenerationChanges.between(recorded: entry.generation, inputHash: entry.inputHash, prompt: changed) == .untrusted)
        #expect(GenerationChanges.untrusted.json == .null)
        #expect(GenerationChanges.untrusted.lines.first?.contains("does not hash to its input_hash") == true)
        let honest = try #require(lock.entries["p"])
        #expect(
            GenerationChanges.between(recorded: honest.generation, inputHash: honest.inputHash, prompt: changed)
                == .keys([GenerationChange(key: "aspect_ratio", old: .string("3:4"), new: .string("16:9"), summary: nil)]))
        // Not a record Folio writes: a damaged lockfile, like any value Folio never writes.
        let notObject = text.replacingOccurrences(of: "\"state\": \"failed\"", with: "\"state\": \"failed\", \"generation\": \"../x\"")
        let error = #expect(throws: FolioError.self) { try Lockfile.decode(Data(notObject.utf8)) }
        #expect(error?.message.hasPrefix("folio.lock is damaged: unexpected value at entries.old.generation") == true, "\(error?.message ?? "")")
        let noPrompt = text.replacingOccurrences(of: "\"prompt\": \"A poster\",", with: "")
        #expect(noPrompt != text)
        #expect(throws: FolioError.self) { try Lockfile.decode(Data(noPrompt.utf8)) }

        // The other values are still checked with a record beside them: data, never paths.
        var withOutput = lock
        withOutput.entries["p"]?.outputs = [
            LockOutput(
                index: 0, url: nil,
                asset: StoredAsset(file: "assets/../../x.png", sha256: String(repeating: "a", count: 64), bytes: 1, width: 1, height: 1, mime: "image/png"))
        ]
        let pathError = #expect(throws: FolioError.self) { try Lockfile.decode(Data(withOutput.encoded().utf8)) }
        #expect(pathError?.message.contains("outputs[0].file is 'assets/../../x.png'") == true)
    }

    @Test func wordChangesCountChangedAddedAndRemovedWords() {
        #expect(WordChanges.count(from: "a red fox", to: "a blue cat").summary == "2 words changed")
        #expect(WordChanges.count(from: "a fox", to: "a small fox at dawn").summary == "3 words added")
        #expect(WordChanges.count(from: "a small red fox", to: "a fox").summary == "2 words removed")
        #expect(WordChanges.count(from: "one two three", to: "one 2 three four").summary == "1 word changed, 1 added")
        #expect(WordChanges.count(from: "a  fox", to: "a fox").summary == "whitespace only")
    }

    @Test func referenceImagesAreNamedByFileWhenPresentAndByShortHashWhenGone() {
        let image = ReferenceImage(path: "prompts/ref/bottle.png", sha256: String(repeating: "b", count: 64), bytes: 1, format: "png")
        let summary = GenerationChanges.imagesSummary(["sha256:" + String(repeating: "a", count: 64)], ["sha256:" + image.sha256], images: [image])
        #expect(summary == "bottle.png added; aaaaaaaa removed")
        #expect(GenerationChanges.shown(.string("1:1\u{1B}[2J")) == "1:1\\u{1B}[2J", "no escape sequence reaches the terminal")
        #expect(GenerationChanges.shown(nil) == "none")
    }

    @Test func referenceImagesFromTheLockfileAreEscaped() {
        let summary = GenerationChanges.imagesSummary(["\u{1B}[31mRED"], ["\u{1B}[2J"], images: [])
        #expect(!summary.unicodeScalars.contains("\u{1B}"), "no escape sequence reaches the terminal: \(summary)")
        #expect(summary == "\\u{1B}[2J added; \\u{1B}[31mRED removed")
        let image = ReferenceImage(path: "ref/a\u{1B}[2J.png", sha256: String(repeating: "c", count: 64), bytes: 1, format: "png")
        let named = GenerationChanges.imagesSummary([], ["sha256:" + image.sha256], images: [image])
        #expect(named == "a\\u{1B}[2J.png added")
    }
}
