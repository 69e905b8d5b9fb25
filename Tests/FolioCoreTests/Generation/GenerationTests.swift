import Foundation
@testable import FolioCore
import FolioSimulator
import Testing

/// Generation against the simulator over real loopback HTTP.
@Suite(.serialized) struct GenerationTests {
    @Test func eachRoutesHappyPath() async throws {
        let bottle = try String(contentsOf: TestPaths.packageRoot.appendingPathComponent("prompts/products/ref/bottle.png"), encoding: .isoLatin1)
        try await GenerationHarness.with(files: [
            "prompts/fox.md": promptFile("gemini", "A watercolor fox", "aspect_ratio: \"3:4\"", "n: 2"),
            "prompts/shoe.md": promptFile("dashscope", "A white running shoe", "size: 1328*1328", "seed: 7"),
            "prompts/fisher.md": promptFile("kling", "portrait of an old fisherman", "aspect_ratio: \"3:4\"", "n: 3", "negative_prompt: blurry"),
            "prompts/table.md": promptFile("kling-omni", "Put <<<image_1>>> on a marble table", "images: [bottle.png]", "resolution: 2k"),
            "prompts/seasons.md": promptFile("kling-omni", "A lighthouse in four seasons", "result_type: series"),
        ]) { h in
            try Data(bottle.data(using: .isoLatin1)!).write(to: h.root.appendingPathComponent("prompts/bottle.png"))
            let (report, lock, _) = try await h.generate()
            #expect(report.generated == ["fisher", "fox", "seasons", "shoe", "table"])
            #expect(report.failed.isEmpty && report.pending.isEmpty)
            #expect(report.exitStatus == .ok)
            let expected: [String: (count: Int, width: Int, height: Int)] = [
                "fox": (2, 896 / 16, 1200 / 16), "shoe": (1, 1328 / 16, 1328 / 16), "fisher": (3, 768 / 16, 1024 / 16),
                "table": (1, 2048 / 16, 2048 / 16), "seasons": (4, 1024 / 16, 1024 / 16),
            ]
            for (id, want) in expected {
                let entry = try #require(lock.entries[id])
                #expect(entry.state == .succeeded)
                #expect(entry.outputs.count == want.count, "\(id)")
                #expect(entry.outputs.map(\.index) == Array(0..<want.count))
                for output in entry.outputs {
                    let asset = try #require(output.asset)
                    #expect(asset.width == want.width && asset.height == want.height, "\(id)")
                    let data = try Data(contentsOf: h.root.appendingPathComponent(asset.file))
                    #expect(SHA256Hex.of(data) == asset.sha256)
                    #expect(asset.bytes == data.count)
                    #expect(asset.file == "assets/\(asset.sha256).\(asset.mime == "image/jpeg" ? "jpg" : "png")")
                }
            }
            #expect(lock.entries["fox"]?.text?.isEmpty == false, "Gemini's text reply is kept")
            #expect(lock.entries["fox"]?.outputs.allSatisfy { $0.url == nil } == true)
            #expect(lock.entries["fisher"]?.taskID != nil)
            #expect(lock.entries["fisher"]?.externalTaskID?.hasPrefix("folio-") == true)
            #expect(lock.entries["fisher"]?.cost == .object([("final_unit_deduction", .string("3"))]))
            #expect(lock.entries["shoe"]?.cost?["image_count"]?.intValue == 1)
            #expect(lock.entries["fox"]?.cost?["totalTokenCount"]?.intValue ?? 0 > 0)
            // The bodies were what the reference says.
            let requests = await h.simulator.requests()
            let shoe = try #require(requests.first { $0.prompt == "A white running shoe" })
            #expect(shoe.body?["parameters"]?["watermark"] == .bool(false))
            #expect(shoe.body?["parameters"]?["prompt_extend"] == .bool(true))
            let fisher = try #require(requests.first { $0.kind == "create" && $0.prompt == "portrait of an old fisherman" })
            #expect(fisher.body?["model_name"] == fisher.body?["model"])
            #expect(fisher.body?["external_task_id"]?.stringValue == lock.entries["fisher"]?.externalTaskID)
            let seasons = try #require(requests.first { $0.kind == "create" && $0.prompt?.hasPrefix("A lighthouse") == true })
            #expect(seasons.body?["aspect_ratio"]?.stringValue == "1:1", "an explicit ratio without reference images")
            #expect(seasons.body?["series_amount"]?.intValue == 4)
        }
    }

