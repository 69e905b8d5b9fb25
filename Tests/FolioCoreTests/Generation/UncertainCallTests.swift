import Foundation
@testable import FolioCore
import FolioSimulator
import Testing

/// A paid call that may have been charged is never sent again by itself.
@Suite(.serialized) struct UncertainCallTests {
    @Test func aMalformed200OrADroppedConnectionIsSentOnceAndOnceMoreWithRetryFailed() async throws {
        try await GenerationHarness.with(files: [
            "prompts/dm.md": promptFile("dashscope", "dash malformed [[sim:malformed x1]]"),
            "prompts/dr.md": promptFile("dashscope", "dash reset [[sim:reset x1]]"),
            "prompts/gm.md": promptFile("gemini", "gem malformed [[sim:malformed x1]]"),
            "prompts/gr.md": promptFile("gemini", "gem reset [[sim:reset x1]]"),
            "prompts/ok.md": promptFile("gemini", "a fine fox"),
        ]) { h in
            let (first, lock, events) = try await h.generate()
            #expect(first.generated == ["ok"])
            #expect(first.failed.map(\.id) == ["dm", "dr", "gm", "gr"])
            #expect(first.failed.allSatisfy { $0.error.kind == .uncertain })
            #expect(first.failed.allSatisfy { $0.error.message.contains("may have been charged") })
            #expect(first.uncertain == 4)
            #expect(first.exitStatus == .partial)
            for text in ["dash malformed [[", "dash reset [[", "gem malformed [[", "gem reset [["] {
                #expect(await h.creates(text) == 1, "\(text) sent once")
            }
            #expect(!events.contains { if case .retrying(let id, _, _, _) = $0 { return id != "ok" } else { return false } })
            #expect(lock.entries["dm"]?.state == .failed && lock.entries["dm"]?.error?.kind == .uncertain)

            // A plain build leaves them alone, and does not count them again.
            let (second, _, _) = try await h.generate()
            #expect(second.requests == 0)
            #expect(second.uncertain == 0)
            #expect(second.failed.count == 4)
            for text in ["dash malformed [[", "dash reset [[", "gem malformed [[", "gem reset [["] {
                #expect(await h.creates(text) == 1)
            }
            // --retry-failed sends each once more (the faults fired once, so now they succeed).
            let (third, after, _) = try await h.generate(retryFailed: true)
            #expect(third.generated == ["dm", "dr", "gm", "gr"], "\(third.failed)")
            for text in ["dash malformed [[", "dash reset [[", "gem malformed [[", "gem reset [["] {
                #expect(await h.creates(text) == 2)
            }
            #expect(after.entries.values.allSatisfy { $0.state == .succeeded })
        }
    }

    @Test func theRetryableRowsAreStillRetried() async throws {
        try await GenerationHarness.with(files: [
            "prompts/d.md": promptFile("dashscope", "dash busy [[sim:server-error x1]]"),
            "prompts/g.md": promptFile("gemini", "gem busy [[sim:rate-limit x1]]"),
            "prompts/k.md": promptFile("kling", "kling reset [[sim:reset x1]]"),
        ]) { h in
            let (report, lock, _) = try await h.generate()
            #expect(report.generated == ["d", "g", "k"], "\(report.failed) \(report.pending)")
            #expect(await h.creates("dash busy [[") == 2)
            #expect(await h.creates("gem busy [[") == 2)
            // A Kling create keeps its external_task_id: the task is looked up, not paid for again.
            #expect(await h.creates("kling reset [[") == 1, "the reset came after the task was made: it is found by its external id")
            #expect(lock.entries["k"]?.state == .succeeded)
        }
    }

