import Foundation
@testable import FolioCore
import FolioSimulator
import Testing

/// The review of the first pass: each finding reproduced, then held.
@Suite(.serialized) struct InFlightTests {
    @Test func aSyncCreateInFlightWhenTheRunWasKilledIsNotSentAgain() async throws {
        try await GenerationHarness.with(files: ["prompts/g.md": promptFile("gemini", "slow fox [[sim:slow 3s]]")]) { h in
            let env = h.binaryEnvironment()
            let process = Process()
            process.executableURL = TestPaths.folio
            process.arguments = ["generate", "--project", h.root.path]
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let started = ContinuousClock.now
            try process.run()
            defer { killAndWait(process) }
            // Wait until the request is on its way (marked, then sent), then kill the run.
            for _ in 0..<2000 where (try? Lockfile.load(project: h.root).entries["g"]?.inFlight) != [0] {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(800))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(try Lockfile.load(project: h.root).entries["g"]?.inFlight == [0], "written before the request was sent")

            let plan = try await runFolioOnAThread(["plan", "--project", h.root.path, "--json"], environment: env)
            #expect(plan.stdout.contains("\"action\" : \"failed\"") || plan.stdout.contains("\"action\": \"failed\""), "\(plan.stdout)")
            let again = try await runFolioOnAThread(["generate", "--project", h.root.path], environment: env)
            #expect(again.status == 4, "\(again.stdout)\(again.stderr)")
            #expect(again.stdout.contains("1 call may have been charged"), "\(again.stdout)")
            // The simulator logs a request when it answers: after the 3 s the killed run's request shows
            // (on a loaded machine it may not have left before the kill), never a second one.
            try await Task.sleep(until: started + .seconds(4))
            #expect(await h.creates("slow fox") <= 1, "not sent again by itself")
            let entry = try #require(try Lockfile.load(project: h.root).entries["g"])
            #expect(entry.state == .failed && entry.error?.kind == .uncertain && entry.inFlight.isEmpty)
        }
    }

    @Test func retryFailedSendsAnInterruptedRequestOnce() async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile("dashscope", "interrupted shoe")]) { h in
            let project = await ProjectLoader.load(h.root)
            let prompt = try #require(project.prompts.first)
            var lock = Lockfile()
            lock.entries["d"] = LockEntry(
                inputHash: prompt.inputHash, route: .dashscope, model: prompt.generation.model, state: .pending,
                createdAt: Timestamp.format(Date()), inFlight: [0])
            try lock.write(project: h.root)
            let (plain, _, _) = try await h.generate()
            #expect(plain.failed.map(\.id) == ["d"] && plain.uncertain == 1)
            #expect(await h.creates("interrupted shoe") == 0)
            let (retried, after, _) = try await h.generate(retryFailed: true)
            #expect(retried.generated == ["d"])
            #expect(await h.creates("interrupted shoe") == 1)
            #expect(after.entries["d"]?.state == .succeeded && after.entries["d"]?.inFlight.isEmpty == true)
        }
    }

    @Test func aLostInlineVariantIsMadeAgainOnlyWithRegenerate() async throws {
        try await GenerationHarness.with(files: ["prompts/g.md": promptFile("gemini", "two foxes", "n: 2")]) { h in
            _ = try await h.generate()
            var lock = try Lockfile.load(project: h.root)
            lock.entries["g"]!.state = .pending
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(lock.entries["g"]!.outputs[1].asset!.file))
            try lock.write(project: h.root)
            let (plain, _, _) = try await h.generate()
            #expect(plain.missing.map(\.id) == ["g"])
            #expect(await h.creates("two foxes") == 2, "not made again without --regenerate")
            let (regenerated, after, _) = try await h.generate(regenerate: true)
            #expect(regenerated.generated == ["g"])
            #expect(await h.creates("two foxes") == 3, "only the lost variant")
            #expect(after.entries["g"]?.outputs.first?.asset?.sha256 == lock.entries["g"]?.outputs.first?.asset?.sha256)
        }
    }
}