    @Test func aSecondBuildSendsNothing() async throws {
        try await GenerationHarness.with(files: [
            "prompts/a.md": promptFile("gemini", "A fox"),
            "prompts/b.md": promptFile("kling", "A poster", "n: 2"),
            "prompts/c.md": promptFile("dashscope", "A shoe"),
        ]) { h in
            let (first, lockAfterFirst, _) = try await h.generate()
            #expect(first.generated.count == 3)
            let before = await h.simulator.requests().count
            let lockText = try String(contentsOf: h.root.appendingPathComponent("folio.lock"), encoding: .utf8)
            let (second, lockAfterSecond, _) = try await h.generate()
            #expect(second.cached == ["a", "b", "c"])
            #expect(second.requests == 0)
            #expect(await h.simulator.requests().count == before, "no request at all, downloads included")
            #expect(lockAfterSecond == lockAfterFirst)
            #expect(try String(contentsOf: h.root.appendingPathComponent("folio.lock"), encoding: .utf8) == lockText)
        }
    }

    @Test func rateLimitsAndServerErrorsAreRetriedThenSucceed() async throws {
        try await GenerationHarness.with(files: [
            "prompts/g.md": promptFile("gemini", "gemini [[sim:rate-limit x2]]"),
            "prompts/d.md": promptFile("dashscope", "dashscope [[sim:rate-limit x2]]"),
            "prompts/k.md": promptFile("kling", "kling [[sim:concurrency x2]]"),
            "prompts/s.md": promptFile("gemini", "server [[sim:server-error x1]]"),
            "prompts/p.md": promptFile("kling", "polls [[sim:poll-error x2]]"),
        ]) { h in
            let (report, lock, events) = try await h.generate()
            #expect(report.generated == ["d", "g", "k", "p", "s"], "\(report.failed) \(report.pending)")
            #expect(await h.creates("gemini [[") == 3)
            #expect(await h.creates("dashscope [[") == 3)
            #expect(await h.creates("kling [[") == 3)
            #expect(await h.creates("server [[") == 2)
            #expect(await h.creates("polls [[") == 1)
            #expect(lock.entries.values.allSatisfy { $0.state == .succeeded })
            let retries = events.compactMap { if case .retrying(let id, _, _, let reason) = $0 { return (id, reason) } else { return nil } }
            #expect(retries.contains { $0.0 == "g" && $0.1.contains("RESOURCE_EXHAUSTED") })
            #expect(retries.contains { $0.0 == "k" && $0.1.contains("1303") })
        }
    }

    @Test func geminiRetryDelayIsHonoured() async throws {
        try await GenerationHarness.with(
            files: ["prompts/g.md": promptFile("gemini", "slowly [[sim:rate-limit x1]]")],
            configure: { $0.timeScale = 0.01 }
        ) { h in
            let (report, _, events) = try await h.generate()
            #expect(report.generated == ["g"])
            let delays = events.compactMap { if case .retrying(_, _, let delay, _) = $0 { return delay } else { return nil } }
            // The simulator asks for 15 s on its clock (0.15 s here); the client scales waits by 0.001 as well.
            #expect(delays == [0.15 * 0.001])
        }
    }

    @Test(arguments: [
        ("gemini", "[[sim:moderation]]", LockError.Kind.moderation, "IMAGE_SAFETY"),
        ("gemini", "[[sim:blocked]]", .moderation, "PROHIBITED_CONTENT"),
        ("gemini", "[[sim:refusal]]", .moderation, "STOP"),
        ("gemini", "[[sim:billing]]", .billing, "FAILED_PRECONDITION"),
        ("dashscope", "[[sim:moderation]]", .moderation, "DataInspectionFailed"),
        ("dashscope", "[[sim:billing]]", .billing, "Arrearage"),
        ("dashscope", "[[sim:quota]]", .billing, "Throttling.AllocationQuota"),
        ("kling", "[[sim:moderation]]", .moderation, "1301"),
        ("kling", "[[sim:billing]]", .billing, "1102"),
        ("kling", "[[sim:permission]]", .auth, "1103"),
        ("kling-omni", "[[sim:task-failed]]", .moderation, "task_failed"),
    ])
    func billingAndModerationAreNotRetried(route: String, marker: String, kind: LockError.Kind, code: String) async throws {
        try await GenerationHarness.with(files: ["prompts/x.md": promptFile(route, "bad \(marker)")]) { h in
            let (report, lock, _) = try await h.generate()
            #expect(report.failed.map(\.id) == ["x"])
            #expect(report.exitStatus == .partial)
            let entry = try #require(lock.entries["x"])
            #expect(entry.state == .failed)
            #expect(entry.error?.kind == kind)
            #expect(entry.error?.code == code)
            #expect(await h.creates("bad [[") == 1)
            // Kept failed: a second run sends nothing; --retry-failed tries again.
            let (again, _, _) = try await h.generate()
            #expect(again.failed.map(\.id) == ["x"])
            #expect(await h.creates("bad [[") == 1)
            _ = try await h.generate(retryFailed: true)
            #expect(await h.creates("bad [[") == 2)
        }
    }