    @Test func gatewayRetriesCountsEveryTry() async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile("dashscope", "always busy [[sim:server-error x9]]")]) { h in
            let (report, _, _) = try await h.generate(retries: 3)
            #expect(report.pending.map(\.id) == ["d"])
            #expect(await h.creates("always busy [[") == 3, "gateway.retries: 3 means three tries in all")
        }
    }

    @Test func aRefusedConnectionNeverReachedTheProvider() async throws {
        // A port nothing listens on: bound, then closed.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        close(fd)
        let port = UInt16(bigEndian: address.sin_port)
        let http = GatewayHTTP(endpoint: try GatewayEndpoint(baseURL: "http://127.0.0.1:\(port)", key: "k-123456"))
        do throws(TransportFailure) {
            _ = try await http.gateway(.POST, "/dashscope/v1/services/aigc/multimodal-generation/generation", json: .object([]))
            Issue.record("a closed port answered")
        } catch {
            #expect(!error.mayHaveArrived, "\(error.message)")
            #expect(Classify.transport(error).forPaidCreate.kind != .uncertain)
            // In words a user reads, not NIO's "connection reset (error set): … (errno: 111)".
            #expect(error.message.contains("connection refused") && !error.message.contains("errno"), "\(error.message)")
        }
        await http.shutdown()
    }

    @Test func theSummaryNeverClaimsMoreThanItKnows() throws {
        var report = GenerationReport()
        report.failed = [("a", LockError(kind: .uncertain, code: nil, message: "x"))]
        report.uncertain = 1
        #expect(report.exitStatus == .partial)
    }
}

/// `url` with its path changed, so the storage host no longer knows it (404).
func goneURL(_ url: String) -> String {
    guard var parts = URLComponents(string: url) else { return url + "-gone" }
    parts.path += "-gone"
    return parts.string ?? url + "-gone"
}

/// A link the host reports gone is regenerated at once with --regenerate.
@Suite(.serialized) struct DeadLinkTests {
    @Test func aDeadLinkIsRegeneratedAtOnceWithRegenerate() async throws {
        try await GenerationHarness.with(files: [
            "prompts/d.md": promptFile("dashscope", "a dashscope shoe"),
            "prompts/k.md": promptFile("kling", "a kling poster"),
        ]) { h in
            _ = try await h.generate()
            // The assets are gone and the host no longer knows the links, though their clocks say they live.
            var lock = try Lockfile.load(project: h.root)
            for id in ["d", "k"] {
                for output in lock.entries[id]!.outputs {
                    try FileManager.default.removeItem(at: h.root.appendingPathComponent(try #require(output.asset).file))
                }
                lock.entries[id]!.outputs = lock.entries[id]!.outputs.map {
                    var o = $0; o.url = o.url.map(goneURL); return o
                }
            }
            try lock.write(project: h.root)
            let plan = Planner.plan(await ProjectLoader.load(h.root).prompts, lock: lock, project: h.root, options: PlanOptions(regenerate: true))
            #expect(plan.entries.map(\.action) == [.download, .download], "by the clock the links still live")
            let (regenerated, after, _) = try await h.generate(regenerate: true)
            #expect(regenerated.generated == ["d", "k"], "\(regenerated.missing) \(regenerated.failed)")
            #expect(await h.creates("a dashscope shoe") == 2)
            #expect(await h.creates("a kling poster") == 2)
            #expect(after.entries.values.allSatisfy { $0.state == .succeeded })
        }
    }

    @Test func withoutRegenerateADeadLinkIsReportedAndForgotten() async throws {
        try await GenerationHarness.with(files: ["prompts/k.md": promptFile("kling", "a kling poster")]) { h in
            _ = try await h.generate()
            var lock = try Lockfile.load(project: h.root)
            for output in lock.entries["k"]!.outputs { try FileManager.default.removeItem(at: h.root.appendingPathComponent(try #require(output.asset).file)) }
            lock.entries["k"]!.outputs = lock.entries["k"]!.outputs.map {
                var o = $0; o.url = o.url.map(goneURL); return o
            }
            try lock.write(project: h.root)
            let (plain, after, _) = try await h.generate()
            #expect(plain.missing.map(\.id) == ["k"])
            #expect(await h.creates("a kling poster") == 1, "nothing regenerated without --regenerate")
            let plan = Planner.plan(await ProjectLoader.load(h.root).prompts, lock: after, project: h.root)
            #expect(plan.entries.first?.action == .missing)
        }
    }

    /// A pending sync variant, or a pending Kling task, whose links are gone: made again once under --regenerate.
    @Test(arguments: [("dashscope", "expired shoe"), ("kling", "gone poster")])
    func aDeadLinkOfAPendingEntryIsRegeneratedWithRegenerate(_ route: String, _ text: String) async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile(route, "\(text) [[sim:expired]]")]) { h in
            let (first, _, _) = try await h.generate()
            #expect(first.missing.map(\.id) == ["d"])
            #expect(await h.creates("\(text) [[") == 1)
            let (second, _, _) = try await h.generate(regenerate: true)
            // The host reports every link of this prompt expired: made once more, then reported.
            #expect(await h.creates("\(text) [[") == 2)
            #expect(second.missing.map(\.id) == ["d"])
        }
    }
}

/// Smaller points from the same review.
struct EdgeTests {
    @Test func omniPrefersWhicheverImageListIsNonEmpty() throws {
        let body = """
            {"code": 0, "message": "SUCCEED", "data": {"task_id": "T", "task_status": "succeed",
             "task_result": {"images": [], "series_images": [{"index": 0, "url": "https://x/0.png"}, {"index": 1, "url": "https://x/1.png"}]}}}
            """
        let reply = HTTPReply(status: 200, headers: [], body: Array(body.utf8))
        let snapshot = try Kling().classify(reply, scrub: { $0 }).get()
        #expect(snapshot.urls == ["https://x/0.png", "https://x/1.png"])
    }

    @Test func aGatewayNamedOnlyInFolioYmlGetsNoKey() throws {
        var settings = Settings()
        settings.gateway.baseURL = "https://gateway.example.net"
        #expect(throws: FolioError.self) {
            try GatewaySetup.endpoint(settings: settings, environment: ["ANYINT_API_KEY": "sk-123456"])
        }
        let chosen = try GatewaySetup.endpoint(
            settings: settings, environment: ["ANYINT_API_KEY": "sk-123456", "ANYINT_BASE_URL": "https://gateway.example.net"])
        #expect(chosen.baseURL == "https://gateway.example.net")
        settings.gateway.baseURL = "https://gateway.api.anyint.ai"
        #expect(try GatewaySetup.endpoint(settings: settings, environment: ["ANYINT_API_KEY": "sk-123456"]).baseURL == "https://gateway.api.anyint.ai")
    }

    @Test func theTestSpeedUpHoldsOnlyOnLoopback() throws {
        let local = try GatewayEndpoint(baseURL: "http://127.0.0.1:8080", key: "sk-123456")
        let remote = try GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "sk-123456")
        #expect(GatewaySetup.timeScale(requested: 0.001, endpoint: local) == 0.001)
        #expect(GatewaySetup.timeScale(requested: 0.001, endpoint: remote) == 1)
        #expect(GatewaySetup.timeScale(requested: 0, endpoint: local) == 0, "no waits at all against the simulator")
        #expect(GatewaySetup.timeScale(requested: 0, endpoint: remote) == 1)
    }

