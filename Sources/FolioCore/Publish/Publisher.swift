import Foundation
import Glibc
import Synchronization

/// `folio publish DEST`: the rendered site, copied where it is served from.
public enum PublishTarget: Sendable, Equatable {
    /// A folder: each file written beside its place, then renamed over it; only files an earlier
    /// publish wrote there are ever removed.
    case folder(URL)
    /// `git:BRANCH`: a commit of the site on that branch of the project's repository, made with the
    /// git command line through a temporary index, so the working tree and the index stay as they are.
    case gitBranch(String)
    /// `s3://BUCKET/PREFIX`: an S3-compatible object store, uploaded to through the aws command line
    /// (ObjectStore.swift); the prefix has no slash at either end and may be empty.
    case objectStore(bucket: String, prefix: String)

    /// How messages name it: the folder's path, `git:BRANCH` or `s3://BUCKET/PREFIX`.
    public var name: String {
        switch self {
        case .folder(let url): url.path
        case .gitBranch(let branch): "git:\(branch)"
        case .objectStore(let bucket, let prefix): prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        }
    }

    /// `git:gh-pages`, `s3://bucket/prefix` or a folder path (relative to `workingFolder`); nil for
    /// an invalid branch or bucket, or another kind of address.
    public static func parse(
        _ text: String, workingFolder: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> PublishTarget? {
        if text.hasPrefix("git:") {
            let branch = String(text.dropFirst(4))
            // A plain branch name: no option, no revision syntax, no path tricks.
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./"))
            guard !branch.isEmpty, !branch.hasPrefix("-"), !branch.hasPrefix("/"), !branch.hasSuffix("/"), !branch.contains(".."),
                branch.unicodeScalars.allSatisfy({ allowed.contains($0) })
            else { return nil }
            return .gitBranch(branch)
        }
        if text.hasPrefix("s3://") { return ObjectStore.target(text) }
        if text.contains("://") { return nil }
        return .folder(URL(fileURLWithPath: text, relativeTo: workingFolder).standardizedFileURL)
    }
}

/// What a publish did (or, with `dryRun`, would do).
public struct PublishReport: Sendable {
    public var written: [String] = []
    public var removed: [String] = []
    public var unchanged = 0
    /// For a git branch: the new commit, nil when the branch already held this site.
    public var commit: String?

    /// `published to gh-pages: 12 files written, 1 removed, 140 unchanged (commit 1a2b3c4)`.
    public func summary(_ destination: String, dryRun: Bool) -> String {
        let verb = dryRun ? "would publish" : "published"
        let commit = commit.map { " (commit \(String($0.prefix(12))))" } ?? ""
        return "\(verb) to \(destination): \(written.count) files written, \(removed.count) removed, \(unchanged) unchanged\(commit)"
    }
}

enum Publisher {
    /// The files of a rendered site, relative to it: every regular file but Folio's own `.folio/`.
    static func siteFiles(_ site: URL) throws(FolioError) -> [String] {
        guard let manifest = SiteManifest.read(site: site) else {
            throw FolioError("\(site.path) holds no rendered site; run folio render first", path: site.path)
        }
        return manifest.filter { !$0.hasPrefix(".folio/") && ImageRenderer.isRegularFile(site.path + "/" + $0) }.sorted()
    }

    // MARK: - A folder

    /// The list of what the last publish wrote into a folder, kept in it.
    static let record = ".folio-published"

