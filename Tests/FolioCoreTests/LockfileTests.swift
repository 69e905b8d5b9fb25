import Foundation
import Testing
@testable import FolioCore

@Suite struct LockfileTests {
    static let digest = "3f5a" + String(repeating: "0", count: 60)

    static func sampleEntry(_ hash: String = "sha256:aa", state: LockEntry.State = .succeeded) -> LockEntry {
        LockEntry(
            inputHash: hash, route: .kling, model: "kling-v2-1", state: state, externalTaskID: "folio-1",
            taskID: "CjMT7WdSwWcAAAAAALvB3g", requestID: "req-1", createdAt: "2026-11-25T12:00:00Z",
            updatedAt: "2026-11-25T12:00:41Z",
            outputs: [
                LockOutput(
                    index: 0, url: "https://cdn.example/1fa0ac67.png",
                    asset: StoredAsset(
                        file: "assets/\(digest).png", sha256: digest, bytes: 2_318_312, width: 1536, height: 2048, mime: "image/png"))
            ],
            text: nil, error: nil, cost: .object([("final_unit_deduction", .string("2"))]))
    }

    @Test func roundTrip() throws {
        var lock = Lockfile()
        lock.entries["posters/launch"] = Self.sampleEntry()
        lock.entries["a/failed"] = LockEntry(
            inputHash: "sha256:bb", route: .dashscope, model: "qwen-image-plus", state: .failed,
            error: LockError(kind: .moderation, code: "DataInspectionFailed", message: "Input data may contain inappropriate content."))
        lock.entries["gem"] = LockEntry(
            inputHash: "sha256:cc", route: .gemini, model: "gemini-3.1-flash-image-preview",
            state: .succeeded, text: "Here is a \"fox\"\nwith ünïcode")
        let decoded = try Lockfile.decode(Data(lock.encoded().utf8))
        #expect(decoded == lock)
    }

    @Test func theFileIsSortedIndentedAndEndsWithANewline() {
        var lock = Lockfile()
        lock.entries["zeta"] = LockEntry(inputHash: "sha256:z", route: .gemini, model: "m", state: .pending, taskID: nil)
        lock.entries["alpha/one"] = LockEntry(
            inputHash: "sha256:a", route: .klingOmni, model: "kling-v3-omni", state: .submitting,
            externalTaskID: "folio-x")
        let expected = """
            {
              "version": 1,
              "entries": {
                "alpha/one": {
                  "input_hash": "sha256:a",
                  "route": "kling-omni",
                  "model": "kling-v3-omni",
                  "state": "submitting",
                  "external_task_id": "folio-x",
                  "task_id": null,
                  "request_id": null,
                  "created_at": null,
                  "updated_at": null,
                  "outputs": [],
                  "text": null,
                  "error": null
                },
                "zeta": {
                  "input_hash": "sha256:z",
                  "route": "gemini",
                  "model": "m",
                  "state": "pending",
                  "external_task_id": null,
                  "task_id": null,
                  "request_id": null,
                  "created_at": null,
                  "updated_at": null,
                  "outputs": [],
                  "text": null,
                  "error": null
                }
              }
            }

            """
        #expect(lock.encoded() == expected)
    }

    @Test func theSameLockfileIsWrittenTheSameWay() {
        var a = Lockfile(), b = Lockfile()
        let ids = (0..<200).map { "p/\($0)" }
        for id in ids { a.entries[id] = Self.sampleEntry("sha256:\(id)") }
        for id in ids.reversed() { b.entries[id] = Self.sampleEntry("sha256:\(id)") }
        #expect(a.encoded() == b.encoded())
    }

    /// The file put together from each entry's fragment (how LockStore writes it, re-encoding only
    /// the entries that changed) is byte for byte the JSON object written whole.
    @Test func theFileFromFragmentsIsTheObjectWrittenWhole() {
        for count in [0, 1, 3] {
            var lock = Lockfile()
            for i in 0..<count { lock.entries["p/\(i)\u{22}é"] = Self.sampleEntry("sha256:\(i)", state: i == 1 ? .pending : .succeeded) }
            let whole = JSONValue.object([
                ("version", .int(Lockfile.currentVersion)),
                ("entries", .object(lock.entries.keys.sorted().map { ($0, lock.entries[$0]!.json) })),
            ]).pretty
            #expect(lock.encoded() == whole, "\(count) entries")
        }
    }

    /// LockStore keeps each entry's text between writes: after changes to one entry, another
    /// added and one removed, the file on disk is what the lockfile encodes whole.
    @Test func theStoreWritesWhatTheLockfileEncodes() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("folio-lockstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var lock = Lockfile()
        for id in ["a", "b", "c"] { lock.entries[id] = Self.sampleEntry("sha256:\(id)") }
        let store = LockStore(project: folder, lock: lock)
        try await store.commit("b") { $0?.state = .failed }
        try await store.commit("d") { $0 = Self.sampleEntry("sha256:d") }
        try await store.commit("a") { $0 = nil }
        try await store.commit("c") { $0?.taskID = "changed" }
        let written = try String(contentsOf: folder.appendingPathComponent(Lockfile.fileName), encoding: .utf8)
        #expect(written == (await store.lock).encoded())
        #expect(try Lockfile.decode(Data(written.utf8)) == (await store.lock))
        #expect(Set((await store.lock).entries.keys) == ["b", "c", "d"])
    }