    @Test func aWrongKeyFailsAsAuthWithoutEchoingIt() async throws {
        try await GenerationHarness.with(files: ["prompts/x.md": promptFile("kling", "a poster")], configure: { $0.key = "another-key" }) { h in
            let (report, lock, _) = try await h.generate()
            #expect(lock.entries["x"]?.error?.kind == .auth)
            #expect(report.failed.count == 1)
            #expect(h.filesContaining(GenerationHarness.key).isEmpty)
        }
    }

    @Test func aTruncatedDownloadIsRetriedAndLeavesNoPartialFile() async throws {
        try await GenerationHarness.with(files: [
            "prompts/d.md": promptFile("dashscope", "cut [[sim:truncate]]"),
            "prompts/k.md": promptFile("kling", "cut too [[sim:truncate]]", "n: 2"),
        ]) { h in
            let (report, lock, _) = try await h.generate()
            #expect(report.generated == ["d", "k"])
            #expect(h.assetFiles().allSatisfy { !$0.hasPrefix(".") }, "\(h.assetFiles())")
            #expect(h.assetFiles().count == 3)
            for output in lock.entries.values.flatMap(\.outputs) {
                let asset = try #require(output.asset)
                let data = try Data(contentsOf: h.root.appendingPathComponent(asset.file))
                #expect(SHA256Hex.of(data) == asset.sha256)
            }
            let downloads = await h.simulator.requests().filter { $0.kind == "download" }
            #expect(downloads.filter { $0.fault == .truncate }.count == 3)
            #expect(await h.creates("cut") == 2)
        }
    }

