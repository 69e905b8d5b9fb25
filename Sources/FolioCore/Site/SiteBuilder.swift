import Foundation

/// What rendering the site did.
public struct RenderReport: Sendable {
    public var pages = 0
    public var written = 0
    public var unchanged = 0
    public var removed = 0
    public var imagesRendered = 0
    public var imagesSkipped = 0
    /// Prompts shown as placeholders, with why.
    public var placeholders: [(id: String, reason: String)] = []
    public var warnings: [String] = []
}

/// A failure that stops rendering: a broken link, a template error, an unwritable file, an output
/// folder Folio may not use.
public struct SiteError: Error, Sendable, CustomStringConvertible {
    public var description: String
    /// The problem is in what the user asked for (exit 2), not in the machine (exit 1).
    public var invalidInput: Bool
    public init(_ description: String, invalidInput: Bool = false) {
        self.description = description
        self.invalidInput = invalidInput
    }
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

    public init(project: LoadedProject, lock: Lockfile, theme: Theme, site: URL? = nil, force: Bool = false) {
        self.project = project
        self.lock = lock
        self.theme = theme
        self.site = site ?? OutputFolder.resolve(project.settings.output, relativeTo: project.root)
        self.force = force
    }

    /// The output folder is Folio's: never the project or one of its source folders, and either
    /// empty, new, or made by an earlier render of this project (its manifest says so). Returns
    /// whether an earlier render made it.
    func claimOutput() throws(SiteError) -> Bool {
        try Self.claimOutput(site, project: project.root, force: force)
    }

    /// Whether `site` may be rendered into (see `claimOutput()`), before anything is generated.
    public static func checkOutput(_ site: URL, project: URL, force: Bool) throws(SiteError) {
        _ = try claimOutput(site, project: project, force: force)
        try StaticFiles.checkAgainstAlwaysGenerated(project: project)
    }

    static func claimOutput(_ site: URL, project: URL, force: Bool) throws(SiteError) -> Bool {
        if let problem = OutputFolder.problem(site, project: project) {
            throw SiteError(problem, invalidInput: true)
        }
        switch SiteManifest.owner(site: site, project: project) {
        case .thisProject:
            return true
        case .otherProject(let other):
            throw SiteError("""
                the output folder \(site.path) holds the site of another project (\(other)); Folio never replaces or prunes \
                another project's files. Choose another folder with --out, or delete this one: a site is rebuilt from folio.lock and assets/.
                """, invalidInput: true)
        case .none:
            let foreign = SiteManifest.foreignEntries(site: site)
            if !foreign.isEmpty, !force {
                throw SiteError("""
                    the output folder \(site.path) already holds files Folio did not write (\(foreign.map { "'\($0)'" }.joined(separator: ", "))\(foreign.count == 3 ? ", …" : "")); \
                    Folio renders only into a new or empty folder, or one an earlier render made. Choose another folder with --out, \
                    or pass --force to render there anyway: nothing already there is deleted or overwritten.
                    """, invalidInput: true)
            }
            return false
        }
    }