    static func toFolder(_ site: URL, _ destination: URL, project: URL, dryRun: Bool) throws(FolioError) -> PublishReport {
        if let problem = OutputFolder.problem(destination, project: project) {
            throw FolioError(problem.replacingOccurrences(of: "output folder", with: "publish folder"), path: destination.path, exit: .invalidInput)
        }
        let real = OutputFolder.realPath(destination.path), siteReal = OutputFolder.realPath(site.path)
        if OutputFolder.contains(real, siteReal) || OutputFolder.contains(siteReal, real) {
            throw FolioError("cannot publish \(site.path) into \(destination.path): one holds the other", path: destination.path, exit: .invalidInput)
        }
        let files = try siteFiles(site)
        var recorded: [UInt8] = []
        if case .bytes(let bytes) = FastFiles.read(destination.path + "/" + record, atMost: 64 << 20) { recorded = bytes }
        let before = Set(String(decoding: recorded, as: UTF8.self).split(separator: "\n").map(String.init).filter(SiteManifest.isSafe))
        var report = PublishReport()
        var pending: [(String, [UInt8])] = []
        for path in files {
            guard let bytes = FastFiles.read(site.path + "/" + path) else { throw FolioError("cannot read \(site.path)/\(path)") }
            var info = stat()
            let target = destination.path + "/" + path
            if lstat(target, &info) == 0 {
                // A file there that an earlier publish did not write is someone else's: never replaced.
                guard before.contains(path) else {
                    throw FolioError(
                        "\(destination.lastPathComponent)/\(path) is already there and Folio did not publish it; it is never overwritten. Move it away, or publish to another folder.",
                        path: target, exit: .invalidInput)
                }
                if (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) == bytes.count, FastFiles.read(target) == bytes {
                    report.unchanged += 1
                    continue
                }
            }
            report.written.append(path)
            pending.append((path, bytes))
        }
        report.removed = before.subtracting(files).sorted()
        guard !dryRun else { return report }
        do {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        } catch {
            throw FolioError("cannot create \(destination.path): \(error.localizedDescription)", path: destination.path)
        }
        let writer = SiteFilesWriter(root: destination)
        // The record names every file this publish may write before any is written: an interrupted
        // publish leaves nothing a later one takes for someone else's.
        try writer.write(record, Array((before.union(files).sorted().joined(separator: "\n") + "\n").utf8))
        for (path, bytes) in pending { try writer.write(path, bytes) }
        for path in report.removed where writer.isInRealFolders(path) { unlink(destination.path + "/" + path) }
        try writer.write(record, Array((files.joined(separator: "\n") + "\n").utf8))
        return report
    }

    /// Writes files under a folder: each through a temporary name beside it, then renamed; folders
    /// made as needed, never through a symbolic link.
    struct SiteFilesWriter {
        let root: URL

        /// Every folder on the way to `path` is a real folder under the root, not a link: removing
        /// through a link would remove a file elsewhere.
        func isInRealFolders(_ path: String) -> Bool {
            var folder = root.path
            for part in path.split(separator: "/").dropLast() {
                folder += "/" + part
                var info = stat()
                guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return false }
            }
            return true
        }

        func write(_ path: String, _ bytes: [UInt8]) throws(FolioError) {
            var folder = root.path
            for part in path.split(separator: "/").dropLast() {
                folder += "/" + part
                var info = stat()
                if lstat(folder, &info) == 0 {
                    guard (info.st_mode & S_IFMT) == S_IFDIR else {
                        throw FolioError("\(folder) is not a folder (a symbolic link?); Folio does not publish through it", path: folder)
                    }
                } else if mkdir(folder, 0o755) != 0 {
                    throw FolioError("cannot create \(folder): \(String(cString: strerror(errno)))", path: folder)
                }
            }
            do {
                try AtomicFile.write(bytes, to: URL(fileURLWithPath: root.path + "/" + path), sync: false)
            } catch {
                throw FolioError("cannot write \(root.path)/\(path): \(error)", path: path)
            }
        }
    }

    // MARK: - A git branch

