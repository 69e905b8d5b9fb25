import Crypto
import Foundation
import Glibc

/// A render's answer kept beside the site, valid while no input file has changed: `folio render`
/// with nothing to do stats its inputs instead of reading 10,000 prompts and the lockfile.
///
/// The inputs are every file under `prompts/`, `templates/`, `static/` and `assets/`, `folio.yml`,
/// `folio.lock` and the running binary, each by device, inode, size, modification and change time
/// (change time cannot be set by hand, so a file edited and re-dated still counts as changed). A
/// symbolic link to a folder in those trees turns the stamp off: its contents are not followed.
public struct RenderStamp: Sendable, Equatable {
    static let path = ".folio/inputs.txt"
    static let header = "folio-inputs 1"

    /// The digest of the inputs' identities.
    public let inputs: String
    /// When the inputs were stat'ed (seconds): a file changed within the same tick as the render
    /// read it would keep its identity, so none is kept when an input is that new ("racy", as git says).
    let taken: Int
    /// An input changed within two seconds of `taken`: this render's answer is not kept.
    let racy: Bool

    /// The folders of the project whose files are inputs, each stamped whole.
    public static let inputFolders = [ProjectLoader.promptsFolder, "templates", StaticFiles.folder, StoredAsset.folder]

    /// Stats the project's inputs; nil when something in them cannot be stamped. Without
    /// `generated`, what generation writes (`folio.lock`, `assets/`) is left out: what the user edits.
    public static func take(project: URL, generated: Bool = true) -> RenderStamp? {
        var hasher = SHA256()
        func add(_ text: String) { hasher.update(data: Array(text.utf8)) }
        var info = stat()
        let now = Int(Date().timeIntervalSince1970)
        var racy = false
        // What the libraries can do, not just their versions: an AVIF encoder comes and goes with a module.
        add("\(Libraries.versions) avif:\(Libraries.canEncode(.avif))\n")
        for file in ["/proc/self/exe", project.path + "/folio.yml"] + (generated ? [project.path + "/folio.lock"] : []) {
            if stat(file, &info) == 0 {
                add("\(file) \(FileIdentity(info).text)\n")
                racy = racy || isRecent(info, now: now)
            } else {
                add("\(file) none\n")
            }
        }
        for folder in inputFolders where generated || folder != StoredAsset.folder {
            guard let files = walk(project.path + "/" + folder, now: now, racy: &racy) else { return nil }
            for (path, identity) in files { add("\(folder)/\(path) \(identity)\n") }
        }
        return RenderStamp(inputs: SHA256Hex.hex(hasher.finalize()), taken: now, racy: racy)
    }

    static func isRecent(_ info: stat, now: Int) -> Bool {
        max(info.st_mtim.tv_sec, info.st_ctim.tv_sec) >= now - 2
    }