@Suite(.serialized) struct DownloadTrustTests {
    @Test func aRedownloadMustBeTheRecordedBytes() async throws {
        try await GenerationHarness.with(files: ["prompts/k.md": promptFile("kling", "a poster")]) { h in
            _ = try await h.generate()
            var lock = try Lockfile.load(project: h.root)
            let asset = lock.entries["k"]!.outputs[0].asset!
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(asset.file))
            // The lockfile claims other bytes than the URL serves.
            let other = String(repeating: "c", count: 64)
            lock.entries["k"]!.outputs[0].asset?.sha256 = other
            lock.entries["k"]!.outputs[0].asset?.file = "assets/\(other).png"
            try lock.write(project: h.root)
            let (report, after, _) = try await h.generate()
            #expect(report.missing.map(\.id) == ["k"])
            #expect(report.missing.first?.reason.contains("not the one recorded") == true)
            #expect(after.entries["k"]?.outputs[0].asset?.sha256 == other, "the record of what was paid for is kept")
        }
    }

    @Test func aPaidKlingImageThatCannotBeDownloadedStaysPendingAndIsNeverCreatedAgain() async throws {
        try await GenerationHarness.with(files: ["prompts/k.md": promptFile("kling", "a big poster")]) { h in
            let (first, lock, _) = try await h.generate(maxDownloadBytes: 100)
            #expect(first.pending.map(\.id) == ["k"], "\(first.failed)")
            #expect(first.failed.isEmpty)
            #expect(lock.entries["k"]?.outputs.first?.url != nil, "the URL is kept")
            let (second, after, _) = try await h.generate(retryFailed: true)
            #expect(second.generated == ["k"])
            #expect(await h.creates("a big poster") == 1, "downloaded, not paid for again")
            #expect(after.entries["k"]?.taskID == lock.entries["k"]?.taskID)
        }
    }

    @Test func regenerateOfADeadLinkReachesTheGatewayWhenOnlyDownloadsWerePlanned() async throws {
        try await GenerationHarness.with(files: ["prompts/d.md": promptFile("dashscope", "a lone shoe")]) { h in
            _ = try await h.generate()
            var lock = try Lockfile.load(project: h.root)
            try FileManager.default.removeItem(at: h.root.appendingPathComponent(lock.entries["d"]!.outputs[0].asset!.file))
            lock.entries["d"]!.outputs[0].url = lock.entries["d"]!.outputs[0].url.map(goneURL)
            try lock.write(project: h.root)
            let env = h.binaryEnvironment(timeScale: "0.001")
            let result = try await runFolioOnAThread(["generate", "--project", h.root.path, "--regenerate"], environment: env)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(await h.creates("a lone shoe") == 2)
        }
    }

    @Test func anImageURLMayNotPointAtThisMachineUnlessTheGatewayIsHere() async throws {
        let http = GatewayHTTP(endpoint: try GatewayEndpoint(baseURL: "https://api.anyint.ai", key: "sk-123456"))
        let folder = TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let downloader = Downloader(http: http, project: folder, maxBytes: 1 << 20)
        for url in [
            "http://127.0.0.1:9/admin", "http://localhost:631/jobs", "http://169.254.169.254/latest/meta-data", "http://127.1:9/",
            "http://2130706433:9/", "http://0.0.0.0:9/", "http://[::ffff:127.0.0.1]:9/", "http://[::1]:9/", "http://LOCALHOST.:9/",
        ] {
            do {
                _ = try await downloader.download(url)
                Issue.record("\(url) was fetched")
            } catch {
                #expect(error.message.contains("may not point at this machine"), "\(error.message)")
            }
        }
        await http.shutdown()
        #expect(!HostAddress.isThisMachine("dashscope-result-bj.oss-cn-beijing.aliyuncs.com"))
        #expect(!HostAddress.isThisMachine("128.0.0.1"))
        // Against the simulator, a lockfile cannot send this machine's requests elsewhere either.
        let local = GatewayHTTP(endpoint: try GatewayEndpoint(baseURL: "http://127.0.0.1:9", key: "sk-123456"))
        do {
            _ = try await Downloader(http: local, project: folder, maxBytes: 1 << 20).download("http://192.168.1.1/admin")
            Issue.record("a LAN address was fetched under a loopback gateway")
        } catch {
            #expect(error.message.contains("only from this machine"), "\(error.message)")
        }
        await local.shutdown()
    }
}

