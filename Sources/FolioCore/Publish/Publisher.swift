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
    /// No destination (`folio publish` alone): the site is rendered and checked, and left where it is.
    case checkOnly

    /// How messages name it: the folder's path, `git:BRANCH` or `s3://BUCKET/PREFIX`.
    public var name: String {
        switch self {
        case .folder(let url): url.path
        case .gitBranch(let branch): "git:\(branch)"
        case .objectStore(let bucket, let prefix): prefix.isEmpty ? "s3://\(bucket)" : "s3://\(bucket)/\(prefix)"
        case .checkOnly: "nowhere"
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
            // A branch's own name, not a ref path: `refs/heads/main` or `heads/main` would make a second
            // branch that git then finds ambiguous, beside the one meant.
            let refPaths = ["refs/", "heads/", "remotes/", "tags/"]
            guard !branch.isEmpty, !branch.hasPrefix("-"), !branch.hasPrefix("/"), !branch.hasSuffix("/"), !branch.contains(".."),
                !branch.contains("//"), !branch.hasSuffix("."), branch != "HEAD",
                // git's rules for each part: none starts with a dot or ends with `.lock`.
                branch.split(separator: "/").allSatisfy({ !$0.hasPrefix(".") && !$0.hasSuffix(".lock") }),
                !refPaths.contains(where: branch.hasPrefix), branch.unicodeScalars.allSatisfy({ allowed.contains($0) })
            else { return nil }
            return .gitBranch(branch)
        }
        if text.hasPrefix("s3://") { return ObjectStore.target(text) }
        if text.contains("://") { return nil }
        // `s3:/bucket` or `git@github.com:me/site` is a typo for a target, not a folder to make:
        // a folder whose first part has a colon must be written `./…`.
        if text.split(separator: "/").first?.contains(":") == true { return nil }
        let folder = URL(fileURLWithPath: text, relativeTo: workingFolder).standardizedFileURL
        return isSystemFolder(folder) ? nil : .folder(folder)
    }

    /// `/`, the home folder, a system folder such as `/etc` or `/usr/local`, or a path inside a `.git`
    /// folder: never a place to publish a site into.
    static func isSystemFolder(_ folder: URL) -> Bool {
        let path = folder.resolvingSymlinksInPath().path
        let parts = path.split(separator: "/").map(String.init)
        if parts.contains(where: { $0.lowercased() == ".git" }) { return true }
        // `/var`, `/opt` and `/srv` themselves, but not `/srv/gallery` or `/var/www/html`.
        let tops: Set = [
            "bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "libx32", "media", "mnt", "opt", "proc", "root", "run", "sbin", "srv", "sys", "tmp",
            "usr", "var",
        ]
        let system: Set = ["bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "root", "run", "sbin", "sys", "usr"]
        if parts.isEmpty || (parts.count == 1 && tops.contains(parts[0])) || (parts.count == 2 && system.contains(parts[0])) { return true }
        // The account's home, and $HOME when it names another.
        let homes = [FileManager.default.homeDirectoryForCurrentUser.path] + (ProcessInfo.processInfo.environment["HOME"].map { [$0] } ?? [])
        return homes.contains { !$0.isEmpty && URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == path }
    }
}

/// What a publish did (or, with `dryRun`, would do).
public struct PublishReport: Sendable {
    public var written: [String] = []
    public var removed: [String] = []
    public var unchanged = 0
    /// For a git branch: the new commit, nil when the branch already held this site.
    public var commit: String?
    /// What the user should know about where the publish went (a branch based on a remote's).
    public var notes: [String] = []
    /// `folio publish` without a destination: the site was checked, and nothing copied.
    public var checkedOnly = false

    /// `published to gh-pages: 12 files written, 1 removed, 140 unchanged (commit 1a2b3c4)`.
    public func summary(_ destination: String, dryRun: Bool) -> String {
        if checkedOnly { return "ready to publish: nothing was copied" }
        let verb = dryRun ? "would publish" : "published"
        let commit = commit.map { " (commit \(String($0.prefix(12))))" } ?? ""
        return "\(verb) to \(destination): \(written.count) files written, \(removed.count) removed, \(unchanged) unchanged\(commit)"
    }
}

