import Foundation

/// A project's files as one git revision holds them, read with the git command line (`ls-tree`,
/// `cat-file`): never through the working tree or the index, which stay as they are.
struct GitRevision {
    var git: Publisher.Git
    /// What the user named (`HEAD`, `main~2`).
    var name: String
    /// The commit it names.
    var commit: String
    /// The project's folder inside the repository: empty at its root, else ending in `/`.
    var prefix: String

    /// Files larger than this are not read from the revision (no prompt, settings or reference
    /// image is anywhere near it).
    static let maxBytes = 64 << 20

    /// The revision `name` of the repository that holds `project`. No git, no repository and an
    /// unknown revision are the user's to fix: exit 2.
    static func open(project: URL, name: String, environment: [String: String]) throws(FolioError) -> GitRevision {
        guard hasGit(environment) else {
            throw FolioError("folio diff compares with a git revision, and git is not installed (no 'git' on PATH)", exit: .invalidInput)
        }
        // A name that git would read as an option is not a revision.
        guard !name.isEmpty, !name.hasPrefix("-"), !name.contains("\n") else {
            throw FolioError("'\(name)' is not a git revision; name a commit, a branch or a tag, such as HEAD or main", exit: .invalidInput)
        }
        let git = Publisher.Git(folder: project)
        let prefix: String
        do {
            prefix = try git.run(["rev-parse", "--show-prefix"]).trimmingCharacters(in: .newlines)
        } catch {
            throw FolioError(
                "\(project.path) is not in a git repository; folio diff compares the project with a git revision (\(error.message))",
                path: project.path, exit: .invalidInput)
        }
        guard let commit = try? git.run(["rev-parse", "--verify", "--quiet", "\(name)^{commit}"]).trimmingCharacters(in: .newlines),
            commit.count >= 40, commit.allSatisfy(\.isHexDigit)
        else {
            throw FolioError("unknown revision '\(name)': git knows no commit by that name", exit: .invalidInput)
        }
        return GitRevision(git: git, name: name, commit: commit, prefix: prefix)
    }

    /// Whether an executable `git` is on `PATH`.
    static func hasGit(_ environment: [String: String]) -> Bool {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/git") }
    }

    /// The regular files of the project at this revision at `paths` (relative to the project; a
    /// folder stands for every file under it), with their blob ids; none over `maxBytes`. Symbolic
    /// links and submodules are left out, and so is anything under a link: git lists a linked
    /// folder as the link itself, never what it points to. One `git ls-tree` for all the paths
    /// (more only past `pathsPerListing`), which git matches literally (no `*`, no `:(magic)`).
    func files(at paths: [String]) throws(FolioError) -> [(path: String, object: String)] {
        var files: [(String, String)] = []
        var seen = Set<String>()
        let wanted = paths.filter(Self.isPlain)
        for start in stride(from: 0, to: wanted.count, by: Self.pathsPerListing) {
            let chunk = wanted[start..<min(start + Self.pathsPerListing, wanted.count)].map { prefix + $0 }
            var literal = git
            literal.environment["GIT_LITERAL_PATHSPECS"] = "1"
            let listing = try literal.data(["ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--"] + chunk)
            for (path, object) in Self.regularFiles(listing, prefix: prefix) where seen.insert(path).inserted {
                files.append((path, object))
            }
        }
        return files
    }

    /// How many paths one `git ls-tree` is given: well under any limit on a command line's length.
    static let pathsPerListing = 1000

    /// The regular files of an `ls-tree -r -z -l --full-tree` listing, by their paths relative to
    /// the project (inside `prefix`, plain), with their blob ids; none over `maxBytes`.
    static func regularFiles(_ listing: Data, prefix: String) -> [(path: String, object: String)] {
        var files: [(String, String)] = []
        for record in listing.split(separator: 0) {
            // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
            guard let tab = record.firstIndex(of: 9) else { continue }
            let fields = String(decoding: record[..<tab], as: UTF8.self).split(separator: " ")
            let full = String(decoding: record[record.index(after: tab)...], as: UTF8.self)
            guard fields.count == 4, fields[0] == "100644" || fields[0] == "100755", fields[1] == "blob",
                let size = Int(fields[3]), size <= maxBytes, full.hasPrefix(prefix)
            else { continue }
            let path = String(full.dropFirst(prefix.count))
            guard isPlain(path) else { continue }
            files.append((path, String(fields[2])))
        }
        return files
    }

    /// A relative path of plain names: no `.`, `..` or empty part (git itself refuses such paths,
    /// but a crafted repository is still read as untrusted input).
    static func isPlain(_ path: String) -> Bool {
        !path.hasPrefix("/") && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// The contents of `objects` (blob ids, or `REV:path` names), by the name asked for; a name git
    /// does not have is left out. One `git cat-file --batch` for all of them.
    func blobs(_ objects: [String]) throws(FolioError) -> [String: Data] {
        guard !objects.isEmpty else { return [:] }
        let output = try git.data(["cat-file", "--batch"], input: objects.map { $0 + "\n" }.joined())
        var found: [String: Data] = [:]
        var position = output.startIndex
        for object in objects {
            // `<oid> <type> <size>\n<contents>\n`, or `<name> missing\n`.
            guard let newline = output[position...].firstIndex(of: 10) else { break }
            let header = String(decoding: output[position..<newline], as: UTF8.self).split(separator: " ")
            position = output.index(after: newline)
            guard header.count == 3, let size = Int(header[2]), size >= 0, output.distance(from: position, to: output.endIndex) >= size + 1 else {
                continue
            }
            let end = output.index(position, offsetBy: size)
            if header[1] == "blob" { found[object] = Data(output[position..<end]) }
            position = output.index(after: end)
        }
        return found
    }

    /// Writes `files` (from `files(at:)`) into `folder` as they are at this revision, and returns
    /// the paths written. `folder` is a fresh folder of Folio's own: every path is plain (no `..`,
    /// not absolute) and nothing written is a link, so nothing lands outside it.
    func materialise(_ files: [(path: String, object: String)], into folder: URL) throws(FolioError) -> [String] {
        let contents = try blobs(Array(Set(files.map(\.object))))
        var written: [String] = []
        for (path, object) in files where Self.isPlain(path) {
            guard let bytes = contents[object] else { continue }
            let url = folder.appendingPathComponent(path)
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try bytes.write(to: url)
            } catch {
                throw FolioError("cannot write \(url.path): \(error.localizedDescription)", path: url.path)
            }
            written.append(path)
        }
        return written
    }
}
