import Foundation
import Testing
@testable import FolioCore

@Suite struct PlanTests {
    @Test func theSampleProjectIsAllNewWithTheRightRequestCounts() throws {
        // A copy: the README's first command may have built the sample in the repository already.
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        let result = try runFolio(["plan", "--project", copy.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let entries = try #require(object["entries"] as? [[String: Any]])
        let requests = Dictionary(uniqueKeysWithValues: entries.map { ($0["id"] as! String, $0["requests"] as! Int) })
        #expect(
            requests == [
                "welcome": 1,
                "nature/alpine-lake": 1, "nature/cherry-blossom": 2, "nature/old-fisherman": 1, "nature/watercolor-fox": 1,
                "posters/film-festival": 1, "posters/four-seasons": 1, "posters/jazz-night": 1, "posters/launch": 1,
                "products/bottle-restyle": 1, "products/perfume-bottle": 1, "products/sneaker-hero": 1, "products/watch-studio": 2,
            ])
        #expect(entries.allSatisfy { $0["action"] as? String == "new" })
        #expect(!requests.keys.contains("nature/northern-lights"), "drafts are not planned")
        // The counts; the estimates beside them are null, as the sample project sets no prices.
        let routes = try #require(object["totals"] as? [String: [String: Any]])
        #expect(routes.values.allSatisfy { $0["estimated_cost"] is NSNull })
        let totals = routes.mapValues { $0.compactMapValues { $0 as? Int } }
        #expect(Set(totals.keys) == ["gemini", "dashscope", "kling", "kling-omni"])
        #expect(totals["gemini"]?["requests"] == 5)
        #expect(totals["dashscope"]?["requests"] == 4)
        #expect(totals["kling"]?["requests"] == 3)
        #expect(totals["kling-omni"]?["requests"] == 3)
        #expect(totals["kling"]?["new"] == 3)
        #expect(totals["kling"]?["cached"] == 0)
        let launch = try #require(entries.first { $0["id"] as? String == "posters/launch" })
        #expect(launch["route"] as? String == "kling")
        #expect(launch["model"] as? String == "kling-v2-1")
    }

    /// A project with one prompt per state, and the lockfile and assets that put it there.
    struct Scenario {
        let root: URL
        let project: LoadedProject
        var lock = Lockfile()

        init() async throws {
            var files: [String: String] = [:]
            for id in ["cached", "stale", "pending", "submitting", "failed", "download", "expired", "inline-gone", "fresh"] {
                files["prompts/\(id).md"] = "---\nroute: \(id == "inline-gone" ? "gemini" : "kling")\n---\nPrompt \(id)\n"
            }
            root = makeProject(files)
            project = await ProjectLoader.load(root)
            let now = Date()
            let hour = Timestamp.format(now.addingTimeInterval(-3600))
            let old = Timestamp.format(now.addingTimeInterval(-40 * 24 * 3600))
            try FileManager.default.createDirectory(at: root.appendingPathComponent("assets"), withIntermediateDirectories: true)
            let present = SHA256Hex.of(Data(repeating: 7, count: 10))
            try Data(repeating: 7, count: 10).write(to: root.appendingPathComponent("assets/\(present).png"))
            let gone = String(repeating: "0", count: 64)
            func output(_ name: String) -> LockOutput {
                let sha = name == "present.png" ? present : gone
                return LockOutput(
                    index: 0, url: "https://cdn.example/\(name)",
                    asset: StoredAsset(file: "assets/\(sha).png", sha256: sha, bytes: 10, width: 1, height: 1, mime: "image/png"))
            }
            for prompt in project.prompts {
                var entry = LockEntry(
                    inputHash: prompt.inputHash, route: prompt.generation.route, model: prompt.generation.model,
                    state: .succeeded, createdAt: hour, updatedAt: hour, outputs: [output("present.png")])
                switch prompt.id {
                case "stale": entry.inputHash = "sha256:old"
                case "pending": entry.state = .pending; entry.taskID = "task-1"; entry.outputs = []
                case "submitting": entry.state = .submitting; entry.externalTaskID = "folio-abc"; entry.outputs = []
                case "failed":
                    entry.state = .failed
                    entry.outputs = []
                    entry.error = LockError(kind: .moderation, code: "1301", message: "Failure to pass the risk control system")
                case "download": entry.outputs = [output("gone.png")]
                case "expired": entry.outputs = [output("gone.png")]; entry.createdAt = old; entry.updatedAt = old
                case "inline-gone":
                    entry.outputs = [
                        LockOutput(
                            index: 0, url: nil, asset: StoredAsset(file: "assets/\(gone).png", sha256: gone, bytes: 10, width: 1, height: 1, mime: "image/png"))
                    ]
                case "fresh": continue
                default: break
                }
                lock.entries[prompt.id] = entry
            }
        }
    }

    @Test func eachStateGetsItsAction() async throws {
        let s = try await Scenario()
        defer { try? FileManager.default.removeItem(at: s.root) }
        let plan = Planner.plan(s.project.prompts, lock: s.lock, project: s.root)
        let actions = Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.id, $0.action) })
        #expect(
            actions == [
                "cached": .cached, "stale": .stale, "pending": .resume, "submitting": .resume, "failed": .failed,
                "download": .download, "expired": .missing, "inline-gone": .missing, "fresh": .new,
            ])
        let requests = Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.id, $0.requests) })
        #expect(
            requests == [
                "cached": 0, "stale": 1, "pending": 0, "submitting": 1, "failed": 0, "download": 0, "expired": 0, "inline-gone": 0, "fresh": 1,
            ])
        #expect(plan.entries.first { $0.id == "download" }?.downloads == 1)
        #expect(plan.entries.first { $0.id == "failed" }?.reason == "moderation: Failure to pass the risk control system")
        #expect(plan.totals[.kling]?.requests == 3, "a submitting entry counts the one create it may still need")
    }

    @Test func flagsTurnFailedAndExpiredIntoRequests() async throws {
        let s = try await Scenario()
        defer { try? FileManager.default.removeItem(at: s.root) }
        let plan = Planner.plan(s.project.prompts, lock: s.lock, project: s.root, options: PlanOptions(retryFailed: true, regenerate: true))
        let actions = Dictionary(uniqueKeysWithValues: plan.entries.map { ($0.id, $0.action) })
        #expect(actions["failed"] == .new)
        #expect(actions["expired"] == .new)
        #expect(actions["inline-gone"] == .new)
        #expect(actions["cached"] == .cached)
        #expect(plan.requests == 6)
    }

    @Test func aResizedAssetIsNotCached() async throws {
        let s = try await Scenario()
        defer { try? FileManager.default.removeItem(at: s.root) }
        try Data(repeating: 7, count: 9).write(to: s.root.appendingPathComponent("assets/\(SHA256Hex.of(Data(repeating: 7, count: 10))).png"))
        let plan = Planner.plan(s.project.prompts, lock: s.lock, project: s.root)
        #expect(plan.entries.first { $0.id == "cached" }?.action == .download)
    }

    @Test func planJSONThroughTheCommand() async throws {
        let s = try await Scenario()
        defer { try? FileManager.default.removeItem(at: s.root) }
        try s.lock.write(project: s.root)
        let lockBefore = try Data(contentsOf: s.root.appendingPathComponent("folio.lock"))
        let result = try runFolio(["plan", "--project", s.root.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // The counts; with no prices, the estimate beside them is null (unknown) where requests are sent.
        let routes = try #require(object["totals"] as? [String: [String: Any]])
        #expect(routes["kling"]?["estimated_cost"] is NSNull)
        let totals = routes.mapValues { $0.filter { $0.key != "estimated_cost" }.compactMapValues { $0 as? Int } }
        #expect(
            totals["kling"] == [
                "new": 1, "cached": 1, "stale": 1, "resume": 2, "failed": 1, "download": 1, "missing": 1,
                "requests": 3, "downloads": 1,
            ])
        #expect(totals["gemini"]?["missing"] == 1)
        #expect(try Data(contentsOf: s.root.appendingPathComponent("folio.lock")) == lockBefore, "plan never writes")
        let human = try runFolio(["plan", "--project", s.root.path])
        #expect(human.stdout.contains("9 prompts: a build would send 3 requests, estimated cost unknown: no price in folio.yml for kling kling-v2-1"))
    }
}