    /// The steps, in order: plan, render images, write pages, check links, prune.
    public func build(step: (String) -> Void = { _ in }) async throws(SiteError) -> RenderReport {
        var report = RenderReport()
        let settings = project.settings
        var formats = settings.images.formats
        if formats.contains(.avif), !Libraries.canEncode(.avif) {
            formats.removeAll { $0 == .avif }
            report.warnings.append("this libvips cannot encode AVIF; the site is rendered without it")
        }
        if formats.isEmpty { formats = [.jpeg] }

        step("plan")
        let ours = try claimOutput()
        let statics = try StaticFiles.list(project: project.root)
        let items = SiteItem.items(project.prompts, lock: lock, project: project.root, settings: settings, formats: formats)
        report.placeholders = items.filter { $0.images.isEmpty }.map { ($0.id, "\($0.state ?? ""): \($0.reason ?? "")") }
        for item in items { for problem in item.problems { report.warnings.append("\(item.id): \(problem); not published") } }
        var plans: [String: ImagePlan] = [:]
        for item in items { for plan in item.images { plans[plan.sha256] = plan } }

        // Nothing the site depends on changed and every file is still there: nothing to do.
        let fingerprint = fingerprint(items: items, formats: formats, statics: statics)
        let recordURL = site.appendingPathComponent(BuildRecord.path)
        if ours, RenderStamp.stateFolderIsReal(site), let record = BuildRecord.read(recordURL), record.fingerprint == fingerprint, record.filesPresent(in: site) {
            report.pages = record.pages
            report.unchanged = record.files.count
            report.imagesSkipped = plans.count
            return report
        }

        step("render images")
        do {
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        } catch {
            throw SiteError("cannot create the output folder \(site.path): \(error.localizedDescription)")
        }
        // What earlier renders wrote here: the only files this one may replace or prune.
        let owned = ours ? SiteManifest.read(site: site) ?? [] : []
        var files = SiteFiles(root: site, owned: owned)
        try files.makeFolder(".folio")
        try files.makeFolder("img")
        // Every file this render may write is in the manifest before it is written, so an
        // interrupted render never leaves files that a later one takes for someone else's.
        let imageFiles = plans.values.flatMap { [$0.original] + $0.renditions.map(\.path) }
        for path in imageFiles where !owned.contains(path) {
            var info = stat()
            if lstat(site.path + "/" + path, &info) == 0 { try files.claim(path) }
        }
        try SiteManifest.write(site: site, project: project.root, files: owned.union(imageFiles))
        let cacheFile = ".folio/images.json"
        let known = Self.readColors(site.appendingPathComponent(cacheFile))
        let renderer = ImageRenderer(project: project.root, site: site)
        let rendered = await renderer.render(plans.values.sorted { $0.sha256 < $1.sha256 }, colors: known)
        report.imagesRendered = rendered.rendered
        report.imagesSkipped = rendered.skipped
        if let failure = rendered.failures.first {
            throw SiteError("cannot render image \(plans[failure.sha256]?.source ?? failure.sha256): \(failure.message)")
        }

        step("write pages")
        try files.write(cacheFile, JSONValue.object(rendered.colors.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).pretty)
        let pages = SitePages(settings: settings, items: items, colors: rendered.colors, theme: theme, project: project.root)
        let texts = await pages.all()
        let extras = pages.extras()
        // Files of the project's static/ are published as they are, where nothing is generated.
        let generated = Set(texts.map(\.0) + extras.map(\.0) + imageFiles)
        var generatedFolders = Set<String>()
        for path in generated {
            var folder = SiteFiles.parent(path)
            while !folder.isEmpty, generatedFolders.insert(folder).inserted { folder = SiteFiles.parent(folder) }
        }
        for file in statics {
            // The same path, a folder Folio fills, or a path under a file Folio writes.
            var clash: String? = generated.contains(file.path) || generatedFolders.contains(file.path) ? file.path : nil
            var folder = SiteFiles.parent(file.path)
            while clash == nil, !folder.isEmpty {
                if generated.contains(folder) { clash = folder }
                folder = SiteFiles.parent(folder)
            }
            if file.path.hasPrefix(".folio/") { clash = file.path }
            if let clash {
                throw SiteError("static/\(file.path) would be published at \(file.path), which clashes with \(clash) that Folio generates\(clash.hasPrefix(".folio/") ? " for itself" : ""); rename or remove static/\(file.path)",
                                invalidInput: true)
            }
        }
        // Every path is claimed before it enters the manifest: a file already there that Folio
        // did not write stops the render here, and never becomes Folio's to replace or prune.
        for path in texts.map(\.0) + extras.map(\.0) + statics.map(\.path) { try files.claim(path) }
        try SiteManifest.write(site: site, project: project.root, files: owned.union(imageFiles).union(generated).union(statics.map(\.path)))
        for (path, text) in texts { try files.write(path, text) }
        for (path, bytes) in extras { try files.write(path, bytes) }
        for file in statics {
            guard let bytes = FastFiles.read(file.source) else { throw SiteError("cannot read \(file.source)") }
            try files.write(file.path, bytes)
        }
        report.pages = texts.count
        files.keep(imageFiles)

        step("check links")
        let broken = await LinkChecker.check(site: site, pages: files.produced.filter { $0.hasSuffix(".html") }.sorted(), files: files.produced)
        if !broken.isEmpty {
            let list = broken.prefix(20).map { "  \($0.page): broken link '\($0.link)'" }.joined(separator: "\n")
            throw SiteError("\(broken.count) broken link\(broken.count == 1 ? "" : "s") in the rendered site:\n\(list)")
        }
        report.removed = files.prune()
        report.written = files.written
        report.unchanged = files.unchanged
        try SiteManifest.write(site: site, project: project.root, files: files.produced)
        let record = BuildRecord(fingerprint: fingerprint, pages: report.pages,
                                 files: files.produced.filter { !$0.hasPrefix(".folio/") }.sorted().map { ($0, FastFiles.size(site.path + "/" + $0) ?? -1) })
        do {
            try AtomicFile.write(Array(record.text.utf8), to: recordURL)
        } catch {
            report.warnings.append("cannot write \(BuildRecord.path): \(error); the next build renders everything again")
        }
        return report
    }

