import AsyncHTTPClient
import FolioCore
import FolioSimulator
import Foundation
import NIOCore
import Testing

@Suite(.serialized) struct SimulatorFaultTests {
    func dashscopeURL(_ reply: SimulatorHarness.Reply) throws -> String {
        try #require(reply.json?["output"]?["choices"]?.arrayValue?.first?["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
    }

    @Test func aFaultWithTimesFiresThatOftenThenPasses() async throws {
        try await SimulatorHarness.with { h async throws in
            let body = ExampleBodies.gemini("A fox [[sim:rate-limit x2]]")
            #expect(try await h.post(Paths.gemini, body).status == 429)
            #expect(try await h.post(Paths.gemini, body).status == 429)
            #expect(try await h.post(Paths.gemini, body).status == 200)
            let log = await h.simulator.creates(containing: "A fox")
            #expect(log.map(\.status) == [429, 429, 200])
            #expect(log.map(\.fault) == [.rateLimit, .rateLimit, nil])
        }
    }

    @Test func faultsFromTheConfigurationMatchRouteAndText() async throws {
        try await SimulatorHarness.with({ $0.faults = [FaultRule(kind: .serverError, route: .dashscope, match: "hero", times: 1)] }) { h async throws in
            #expect(try await h.post(Paths.gemini, ExampleBodies.gemini("hero shot")).status == 200)
            #expect(try await h.post(Paths.dashscope, ExampleBodies.dashscope("other")).status == 200)
            #expect(try await h.post(Paths.dashscope, ExampleBodies.dashscope("hero shot")).status == 500)
            #expect(try await h.post(Paths.dashscope, ExampleBodies.dashscope("hero shot")).status == 200)
        }
    }

    @Test func aFaultsFileIsRead() throws {
        let root = makeProject([
            "faults.yml": """
            faults:
              - fault: rate-limit
                route: kling
                match: fisherman
                times: 2
              - fault: slow
                seconds: 1.5
            """
        ])
        defer { try? FileManager.default.removeItem(at: root) }
        let rules = try Faults.load(path: root.appendingPathComponent("faults.yml").path)
        #expect(rules == [FaultRule(kind: .rateLimit, route: .kling, match: "fisherman", times: 2), FaultRule(kind: .slow, seconds: 1.5)])
        let bad = makeProject(["faults.yml": "faults:\n  - fault: gremlins\n"])
        defer { try? FileManager.default.removeItem(at: bad) }
        #expect(throws: SimulatorError.self) { try Faults.load(path: bad.appendingPathComponent("faults.yml").path) }
    }

