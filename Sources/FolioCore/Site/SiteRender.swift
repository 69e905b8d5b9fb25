import Foundation

import Glibc

/// One render of the site, step by step: plan, render images, write pages, check links, prune.
/// Each step is a method the build pipeline calls by name; what one step learns, the next reads
/// from here.
public struct SiteRender: Sendable {
    let builder: SiteBuilder
    public private(set) var report = RenderReport()
    /// Nothing the site depends on changed and every file is still there: the later steps do nothing.
    public private(set) var upToDate = false
    var formats: [ImageOutputFormat] = []
    /// An earlier render of this project made the output folder.
    var ours = false
    var statics: [StaticFiles.File] = []
    var items: [SiteItem] = []
    /// Every image to publish, by its SHA-256.
    var plans: [String: ImagePlan] = [:]
    var fingerprint = ""
    /// What every page depends on besides the items (`SiteBuilder.pageInputs`).
    var pageInputs = ""
    /// Each item's digest, in `items`' order (`SiteBuilder.digest`).
    var digests: [String] = []
    /// Every page and prompt source with the key it was made from and (for one left as it was)
    /// its identity, for `.folio/pages.txt`.
    var texts: [(path: String, key: String, identity: FileIdentity?)] = []
    /// What the last render made each page from (read before the records are removed).
    var previousPages: PageRecord?
    /// What the manifest on disk lists, when this render knows it: it is not written again unchanged.
    var listed: Set<String>?
    /// The pages and sources this render made (not left as the last one made them): the links to check.
    var remade: Set<String> = []
    /// What earlier renders wrote here: the only files this one may replace or prune.
    var owned: Set<String> = []
    var files: SiteFiles
    /// The published originals and renditions, relative to the output folder.
    var imageFiles: [String] = []
    /// Each image's dominant colour, by SHA-256, for placeholders while it loads.
    var colors: [String: String] = [:]
    /// The size of each published original, by SHA-256.
    var published: [String: Int] = [:]
    /// The size of each image file found as an earlier render made it, by its path in the site.
    var imageSizes: [String: Int] = [:]
    /// The identity of each original's asset file when it was read, by SHA-256.
    var assetIdentities: [String: String] = [:]
    /// For each original, the item (by position) and output whose provenance it carries.
    var labels: [String: (Int, LockOutput)] = [:]

    public init(builder: SiteBuilder) {
        self.builder = builder
        files = SiteFiles(root: builder.site, owned: [])
    }

    var site: URL { builder.site }
    var project: LoadedProject { builder.project }
    static let colorCache = ".folio/images.json"

    /// What the site will hold; true when nothing changed since the last render (nothing more to do).
    public mutating func plan() throws(FolioError) -> Bool {
        let settings = project.settings
        formats = settings.images.formats
        if formats.contains(.avif), !Libraries.canEncode(.avif) {
            formats.removeAll { $0 == .avif }
            report.warnings.append("this libvips cannot encode AVIF; the site is rendered without it")
        }
        if formats.isEmpty { formats = [.jpeg] }
        ours = try builder.claimOutput()
        statics = try StaticFiles.list(project: project.root)
        items = SiteItem.items(project.prompts, plan: builder.plan, lock: builder.lock, project: project.root, settings: settings, formats: formats)
        report.placeholders = items.compactMap(\.placeholder)
        report.incomplete = items.compactMap(\.incomplete)
        for item in items { for problem in item.problems { report.warnings.append("\(item.id): \(problem); not published") } }
        // An original two prompts share is rendered once, labelled by the first of them in the site's order.
        for (position, item) in items.enumerated() {
            for (output, image) in zip(item.outputs, item.images) where plans[image.sha256] == nil && output.asset?.sha256 == image.sha256 {
                plans[image.sha256] = image
                labels[image.sha256] = (position, output)
            }
        }

        pageInputs = builder.pageInputs(formats: formats)
        digests = Parallel.map(items) { SiteBuilder.digest($0) }
        fingerprint = builder.fingerprint(pageInputs: pageInputs, digests: digests, statics: statics)
        let recordURL = site.appendingPathComponent(BuildRecord.path)
        if ours, RenderStamp.stateFolderIsReal(site), let record = BuildRecord.read(recordURL), record.fingerprint == fingerprint,
            record.filesPresent(in: site)
        {
            report.pages = record.pages
            report.unchanged = record.files.count
            report.imagesSkipped = plans.count
            upToDate = true
        }
        return upToDate
    }

