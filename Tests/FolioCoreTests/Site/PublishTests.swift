import Foundation
@testable import FolioCore
import Testing

/// `folio publish` against real parts: a folder, and a branch of a real git repository.
@Suite(.serialized) struct PublishTests {
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        environment["FOLIO_TIME_SCALE"] = "0.002"
        environment["FOLIO_SIM_IMAGE_SCALE"] = "8"
        return environment
    }

    /// A copy of the sample project, built with the simulator.
    static func builtSample() throws -> URL {
        let copy = try copySampleProject()
        let build = try runFolio(["build", "--project", copy.path, "--simulate", "--quiet"], environment: environment)
        #expect(build.status == 0, "\(build.stderr)")
        return copy
    }

    /// Every file under `folder`, relative to it, with its bytes.
    static func files(_ folder: URL, skipping: (String) -> Bool = { _ in false }) throws -> [String: Data] {
        var found: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
            if !skipping(path) { found[path] = try Data(contentsOf: url) }
        }
        return found
    }

    @Test func aFolderGetsTheSiteKeepsForeignFilesAndASecondPublishChangesNothing() throws {
        let project = try Self.builtSample()
        let destination = TestPaths.temporaryFolder("folio-publish")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: destination)
        }
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Data("gallery.example.com\n".utf8).write(to: destination.appendingPathComponent("CNAME"))

        let dry = try runFolio(["publish", destination.path, "--project", project.path, "--dry-run"], environment: Self.environment)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("  write  index.html") && dry.stdout.contains("would publish"), "\(dry.stdout)")
        #expect(try Self.files(destination).keys.sorted() == ["CNAME"], "a dry run changes nothing")

        let first = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let site = try Self.files(project.appendingPathComponent("site")) { $0.hasPrefix(".folio/") }
        let published = try Self.files(destination) { $0 == "CNAME" || $0 == ".folio-published" }
        #expect(published == site, "the folder holds exactly the site")
        #expect(try String(contentsOf: destination.appendingPathComponent("CNAME"), encoding: .utf8) == "gallery.example.com\n")

        let second = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(second.stdout.contains("0 files written, 0 removed, \(site.count) unchanged"), "\(second.stdout)")

        // A prompt removed: its page goes from the folder too; the foreign file stays.
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        let third = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("p/welcome/index.html").path))
        #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("CNAME").path))
    }

    @Test func aFileFolioDidNotPublishIsNeverOverwrittenAndTheProjectIsNoDestination() throws {
        let project = try Self.builtSample()
        let destination = TestPaths.temporaryFolder("folio-publish-foreign")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: destination)
        }
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        try Data("my own page\n".utf8).write(to: destination.appendingPathComponent("index.html"))
        let refused = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("index.html is already there and Folio did not publish it"), "\(refused.stderr)")
        #expect(try String(contentsOf: destination.appendingPathComponent("index.html"), encoding: .utf8) == "my own page\n")
        #expect(try Self.files(destination).count == 1, "nothing written")

        // A record naming a file behind a link in the folder: nothing outside is removed.
        let elsewhere = TestPaths.temporaryFolder("folio-publish-victim")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try Data("keep me\n".utf8).write(to: elsewhere.appendingPathComponent("notes.txt"))
        let linked = TestPaths.temporaryFolder("folio-publish-linked")
        defer { try? FileManager.default.removeItem(at: linked) }
        try FileManager.default.createDirectory(at: linked, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: linked.appendingPathComponent("docs"), withDestinationURL: elsewhere)
        try Data("docs/notes.txt\n".utf8).write(to: linked.appendingPathComponent(".folio-published"))
        let hostile = try runFolio(["publish", linked.path, "--project", project.path], environment: Self.environment)
        #expect(hostile.status == 0, "\(hostile.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("notes.txt").path), "nothing removed through the link")

        for bad in [
            project.path, project.appendingPathComponent("site").path, project.appendingPathComponent("site/new").path, "s3://Not_A_Bucket/prefix",
            "ftp://example.com/site", "git:--upload-pack=x",
        ] {
            let result = try runFolio(["publish", bad, "--project", project.path], environment: Self.environment)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
        }
    }

    @Test func aGitBranchHoldsExactlyTheSiteAndTheWorkingTreeIsUntouched() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        func git(_ arguments: String...) throws -> String {
            let result = try runProcess("/usr/bin/env", ["git", "-C", project.path, "-c", "user.name=Test", "-c", "user.email=t@example.com"] + arguments)
            #expect(result.status == 0, "git \(arguments): \(result.stderr)")
            return result.stdout
        }
        _ = try git("init", "-q", "-b", "main")
        _ = try git("add", "folio.yml", "prompts")
        _ = try git("commit", "-q", "-m", "the project")
        let statusBefore = try git("status", "--porcelain")
        let head = try git("rev-parse", "HEAD")

        let first = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let site = try Self.files(project.appendingPathComponent("site")) { $0.hasPrefix(".folio/") }
        let tree = try git("ls-tree", "-r", "--name-only", "gh-pages").split(separator: "\n").map(String.init)
        #expect(tree.sorted() == site.keys.sorted(), "the branch holds exactly the site")
        #expect(try git("show", "gh-pages:index.html") == String(decoding: site["index.html"] ?? Data(), as: UTF8.self))
        #expect(try git("log", "-1", "--format=%s", "gh-pages").hasPrefix("Publish Folio sample gallery"))
        #expect(try git("status", "--porcelain") == statusBefore, "working tree and index untouched")
        #expect(try git("rev-parse", "HEAD") == head, "the checked-out branch did not move")

        let commit = try git("rev-parse", "gh-pages")
        let second = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.environment)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try git("rev-parse", "gh-pages") == commit, "an unchanged site makes no commit")

        // A new title changes some pages: they are counted as written, and a new commit follows the old.
        let prompt = project.appendingPathComponent("prompts/welcome.md")
        try Data(try String(contentsOf: prompt, encoding: .utf8).replacingOccurrences(of: "title: Welcome to Folio", with: "title: Hello").utf8)
            .write(to: prompt)
        let third = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.environment)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!third.stdout.contains(" 0 files written"), "\(third.stdout)")
        #expect(try git("rev-parse", "gh-pages^") == commit)

        // The checked-out branch is never moved under the working tree.
        let refused = try runFolio(["publish", "git:main", "--project", project.path], environment: Self.environment)
        #expect(refused.status == 2 && refused.stderr.contains("checked out"), "\(refused.stderr)")
        #expect(try git("rev-parse", "HEAD") == head)
    }

    @Test func aSiteWithAFailedPromptIsPublishedOnlyWithAllowPartial() throws {
        let project = try Self.builtSample()
        let destination = TestPaths.temporaryFolder("folio-publish-partial")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: destination)
        }
        var lock = try Lockfile.load(project: project)
        lock.entries["posters/launch"]?.state = .failed
        lock.entries["posters/launch"]?.error = LockError(kind: .moderation, code: "1301", message: "blocked")
        try lock.write(project: project)
        let refused = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("posters/launch (failed)") && refused.stderr.contains("--allow-partial"), "\(refused.stderr)")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: destination.path))?.isEmpty ?? true, "nothing published")
        let partial = try runFolio(["publish", destination.path, "--project", project.path, "--allow-partial"], environment: Self.environment)
        #expect(partial.stdout.contains("published to"), "\(partial.stdout)\(partial.stderr)")
        #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("p/posters/launch/index.html").path))
    }
}