    @Test func dashScopeCostsCountImagesNotPixels() {
        let one: JSONValue = .object([("width", .int(1328)), ("height", .int(1328)), ("image_count", .int(1))])
        let total = Generator.addCost(Generator.addCost(one, one), one)
        #expect(total?["image_count"]?.intValue == 3)
        #expect(total?["width"]?.intValue == 1328)
    }

    @Test func taskIdsAreOnePathSegment() {
        #expect(Generator.pathSegment("../../admin?x=1#y") == "%2E%2E%2F%2E%2E%2Fadmin%3Fx%3D1%23y")
        #expect(Generator.pathSegment("..") == "%2E%2E")
        #expect(Generator.pathSegment("CjMT7WdSwWcAAAAAALvB3g") == "CjMT7WdSwWcAAAAAALvB3g")
    }
}

/// A poll that says the task is unknown keeps the paid task pending.
@Suite(.serialized) struct UnknownTaskTests {
    @Test func anUnknownTaskOnPollStaysPendingAndIsNotCreatedAgain() async throws {
        try await GenerationHarness.with(files: ["prompts/k.md": promptFile("kling", "a lost poster")]) { h in
            let project = await ProjectLoader.load(h.root)
            let prompt = try #require(project.prompts.first)
            var lock = Lockfile()
            lock.entries["k"] = LockEntry(
                inputHash: prompt.inputHash, route: .kling, model: "kling-v2-1", state: .pending,
                externalTaskID: "folio-lost", taskID: "no-such-task", createdAt: Timestamp.format(Date()))
            try lock.write(project: h.root)
            let (report, after, _) = try await h.generate()
            #expect(report.pending.map(\.id) == ["k"])
            #expect(report.failed.isEmpty)
            #expect(await h.creates("a lost poster") == 0)
            #expect(after.entries["k"]?.state == .pending)
        }
    }
}