    @Test func anExpiredURLIsNotRegeneratedWithoutAsking() async throws {
        try await GenerationHarness.with(
            files: ["prompts/d.md": promptFile("dashscope", "short-lived"), "prompts/k.md": promptFile("kling", "kept")],
            configure: {
                $0.urlLifetimes[.dashscope] = 600; $0.timeScale = 0.001
            }
        ) { h in
            _ = try await h.generate()
            // The asset is lost and its URL has expired meanwhile.
            let lock = try Lockfile.load(project: h.root)
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(try #require(lock.entries["d"]?.outputs.first?.asset?.file)))
            try await Task.sleep(for: .milliseconds(700))
            var edited = lock
            edited.entries["d"]?.createdAt = Timestamp.format(Date().addingTimeInterval(-25 * 3600))
            try edited.write(project: h.root)
            let (report, after, _) = try await h.generate()
            #expect(report.missing.map(\.id) == ["d"])
            #expect(report.exitStatus == .partial)
            #expect(await h.creates("short-lived") == 1)
            #expect(after.entries["d"]?.state == .succeeded)
            let (regenerated, _, _) = try await h.generate(regenerate: true)
            #expect(regenerated.generated == ["d"])
            #expect(await h.creates("short-lived") == 2)
        }
    }

    @Test func missingAssetsWithALiveURLAreDownloadedNotRegenerated() async throws {
        try await GenerationHarness.with(files: ["prompts/k.md": promptFile("kling", "download me", "n: 2")]) { h in
            let (_, lock, _) = try await h.generate()
            for output in try #require(lock.entries["k"]).outputs {
                try FileManager.default.removeItem(at: h.root.appendingPathComponent(try #require(output.asset).file))
            }
            let (report, after, _) = try await h.generate()
            #expect(report.downloaded == ["k"])
            #expect(await h.creates("download me") == 1)
            #expect(after.entries["k"]?.outputs.map(\.asset?.sha256) == lock.entries["k"]?.outputs.map(\.asset?.sha256))
            #expect(
                after.entries["k"]?.outputs.allSatisfy {
                    $0.asset.map { FileManager.default.fileExists(atPath: h.root.appendingPathComponent($0.file).path) } == true
                } == true)
        }
    }

    @Test func aChangedPromptRegeneratesAndKeepsTheOldAssets() async throws {
        try await GenerationHarness.with(files: ["prompts/a.md": promptFile("gemini", "first version")]) { h in
            let (_, first, _) = try await h.generate()
            try Data(promptFile("gemini", "second version").utf8).write(to: h.root.appendingPathComponent("prompts/a.md"))
            let (report, second, _) = try await h.generate()
            #expect(report.generated == ["a"])
            #expect(second.entries["a"]?.inputHash != first.entries["a"]?.inputHash)
            #expect(FileManager.default.fileExists(atPath: h.root.appendingPathComponent(try #require(first.entries["a"]?.outputs.first?.asset?.file)).path))
            #expect(h.assetFiles().count == 2)
        }
    }

    @Test func concurrencyIsCappedAndKlingHoldsNSlots() async throws {
        var files: [String: String] = [:]
        for i in 0..<8 { files["prompts/g\(i).md"] = promptFile("gemini", "parallel \(i)") }
        try await GenerationHarness.with(files: files, configure: { $0.fixedLatency = 0.15 }) { h in
            let start = ContinuousClock.now
            let (report, _, _) = try await h.generate(jobs: 2)
            let elapsed = ContinuousClock.now - start
            #expect(report.generated.count == 8)
            // 8 calls of 0.15 s, two at a time: 4 rounds.
            #expect(elapsed >= .milliseconds(600))
            let times = await h.simulator.requests().filter { $0.kind == "generate" }.map(\.time).sorted()
            // No three answers within one latency of each other: at most two were in flight.
            #expect(times.count == 8)
            for i in 2..<times.count { #expect(times[i] - times[i - 2] >= 0.1) }
        }
    }

    @Test func theKeyIsNeverWrittenAndNeverSentToTheImageHost() async throws {
        try await GenerationHarness.with(files: [
            "prompts/a.md": promptFile("gemini", "a"), "prompts/b.md": promptFile("dashscope", "b"),
            "prompts/c.md": promptFile("kling", "c [[sim:rate-limit x1]]"), "prompts/d.md": promptFile("kling-omni", "d [[sim:task-failed]]"),
        ]) { h in
            let (report, _, events) = try await h.generate()
            #expect(report.generated.count == 3)
            #expect(h.filesContaining(GenerationHarness.key).isEmpty)
            let text = events.map { "\($0)" }.joined()
            #expect(!text.contains(GenerationHarness.key))
            let storage = await h.simulator.requests().filter { $0.host == "storage" }
            #expect(!storage.isEmpty)
            #expect(storage.allSatisfy { $0.authorization == "none" })
            let gateway = await h.simulator.requests().filter { $0.host == "gateway" }
            #expect(gateway.allSatisfy { $0.authorization == "valid" })
        }
    }

    @Test func theKeyGoesOnlyOverHTTPSOrToLoopback() {
        #expect(throws: FolioError.self) { try GatewayEndpoint(baseURL: "http://api.anyint.ai", key: "k") }
        #expect(throws: FolioError.self) { try GatewayEndpoint(baseURL: "http://10.0.0.5:8080", key: "k") }
        #expect(throws: FolioError.self) { try GatewayEndpoint(baseURL: "ftp://127.0.0.1", key: "k") }
        #expect(throws: Never.self) { try GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "k") }
        #expect(throws: Never.self) { try GatewayEndpoint(baseURL: "http://127.0.0.1:9000/", key: "k") }
        #expect(throws: Never.self) { try GatewayEndpoint(baseURL: "http://localhost:9000", key: "k") }
        let endpoint = try? GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "sk-secret-value")
        #expect(endpoint?.scrub("bad key sk-secret-value given") == "bad key [redacted] given")
    }

    /// A gateway that echoes the key escaped (JSON writes `/` as `\/`, or any character as
    /// `\u00XX`; a URL writes `%2F`) has it redacted too; text that only resembles it is kept.
    @Test func anEscapedEchoOfTheKeyIsRedacted() throws {
        let endpoint = try GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "sk-SEC+RET/MARK=ER")
        #expect(endpoint.scrub(#"{"detail":"invalid key sk-SEC+RET\/MARK=ER"}"#) == #"{"detail":"invalid key [redacted]"}"#)
        #expect(endpoint.scrub(#"key sk-SEC\u002bRET\u002FMARK\u003dER!"#) == "key [redacted]!")
        #expect(endpoint.scrub("?key=sk-SEC%2BRET%2fMARK%3DER&x=1") == "?key=[redacted]&x=1")
        #expect(endpoint.scrub(#"sk-SEC+RET\/MARK=EX and 100%"#) == #"sk-SEC+RET\/MARK=EX and 100%"#)
    }