    /// Each original's provenance (SPEC §7), from the prompt that labels it: what the original
    /// carries (from `folio.lock`, else an earlier render's record, else the file itself) and the
    /// metadata every published file of it is given.
    mutating func label(known: [String: ImageRenderer.Made]) {
        // On every core: a stat of each original and its XMP packet, 1,000 of them at 10,000 prompts.
        let (plans, items, root, settings) = (self.plans, self.items, project.root.path, project.settings)
        let labelled = Parallel.map(Array(labels)) { sha, label -> (sha: String, identity: String, plan: ImagePlan)? in
            let (position, output) = label
            guard var plan = plans[sha] else { return nil }
            // An earlier render's reading counts only for the very file it read (device, inode,
            // size, times): images.json lies in the output folder, and a copied or forged one must
            // not decide that an original is signed.
            var info = stat()
            let path = root + "/" + plan.source
            let identity = stat(path, &info) == 0 ? FileIdentity(info).text : ""
            let remembered = known[sha].flatMap { !identity.isEmpty && $0.asset == identity ? $0.carries : nil }
            let carries = output.asset?.carries ?? remembered ?? OriginalMetadata.read(FastFiles.read(path) ?? [])
            let item = items[position]
            let provenance = ImageProvenance.make(prompt: item.prompt, entry: item.entry, output: output, settings: settings, original: carries.aigc)
            plan.metadata = provenance.embedded
            plan.carries = carries
            plan.hasPrivateFields = !item.prompt.privateFields.isEmpty
            return (sha, identity, plan)
        }
        for case let (sha, identity, plan)? in labelled {
            assetIdentities[sha] = identity
            self.plans[sha] = plan
        }
    }

    /// Every original and rendition in `img/`, each file named in the manifest before it is
    /// written; `progress` hears how many originals of how many are rendered.
    public mutating func renderImages(progress: @escaping @Sendable (_ done: Int, _ total: Int) async -> Void = { _, _ in }) async throws(FolioError) {
        guard !upToDate else { return }
        do {
            try FileManager.default.createDirectory(at: site, withIntermediateDirectories: true)
        } catch {
            throw FolioError("cannot create the output folder \(site.path): \(error.localizedDescription)", path: site.path)
        }
        // The manifest, the page record and images.json at once: the first two are 20,000 lines each.
        let (site, ours) = (self.site, self.ours)
        let readsRecords = ours && RenderStamp.stateFolderIsReal(site)
        let cache = site.appendingPathComponent(Self.colorCache)
        async let listingRead = ours ? SiteManifest.listing(site: site) : nil
        async let pagesRead = readsRecords ? PageRecord.read(site: site) : nil
        async let knownRead = SiteBuilder.readMadeImages(cache)
        let listing = await listingRead
        owned = listing?.files ?? []
        // A manifest that does not name this project (an older Folio's) is written again in any case.
        listed = listing?.project == SiteManifest.projectName(project.root, site: site) ? owned : nil
        // The records say what an earlier, successful render left. Until this one succeeds they
        // are gone: a render that fails after writing some files must not leave a record that
        // vouches for them (the build record would take the site for up to date, the page record
        // a page for made from inputs it was not made from).
        if readsRecords {
            previousPages = await pagesRead
            unlink(site.path + "/" + BuildRecord.path)
            unlink(site.path + "/" + PageRecord.path)
        }
        files = SiteFiles(root: site, owned: owned)
        try files.makeFolder(".folio")
        try files.makeFolder("img")
        // Every file this render may write is in the manifest before it is written, so an
        // interrupted render never leaves files that a later one takes for someone else's.
        imageFiles = plans.values.flatMap { [$0.original] + $0.renditions.map(\.path) }
        for path in imageFiles where !owned.contains(path) {
            var info = stat()
            if lstat(site.path + "/" + path, &info) == 0 { try files.claim(path) }
        }
        try list(owned.union(imageFiles))
        let known = await knownRead
        label(known: known)
        let renderer = ImageRenderer(project: project.root, site: site)
        let rendered = await renderer.render(plans.values.sorted { $0.sha256 < $1.sha256 }, known: known, progress: progress) { redone in
            // The record must not vouch for an original whose files are about to be replaced: a
            // render that fails or is stopped part way would leave them taken for what it says.
            guard known.keys.contains(where: redone.contains) else { return }
            let kept = known.filter { !redone.contains($0.key) }
            try? AtomicFile.write(Array(SiteBuilder.madeImagesText(kept).utf8), to: cache, sync: false)
        }
        // Every file is made: of each original's metadata only its digest is wanted from here on
        // (the record). Its XMP packet, 6 KB an image, is let go before the pages are made.
        for sha in Array(plans.keys) {
            guard let metadata = plans[sha]?.metadata else { continue }
            plans[sha]?.metadataDigest = metadata.digest
            plans[sha]?.metadata = nil
        }
        report.imagesRendered = rendered.rendered
        report.imagesSkipped = rendered.skipped
        colors = rendered.colors
        published = rendered.published
        imageSizes = rendered.sizes
        if let failure = rendered.failures.first {
            let source = plans[failure.sha256]?.source ?? failure.sha256
            throw FolioError("cannot render image \(source): \(failure.message)", path: source)
        }
    }