    @Test func markersAreParsed() {
        #expect(
            Faults.markers(in: "A [[sim:slow 2s]] fox [[sim:reset x1]] and [[sim:nonsense]]") == [
                FaultRule(kind: .slow, seconds: 2), FaultRule(kind: .reset, times: 1),
            ])
    }

    @Test func aSlowAnswerIsLate() async throws {
        try await SimulatorHarness.with { h async throws in
            let start = ContinuousClock.now
            #expect(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:slow 0.3s]]")).status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func malformedJSON() async throws {
        try await SimulatorHarness.with { h async throws in
            for (path, body) in [
                (Paths.gemini, ExampleBodies.gemini("x [[sim:malformed]]")),
                (Paths.dashscope, ExampleBodies.dashscope("x [[sim:malformed]]")),
                (Paths.kling, ExampleBodies.kling("x [[sim:malformed]]")),
            ] {
                let reply = try await h.post(path, body)
                #expect(reply.status == 200)
                #expect(reply.json == nil)
            }
        }
    }

    @Test func aResetDropsTheConnectionMidResponse() async throws {
        try await SimulatorHarness.with { h async throws in
            await #expect(throws: (any Error).self) { _ = try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:reset]]")) }
            await #expect(throws: (any Error).self) { _ = try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:reset]]")) }
        }
    }

    @Test func aResetKlingCreateStillCreatedTheTask() async throws {
        try await SimulatorHarness.with { h async throws in
            let body = ExampleBodies.kling("lost answer [[sim:reset x1]]", external: "lost-1")
            await #expect(throws: (any Error).self) { _ = try await h.post(Paths.kling, body) }
            // The task exists: a lookup by external_task_id finds it, and creating again returns it.
            let query = try await h.send(.GET, Paths.kling + "/lost-1")
            let id = try #require(query.json?["data"]?["task_id"]?.stringValue)
            let again = try await h.post(Paths.kling, body)
            #expect(again.json?["data"]?["task_id"]?.stringValue == id)
            let tasks = Set(await h.simulator.creates(containing: "lost answer").compactMap(\.taskID))
            #expect(tasks == [id])
        }
    }

    @Test func aTruncatedDownloadIsCutOnce() async throws {
        try await SimulatorHarness.with { h async throws in
            let url = try dashscopeURL(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:truncate]]")))
            await #expect(throws: (any Error).self) { _ = try await h.download(url) }
            let second = try await h.download(url)
            #expect(second.status == 200)
            #expect(ImageHeader.read(second.bytes)?.format == "png")
            let downloads = await h.simulator.requests().filter { $0.kind == "download" }
            #expect(downloads.map(\.fault) == [.truncate, nil])
        }
    }

    @Test func resultURLsExpire() async throws {
        try await SimulatorHarness.with({
            $0.urlLifetimes[.dashscope] = 600; $0.timeScale = 0.001
        }) { h async throws in
            let url = try dashscopeURL(try await h.post(Paths.dashscope, ExampleBodies.dashscope()))
            #expect(try await h.download(url).status == 200)
            try await Task.sleep(for: .milliseconds(800))
            let expired = try await h.download(url)
            #expect(expired.status == 403)
            #expect(expired.text.contains("<Code>AccessDenied</Code>"))
            let marked = try dashscopeURL(try await h.post(Paths.dashscope, ExampleBodies.dashscope("y [[sim:expired]]")))
            #expect(try await h.download(marked).status == 403)
        }
    }

    @Test func theStorageHostRefusesAnAuthorizationHeaderAndLogsIt() async throws {
        try await SimulatorHarness.with { h async throws in
            let url = try dashscopeURL(try await h.post(Paths.dashscope, ExampleBodies.dashscope()))
            let withKey = try await h.send(.GET, url)
            #expect(withKey.status == 403)
            #expect(try await h.download(url).status == 200)
            let downloads = await h.simulator.requests().filter { $0.host == "storage" }
            #expect(downloads.map(\.authorization) == ["present", "none"])
        }
    }

    @Test func theLogIsJSONLinesWithoutTheKey() async throws {
        let root = TestPaths.temporaryFolder("folio-simlog")
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("requests.jsonl").path
        try await SimulatorHarness.with({
            $0.logPath = path; $0.key = "sk-very-secret-123"
        }) { h async throws in
            _ = try await h.post(Paths.gemini, ExampleBodies.gemini())
            _ = try await h.post(Paths.kling, ExampleBodies.kling(), authorization: "Bearer sk-very-secret-123-wrong")
            _ = try await h.post(Paths.omni, ExampleBodies.omni(ExampleBodies.bottleBase64))
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(!text.contains("sk-very-secret"))
        let first = try JSONDecoder().decode(JSONValue.self, from: Data(lines[0].utf8))
        #expect(first["route"]?.stringValue == "gemini")
        #expect(first["kind"]?.stringValue == "generate")
        #expect(first["authorization"]?.stringValue == "valid")
        #expect(first["body"]?["generationConfig"]?["imageConfig"]?["aspectRatio"]?.stringValue == "3:4")
        let second = try JSONDecoder().decode(JSONValue.self, from: Data(lines[1].utf8))
        #expect(second["authorization"]?.stringValue == "invalid")
        #expect(second["status"]?.intValue == 401)
        // Base64 images are summarised, not copied into the log.
        let third = try JSONDecoder().decode(JSONValue.self, from: Data(lines[2].utf8))
        #expect(third["body"]?["image_list"]?.arrayValue?.first?["image"]?.stringValue?.hasPrefix("<") == true)
    }
}

/// `folio sim`, run as a user would.
@Suite(.serialized) struct SimCommandTests {
    @Test func startsInUnderASecondPrintsItsURLAndAnswers() async throws {
        let start = ContinuousClock.now
        let (_, status) = try await withFolioSim(["--time-scale", "0.001", "--image-scale", "8", "--key", "k-123"]) { client, base in
            let elapsed = ContinuousClock.now - start
            #expect(base.hasPrefix("http://127.0.0.1:"))
            #expect(elapsed < .seconds(10), "started in \(elapsed)")
            var request = HTTPClientRequest(url: base + Paths.dashscope)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer k-123")
            request.body = .bytes(ByteBuffer(string: ExampleBodies.dashscope()))
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.status.code == 200)
            request.headers.replaceOrAdd(name: "Authorization", value: "Bearer other")
            #expect(try await client.execute(request, timeout: .seconds(10)).status.code == 401)
        }
        #expect(status == 0)
    }
}
