import Foundation

import Glibc

/// What rendering the site did.
public struct RenderReport: Sendable {
    public var pages = 0
    /// Pages made by this render; the others were left as an earlier render made them from the same inputs.
    public var pagesRendered = 0
    public var written = 0
    public var unchanged = 0
    public var removed = 0
    public var imagesRendered = 0
    public var imagesSkipped = 0
    /// Prompts shown as placeholders, with why.
    public var placeholders: [Placeholder] = []
    /// Generated prompts shown with only some of their images (the others missing or changed).
    public var incomplete: [IncompletePrompt] = []
    public var warnings: [String] = []

    /// Some prompt failed or lost some or all of its images (exit 4), as opposed to pending or not
    /// yet generated.
    public var hasFailedOrMissing: Bool { placeholders.contains(where: \.needsAttention) || !incomplete.isEmpty }
}

/// Renders `site/` from the prompts, `folio.lock` and `assets/`, without network.
public struct SiteBuilder: Sendable {
    public var project: LoadedProject
    public var lock: Lockfile
    public var theme: Theme
    /// The output folder.
    public var site: URL
    /// Render into a folder that holds files Folio did not write (they are still never deleted or overwritten).
    public var force: Bool
    /// The plan of `lock`, when the caller has it (the build pipeline does); else it is made here.
    public var plan: Plan?

    public init(project: LoadedProject, lock: Lockfile, theme: Theme, site: URL? = nil, force: Bool = false, plan: Plan? = nil) {
        self.project = project
        self.plan = plan
        self.lock = lock
        self.theme = theme
        self.site = site ?? OutputFolder.resolve(project.settings.output, relativeTo: project.root)
        self.force = force
    }

    /// The output folder is Folio's: never the project or one of its source folders, and either
    /// empty, new, or made by an earlier render of this project (its manifest says so). Returns
    /// whether an earlier render made it.
    func claimOutput() throws(FolioError) -> Bool {
        try Self.claimOutput(site, project: project.root, force: force)
    }

    /// Whether `site` may be rendered into (see `claimOutput()`), before anything is generated.
    public static func checkOutput(_ site: URL, project: URL, force: Bool) throws(FolioError) {
        _ = try claimOutput(site, project: project, force: force)
        try StaticFiles.checkAgainstAlwaysGenerated(project: project)
    }

    static func claimOutput(_ site: URL, project: URL, force: Bool) throws(FolioError) -> Bool {
        if let problem = OutputFolder.problem(site, project: project) {
            throw FolioError(problem, exit: .invalidInput)
        }
        switch SiteManifest.owner(site: site, project: project) {
        case .thisProject:
            return true
        case .otherProject(let other):
            throw FolioError(
                """
                the output folder \(site.path) holds the site of another project (\(other)); Folio never replaces or prunes \
                another project's files. Choose another folder with --out, or delete this one: a site is rebuilt from folio.lock and assets/.
                """, exit: .invalidInput)
        case .none:
            let foreign = SiteManifest.foreignEntries(site: site)
            if !foreign.isEmpty, !force {
                throw FolioError(
                    """
                    the output folder \(site.path) already holds files Folio did not write (\(foreign.map { "'\($0)'" }.joined(separator: ", "))\(foreign.count == 3 ? ", …" : "")); \
                    Folio renders only into a new or empty folder, or one an earlier render made. Choose another folder with --out, \
                    or pass --force to render there anyway: nothing already there is deleted or overwritten.
                    """, exit: .invalidInput)
            }
            return false
        }
    }

    /// Folio itself: the running binary and its libraries. A new Folio may render the same inputs differently.
    static let build: String = {
        "\(Libraries.executable) \(Libraries.versions)"
    }()

    /// A digest of what every page depends on besides the items: Folio itself, `folio.yml` (the
    /// settings and the prompts' defaults), the formats rendered and the theme.
    func pageInputs(formats: [ImageOutputFormat]) -> String {
        var digest = InputDigest("site inputs 1")
        digest.add(Self.build)
        // The bytes the settings were read from, not the file now: it may have changed since.
        digest.add(project.settingsDigest.isEmpty ? UUID().uuidString : project.settingsDigest)
        digest.add(formats.map(\.rawValue).joined(separator: ","))
        digest.add(theme.digest)
        return digest.finish()
    }

    /// A digest of one item: its prompt file, lock entry, images, and what the site says in place of
    /// missing ones. With `pageInputs`, what its page is made from.
    static func digest(_ item: SiteItem) -> String {
        var digest = InputDigest("item 1")
        // A prompt not read from its file (no digest of it) is never taken for unchanged.
        let source = item.prompt.sourceSHA256.isEmpty ? UUID().uuidString : item.prompt.sourceSHA256
        for part in [item.id, item.prompt.file, source, item.prompt.inputHash, item.entry?.json.compact ?? "-"] {
            digest.add(part)
        }
        for (image, output) in zip(item.images, item.outputs) {
            digest.add("\(image.sha256) \(image.source) \(image.width)x\(image.height) \(output.index) \(output.asset?.mime ?? "-")")
            for rendition in image.renditions { digest.add(rendition.path) }
        }
        digest.add(item.placeholder.map { "\($0.kind.rawValue) \($0.explanation)" } ?? "-")
        digest.add(item.incomplete?.explanation ?? "-")
        for problem in item.problems { digest.add(problem) }
        return digest.finish()
    }

