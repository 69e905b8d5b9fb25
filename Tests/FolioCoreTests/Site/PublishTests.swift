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

        func modified(_ path: String) throws -> Date? {
            try FileManager.default.attributesOfItem(atPath: destination.appendingPathComponent(path).path)[.modificationDate] as? Date
        }
        let stamps = try (modified(".folio-published"), modified("index.html"))
        let second = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(second.stdout.contains("0 files written, 0 removed, \(site.count) unchanged"), "\(second.stdout)")
        #expect(try (modified(".folio-published"), modified("index.html")) == stamps, "an unchanged publish touches nothing, not even its record")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent(".nojekyll").path), "no host file added to a folder")

        // A published file changed in place, its size kept: compared byte for byte, and written again.
        let page = destination.appendingPathComponent("index.html")
        var bytes = try [UInt8](Data(contentsOf: page))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: page)
        let repaired = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(repaired.stdout.contains("1 files written, 0 removed"), "\(repaired.stdout)")
        #expect(try Data(contentsOf: page) == site["index.html"])

        // A prompt removed: its page goes from the folder too; the foreign file stays.
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        let third = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("p/welcome/index.html").path))
        #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("CNAME").path))
    }

    @Test func typosSystemFoldersAndTheProjectAreNoDestinationAndNoDestinationOnlyChecks() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        for destination in [
            "s3:/bucket/site", "git@github.com:me/site", "/", "/etc", "/usr/local", project.path, project.path + "/..", project.path + "/.git/x",
        ] {
            let refused = try runFolio(["publish", destination, "--project", project.path, "--dry-run"], environment: Self.environment)
            #expect(refused.status == 2, "\(destination): \(refused.stdout)\(refused.stderr)")
            #expect(refused.stdout.isEmpty || !refused.stdout.contains("would publish"), "\(destination)")
        }
        #expect(!FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/s3:"))
        // SPEC's spelling: --branch B is git:B (here: not a repository, so refused by the publish step).
        let branch = try runFolio(["publish", "--branch", "gh-pages", "--project", project.path, "--dry-run"], environment: Self.environment)
        #expect(branch.status == 2 && branch.stderr.contains("git:gh-pages"), "\(branch.stderr)")
        // No destination: rendered and checked, nothing copied.
        let check = try runFolio(["publish", "--project", project.path], environment: Self.environment)
        #expect(check.status == 0 && check.stdout.contains("ready to publish"), "\(check.stdout)\(check.stderr)")
        // A prompt not generated yet is waiting, not failed: 3, like a build with pending tasks.
        try Data("---\ntitle: Later\nroute: gemini\n---\nNot yet\n".utf8).write(to: project.appendingPathComponent("prompts/later.md"))
        let waiting = try runFolio(["publish", "--project", project.path], environment: Self.environment)
        #expect(waiting.status == 3 && waiting.stderr.contains("later (not generated)"), "\(waiting.status) \(waiting.stderr)")
    }

    @Test func aFileFolioDidNotPublishIsNeverOverwrittenAndTheProjectIsNoDestination() throws {
        let project = try Self.builtSample()
        let destination = TestPaths.temporaryFolder("folio-publish-foreign")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: destination)
        }
        try Data("my own page\n".utf8).write(to: destination.appendingPathComponent("index.html"))
        let refused = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("index.html is already there and Folio did not publish it"), "\(refused.stderr)")
        #expect(try String(contentsOf: destination.appendingPathComponent("index.html"), encoding: .utf8) == "my own page\n")
        #expect(try Self.files(destination).count == 1, "nothing written")

        // A record naming a file behind a link in the folder: nothing outside is removed.
        let elsewhere = TestPaths.temporaryFolder("folio-publish-victim")
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        try Data("keep me\n".utf8).write(to: elsewhere.appendingPathComponent("notes.txt"))
        let linked = TestPaths.temporaryFolder("folio-publish-linked")
        defer { try? FileManager.default.removeItem(at: linked) }
        try FileManager.default.createSymbolicLink(at: linked.appendingPathComponent("docs"), withDestinationURL: elsewhere)
        try Data("docs/notes.txt\n".utf8).write(to: linked.appendingPathComponent(".folio-published"))
        let hostile = try runFolio(["publish", linked.path, "--project", project.path], environment: Self.environment)
        #expect(hostile.status == 0, "\(hostile.stderr)")
        #expect(FileManager.default.fileExists(atPath: elsewhere.appendingPathComponent("notes.txt").path), "nothing removed through the link")

        for bad in [
            project.path, project.appendingPathComponent("site").path, project.appendingPathComponent("site/new").path, "s3://Not_A_Bucket/prefix",
            "ftp://example.com/site", "git:--upload-pack=x",
            // A ref path, not a branch's name: it would make a second branch beside the one meant.
            "git:refs/heads/main", "git:heads/main", "git:HEAD", "git:gh-pages.lock", "git:a.lock/b", "git:x/.hidden",
        ] {
            let result = try runFolio(["publish", bad, "--project", project.path], environment: Self.environment)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
        }
    }

    @Test func aSymbolicBranchAndNamesGitWouldDropAreRefused() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        func git(_ arguments: String...) throws -> String { try Self.git(project, arguments) }
        try Self.makeRepository(project)
        let head = try git("rev-parse", "main")
        _ = try git("symbolic-ref", "refs/heads/alias", "refs/heads/main")
        let alias = try runFolio(["publish", "git:alias", "--project", project.path], environment: Self.environment)
        #expect(alias.status == 2 && alias.stderr.contains("symbolic ref"), "\(alias.stderr)")
        #expect(try git("rev-parse", "main") == head, "main never moves")
        for name in ["git~1", ".GIT", ".git. "] {
            let folder = project.appendingPathComponent("static")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: folder.appendingPathComponent(name))
            let refused = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.environment)
            #expect(refused.status == 2 && refused.stderr.contains("cannot hold"), "\(name): \(refused.stderr)")
            try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        #expect(try !Self.hasBranch(project, "gh-pages"), "nothing committed")
    }

    @Test func aGitBranchHoldsExactlyTheSiteAndTheWorkingTreeIsUntouched() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        func git(_ arguments: String...) throws -> String { try Self.git(project, arguments) }
        try Self.makeRepository(project)
        let statusBefore = try git("status", "--porcelain")
        let head = try git("rev-parse", "HEAD")

        let first = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let site = try Self.files(project.appendingPathComponent("site")) { $0.hasPrefix(".folio/") }
        let tree = try git("ls-tree", "-r", "--name-only", "gh-pages").split(separator: "\n").map(String.init)
        #expect(tree.sorted() == (site.keys + [".folio-published", ".nojekyll"]).sorted(), "the branch holds exactly the site, .nojekyll and the record")
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

    // MARK: - Git branches: foreign files, remotes, dry runs, the run lock

    /// The environment for Folio and git alike: an identity for commits.
    static var gitEnvironment: [String: String] {
        var environment = Self.environment
        for name in ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"] { environment[name] = nil }
        environment["GIT_AUTHOR_NAME"] = "Test"
        environment["GIT_AUTHOR_EMAIL"] = "test@example.com"
        environment["GIT_COMMITTER_NAME"] = "Test"
        environment["GIT_COMMITTER_EMAIL"] = "test@example.com"
        return environment
    }

    /// `git -C folder arguments`, expected to succeed; its standard output.
    @discardableResult
    static func git(_ folder: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let result = try runProcess("/usr/bin/env", ["git", "-C", folder.path] + arguments, environment: gitEnvironment.merging(environment) { $1 })
        #expect(result.status == 0, "git \(arguments): \(result.stderr)")
        return result.stdout
    }

    /// The project's folio.yml and prompts committed on `main` of a new repository.
    /// Whether the repository at `folder` has the local branch `name`.
    static func hasBranch(_ folder: URL, _ name: String) throws -> Bool {
        try runProcess("/usr/bin/env", ["git", "-C", folder.path, "rev-parse", "--verify", "--quiet", "refs/heads/\(name)"]).status == 0
    }

    static func makeRepository(_ project: URL) throws {
        try git(project, ["init", "-q", "-b", "main"])
        try git(project, ["add", "folio.yml", "prompts"])
        try git(project, ["commit", "-q", "-m", "the project"])
    }

    /// A commit on `branch` adding `files`, made the way a person (or GitHub's Pages settings) would.
    static func commit(_ files: [String: String], to branch: String, in project: URL, message: String) throws {
        let worktree = TestPaths.temporaryFolder("folio-worktree")
        try FileManager.default.removeItem(at: worktree)
        try git(project, ["worktree", "add", "-q", worktree.path, branch])
        for (path, text) in files { try Data(text.utf8).write(to: worktree.appendingPathComponent(path)) }
        try git(worktree, ["add"] + files.keys.sorted())
        try git(worktree, ["commit", "-q", "-m", message])
        try git(project, ["worktree", "remove", "--force", worktree.path])
    }

    /// Every file under `.git` with its size, the index's bytes and every ref: what a dry run must not change.
    static func repositoryState(_ project: URL) throws -> [String] {
        let folder = project.appendingPathComponent(".git")
        var state = try files(folder).map { "\($0.key) \($0.value.count)" }.sorted()
        state.append(String(decoding: (try? Data(contentsOf: folder.appendingPathComponent("index"))) ?? Data(), as: UTF8.self))
        state.append(try git(project, ["for-each-ref"]))
        return state
    }

    @Test func aGitPublishKeepsFilesItDidNotPublishAndADryRunWritesNothing() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        try Self.makeRepository(project)
        let environment = Self.gitEnvironment
        func publish(_ extra: String...) throws -> ProcessResult {
            try runFolio(["publish", "git:gh-pages", "--project", project.path] + extra, environment: environment)
        }

        // A dry run computes blob ids without writing them: no object, no index, no ref.
        let untouched = try Self.repositoryState(project)
        let dry = try publish("--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("  write  .nojekyll") && dry.stdout.contains("would publish to git:gh-pages"), "\(dry.stdout)")
        #expect(try Self.repositoryState(project) == untouched, "a dry run writes nothing into the repository")

        let first = try publish()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Self.git(project, ["show", "gh-pages:.nojekyll"]).isEmpty, "GitHub Pages is told not to run Jekyll")
        let record = try Self.git(project, ["show", "gh-pages:.folio-published"]).split(separator: "\n")
        #expect(record.contains(".nojekyll") && record.contains("index.html") && !record.contains(".folio-published"))

        // GitHub's Pages settings commit a CNAME to the branch; someone adds a robots.txt there too.
        try Self.commit(["CNAME": "gallery.example.com\n", "robots.txt": "User-agent: *\nAllow: /\n"], to: "gh-pages", in: project, message: "Create CNAME")
        let theirs = try Self.git(project, ["rev-parse", "gh-pages"])

        // The site would overwrite the branch's own robots.txt: refused, nothing committed.
        try FileManager.default.createDirectory(at: project.appendingPathComponent("static"), withIntermediateDirectories: true)
        try Data("User-agent: *\nDisallow: /\n".utf8).write(to: project.appendingPathComponent("static/robots.txt"))
        let refused = try publish()
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("git:gh-pages already holds robots.txt, and Folio did not publish it"), "\(refused.stderr)")
        #expect(try Self.git(project, ["rev-parse", "gh-pages"]) == theirs, "nothing committed")

        // Without it, and with a prompt gone: its pages leave the branch, the branch's own files stay.
        try FileManager.default.removeItem(at: project.appendingPathComponent("static"))
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        let second = try publish()
        #expect(second.status == 0, "\(second.stderr)")
        let tree = try Self.git(project, ["ls-tree", "-r", "--name-only", "gh-pages"]).split(separator: "\n").map(String.init)
        #expect(tree.contains("CNAME") && tree.contains(".nojekyll") && !tree.contains("p/welcome/index.html"), "\(tree)")
        #expect(try Self.git(project, ["show", "gh-pages:CNAME"]) == "gallery.example.com\n")
        #expect(try Self.git(project, ["show", "gh-pages:robots.txt"]) == "User-agent: *\nAllow: /\n")
        #expect(try Self.git(project, ["rev-parse", "gh-pages^"]) == theirs, "the new commit follows theirs")
        let site = try Self.files(project.appendingPathComponent("site")) { $0.hasPrefix(".folio/") }
        #expect(Set(tree) == Set(site.keys).union([".nojekyll", ".folio-published", "CNAME", "robots.txt"]))

        // A dry run with changes to list writes nothing either.
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/nature/alpine-lake.md"))
        let changing = try Self.repositoryState(project)
        let listed = try publish("--dry-run")
        #expect(listed.status == 0 && listed.stdout.contains("  remove p/nature/alpine-lake/index.html"), "\(listed.stdout)\(listed.stderr)")
        #expect(try Self.repositoryState(project) == changing)
    }

    @Test func aBranchFolioPublishedBeforeItKeptARecordIsReadFromItsLastCommit() throws {
        let project = try Self.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        try Self.makeRepository(project)
        // A branch as an earlier Folio left it: exactly the site, no record, then the user's CNAME.
        let copy = TestPaths.temporaryFolder("folio-old-site")
        defer { try? FileManager.default.removeItem(at: copy) }
        for (path, data) in try Self.files(project.appendingPathComponent("site"), skipping: { $0.hasPrefix(".folio/") }) {
            let target = copy.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target)
        }
        let index = ["GIT_INDEX_FILE": copy.path + ".index"]
        defer { try? FileManager.default.removeItem(atPath: copy.path + ".index") }
        try Self.git(project, ["--work-tree", copy.path, "add", "-A", "."], environment: index)
        let tree = try Self.git(project, ["write-tree"], environment: index).trimmingCharacters(in: .whitespacesAndNewlines)
        let old = try Self.git(project, ["commit-tree", tree, "-m", "Publish Folio sample gallery: 30 pages (folio 0.0.9)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.git(project, ["update-ref", "refs/heads/gh-pages", old])
        try Self.commit(["CNAME": "gallery.example.com\n"], to: "gh-pages", in: project, message: "Create CNAME")

        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        let published = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: Self.gitEnvironment)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(published.stdout.contains("has no .folio-published: the files of Folio's last commit there"), "\(published.stdout)")
        let files = try Self.git(project, ["ls-tree", "-r", "--name-only", "gh-pages"]).split(separator: "\n").map(String.init)
        #expect(files.contains("CNAME") && files.contains(".folio-published") && !files.contains("p/welcome/index.html"), "\(files)")
    }

    @Test func aBranchOnlyOnTheRemoteIsTheParentSoThePushFastForwards() throws {
        let project = try Self.builtSample()
        let remote = TestPaths.temporaryFolder("folio-remote")
        let clone = TestPaths.temporaryFolder("folio-clone")
        defer {
            for folder in [project, remote, clone] { try? FileManager.default.removeItem(at: folder) }
        }
        try Self.makeRepository(project)
        let environment = Self.gitEnvironment
        #expect(try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: environment).status == 0)
        try Self.commit(["CNAME": "gallery.example.com\n"], to: "gh-pages", in: project, message: "Create CNAME")
        try Self.git(remote, ["init", "-q", "--bare", "-b", "main"])
        try Self.git(project, ["push", "-q", remote.path, "main", "gh-pages"])
        let pushed = try Self.git(project, ["rev-parse", "gh-pages"]).trimmingCharacters(in: .whitespacesAndNewlines)

        // Another machine: a clone, with the generated images but no local gh-pages.
        try FileManager.default.removeItem(at: clone)
        try Self.git(project, ["clone", "-q", "-b", "main", remote.path, clone.path])
        for item in ["folio.lock", "assets"] {
            try FileManager.default.copyItem(at: project.appendingPathComponent(item), to: clone.appendingPathComponent(item))
        }
        try FileManager.default.createDirectory(at: clone.appendingPathComponent("static"), withIntermediateDirectories: true)
        try Data("from static\n".utf8).write(to: clone.appendingPathComponent("static/.nojekyll"))
        func publish(_ extra: String...) throws -> ProcessResult {
            try runFolio(["publish", "git:gh-pages", "--project", clone.path] + extra, environment: environment)
        }
        let dry = try publish("--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("would be based on origin/gh-pages (\(pushed.prefix(12)))"), "\(dry.stdout)\(dry.stderr)")
        #expect(try !Self.hasBranch(clone, "gh-pages"))

        let first = try publish()
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("is based on origin/gh-pages") && first.stdout.contains("git push origin gh-pages"), "\(first.stdout)")
        #expect(try Self.git(clone, ["rev-parse", "gh-pages^"]).trimmingCharacters(in: .whitespacesAndNewlines) == pushed)
        #expect(try Self.git(clone, ["show", "gh-pages:CNAME"]) == "gallery.example.com\n", "the remote branch's own file kept")
        #expect(try Self.git(clone, ["show", "gh-pages:.nojekyll"]) == "from static\n", "static/'s .nojekyll, not Folio's")
        // A plain push: refused by git unless it is a fast-forward.
        try Self.git(clone, ["push", "-q", "origin", "gh-pages"])

        // Two remotes have the branch and neither is origin: which to follow is the user's to say.
        try Self.git(clone, ["branch", "-D", "-q", "gh-pages"])
        try Self.git(clone, ["remote", "rename", "origin", "upstream"])
        try Self.git(clone, ["remote", "add", "backup", remote.path])
        try Self.git(clone, ["fetch", "-q", "backup"])
        let ambiguous = try publish()
        #expect(ambiguous.status == 2 && ambiguous.stderr.contains("several remotes have one"), "\(ambiguous.stderr)")
        // With one left, the branch it has already holds this very site: no commit, no branch.
        try Self.git(clone, ["remote", "remove", "backup"])
        let single = try publish()
        #expect(single.status == 0 && single.stdout.contains("upstream/gh-pages ("), "\(single.stdout)\(single.stderr)")
        #expect(single.stdout.contains("already holds this site: nothing to commit"), "\(single.stdout)")
        #expect(try !Self.hasBranch(clone, "gh-pages"))
    }

    @Test func aPublishHoldsTheRunLockAndASecondOneIsRefused() throws {
        let project = try Self.builtSample()
        let tools = TestPaths.temporaryFolder("folio-git-spy")
        let destination = TestPaths.temporaryFolder("folio-publish-locked")
        defer {
            for folder in [project, tools, destination] { try? FileManager.default.removeItem(at: folder) }
        }
        try Self.makeRepository(project)
        // A git that notes, when asked to commit, whether the project's run lock is held.
        let log = tools.appendingPathComponent("log")
        let spy = tools.appendingPathComponent("git")
        try Data(
            """
            #!/bin/sh
            for argument in "$@"; do
              if [ "$argument" = commit-tree ]; then
                if flock -n "$FOLIO_TEST_LOCK" true; then echo free >> "$FOLIO_TEST_LOG"; else echo held >> "$FOLIO_TEST_LOG"; fi
              fi
            done
            exec /usr/bin/git "$@"

            """.utf8
        ).write(to: spy)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: spy.path)
        var environment = Self.gitEnvironment
        environment["PATH"] = tools.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["FOLIO_TEST_LOCK"] = project.appendingPathComponent(RunLock.path).path
        environment["FOLIO_TEST_LOG"] = log.path
        let published = try runFolio(["publish", "git:gh-pages", "--project", project.path], environment: environment)
        #expect(published.status == 0, "\(published.stderr)")
        #expect(try String(contentsOf: log, encoding: .utf8) == "held\n", "the commit is made while the run lock is held")

        // Another publish (or a build) holds it: refused at once, nothing published anywhere.
        let held = try RunLock.acquire(project: project, command: "publish")
        let commit = try Self.git(project, ["rev-parse", "gh-pages"])
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        for target in ["git:gh-pages", destination.path] {
            let refused = try runFolio(["publish", target, "--project", project.path], environment: environment)
            #expect(refused.status == 1, "\(target): \(refused.stderr)")
            #expect(refused.stderr.contains("(folio publish) is working in this project and holds .folio/run.lock"), "\(refused.stderr)")
        }
        #expect(try Self.git(project, ["rev-parse", "gh-pages"]) == commit)
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path).isEmpty)
        held.release()
        #expect(try runFolio(["publish", destination.path, "--project", project.path], environment: environment).status == 0)
    }

    @Test func aPromptMissingSomeOfItsImagesIsReportedAndNotPublished() throws {
        let project = try Self.builtSample()
        let destination = TestPaths.temporaryFolder("folio-publish-incomplete")
        defer {
            try? FileManager.default.removeItem(at: project)
            try? FileManager.default.removeItem(at: destination)
        }
        // One prompt loses its second image; another's first image is changed in place.
        let lock = try Lockfile.load(project: project)
        let several = lock.entries.filter { $0.value.outputs.count >= 2 }.keys.sorted()
        try #require(several.count >= 2)
        let (missing, changed) = (several[0], several[1])
        let gone = try #require(lock.entries[missing]?.outputs.first { $0.index == 1 }?.asset?.file)
        try FileManager.default.removeItem(at: project.appendingPathComponent(gone))
        let edited = project.appendingPathComponent(try #require(lock.entries[changed]?.outputs.first { $0.index == 0 }?.asset?.file))
        var bytes = try [UInt8](Data(contentsOf: edited))
        bytes[bytes.count - 20] ^= 0xFF
        try Data(bytes).write(to: edited)
        let total = try #require(lock.entries[missing]?.outputs.count)

        let render = try runFolio(["render", "--project", project.path], environment: Self.environment)
        #expect(render.status == 4, "\(render.stdout)\(render.stderr)")
        #expect(render.stdout.contains("incomplete  \(missing): \(total - 1) of \(total) images shown; image 2: not in assets/"), "\(render.stdout)")
        #expect(render.stdout.contains("incomplete  \(changed): ") && render.stdout.contains("2 without some of their images"), "\(render.stdout)")
        // Answered from the stamp, the same.
        let again = try runFolio(["render", "--project", project.path], environment: Self.environment)
        #expect(again.status == 4 && again.stdout.contains("incomplete  \(missing)"), "\(again.stdout)")

        let refused = try runFolio(["publish", destination.path, "--project", project.path], environment: Self.environment)
        #expect(refused.status == 4, "\(refused.stderr)")
        #expect(refused.stderr.contains("not shown with all their images"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(missing) (") && refused.stderr.contains("\(changed) ("), "\(refused.stderr)")
        #expect(refused.stderr.contains("--allow-partial"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: destination.path).isEmpty, "nothing published")

        let partial = try runFolio(["publish", destination.path, "--project", project.path, "--allow-partial"], environment: Self.environment)
        #expect(partial.status == 4 && partial.stdout.contains("published to"), "\(partial.stdout)\(partial.stderr)")
        #expect(FileManager.default.fileExists(atPath: destination.appendingPathComponent("p/\(missing)/index.html").path))
    }
}