enum Publisher {
    /// The files of a rendered site, relative to it: every regular file but Folio's own `.folio/`.
    /// A site file named like the record a destination keeps is refused.
    static func siteFiles(_ site: URL, destination: String? = nil) throws(FolioError) -> [String] {
        guard let manifest = SiteManifest.read(site: site) else {
            throw FolioError("\(site.path) holds no rendered site; run folio render first", path: site.path)
        }
        let files = manifest.filter { !$0.hasPrefix(".folio/") && ImageRenderer.isRegularFile(site.path + "/" + $0) }.sorted()
        if let destination, files.contains(record) {
            throw FolioError(
                "the site holds \(record), the name of the list Folio keeps in \(destination) of what it published; rename it in static/",
                path: site.path + "/" + record, exit: .invalidInput)
        }
        return files
    }

    // MARK: - A folder

    /// The list of what the last publish wrote into a folder (or a branch), kept in it.
    static let record = ".folio-published"

    /// Copies the site into `destination` file by file, never holding more than a chunk of one file
    /// in memory: an unchanged file (same size, same bytes) is left alone, a changed one copied
    /// through a temporary name beside it and renamed.
    /// Why `destination` cannot be published into (the project or a folder holding it, one of its
    /// own folders, a file, the site or a folder holding it); checked before anything is rendered.
    static func folderProblem(_ destination: URL, site: URL, project: URL) -> FolioError? {
        if let problem = OutputFolder.problem(
            destination, project: project, role: "publish folder", why: "publish to a folder of its own, outside the project's own folders")
        {
            return FolioError(problem, path: destination.path, exit: .invalidInput)
        }
        let real = OutputFolder.realPath(destination.path), siteReal = OutputFolder.realPath(site.path)
        if OutputFolder.contains(real, siteReal) || OutputFolder.contains(siteReal, real) {
            return FolioError("cannot publish \(site.path) into \(destination.path): one holds the other", path: destination.path, exit: .invalidInput)
        }
        return nil
    }

    /// `destination` has passed `folderProblem`.
    static func toFolder(_ site: URL, _ destination: URL, project: URL, dryRun: Bool) throws(FolioError) -> PublishReport {
        let files = try siteFiles(site, destination: destination.path)
        var recorded: [UInt8] = []
        if case .bytes(let bytes) = FastFiles.read(destination.path + "/" + record, atMost: 64 << 20) { recorded = bytes }
        let before = recordedPaths(recorded)
        var report = PublishReport()
        for path in files {
            var info = stat()
            let target = destination.path + "/" + path
            if lstat(target, &info) == 0 {
                // A file there that an earlier publish did not write is someone else's: never replaced.
                guard before.contains(path) else {
                    throw FolioError(
                        "\(destination.lastPathComponent)/\(path) is already there and Folio did not publish it; it is never overwritten. Move it away, or publish to another folder.",
                        path: target, exit: .invalidInput)
                }
                if (info.st_mode & S_IFMT) == S_IFREG, sameContents(site.path + "/" + path, target) {
                    report.unchanged += 1
                    continue
                }
            }
            report.written.append(path)
        }
        report.removed = before.subtracting(files).sorted()
        // Nothing to write or remove, and the record already says so: a second publish of an
        // unchanged site touches nothing, not even the record.
        let finalRecord = Array((files.joined(separator: "\n") + "\n").utf8)
        guard !dryRun, !(report.written.isEmpty && report.removed.isEmpty && recorded == finalRecord) else { return report }
        do {
            try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        } catch {
            throw FolioError("cannot create \(destination.path): \(error.localizedDescription)", path: destination.path)
        }
        let writer = SiteFilesWriter(root: destination)
        // The record names every file this publish may write before any is written: an interrupted
        // publish leaves nothing a later one takes for someone else's.
        try writer.write(record, Array((before.union(files).sorted().joined(separator: "\n") + "\n").utf8))
        // Images and static files first, the pages, feed and lists that link them last: a reader
        // mid-publish never gets a page whose images are not there yet.
        let linking: (String) -> Bool = { $0.hasSuffix(".html") || $0.hasSuffix(".xml") || $0.hasSuffix(".json") || $0.hasSuffix("search-index.js") }
        for path in report.written.filter({ !linking($0) }) + report.written.filter(linking) { try writer.copy(path, from: site.path + "/" + path) }
        for path in report.removed where writer.isInRealFolders(path) { unlink(destination.path + "/" + path) }
        try writer.write(record, finalRecord)
        return report
    }

    /// The paths a record lists (one a line), those that are safe to touch.
    static func recordedPaths(_ bytes: [UInt8]) -> Set<String> {
        Set(String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter { SiteManifest.isSafe($0) && $0 != record })
    }