@Suite(.serialized) struct ReviewSiteTests {
    @Test func aForeignFileIsNeverAdoptedIntoTheManifest() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let out = fixture.root.appendingPathComponent("public")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: out.appendingPathComponent("index.html"))
        #expect(try runFolio(["render", "--project", fixture.root.path, "--out", out.path, "--force"]).status == 2)
        // The failed render did not make index.html Folio's: a plain render still leaves it alone.
        _ = try runFolio(["render", "--project", fixture.root.path, "--out", out.path])
        #expect(try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8) == "mine\n")
    }

    @Test func aHandPlacedFileWithTheSameBytesAsAStaticFileIsNotTakenOver() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        _ = try await fixture.build()
        try Data("gallery.example.com\n".utf8).write(to: fixture.root.appendingPathComponent("site/CNAME"))
        try FileManager.default.createDirectory(at: fixture.root.appendingPathComponent("static"), withIntermediateDirectories: true)
        try Data("gallery.example.com\n".utf8).write(to: fixture.root.appendingPathComponent("static/CNAME"))
        let clash = try runFolio(["render", "--project", fixture.root.path])
        #expect(clash.status == 2, "\(clash.stderr)")
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("static/CNAME"))
        #expect(try runFolio(["render", "--project", fixture.root.path]).status == 0)
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("site/CNAME").path), "the hand-placed CNAME stays")
    }

    @Test func anotherProjectsSiteIsNeverReplacedOrPruned() async throws {
        let a = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        let b = try await SiteFixture.make(items: [SiteFixture.Item(id: "owl", text: "An owl\n")])
        defer { a.remove(); b.remove() }
        let shared = TestPaths.temporaryFolder("folio-shared").appendingPathComponent("out")
        defer { try? FileManager.default.removeItem(at: shared.deletingLastPathComponent()) }
        #expect(try runFolio(["render", "--project", a.root.path, "--out", shared.path]).status == 0)
        let before = snapshot(shared)
        for force in [[], ["--force"]] {
            let result = try runFolio(["render", "--project", b.root.path, "--out", shared.path] + force)
            #expect(result.status == 2)
            #expect(result.stderr.contains("another project"), "\(result.stderr)")
        }
        #expect(snapshot(shared) == before)
    }

    @Test func aStaticPathWhereFolioMakesAFolderClashes() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")], extraFiles: ["static/p": "x\n"])
        defer { fixture.remove() }
        let result = try runFolio(["render", "--project", fixture.root.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("static/p would be published at p, which clashes with p"), "\(result.stderr)")
    }

    @Test func aRenditionSwappedForALinkIsMadeAgain() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        _ = try await fixture.build()
        let img = fixture.root.appendingPathComponent("site/img")
        let rendition = try #require(try FileManager.default.contentsOfDirectory(atPath: img.path).first { $0.hasSuffix("-32.webp") })
        let secret = TestPaths.temporaryFolder("folio-secret").appendingPathComponent("secret.txt")
        defer { try? FileManager.default.removeItem(at: secret.deletingLastPathComponent()) }
        try Data("secret".utf8).write(to: secret)
        try FileManager.default.removeItem(at: img.appendingPathComponent(rendition))
        try FileManager.default.createSymbolicLink(atPath: img.appendingPathComponent(rendition).path, withDestinationPath: secret.path)
        _ = try await fixture.build()
        var info = stat()
        #expect(lstat(img.appendingPathComponent(rendition).path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
        #expect(try String(contentsOf: secret, encoding: .utf8) == "secret")
    }

    @Test func buildRefusesAForeignOutputBeforeSendingAnything() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.createDirectory(at: copy.appendingPathComponent("site"), withIntermediateDirectories: true)
        try Data("mine\n".utf8).write(to: copy.appendingPathComponent("site/notes.txt"))
        var environment = ProcessInfo.processInfo.environment
        environment["FOLIO_TIME_SCALE"] = "0.002"
        let result = try runFolio(["build", "--project", copy.path, "--simulate"], environment: environment)
        #expect(result.status == 2)
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("folio.lock").path), "nothing generated")

        // A static file where every render writes is found before generating too.
        try FileManager.default.removeItem(at: copy.appendingPathComponent("site"))
        try FileManager.default.createDirectory(at: copy.appendingPathComponent("static"), withIntermediateDirectories: true)
        try Data("<p>mine</p>\n".utf8).write(to: copy.appendingPathComponent("static/index.html"))
        let clash = try runFolio(["build", "--project", copy.path, "--simulate"], environment: environment)
        #expect(clash.status == 2)
        #expect(clash.stderr.contains("static/index.html"), "\(clash.stderr)")
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("folio.lock").path), "nothing generated")
    }
}