    /// A gateway answer that carries the key in an id, a URL or a cost report has it redacted before
    /// anything reads it (nothing of it reaches folio.lock); an answer without it is passed on as it came.
    @Test func anAnswerThatEchoesTheKeyIsScrubbedBeforeItIsRead() throws {
        let endpoint = try GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "sk-SEC+RET/MARK=ER")
        #expect(GatewayEndpoint.marker(of: "sk-SEC+RET/MARK=ER") == Array("MARK".utf8))
        let body = Array(#"{"task_id":"sk-SEC+RET\/MARK=ER","url":"https://cdn/x.png?k=sk-SEC%2BRET%2FMARK%3DER","usage":{"k":"sk-SEC+RET/MARK=ER"}}"#.utf8)
        let scrubbed = endpoint.scrubbed(body)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(scrubbed))
        #expect(json["task_id"]?.stringValue == "[redacted]")
        #expect(json["url"]?.stringValue == "https://cdn/x.png?k=[redacted]")
        #expect(json["usage"]?["k"]?.stringValue == "[redacted]")
        let clean = Array(#"{"task_id":"t-1","data":"iVBORw0KGgo\/AAAA"}"#.utf8)
        #expect(endpoint.scrubbed(clean) == clean)
        #expect(ByteSearch.contains(Array("xxMARMARKyy".utf8)[...], Array("MARK".utf8)))
        #expect(!ByteSearch.contains(Array("xxMARMAR".utf8)[...], Array("MARK".utf8)))
        #expect(ByteSearch.contains(Array("MARK".utf8)[...], Array("MARK".utf8)))
        #expect(!ByteSearch.contains(Array("MAR".utf8)[...], Array("MARK".utf8)))
    }
}