    /// Whether two regular files hold the same bytes, read a chunk of each at a time.
    static func sameContents(_ a: String, _ b: String) -> Bool {
        let first = open(a, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard first >= 0 else { return false }
        defer { close(first) }
        let second = open(b, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard second >= 0 else { return false }
        defer { close(second) }
        var one = stat(), two = stat()
        guard fstat(first, &one) == 0, fstat(second, &two) == 0, (one.st_mode & S_IFMT) == S_IFREG, (two.st_mode & S_IFMT) == S_IFREG,
            one.st_size == two.st_size
        else { return false }
        // Buffers no larger than the files: most are small pages.
        let chunk = max(1, min(Int(one.st_size), 1 << 20))
        var left = [UInt8](repeating: 0, count: chunk), right = [UInt8](repeating: 0, count: chunk)
        var offset: off_t = 0
        while true {
            guard let n = readFully(first, &left, at: offset), let m = readFully(second, &right, at: offset), n == m else { return false }
            if n == 0 { return true }
            guard left.withUnsafeBytes({ l in right.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, n) == 0 } }) else { return false }
            offset += off_t(n)
        }
    }

    /// Fills `buffer` from `offset` (less only at the end of the file): the count read, nil on an error.
    static func readFully(_ fd: Int32, _ buffer: inout [UInt8], at offset: off_t) -> Int? {
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + filled, $0.count - filled, offset + off_t(filled)) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            filled += n
        }
        return filled
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

        /// Makes the folders on the way to `path`, refusing any that is not a real folder.
        func makeFolders(_ path: String) throws(FolioError) {
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
        }

        func write(_ path: String, _ bytes: [UInt8]) throws(FolioError) {
            try makeFolders(path)
            do {
                try AtomicFile.write(bytes, to: URL(fileURLWithPath: root.path + "/" + path), sync: false)
            } catch {
                throw FolioError("cannot write \(root.path)/\(path): \(error)", path: path)
            }
        }

        /// Copies `source` to `path` (a reflink where the file system has them, else a chunk at a
        /// time) through a temporary name beside it, then renames it into place.
        func copy(_ path: String, from source: String) throws(FolioError) {
            try makeFolders(path)
            let target = root.path + "/" + path
            let folder = (target as NSString).deletingLastPathComponent, name = (target as NSString).lastPathComponent
            let temporary = "\(folder)/.\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
            guard CopyFile.copy(from: source, to: temporary) else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw FolioError("cannot copy \(source) to \(target): \(reason)", path: target)
            }
            guard rename(temporary, target) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw FolioError("cannot write \(target): \(reason)", path: target)
            }
        }
    }

    // MARK: - A git branch

    /// Files a branch served by GitHub Pages needs besides the site, with their contents: `.nojekyll`
    /// (else Pages runs Jekyll, which drops files and folders starting with `_` or `.`, such as
    /// `.well-known/`). Added unless the site has its own, or the branch one Folio did not publish.
    static let gitHostFiles: [(path: String, contents: String)] = [(".nojekyll", "")]

    /// Commits the site to `branch` of the project's repository with the git command line, through
    /// a temporary index: the working tree, the project's index and the checked-out branch never
    /// move. The new tree starts from the branch's: only files Folio published there before (its
    /// `.folio-published`) are replaced or removed, and a site file where the branch holds one Folio
    /// did not publish stops the publish. A branch that exists only on a remote (`origin`, or the
    /// one remote that has it) is the new commit's parent, so pushing it is a fast-forward. With
    /// `dryRun`, git writes nothing: blob ids are computed without `-w`, and no index, tree,
    /// commit or ref is made.
    static func toGitBranch(_ site: URL, branch: String, project: URL, dryRun: Bool, message: String) throws(FolioError) -> PublishReport {
        let name = "git:\(branch)"
        let files = try siteFiles(site, destination: name)
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
        // A branch that is a symbolic ref (to main, say) would move what it points at: refused.
        if (try? git.run(["symbolic-ref", "-q", "refs/heads/\(branch)"])) != nil {
            throw FolioError("git:\(branch) is a symbolic ref to another branch; publish to a branch of its own", exit: .invalidInput)
        }
        // Names git would change or drop are refused: control characters (a newline, a carriage
        // return), and any part git will not check out (`.git` in any case, with trailing dots or
        // spaces, or its short name `git~1`); bytes go in unfiltered.
        func isOdd(_ path: String) -> Bool {
            path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
                || path.split(separator: "/").contains { part in
                    let bare = part.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
                    return bare == "git" && part.hasPrefix(".") || part.lowercased().hasPrefix("git~")
                }
        }
        if let odd = files.first(where: isOdd) {
            throw FolioError("the site holds '\(odd)', which a git branch cannot hold as it is; rename it in static/", exit: .invalidInput)
        }
        var report = PublishReport()
        let local = try? git.run(["rev-parse", "--verify", "--quiet", "refs/heads/\(branch)^{commit}"]).trimmingCharacters(in: .whitespacesAndNewlines)
        var parent = local
        let remote = local == nil ? try remoteBranch(git, branch) : nil
        if let remote { parent = remote.commit }
        // The branch's entries by path: `<mode> <type> <id>\t<path>`.
        var old: [String: (mode: String, id: String)] = [:]
        if let parent {
            for line in try git.run(["ls-tree", "-r", "-z", "--full-tree", parent]).split(separator: "\0") {
                guard let tab = line.firstIndex(of: "\t") else { continue }
                let fields = line[..<tab].split(separator: " ")
                guard fields.count == 3 else { continue }
                old[String(line[line.index(after: tab)...])] = (String(fields[0]), String(fields[2]))
            }
        }
        // What Folio published there before: the branch's record, or an earlier Folio's commit.
        var before: Set<String> = []
        if let recorded = old[record] {
            before = recordedPaths(Array(try git.run(["cat-file", "blob", recorded.id]).utf8))
        } else if let parent, let earlier = earlierPublish(git, parent) {
            before = earlier.paths
            report.notes.append(
                "git:\(branch) has no \(record): the files of Folio's last commit there (\(earlier.commit.prefix(12))) are taken as the ones Folio published")
        }
        // Files of the branch Folio did not publish, and the folders they lie in, are never overwritten.
        let foreign = Set(old.keys).subtracting(before).subtracting([record])
        var foreignFolders: Set<String> = []
        for path in foreign {
            var folder = Substring(path)
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                foreignFolders.insert(String(folder))
            }
        }
        var published = files
        var hostFiles: [String: String] = [:]
        for host in gitHostFiles where !files.contains(host.path) && !foreign.contains(host.path) {
            published.append(host.path)
            hostFiles[host.path] = host.contents
        }
        published.sort()
        let clashes = published.filter { path in
            if foreign.contains(path) || foreignFolders.contains(path) { return true }
            var folder = Substring(path)
            while let slash = folder.lastIndex(of: "/") {
                folder = folder[..<slash]
                if foreign.contains(String(folder)) { return true }
            }
            return false
        }
        if let first = clashes.first {
            let others = clashes.dropFirst().prefix(3).joined(separator: ", ") + (clashes.count > 4 ? ", …" : "")
            let more = clashes.count > 1 ? " (and \(clashes.count - 1) more: \(others))" : ""
            throw FolioError(
                "git:\(branch) already holds \(first)\(more), and Folio did not publish it; it is never overwritten. Remove it from the branch, or publish to another branch.",
                exit: .invalidInput)
        }

        // Blob ids: written into the repository only when this is no dry run.
        let write = dryRun ? [] : ["-w"]
        var hasher = Git(folder: project)
        hasher.workTree = site
        let siteBlobs = try hasher.run(
            ["hash-object"] + write + ["--no-filters", "--stdin-paths"], input: files.map { site.path + "/" + $0 }.joined(separator: "\n") + "\n"
        )
        .split(separator: "\n").map(String.init)
        guard siteBlobs.count == files.count else { throw FolioError("git hash-object gave \(siteBlobs.count) ids for \(files.count) files") }
        var blobs = Dictionary(uniqueKeysWithValues: zip(files, siteBlobs))
        func blob(_ contents: String) throws(FolioError) -> String {
            try hasher.run(["hash-object"] + write + ["--no-filters", "--stdin"], input: contents).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        for (path, contents) in hostFiles { blobs[path] = try blob(contents) }
        let recordBlob = try blob(published.map { $0 + "\n" }.joined())

        let publishedSet = Set(published)
        report.written = published.filter { old[$0]?.id != blobs[$0] || old[$0]?.mode != "100644" }
        report.unchanged = published.count - report.written.count
        report.removed = before.filter { old[$0] != nil && !publishedSet.contains($0) }.sorted()
        let recordChanged = old[record]?.id != recordBlob || old[record]?.mode != "100644"
        let changed = !report.written.isEmpty || !report.removed.isEmpty || recordChanged
        if let remote {
            let there = "\(remote.remote)/\(branch) (\(remote.commit.prefix(12)))"
            report.notes.append(
                changed
                    ? "\(branch) is not a branch here: the new commit \(dryRun ? "would be" : "is") based on \(there), so `git push \(remote.remote) \(branch)` is a fast-forward"
                    : "\(branch) is not a branch here, and \(there) already holds this site: nothing to commit")
        }
        guard changed, !dryRun else { return report }

        // A temporary index: the project's own index and working tree are never touched.
        let index = FileManager.default.temporaryDirectory.appendingPathComponent("folio-publish-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).index")
        defer { unlink(index.path) }
        var indexed = Git(folder: project, environment: ["GIT_INDEX_FILE": index.path])
        indexed.workTree = site
        if let parent { _ = try indexed.run(["read-tree", "\(parent)^{tree}"]) }
        // Removals first (mode 0), so a file may become a folder and a folder a file.
        let none = String(repeating: "0", count: recordBlob.count)
        var entries = report.removed.map { "0 \(none)\t\($0)\0" }
        entries += (report.written + (recordChanged ? [record] : [])).map { "100644 \(blobs[$0] ?? recordBlob)\t\($0)\0" }
        _ = try indexed.run(["update-index", "--add", "-z", "--index-info"], input: entries.joined())
        let tree = try indexed.run(["write-tree"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let commit = try git.run(["commit-tree", tree] + (parent.map { ["-p", $0] } ?? []), input: message + "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // Moved only from where it was read (or made only if it still does not exist).
        _ = try git.run(["update-ref", "--no-deref", "refs/heads/\(branch)", commit, local ?? ""])
        report.commit = commit
        return report
    }

    /// The remote branch a new local `branch` follows: `origin`'s, else the one remote's that has
    /// it; nil when none has it. Two remotes with it and no `origin` is a question for the user.
    static func remoteBranch(_ git: Git, _ branch: String) throws(FolioError) -> (remote: String, commit: String)? {
        let remotes = ((try? git.run(["remote"])) ?? "").split(separator: "\n").map(String.init)
        var found: [(remote: String, commit: String)] = []
        for remote in remotes {
            let commit = (try? git.run(["rev-parse", "--verify", "--quiet", "refs/remotes/\(remote)/\(branch)^{commit}"]))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if let commit, !commit.isEmpty { found.append((remote, commit)) }
        }
        if let origin = found.first(where: { $0.remote == "origin" }) { return origin }
        if found.count > 1 {
            let names = found.map { "\($0.remote)/\(branch)" }.joined(separator: ", ")
            throw FolioError(
                "\(branch) is not a branch here, and several remotes have one (\(names)); make it from the one you push to (git branch \(branch) \(found[0].remote)/\(branch)), then publish again",
                exit: .invalidInput)
        }
        return found.first
    }

    /// For a branch with no record: the last commit Folio made there (its message
    /// `Publish …: N pages (folio …)`) and what it published — that commit's record, or for a commit
    /// from before Folio kept one (when a publish replaced the whole tree), every file of its tree.
    static func earlierPublish(_ git: Git, _ parent: String) -> (commit: String, paths: Set<String>)? {
        guard
            let commit = (try? git.run(["log", "-1", "-E", "--format=%H", "--grep=^Publish .*: [0-9]+ pages \\(folio [^)]*\\)$", parent]))?
                .trimmingCharacters(in: .whitespacesAndNewlines), !commit.isEmpty,
            let listing = try? git.run(["ls-tree", "-r", "-z", "--full-tree", "--name-only", commit])
        else { return nil }
        let paths = listing.split(separator: "\0").map(String.init)
        if paths.contains(record) {
            guard let text = try? git.run(["cat-file", "blob", "\(commit):\(record)"]) else { return nil }
            return (commit, recordedPaths(Array(text.utf8)))
        }
        return (commit, Set(paths.filter { SiteManifest.isSafe($0) }))
    }

    /// The git command line, run in a folder.
    struct Git {
        var folder: URL
        var environment: [String: String] = [:]
        var workTree: URL?

        func run(_ arguments: [String], input: String? = nil) throws(FolioError) -> String {
            String(decoding: try data(arguments, input: input), as: UTF8.self)
        }

        /// What `run` prints, as bytes: a blob may be an image.
        func data(_ arguments: [String], input: String? = nil) throws(FolioError) -> Data {
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
            return data
        }
    }
}