    static func toGitBranch(_ site: URL, branch: String, project: URL, dryRun: Bool, message: String) throws(FolioError) -> PublishReport {
        let files = try siteFiles(site)
        let git = Git(folder: project)
        guard (try? git.run(["rev-parse", "--git-dir"])) != nil else {
            throw FolioError("\(project.path) is not in a git repository; git:\(branch) publishes to a branch of the project's repository", exit: .invalidInput)
        }
        // The branch checked out here would move under the working tree: refused.
        let worktrees = (try? git.run(["worktree", "list", "--porcelain"])) ?? ""
        if worktrees.split(separator: "\n").contains(where: { $0 == "branch refs/heads/\(branch)" }) {
            throw FolioError(
                "git:\(branch) is the branch checked out in \(project.path); publish to another branch (such as gh-pages), so your working tree never moves",
                exit: .invalidInput)
        }
        guard (try? git.run(["check-ref-format", "--branch", branch])) != nil else {
            throw FolioError("'\(branch)' is not a valid git branch name", exit: .invalidInput)
        }
        let parent = try? git.run(["rev-parse", "--verify", "--quiet", "refs/heads/\(branch)^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        // The branch's files by path, with their blob ids: `<mode> blob <id>\t<path>`.
        var old: [String: String] = [:]
        for line in ((try? parent.map { try git.run(["ls-tree", "-r", "-z", $0]) }) ?? nil)?.split(separator: "\0") ?? [] {
            guard let tab = line.firstIndex(of: "\t") else { continue }
            old[String(line[line.index(after: tab)...])] = line[..<tab].split(separator: " ").last.map(String.init)
        }
        // A temporary index: the project's own index and working tree are never touched.
        let index = FileManager.default.temporaryDirectory.appendingPathComponent("folio-publish-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).index")
        defer { unlink(index.path) }
        var indexed = Git(folder: project, environment: ["GIT_INDEX_FILE": index.path])
        indexed.workTree = site
        // One git for every blob: paths in, one object id a line out.
        // Names git would change or drop (a newline, a .git part) are refused; bytes go in unfiltered.
        if let odd = files.first(where: { $0.contains("\n") || $0.split(separator: "/").contains { $0.lowercased() == ".git" } }) {
            throw FolioError("the site holds '\(odd)', which a git branch cannot hold as it is; rename it in static/", exit: .invalidInput)
        }
        let blobs = try indexed.run(
            ["hash-object", "-w", "--no-filters", "--stdin-paths"], input: files.map { site.path + "/" + $0 }.joined(separator: "\n") + "\n"
        )
        .split(separator: "\n").map(String.init)
        guard blobs.count == files.count else { throw FolioError("git hash-object gave \(blobs.count) ids for \(files.count) files") }
        let entries = zip(blobs, files).map { "100644 \($0)\t\($1)\0" }.joined()
        _ = try indexed.run(["update-index", "--add", "-z", "--index-info"], input: entries)
        let tree = try indexed.run(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        var report = PublishReport()
        report.removed = Set(old.keys).subtracting(files).sorted()
        let oldTree = parent.flatMap { try? git.run(["rev-parse", "\($0)^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines) }
        if oldTree == tree {
            report.unchanged = files.count
            return report
        }
        report.written = zip(files, blobs).filter { old[$0.0] != $0.1 }.map(\.0)
        report.unchanged = files.count - report.written.count
        guard !dryRun else { return report }
        let commit = try git.run(["commit-tree", tree] + (parent.map { ["-p", $0] } ?? []), input: message + "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try git.run(["update-ref", "refs/heads/\(branch)", commit] + (parent.map { [$0] } ?? []))
        report.commit = commit
        return report
    }

    /// The git command line, run in a folder.
    struct Git {
        var folder: URL
        var environment: [String: String] = [:]
        var workTree: URL?

        func run(_ arguments: [String], input: String? = nil) throws(FolioError) -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["git", "-C", folder.path] + (workTree.map { ["--work-tree", $0.path] } ?? []) + arguments
            // The project's repository, whatever the caller's environment points git at.
            var inherited = ProcessInfo.processInfo.environment
            for name in ["GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_INDEX_FILE"] { inherited[name] = nil }
            process.environment = inherited.merging(environment) { $1 }
            let output = Pipe(), errors = Pipe(), stdin = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = stdin
            do { try process.run() } catch { throw FolioError("cannot run git: \(error)") }
            // Fed and drained from other threads: git writes as it reads, and each pipe holds only
            // 64 KB. A git that stops reading early must not kill Folio with SIGPIPE.
            signal(SIGPIPE, SIG_IGN)
            let writer = stdin.fileHandleForWriting
            let work = DispatchGroup()
            DispatchQueue.global().async(group: work) {
                if let input { try? writer.write(contentsOf: Data(input.utf8)) }
                try? writer.close()
            }
            let message = Mutex(Data())
            let errorReader = errors.fileHandleForReading
            DispatchQueue.global().async(group: work) {
                let text = errorReader.readDataToEndOfFile()
                message.withLock { $0 = text }
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            work.wait()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                let text = message.withLock { String(decoding: $0, as: UTF8.self) }
                throw FolioError("git \(arguments.first ?? "") failed: \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