    /// Every page, the feed and search index, and the project's `static/` files.
    public mutating func writePages() async throws(FolioError) {
        guard !upToDate else { return }
        let made = colors.reduce(into: [String: ImageRenderer.Made]()) { made, entry in
            let (sha, color) = entry
            made[sha] = ImageRenderer.Made(
                color: color, metadata: plans[sha]?.metadataDigest ?? "", published: published[sha] ?? 0,
                carries: plans[sha]?.carries ?? OriginalMetadata(), asset: assetIdentities[sha] ?? "", encoding: plans[sha]?.encodingRecord ?? "")
        }
        try files.write(Self.colorCache, SiteBuilder.madeImagesText(made))
        var pages = SitePages(settings: project.settings, items: items, colors: colors, theme: builder.theme, project: project.root)
        pages.contentCredentials = Set(plans.values.filter(\.carries.c2pa).map(\.sha256))
        pages.icons = SitePages.icons(statics: statics.map(\.path))
        pages.inputs = pageInputs
        pages.itemDigests = digests
        // Pages the last render made from the same inputs are left as they are.
        pages.previous = previousPages
        // Pages and the files that list every item (the feed, the sitemap) at once, and beside them
        // the two largest, gallery.json (20 MB at 10,000 prompts) and the search index (5 MB), each
        // written as it is made. Like every file, they are claimed and in the manifest before they
        // are written.
        let source = pages
        let streamedPaths = [SitePages.manifestPath, SitePages.searchIndexPath]
        for path in streamedPaths { try files.claim(path) }
        try list(adding: streamedPaths)
        let root = site.path
        // What a killed render left of them (megabytes, under temporary names no manifest lists) goes.
        for path in streamedPaths { AtomicFile.removeLeftovers(of: URL(fileURLWithPath: root + "/" + path)) }
        async let streamed = Result<[SiteFiles.Streamed], FolioError> { () throws(FolioError) in
            [
                try SiteFiles.stream(SitePages.manifestPath, in: root) { emit throws(FolioError) in try source.manifest(emit) },
                try SiteFiles.stream(SitePages.searchIndexPath, in: root) { emit throws(FolioError) in try source.searchIndex(emit) },
            ]
        }
        async let pageTexts = source.all()
        async let listings = source.extras()
        async let sourceTexts = Result<[SiteText], FolioError> { () throws(FolioError) in try source.sources() }
        let texts = try await pageTexts + sourceTexts.get()
        let extras = await listings
        // Files of the project's static/ are published as they are, where nothing is generated.
        let generated = Set(texts.map(\.path) + extras.map(\.0) + streamedPaths + imageFiles)
        try checkStaticClashes(generated: generated)
        // Every path is claimed before it enters the manifest: a file already there that Folio
        // did not write stops the render here, and never becomes Folio's to replace or prune.
        // (gallery.json and the search index were claimed before they were begun: claimed again, a
        // new file would be taken for someone else's.)
        for path in texts.map(\.path) + extras.map(\.0) + statics.map(\.path) { try files.claim(path) }
        try list(adding: generated.union(statics.map(\.path)))
        for text in texts {
            if let bytes = text.bytes {
                try files.write(text.path, bytes)
                remade.insert(text.path)
            } else {
                // Claimed above, and in the record only if an earlier render of this project wrote it.
                files.keepUnchanged(text.path, size: text.size)
            }
        }
        for (path, bytes) in extras { try files.write(path, bytes) }
        for (path, file) in zip(streamedPaths, try await streamed.get()) { files.note(path, file) }
        for file in statics {
            guard let bytes = FastFiles.read(file.source) else { throw FolioError("cannot read \(file.source)", path: file.source) }
            try files.write(file.path, bytes)
        }
        self.texts = texts.map { ($0.path, $0.key, $0.identity) }
        report.pages = texts.count { $0.path.hasSuffix(".html") }
        report.pagesRendered = remade.count { $0.hasSuffix(".html") }
        files.keep(imageFiles, sizes: imageSizes)
        // The last render's record (20,000 entries at 10,000 prompts) has served: prune makes the new one.
        previousPages = nil
    }