    @Test func writeIsAtomicAndLeavesNoTemporaryFile() throws {
        let root = TestPaths.temporaryFolder("folio-lock")
        defer { try? FileManager.default.removeItem(at: root) }
        var lock = Lockfile()
        lock.entries["one"] = Self.sampleEntry()
        try lock.write(project: root)
        #expect(try Lockfile.load(project: root) == lock)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["folio.lock"])
    }

    struct Interrupted: Error {}

    @Test func anInterruptedWriteLeavesThePreviousFileIntact() throws {
        let root = TestPaths.temporaryFolder("folio-lock")
        defer { try? FileManager.default.removeItem(at: root) }
        var lock = Lockfile()
        lock.entries["one"] = Self.sampleEntry()
        try lock.write(project: root)
        let before = try Data(contentsOf: root.appendingPathComponent("folio.lock"))

        var next = lock
        next.entries["two"] = Self.sampleEntry("sha256:two", state: .pending)
        #expect(throws: Interrupted.self) {
            try next.write(project: root, beforeRename: { throw Interrupted() })
        }
        #expect(try Data(contentsOf: root.appendingPathComponent("folio.lock")) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["folio.lock"])
        #expect(try Lockfile.load(project: root) == lock)
    }

    @Test func aMissingLockfileIsEmpty() throws {
        let root = TestPaths.temporaryFolder("folio-lock")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Lockfile.load(project: root).entries.isEmpty)
    }

    @Test(arguments: [
        ("{\"version\": 1, \"entries\": {", "folio.lock is damaged: not valid JSON"),
        ("not json at all", "folio.lock is damaged: not valid JSON"),
        ("{\"entries\": {}}", "folio.lock is damaged: 'version' is missing at the top level"),
        ("{\"version\": 1, \"entries\": {\"a\": {\"route\": \"kling\"}}}", "folio.lock is damaged: 'input_hash' is missing at entries.a"),
        (
            "{\"version\": 1, \"entries\": {\"a\": {\"input_hash\": \"x\", \"route\": \"midjourney\", \"model\": \"m\", \"state\": \"pending\"}}}",
            "folio.lock is damaged: entry 'a' names an unknown route 'midjourney'"
        ),
        (
            "{\"version\": 1, \"entries\": {\"a\": {\"input_hash\": \"x\", \"route\": \"kling\", \"model\": \"m\", \"state\": \"done\"}}}",
            "folio.lock is damaged: unexpected value at entries.a.state"
        ),
        // Valid JSON with a number no field holds: named at its key, not called "not valid JSON".
        (
            "{\"version\": 1, \"entries\": {\"a\": {\"input_hash\": \"x\", \"route\": \"kling\", \"model\": \"m\", \"state\": \"succeeded\", \"outputs\": [{\"index\": 0, \"bytes\": 1e30}]}}}",
            "folio.lock is damaged: entries.a.outputs[0].bytes = 1e+30 does not fit where it stands"
        ),
    ])
    func aCorruptLockfileIsRefusedWithAWayOut(text: String, prefix: String) {
        do {
            _ = try Lockfile.decode(Data(text.utf8))
            Issue.record("decoded a corrupt lockfile")
        } catch {
            #expect(error.description.hasPrefix(prefix), "\(error.description)")
            #expect(error.description.contains("git checkout -- folio.lock"))
            #expect(error.description.contains("left unchanged"))
        }
    }

    @Test func aNewerLockfileAsksForANewerFolio() {
        do {
            _ = try Lockfile.decode(Data("{\"version\": 2, \"entries\": {}, \"new_field\": true}".utf8))
            Issue.record("decoded a newer lockfile")
        } catch {
            #expect(
                error.description
                    == "folio.lock is version 2, written by a newer Folio; this Folio reads version 1. Upgrade Folio to use this project. The file was left unchanged."
            )
        }
    }

    @Test(arguments: ["{\"version\": 1, \"entries\": ", "{\"version\": 7, \"entries\": {}}"])
    func planStopsOnABadLockfileAndNeverTouchesIt(text: String) throws {
        let root = makeProject(["prompts/fox.md": "A fox\n", "folio.lock": text])
        defer { try? FileManager.default.removeItem(at: root) }
        let result = try runFolio(["plan", "--project", root.path])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: folio.lock "))
        #expect(result.stdout.isEmpty)
        #expect(try String(contentsOf: root.appendingPathComponent("folio.lock"), encoding: .utf8) == text)
    }

    @Test func unknownFieldsFromAnOlderOrSiblingWriterAreTolerated() throws {
        let text = """
            {"version": 1, "entries": {"a": {"input_hash": "sha256:x", "route": "gemini", "model": "m",
             "state": "succeeded", "outputs": [], "something_else": 3}}}
            """
        let lock = try Lockfile.decode(Data(text.utf8))
        #expect(lock.entries["a"]?.state == .succeeded)
    }
}
