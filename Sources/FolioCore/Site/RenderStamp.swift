import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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

    /// The digest of the inputs' identities, or nil when they cannot be stamped.
    public let inputs: String

    /// Stats the project's inputs; nil when something in them cannot be stamped.
    public static func take(project: URL) -> RenderStamp? {
        var hasher = SHA256()
        func add(_ text: String) { hasher.update(data: Array(text.utf8)) }
        var info = stat()
        add("\(Libraries.versions)\n")
        for file in ["/proc/self/exe", project.path + "/folio.yml", project.path + "/folio.lock"] {
            add(stat(file, &info) == 0 ? "\(file) \(identity(info))\n" : "\(file) none\n")
        }
        for folder in [ProjectLoader.promptsFolder, "templates", StaticFiles.folder, Downloader.folder] {
            guard let files = walk(project.path + "/" + folder) else { return nil }
            for (path, identity) in files { add("\(folder)/\(path) \(identity)\n") }
        }
        return RenderStamp(inputs: SHA256Hex.hex(hasher.finalize()))
    }

    /// What the render reported last time, when the inputs are the same and every file it wrote
    /// is still there as written; nil otherwise.
    public func report(site: URL, project: URL) -> (report: RenderReport, notes: [String])? {
        guard case .bytes(let bytes) = FastFiles.read(site.path + "/" + Self.path, atMost: 64 << 20),
              let object = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
              object["format"]?.stringValue == Self.header, object["inputs"]?.stringValue == inputs,
              object["project"]?.stringValue == SiteManifest.projectName(project),
              SiteManifest.owner(site: site, project: project) == .thisProject,
              let record = BuildRecord.read(site.appendingPathComponent(BuildRecord.path)), record.filesPresent(in: site)
        else { return nil }
        var report = RenderReport()
        report.pages = record.pages
        report.unchanged = record.files.count
        report.imagesSkipped = object["images"]?.intValue ?? 0
        report.placeholders = (object["placeholders"]?.arrayValue ?? []).compactMap { pair in
            guard let id = pair["id"]?.stringValue, let reason = pair["reason"]?.stringValue else { return nil }
            return (id, reason)
        }
        report.warnings = (object["warnings"]?.arrayValue ?? []).compactMap(\.stringValue)
        return (report, (object["notes"]?.arrayValue ?? []).compactMap(\.stringValue))
    }

    /// Keeps `report` for the next render with the same inputs. (Not the written and unchanged
    /// counts: a later render with nothing to do writes nothing.)
    /// `notes` are the warnings loading printed (a draft's problems, a template's), printed again.
    public func keep(_ report: RenderReport, notes: [String], site: URL, project: URL) {
        let object: JSONValue = .object([
            ("format", .string(Self.header)),
            ("inputs", .string(inputs)),
            ("project", .string(SiteManifest.projectName(project))),
            ("images", .int(report.imagesRendered + report.imagesSkipped)),
            ("placeholders", .array(report.placeholders.map { .object([("id", .string($0.id)), ("reason", .string($0.reason))]) })),
            ("warnings", .array(report.warnings.map { .string($0) })),
            ("notes", .array(notes.map { .string($0) })),
        ])
        try? AtomicFile.write(Array(object.pretty.utf8), to: site.appendingPathComponent(Self.path), sync: false)
    }

    /// Forgets the stamp (a render failed, or its inputs are unknown).
    public static func forget(site: URL) {
        unlink(site.path + "/" + path)
    }

    private static func identity(_ info: stat) -> String {
        "\(info.st_dev) \(info.st_ino) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec)"
    }

    /// Every entry below `folder` (dot files too) with its identity, sorted; nil at a link to a folder.
    private static func walk(_ folder: String) -> [(String, String)]? {
        var files: [(String, String)] = []
        var info = stat()
        guard lstat(folder, &info) == 0 else { return [] }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        var pending = [""]
        while let relative = pending.popLast() {
            let full = relative.isEmpty ? folder : folder + "/" + relative
            guard let directory = opendir(full) else { return nil }
            defer { closedir(directory) }
            while let entry = readdir(directory) {
                let name = FastFiles.name(of: entry)
                if name == "." || name == ".." { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                guard lstat(folder + "/" + child, &info) == 0 else { return nil }
                switch info.st_mode & S_IFMT {
                case S_IFDIR:
                    pending.append(child)
                case S_IFLNK:
                    // The link itself and what it leads to; a link to a folder is not followed.
                    let link = identity(info)
                    var target = stat()
                    guard stat(folder + "/" + child, &target) == 0 else {
                        files.append((child, "link \(link) dangling"))
                        continue
                    }
                    guard (target.st_mode & S_IFMT) != S_IFDIR else { return nil }
                    files.append((child, "link \(link) \(identity(target))"))
                default:
                    files.append((child, identity(info)))
                }
            }
        }
        return files.sorted { $0.0 < $1.0 }
    }
}