@Suite(.serialized) struct StatusTests {
    @Test func statusShowsStatesTaskIDsAndFailures() async throws {
        try await GenerationHarness.with(files: [
            "prompts/ok.md": promptFile("kling", "fine", "n: 2"),
            "prompts/bad.md": promptFile("dashscope", "nope [[sim:moderation]]"),
            "prompts/later.md": promptFile("gemini", "not yet"),
        ]) { h in
            _ = try await h.generate()
            try Data(promptFile("gemini", "not yet, changed").utf8).write(to: h.root.appendingPathComponent("prompts/later.md"))
            try Data(promptFile("gemini", "brand new").utf8).write(to: h.root.appendingPathComponent("prompts/new.md"))
            let result = try runFolio(["status", "--project", h.root.path, "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(result.stdout.utf8))
            let entries = Dictionary(uniqueKeysWithValues: (json["entries"]?.arrayValue ?? []).map { ($0["id"]?.stringValue ?? "", $0) })
            #expect(entries["ok"]?["state"]?.stringValue == "succeeded")
            #expect(entries["ok"]?["task_id"]?.stringValue != nil)
            #expect(entries["ok"]?["outputs"]?.arrayValue?.count == 2)
            #expect(entries["ok"]?["cost"]?["final_unit_deduction"]?.stringValue == "2")
            #expect(entries["bad"]?["state"]?.stringValue == "failed")
            #expect(entries["bad"]?["error"]?["kind"]?.stringValue == "moderation")
            #expect(entries["bad"]?["error"]?["code"]?.stringValue == "DataInspectionFailed")
            #expect(entries["later"]?["state"]?.stringValue == "stale")
            #expect(entries["new"]?["state"]?.stringValue == "new")
            #expect(json["totals"]?["kling"]?["succeeded"]?.intValue == 1)
            #expect(json["totals"]?["kling"]?["images"]?.intValue == 2)
            #expect(json["totals"]?["gemini"]?["stale"]?.intValue == 1)
            #expect(json["cost"]?["kling"]?["final_unit_deduction"]?.intValue == 2, "cost totals per route")
            let table = try runFolio(["status", "--project", h.root.path])
            #expect(table.stdout.contains("failed     dashscope  bad  — moderation: Input data may contain inappropriate content."))
        }
    }
}

@Suite(.serialized) struct UnsentSyncEntryTests {
    /// A run stopped while a sync call waited for its slot leaves an entry with nothing sent: status,
    /// plan and the next build take it for new (nothing created, nothing paid), not for pending.
    @Test func aSyncEntryWithNothingSentIsNewNotPending() async throws {
        try await GenerationHarness.with(files: ["prompts/w.md": promptFile("gemini", "two watches", "n: 2")]) { h in
            _ = try await h.generate()
            var lock = try Lockfile.load(project: h.root)
            lock.entries["w"]?.state = .pending
            lock.entries["w"]?.outputs = []
            lock.entries["w"]?.inFlight = []
            try lock.write(project: h.root)
            let status = try runFolio(["status", "--project", h.root.path, "--json"])
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(status.stdout.utf8))
            #expect(json["entries"]?.arrayValue?.first?["state"]?.stringValue == "new", "\(status.stdout)")
            let project = await ProjectLoader.load(h.root)
            let plan = Planner.plan(project.prompts, lock: lock, project: h.root)
            #expect(plan.entries.first?.action == .new)
            #expect(plan.entries.first?.requests == 2)
            // One in flight is in doubt: still pending (uncertain), never sent again by itself.
            lock.entries["w"]?.inFlight = [0]
            let doubtful = Planner.plan(project.prompts, lock: lock, project: h.root)
            #expect(doubtful.entries.first?.state.name == "pending")
            #expect(doubtful.entries.first?.requests == 0)
        }
    }
}

@Suite(.serialized) struct SyncResumeTests {
    @Test func aSyncPromptInterruptedBetweenVariantsOnlyMakesTheMissingOnes() async throws {
        try await GenerationHarness.with(files: ["prompts/w.md": promptFile("gemini", "three watches", "n: 3")]) { h in
            _ = try await h.generate()
            #expect(await h.creates("three watches") == 3)
            // As if the run had died after the first variant: a pending entry holding one output.
            var lock = try Lockfile.load(project: h.root)
            lock.entries["w"]?.state = .pending
            lock.entries["w"]?.outputs.removeAll { $0.index > 0 }
            try lock.write(project: h.root)
            let project = await ProjectLoader.load(h.root)
            let plan = Planner.plan(project.prompts, lock: lock, project: h.root)
            #expect(plan.entries.first?.action == .resume)
            #expect(plan.entries.first?.requests == 2)
            let (report, after, _) = try await h.generate()
            #expect(report.generated == ["w"])
            #expect(await h.creates("three watches") == 5, "only the two missing variants were asked for")
            #expect(after.entries["w"]?.state == .succeeded)
            #expect(after.entries["w"]?.outputs.map(\.index) == [0, 1, 2])
            #expect(after.entries["w"]?.outputs.first?.asset?.sha256 == lock.entries["w"]?.outputs.first?.asset?.sha256, "the variant already paid for is kept")
        }
    }
}

@Suite(.serialized) struct GoneURLTests {
    @Test func aURLThatDiedEarlyIsForgottenAndRegeneratedOnlyWhenAsked() async throws {
        // The storage host expires the link before its documented 24 hours.
        try await GenerationHarness.with(
            files: ["prompts/d.md": promptFile("dashscope", "died early")],
            configure: {
                // 30 s of real time: long enough for the first download on a loaded 2-core CI machine
                // running the whole suite in parallel (10 s was not, once).
                $0.urlLifetimes[.dashscope] = 30_000; $0.timeScale = 0.001
            }
        ) { h in
            let (first, lock, _) = try await h.generate()
            let file = try #require(lock.entries["d"]?.outputs.first?.asset?.file)
            try #require(!file.isEmpty, "\(first.missing) \(first.failed) \(first.pending)")
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(file))
            try await Task.sleep(for: .milliseconds(30_200))
            let (report, after, _) = try await h.generate()
            #expect(report.missing.map(\.id) == ["d"])
            #expect(after.entries["d"]?.outputs.first?.url == nil, "a dead link is not tried again")
            #expect(await h.creates("died early") == 1)
            let plan = Planner.plan(await ProjectLoader.load(h.root).prompts, lock: after, project: h.root)
            #expect(plan.entries.first?.action == .missing)
            let (regenerated, _, _) = try await h.generate(regenerate: true)
            #expect(regenerated.generated == ["d"])
            #expect(await h.creates("died early") == 2)
        }
    }
}
