import Foundation
import Glibc

/// `folio publish DEST`: the rendered site, copied where it is served from.
public enum PublishTarget: Sendable, Equatable {
    /// A folder: each file written beside its place, then renamed over it; only files an earlier
    /// publish wrote there are ever removed.
    case folder(URL)
    /// `git:BRANCH`: a commit of the site on that branch of the project's repository, made with the
    /// git command line through a temporary index, so the working tree and the index stay as they are.
    case gitBranch(String)

    /// How messages name it: the folder's path, or `git:BRANCH`.
    public var name: String {
        switch self {
        case .folder(let url): url.path
        case .gitBranch(let branch): "git:\(branch)"
        }
    }

    /// `git:gh-pages` or a folder path (relative to `workingFolder`); nil for what Folio cannot
    /// publish to yet (`s3://…`).
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
        if let real = FastFiles.realPath(destination.path), let siteReal = FastFiles.realPath(site.path),
            FastFiles.isInside(real, siteReal) || FastFiles.isInside(siteReal, real)
        {
            throw FolioError("cannot publish \(site.path) into \(destination.path): one holds the other", path: destination.path, exit: .invalidInput)
        }
        let files = try siteFiles(site)
        let before = Set(
            (FastFiles.read(destination.path + "/" + record).map { String(decoding: $0, as: UTF8.self) } ?? "")
                .split(separator: "\n").map(String.init).filter(SiteManifest.isSafe))
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
                if (info.st_mode & S_IFMT) == S_IFREG, FastFiles.read(target) == bytes {
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
        for (path, bytes) in pending { try writer.write(path, bytes) }
        for path in report.removed { unlink(destination.path + "/" + path) }
        try writer.write(record, Array((files.joined(separator: "\n") + "\n").utf8))
        return report
    }

    /// Writes files under a folder: each through a temporary name beside it, then renamed; folders
    /// made as needed, never through a symbolic link.
    struct SiteFilesWriter {
        let root: URL

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
        let parent = try? git.run(["rev-parse", "--verify", "--quiet", "refs/heads/\(branch)^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let old = Set(((try? parent.map { try git.run(["ls-tree", "-r", "--name-only", "-z", $0]) }) ?? nil)?.split(separator: "\0").map(String.init) ?? [])
        // A temporary index: the project's own index and working tree are never touched.
        let index = FileManager.default.temporaryDirectory.appendingPathComponent("folio-publish-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).index")
        defer { unlink(index.path) }
        var indexed = Git(folder: project, environment: ["GIT_INDEX_FILE": index.path])
        indexed.workTree = site
        // One git for every blob: paths in, one object id a line out.
        let blobs = try indexed.run(["hash-object", "-w", "--stdin-paths"], input: files.map { site.path + "/" + $0 }.joined(separator: "\n") + "\n")
            .split(separator: "\n").map(String.init)
        guard blobs.count == files.count else { throw FolioError("git hash-object gave \(blobs.count) ids for \(files.count) files") }
        let entries = zip(blobs, files).map { "100644 \($0)\t\($1)\n" }.joined()
        _ = try indexed.run(["update-index", "--add", "--index-info"], input: entries)
        let tree = try indexed.run(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        var report = PublishReport()
        report.removed = old.subtracting(files).sorted()
        let oldTree = parent.flatMap { try? git.run(["rev-parse", "\($0)^{tree}"]).trimmingCharacters(in: .whitespacesAndNewlines) }
        if oldTree == tree {
            report.unchanged = files.count
            return report
        }
        report.written = files.filter { !old.contains($0) }
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
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let output = Pipe(), errors = Pipe(), stdin = Pipe()
            process.standardOutput = output
            process.standardError = errors
            process.standardInput = stdin
            do { try process.run() } catch { throw FolioError("cannot run git: \(error)") }
            // Fed from another thread: git writes as it reads, and both pipes hold only 64 KB.
            let writer = stdin.fileHandleForWriting
            let feeding = DispatchGroup()
            DispatchQueue.global().async(group: feeding) {
                if let input { writer.write(Data(input.utf8)) }
                try? writer.close()
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            feeding.wait()
            let message = errors.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw FolioError(
                    "git \(arguments.first ?? "") failed: \(String(decoding: message, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