    /// A file of `static/` may not land where Folio generates a file, or a folder Folio fills.
    func checkStaticClashes(generated: Set<String>) throws(FolioError) {
        guard !statics.isEmpty else { return }
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
                let mine = clash.hasPrefix(".folio/") ? " for itself" : ""
                throw FolioError(
                    "static/\(file.path) would be published at \(file.path), which clashes with \(clash) that Folio generates\(mine); rename or remove static/\(file.path)",
                    path: "static/\(file.path)", exit: .invalidInput)
            }
        }
    }

    /// Every link of every page leads to a file the site holds. A page left as the last render made
    /// it was checked then, and its links still hold while every file that render produced still
    /// is. So only the pages made now are read, unless a file is gone; then every page is (a caption
    /// may link any file: another prompt's image, a file of static/).
    public func checkLinks() async throws(FolioError) {
        guard !upToDate else { return }
        let gone = owned.subtracting(files.produced).contains { !$0.hasPrefix(".folio/") }
        let kept = Set(texts.map(\.path)).subtracting(remade)
        let pages = files.produced.filter { $0.hasSuffix(".html") && (gone || !kept.contains($0)) }.sorted()
        let broken = await LinkChecker.check(site: site, pages: pages, files: files.produced)
        if !broken.isEmpty {
            let list = broken.prefix(20).map { "  \($0.page): broken link '\($0.link)'" }.joined(separator: "\n")
            throw FolioError("\(broken.count) broken link\(broken.count == 1 ? "" : "s") in the rendered site:\n\(list)", path: site.path)
        }
    }

    /// Lists `paths` in the manifest, unless it already lists exactly them.
    mutating func list(_ paths: Set<String>) throws(FolioError) {
        if let listed, Self.lists(listed, exactly: paths) { return }
        let paths = paths.filter { !$0.hasPrefix(".folio/") }
        try SiteManifest.write(site: site, project: project.root, files: paths)
        listed = paths
    }

    /// Whether a manifest that lists `listed` lists exactly `paths` (Folio's own `.folio/` left
    /// out), without making the set of those: a look-up a path.
    static func lists(_ listed: Set<String>, exactly paths: Set<String>) -> Bool {
        var count = 0
        for path in paths where !path.hasPrefix(".folio/") {
            guard listed.contains(path) else { return false }
            count += 1
        }
        return count == listed.count
    }

    /// Adds `paths` to the manifest, unless it lists them all already.
    mutating func list(adding paths: some Sequence<String>) throws(FolioError) {
        let listed = self.listed ?? owned.union(imageFiles)
        let new = paths.filter { !$0.hasPrefix(".folio/") && !listed.contains($0) }
        if new.isEmpty, self.listed != nil { return }
        try list(listed.union(new))
    }

    /// Files earlier renders wrote and this one did not are removed; the manifest and the build
    /// record then describe exactly what the folder holds.
    public mutating func prune() throws(FolioError) -> RenderReport {
        guard !upToDate else { return report }
        // The records' texts (26,000 lines at 10,000 prompts) are made while the files are pruned;
        // they are written only once the manifest is.
        let (files, texts, site, fingerprint, pages) = (self.files, self.texts, self.site, self.fingerprint, report.pages)
        let ((removed, pageRecord), buildRecord) = Parallel.both({ (files.prune(), PageRecord.bytes(texts, site: site)) }) {
            // Sizes as written (a page or listing file), else as found (an image).
            let files = files.produced.filter { !$0.hasPrefix(".folio/") }.sorted().map {
                ($0, files.sizes[$0] ?? FastFiles.size(site.path + "/" + $0) ?? -1)
            }
            return BuildRecord(fingerprint: fingerprint, pages: pages, files: files).bytes
        }
        report.removed = removed
        report.written = files.written
        report.unchanged = files.unchanged
        try list(files.produced)
        do {
            try AtomicFile.write(buildRecord, to: site.appendingPathComponent(BuildRecord.path))
            try AtomicFile.write(pageRecord, to: site.appendingPathComponent(PageRecord.path), sync: false)
        } catch {
            report.warnings.append("cannot write \(BuildRecord.path) or \(PageRecord.path): \(error); the next build renders everything again")
        }
        return report
    }
}
