import Foundation
@testable import FolioCore
import Testing

/// The README's first command, run as a user would, on a copy of the sample project.
@Suite(.serialized) struct BuildCommandTests {
    @Test func buildSimulateMakesTheSampleGalleryAndASecondBuildDoesNothing() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "8"
        let first = try runFolio(["build", "--project", copy.path, "--simulate"], environment: environment)
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("13 generated, 0 cached, 0 failed"))
        #expect(first.stdout.contains("rendered site/: 30 pages"))
        let lock = try Lockfile.load(project: copy)
        #expect(lock.entries.count == 13)
        #expect(lock.entries.values.allSatisfy { $0.state == .succeeded })
        #expect(lock.entries.values.reduce(0) { $0 + $1.outputs.count } == 21)
        for page in ["index.html", "albums/posters/index.html", "p/posters/launch/index.html", "tags/poster/index.html", "gallery.json", "feed.xml"] {
            #expect(FileManager.default.fileExists(atPath: copy.appendingPathComponent("site/\(page)").path), "\(page)")
        }
        #expect(
            !FileManager.default.fileExists(atPath: copy.appendingPathComponent("site/p/nature/northern-lights/index.html").path), "drafts are not published")

        let second = try runFolio(["build", "--project", copy.path, "--simulate"], environment: environment)
        #expect(second.status == 0)
        #expect(second.stdout.contains("0 generated, 13 cached, 0 failed"))
        #expect(second.stdout.contains("0 files written"))
    }

    @Test func usageErrorsExitTwo() throws {
        #expect(try runFolio(["no-such-command"]).status == 2)
        #expect(try runFolio(["plan", "--no-such-flag"]).status == 2)
        #expect(try runFolio(["build", "--jobs", "0"]).status == 2)
        let help = try runFolio(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("build") && help.stdout.contains("render") && help.stdout.contains("sim"))
    }

    @Test func generatingWithoutAKeySaysHowToGetGoing() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        let result = try runFolio(["generate", "--project", copy.path], environment: environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("ANYINT_API_KEY is not set"))
        #expect(result.stderr.contains("--simulate"))
        #expect(!FileManager.default.fileExists(atPath: copy.appendingPathComponent("folio.lock").path))
    }
}

@Suite(.serialized) struct SimulateSeparationTests {
    @Test func simulatedImagesNeverPassForRealOnes() throws {
        let copy = try copySampleProject()
        defer { try? FileManager.default.removeItem(at: copy) }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "16"
        #expect(try runFolio(["generate", "--project", copy.path, "--simulate", "--quiet"], environment: environment).status == 0)
        let lock = try Lockfile.load(project: copy)
        let generated = try runFolio(["generate", "--project", copy.path, "--simulate", "--quiet"], environment: environment)
        #expect(generated.status == 0)
        // Without --simulate, a real build would make every one of them again, and says so.
        let plan = try runFolio(["plan", "--project", copy.path, "--json"], environment: environment)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(plan.stdout.utf8))
        #expect(json["entries"]?.arrayValue?.allSatisfy { $0["action"]?.stringValue == "stale" } == true)
        // And a project with real generations refuses --simulate.
        var real = lock
        for id in real.entries.keys { real.entries[id]?.simulated = false }
        try real.write(project: copy)
        let refused = try runFolio(["build", "--project", copy.path, "--simulate"], environment: environment)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("folio.lock holds real generations"))
        let after = try Lockfile.load(project: copy)
        #expect(after == real, "nothing was touched")
    }

    @Test func aPlainHTTPGatewayIsAConfigurationError() throws {
        let root = makeProject(["prompts/a.md": "A fox\n", "folio.yml": "gateway:\n  base_url: http://api.example.com\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        var environment = ProcessInfo.processInfo.environment
        environment["ANYINT_API_KEY"] = "k-123456"
        environment.removeValue(forKey: "ANYINT_BASE_URL")
        let result = try runFolio(["generate", "--project", root.path], environment: environment)
        #expect(result.status == 2)
        #expect(result.stderr.contains("refusing to send the API key to http://api.example.com"))
        #expect(!result.stderr.contains("k-123456"))
    }
}