    /// A digest of everything the site's bytes depend on: what every page does (`pageInputs`), the
    /// project's static files, and each published item (`digests`, in the items' order).
    func fingerprint(pageInputs: String, digests: [String], statics: [StaticFiles.File]) -> String {
        var digest = InputDigest("folio-site 2")
        digest.add(pageInputs)
        for file in statics { digest.add("static \(file.path) \(file.stamp)") }
        digest.add(digests.count)
        for item in digests { digest.add(item) }
        return digest.finish()
    }

    /// One original's record in `.folio/images.json`.
    static func json(_ made: ImageRenderer.Made) -> JSONValue {
        .object([
            ("color", .string(made.color)), ("metadata", .string(made.metadata)), ("published", .int(made.published)),
            ("carries", made.carries.json), ("asset", .string(made.asset)), ("encoding", .string(made.encoding)),
        ])
    }

    /// The text of `.folio/images.json` for `made`, by SHA-256.
    static func madeImagesText(_ made: [String: ImageRenderer.Made]) -> String {
        JSONValue.object(made.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }).pretty
    }

    /// `.folio/images.json`: for each original an earlier render made, its colour and metadata
    /// digest. Anything else there (an older Folio's bare colours) counts as not made.
    static func readMadeImages(_ url: URL) -> [String: ImageRenderer.Made] {
        guard let data = FileManager.default.contents(atPath: url.path),
            case .object(let pairs)? = try? JSONDecoder().decode(JSONValue.self, from: data)
        else { return [:] }
        let made = pairs.compactMap { key, value -> (String, ImageRenderer.Made)? in
            guard let color = value["color"]?.stringValue, let metadata = value["metadata"]?.stringValue,
                let published = value["published"]?.intValue, let carries = value["carries"].flatMap(OriginalMetadata.init(json:)),
                let asset = value["asset"]?.stringValue
            else { return nil }
            // A record from before encodings were remembered has none: its renditions are made again.
            let encoding = value["encoding"]?.stringValue ?? ""
            return (key, ImageRenderer.Made(color: color, metadata: metadata, published: published, carries: carries, asset: asset, encoding: encoding))
        }
        return Dictionary(made, uniquingKeysWith: { a, _ in a })
    }
}

/// The files the last render of `site` wrote, by their paths inside it; nil when it has no readable record.
public func renderedFiles(in site: URL) -> Set<String>? {
    BuildRecord.read(site.appendingPathComponent(BuildRecord.path)).map { Set($0.files.map(\.0)) }
}

/// Whether `site` holds a render's record of its files (a folder Folio rendered, still there).
public func hasRenderRecord(_ site: URL) -> Bool {
    BuildRecord.exists(in: site)
}

/// What the last full build produced: its fingerprint and every file with its size.
struct BuildRecord {
    static let path = ".folio/build.txt"
    var fingerprint: String
    var pages: Int
    var files: [(String, Int)]

    /// `folio-site 1 <fingerprint> <pages>`, then `<size> <path>` a line: the bytes of the file,
    /// made in one buffer (20,000 lines at 10,000 prompts, and the render's peak of memory).
    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + files.reduce(0) { $0 + $1.0.utf8.count + 12 })
        out += "folio-site 1 \(fingerprint) \(pages)\n".utf8
        for (path, size) in files {
            out += String(size).utf8
            out.append(UInt8(ascii: " "))
            out += path.utf8
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func read(_ url: URL) -> BuildRecord? {
        guard case .bytes(let bytes) = FastFiles.read(url.path, atMost: 256 << 20) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let head = lines.first?.split(separator: " "), head.count == 4, head[0] == "folio-site", head[1] == "1",
            let pages = Int(head[3])
        else { return nil }
        var files: [(String, Int)] = []
        files.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            guard let space = line.firstIndex(of: " "), let size = Int(line[..<space]) else { return nil }
            files.append((String(line[line.index(after: space)...]), size))
        }
        return BuildRecord(fingerprint: String(head[2]), pages: pages, files: files)
    }

    /// Whether `site` holds a build record (a site an earlier Folio rendered).
    static func exists(in site: URL) -> Bool {
        FastFiles.size(site.path + "/" + path) != nil
    }

    /// Every recorded file exists with its recorded size.
    func filesPresent(in site: URL) -> Bool {
        // lstat: a file swapped for a link (to anything, of any size) is not the file Folio wrote.
        files.allSatisfy { path, size in
            var info = stat()
            return lstat(site.path + "/" + path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && Int(info.st_size) == size
        }
    }
}