    /// A digest of everything the site's bytes depend on: Folio's version, folio.yml, the theme, and
    /// each published prompt's file, lock entry and images.
    func fingerprint(items: [SiteItem], formats: [ImageOutputFormat], statics: [StaticFiles.File]) -> String {
        // The running binary itself counts: a new Folio may render the same inputs differently.
        var binary = stat()
        let build = stat("/proc/self/exe", &binary) == 0 ? "\(binary.st_size)-\(binary.st_mtim.tv_sec)" : "unknown"
        var bytes: [UInt8] = Array("folio-site 1 \(build) \(Libraries.versions)\n".utf8)
        bytes += FastFiles.read(project.root.path + "/" + SettingsLoader.fileName) ?? []
        bytes += Array("\n\(formats.map(\.rawValue))\n\(theme.digest)\n".utf8)
        for file in statics { bytes += Array("static \(file.path) \(file.stamp)\n".utf8) }
        for item in items {
            bytes += Array("\(item.id)\n".utf8)
            bytes += Array("\(item.prompt.sourceSHA256)\n\(item.prompt.inputHash)\n".utf8)
            if let entry = item.entry { bytes += Array(entry.json.compact.utf8) }
            bytes += Array("\n\(item.images.map(\.sha256).joined(separator: ","))\n".utf8)
        }
        return SHA256Hex.of(bytes)
    }

    static func readColors(_ url: URL) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path),
              case .object(let pairs)? = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [:] }
        return Dictionary(pairs.compactMap { key, value in value.stringValue.map { (key, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}

/// What the last full build produced: its fingerprint and every file with its size.
struct BuildRecord {
    static let path = ".folio/build.txt"
    var fingerprint: String
    var pages: Int
    var files: [(String, Int)]

    /// `folio-site 1 <fingerprint> <pages>`, then `<size> <path>` a line.
    var text: String {
        "folio-site 1 \(fingerprint) \(pages)\n" + files.map { "\($0.1) \($0.0)\n" }.joined()
    }

    static func read(_ url: URL) -> BuildRecord? {
        guard case .bytes(let bytes) = FastFiles.read(url.path, atMost: 256 << 20) else { return nil }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
        guard let head = lines.first?.split(separator: " "), head.count == 4, head[0] == "folio-site", head[1] == "1",
              let pages = Int(head[3]) else { return nil }
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

#if canImport(Glibc)
import Glibc
#endif