    /// `<site>/.folio` is a real folder (or not there yet): never read or written through a link.
    static func stateFolderIsReal(_ site: URL) -> Bool {
        var info = stat()
        guard lstat(site.path + "/.folio", &info) == 0 else { return true }
        return (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// What the render reported last time, when the inputs are the same and every file it wrote
    /// is still there as written; nil otherwise.
    public func report(site: URL, project: URL) -> (report: RenderReport, notes: [String])? {
        guard Self.stateFolderIsReal(site), case .bytes(let bytes) = FastFiles.read(site.path + "/" + Self.path, atMost: 4 << 20),
            let object = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
            object["format"]?.stringValue == Self.header, object["inputs"]?.stringValue == inputs,
            object["project"]?.stringValue == SiteManifest.projectName(project, site: site),
            SiteManifest.owner(site: site, project: project) == .thisProject,
            let record = BuildRecord.read(site.appendingPathComponent(BuildRecord.path)), record.filesPresent(in: site)
        else { return nil }
        // Files the render read outside the stamped folders (reference images): each as it was.
        for dependency in object["dependencies"]?.arrayValue ?? [] {
            guard let path = dependency["path"]?.stringValue, let known = dependency["identity"]?.stringValue,
                SiteManifest.isSafe(path)
            else { return nil }
            guard Self.dependencyIdentity(project.path + "/" + path) == known else { return nil }
        }
        var report = RenderReport()
        report.pages = record.pages
        report.unchanged = record.files.count
        report.imagesSkipped = object["images"]?.intValue ?? 0
        var placeholders: [Placeholder] = []
        for kept in object["placeholders"]?.arrayValue ?? [] {
            // A stamp from before each placeholder's state was kept cannot say how the render ends: render again.
            guard let id = kept["id"]?.stringValue, let kind = kept["state"]?.stringValue.flatMap(Placeholder.Kind.init(rawValue:)),
                let explanation = kept["explanation"]?.stringValue
            else { return nil }
            placeholders.append(Placeholder(id: id, kind: kind, explanation: explanation))
        }
        report.placeholders = placeholders
        // A stamp from before incomplete prompts were kept cannot say how the render ends either.
        guard let incomplete = object["incomplete"]?.arrayValue else { return nil }
        for kept in incomplete {
            guard let id = kept["id"]?.stringValue, let explanation = kept["explanation"]?.stringValue else { return nil }
            report.incomplete.append(IncompletePrompt(id: id, explanation: explanation))
        }
        report.warnings = (object["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
        return (report, (object["notes"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Keeps `report` for the next render with the same inputs. (Not the written and unchanged
    /// counts: a later render with nothing to do writes nothing.)
    /// `notes` are the warnings loading printed (a draft's problems, a template's), printed again;
    /// `dependencies` the other files it read (reference images, relative to the project).
    public func keep(_ report: RenderReport, notes: [String], dependencies: [String], site: URL, project: URL) {
        guard !racy, Self.stateFolderIsReal(site) else { return Self.forget(site: site) }
        var files: [JSONValue] = []
        for path in Set(dependencies).sorted() {
            var info = stat()
            guard SiteManifest.isSafe(path), stat(project.path + "/" + path, &info) == 0, !Self.isRecent(info, now: taken),
                let identity = Self.dependencyIdentity(project.path + "/" + path)
            else {
                return Self.forget(site: site)
            }
            files.append(.object([("path", .string(path)), ("identity", .string(identity))]))
        }
        let object: JSONValue = .object([
            ("format", .string(Self.header)),
            ("inputs", .string(inputs)),
            ("project", .string(SiteManifest.projectName(project, site: site))),
            ("images", .int(report.imagesRendered + report.imagesSkipped)),
            (
                "placeholders",
                .array(
                    report.placeholders.map {
                        .object([("id", .string($0.id)), ("state", .string($0.kind.rawValue)), ("explanation", .string($0.explanation))])
                    })
            ),
            ("incomplete", .array(report.incomplete.map { .object([("id", .string($0.id)), ("explanation", .string($0.explanation))]) })),
            ("warnings", .array(report.warnings.map { .string($0) })),
            ("notes", .array(notes.map { .string($0) })),
            ("dependencies", .array(files)),
        ])
        try? AtomicFile.write(Array(object.pretty.utf8), to: site.appendingPathComponent(Self.path), sync: false)
    }

    /// Forgets the stamp (a render failed, or its inputs are unknown).
    public static func forget(site: URL) {
        guard stateFolderIsReal(site) else { return }
        unlink(site.path + "/" + path)
    }

    /// A file read beside the stamped folders, and where its path really leads (a folder on the
    /// way moved and replaced by a link changes that, not the file's own identity).
    static func dependencyIdentity(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(FileIdentity(info).text) \(FastFiles.realPath(path) ?? "")"
    }

    /// Every entry below `folder` (dot files too) with its identity, sorted; nil at a link to a folder.
    private static func walk(_ folder: String, now: Int, racy: inout Bool) -> [(String, String)]? {
        var info = stat()
        guard lstat(folder, &info) == 0 else { return [] }
        guard (info.st_mode & S_IFMT) == S_IFDIR, let entries = FastFiles.entries(below: folder) else { return nil }
        var files: [(String, String)] = []
        for (child, info) in entries {
            racy = racy || isRecent(info, now: now)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                continue
            case S_IFLNK:
                // The link itself and what it leads to; a link to a folder is not followed.
                let link = FileIdentity(info).text
                var target = stat()
                guard stat(folder + "/" + child, &target) == 0 else {
                    files.append((child, "link \(link) dangling"))
                    continue
                }
                guard (target.st_mode & S_IFMT) != S_IFDIR else { return nil }
                // Where it leads too: a folder on the way swapped for a link moves it out of the project.
                racy = racy || isRecent(target, now: now)
                files.append((child, "link \(link) \(FileIdentity(target).text) \(FastFiles.realPath(folder + "/" + child) ?? "")"))
            default:
                files.append((child, FileIdentity(info).text))
            }
        }
        return files
    }
}