@Suite(.serialized) struct StateFolderTests {
    @Test func linksInDotFolioAreNeverFollowed() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let victim = TestPaths.temporaryFolder("folio-victim")
        defer { try? FileManager.default.removeItem(at: victim) }
        let lockTarget = victim.appendingPathComponent("x"), cacheTarget = victim.appendingPathComponent("y")
        try Data("precious\n".utf8).write(to: lockTarget)
        try Data("precious\n".utf8).write(to: cacheTarget)
        let state = fixture.root.appendingPathComponent(".folio")
        try? FileManager.default.removeItem(at: state)
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: state.appendingPathComponent("run.lock").path, withDestinationPath: lockTarget.path)
        try FileManager.default.createSymbolicLink(atPath: state.appendingPathComponent("verified-assets").path, withDestinationPath: cacheTarget.path)
        #expect(throws: FolioError.self) { try RunLock.acquire(project: fixture.root, command: "test") }
        _ = try runFolio(["clean", "--project", fixture.root.path, "--yes"])
        _ = try runFolio(["render", "--project", fixture.root.path])
        #expect(try String(contentsOf: lockTarget, encoding: .utf8) == "precious\n")
        #expect(try String(contentsOf: cacheTarget, encoding: .utf8) == "precious\n")
    }

    @Test func cleanNeverDeletesThroughAnAssetsLinkOrAnythingButAssetNames() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        try Data("kept\n".utf8).write(to: fixture.root.appendingPathComponent("assets/notes.txt"))
        let kept = fixture.root.appendingPathComponent("assets/\(String(repeating: "d", count: 64)).png.changed-1")
        try Data("kept\n".utf8).write(to: kept)
        let orphan = fixture.root.appendingPathComponent("assets/\(String(repeating: "e", count: 64)).png")
        try Data("orphan\n".utf8).write(to: orphan)
        #expect(try runFolio(["clean", "--project", fixture.root.path, "--yes"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
        #expect(FileManager.default.fileExists(atPath: kept.path))
        #expect(FileManager.default.fileExists(atPath: fixture.root.appendingPathComponent("assets/notes.txt").path))

        // assets/ as a link out of the project: clean deletes nothing there.
        let pictures = TestPaths.temporaryFolder("folio-pictures")
        defer { try? FileManager.default.removeItem(at: pictures) }
        let holiday = pictures.appendingPathComponent("\(String(repeating: "f", count: 64)).jpg")
        try Data("holiday\n".utf8).write(to: holiday)
        try FileManager.default.removeItem(at: fixture.root.appendingPathComponent("assets"))
        try FileManager.default.createSymbolicLink(atPath: fixture.root.appendingPathComponent("assets").path, withDestinationPath: pictures.path)
        _ = try runFolio(["clean", "--project", fixture.root.path, "--yes"])
        #expect(FileManager.default.fileExists(atPath: holiday.path))
    }
}
