import CVips
import Foundation
import Glibc

/// One resized copy of an original, as the site references it.
public struct Rendition: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public var format: ImageOutputFormat
    /// `img/<sha256>`, one string shared by every rendition of the original: a gallery of 10,000
    /// images has 40,000 or more renditions, and a path of their own each weighed megabytes.
    public var stem: String

    public init(width: Int, height: Int, format: ImageOutputFormat, stem: String) {
        self.width = width
        self.height = height
        self.format = format
        self.stem = stem
    }

    /// Relative to the site: `img/<sha256>-<width>.<ext>`.
    public var path: String { "\(stem)-\(width).\(format.fileExtension)" }
}

/// Everything the site shows of one original: its published copy and its renditions. Planned before
/// a pixel is touched, so pages can be written while images render.
public struct ImagePlan: Sendable, Hashable {
    public var sha256: String
    /// Relative to the project: `assets/<sha256>.<ext>`.
    public var source: String
    /// Relative to the site: `img/<sha256>.<ext>`.
    public var original: String
    public var width: Int
    public var height: Int
    public var renditions: [Rendition]
    /// What every published file of it carries (the prompt, parameters and AI labels); nil writes none.
    public var metadata: EmbeddedMetadata?
    /// `metadata`'s digest, kept once the files are made and the metadata itself is let go.
    public var metadataDigest = ""
    /// What the original itself carries. With Content Credentials it is published byte for byte:
    /// writing anything into a signed file would turn valid credentials into tampered ones.
    public var carries = OriginalMetadata()
    /// The labelling prompt keeps fields private: every other text in the original is removed.
    public var hasPrivateFields = false
    /// How each format's renditions are encoded.
    public var encoding = ImageEncoding()

    /// What the renditions are encoded with (`ImageEncoding.record`), remembered once they are made.
    public var encodingRecord: String { encoding.record(formats) }

    /// The renditions of one format, smallest first.
    public func renditions(_ format: ImageOutputFormat) -> [Rendition] {
        renditions.filter { $0.format == format }.sorted { $0.width < $1.width }
    }

    // MARK: - Which rendition serves where
    // A plan has at least one rendition: `ImagePlanner` gives an original narrower than every
    // configured width a copy at its own width.

    /// The formats rendered, in the configured order.
    public var formats: [ImageOutputFormat] {
        renditions.reduce(into: []) { if !$0.contains($1.format) { $0.append($1.format) } }
    }

    /// The format every browser shows: JPEG when it is rendered, else the last configured.
    public var fallbackFormat: ImageOutputFormat {
        let formats = formats
        return formats.contains(.jpeg) ? .jpeg : formats.last!
    }

    /// The most compact format: WebP when it is rendered, else the first configured.
    public var compactFormat: ImageOutputFormat {
        let formats = formats
        return formats.contains(.webp) ? .webp : formats[0]
    }

    /// `<img src>` for browsers without `srcset`: the fallback format's rendition nearest 960 px wide.
    public var fallback: Rendition {
        renditions(fallbackFormat).min { abs($0.width - 960) < abs($1.width - 960) }!
    }

    /// The fallback format's widest rendition: the lightbox, social cards and the feed.
    public var largest: Rendition {
        renditions(fallbackFormat).last!
    }

    /// The compact format's narrowest rendition: a search result's tile.
    public var thumbnail: Rendition {
        renditions(compactFormat).first!
    }

    /// The compact format's widest rendition: a search result's lightbox image.
    public var largestCompact: Rendition {
        renditions(compactFormat).last!
    }
}

/// Which renditions an original gets: every configured width not larger than it, in every format.
public enum ImagePlanner {
    /// The plan for a downloaded asset.
    public static func plan(
        _ asset: StoredAsset, widths: [Int], formats: [ImageOutputFormat], encoding: ImageEncoding = ImageEncoding()
    ) -> ImagePlan {
        let file = Array(asset.file.utf8)
        let ext = file.lastIndex(of: UInt8(ascii: ".")).map { String(decoding: file[($0 + 1)...], as: UTF8.self) } ?? ""
        let stem = "img/\(asset.sha256)"
        var chosen = widths.filter { $0 <= asset.width }.sorted()
        // An original between two configured widths also gets a copy at its own width (never more),
        // so the largest display is not much smaller than what was generated.
        if let largest = widths.max(), asset.width < largest, Double(asset.width) > Double(chosen.last ?? 0) * 1.15 {
            chosen.append(asset.width)
        }
        var renditions: [Rendition] = []
        for width in chosen {
            let height = max(1, Int((Double(asset.height) * Double(width) / Double(asset.width)).rounded()))
            for format in formats {
                renditions.append(
                    Rendition(width: width, height: height, format: format, stem: stem))
            }
        }
        return ImagePlan(
            sha256: asset.sha256, source: asset.file, original: "\(stem).\(ext)",
            width: asset.width, height: asset.height, renditions: renditions, encoding: encoding)
    }
}

/// Renders image plans with libvips, one original per worker, each decoded once for all its outputs.
public struct ImageRenderer: Sendable {
    public var project: URL
    public var site: URL
    public var workers: Int

    public init(project: URL, site: URL, workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.project = project
        self.site = site
        self.workers = max(1, workers)
    }

    /// What an earlier render made of one original: its placeholder colour, the digest of the
    /// metadata its renditions carry and what they were encoded with (`.folio/images.json`).
    public struct Made: Sendable, Hashable {
        public var color: String
        public var metadata: String
        /// The size of the published original.
        public var published: Int
        /// What the original carries (read once, then remembered for the same asset file).
        public var carries: OriginalMetadata
        /// The identity (device, inode, size, times) of the asset file `carries` was read from.
        public var asset: String
        /// The renditions' quality and effort (`ImagePlan.encodingRecord`); empty when not known.
        public var encoding = ""
    }

    /// What rendering did.
    public struct Result: Sendable {
        /// Placeholder colours by SHA-256, as `#rrggbb`.
        public var colors: [String: String]
        public var rendered: Int
        public var skipped: Int
        /// The size of each published original, by SHA-256.
        public var published: [String: Int]
        public var failures: [(sha256: String, message: String)]
        /// The size of each file of the originals skipped, found as an earlier render made it, by
        /// its path in the site: the build record takes them from here, not from a stat each.
        public var sizes: [String: Int] = [:]
    }

    /// Renders every plan whose files are missing, carry other metadata or were encoded with other
    /// settings; `known` is what earlier renders made. `progress` hears `(0, total)` first, then the count after each original.
    public func render(
        _ plans: [ImagePlan], known: [String: Made], progress: @escaping @Sendable (_ done: Int, _ total: Int) async -> Void = { _, _ in },
        beforeRendering: (_ redone: Set<String>) -> Void = { _ in }
    ) async -> Result {
        _ = Libraries.startVips
        // Our own workers run in parallel (one original each); libvips stays single-threaded per
        // operation, which measured faster here than one worker with libvips' own threads.
        folio_vips_configure(1, 0)
        try? FileManager.default.createDirectory(at: site.appendingPathComponent("img"), withIntermediateDirectories: true)
        var todo: [ImagePlan] = []
        var result = Result(colors: [:], rendered: 0, skipped: 0, published: [:], failures: [])
        // Which are made already, on every core: a stat of each file and a digest of each XMP packet.
        let found = Parallel.map(plans) { self.made($0, known: known) }
        for (plan, made) in zip(plans, found) {
            if let made {
                result.colors[plan.sha256] = made.color
                result.skipped += 1
                result.published[plan.sha256] = made.published
                for (path, size) in made.sizes { result.sizes[path] = size }
            } else {
                todo.append(plan)
            }
        }
        let queue = WorkQueue(todo), total = todo.count
        if total > 0 {
            beforeRendering(Set(todo.map(\.sha256)))
            await progress(0, total)
        }
        await withTaskGroup(of: [(String, Int, Swift.Result<String, FolioError>)].self) { group in
            for _ in 0..<min(workers, max(todo.count, 1)) {
                group.addTask {
                    var done: [(String, Int, Swift.Result<String, FolioError>)] = []
                    while let plan = await queue.next() {
                        let size = publishOriginal(plan)
                        done.append((plan.sha256, size, renderOne(plan)))
                        await progress(await queue.finish(), total)
                    }
                    return done
                }
            }
            for await batch in group {
                for (sha, size, outcome) in batch {
                    result.published[sha] = size
                    switch outcome {
                    case .success(let color):
                        result.colors[sha] = color
                        result.rendered += 1
                    case .failure(let error):
                        result.failures.append((sha, error.description))
                    }
                }
            }
        }
        result.failures.sort { $0.sha256 < $1.sha256 }
        return result
    }

    /// What an earlier render made of `plan` when its files are all there, with the metadata and
    /// encoding it has now (the published original is made again if it is not as it was made);
    /// nil when it is to be rendered.
    func made(_ plan: ImagePlan, known: [String: Made]) -> Found? {
        guard let made = known[plan.sha256], made.metadata == plan.metadata?.digest ?? "", plan.encoding.matches(made.encoding, formats: plan.formats)
        else { return nil }
        var found = Found(color: made.color, published: made.published, sizes: [])
        var info = stat()
        for rendition in plan.renditions {
            // A regular file, not a link: a rendition replaced by a link to anything is made again.
            guard lstat(site.path + "/" + rendition.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
            found.sizes.append((rendition.path, Int(info.st_size)))
        }
        // The published original as this metadata made it: kept when it is still that size.
        if lstat(site.path + "/" + plan.original, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) == made.published {
            found.sizes.append((plan.original, made.published))
        } else {
            found.published = publishOriginal(plan)
        }
        return found
    }

    /// An original whose files an earlier render made: its colour, the size of its published
    /// original, and the size of each file found as it was (by its path in the site).
    struct Found: Sendable {
        var color: String
        var published: Int
        var sizes: [(String, Int)]
    }

    /// Publishes the original under its hash, and returns the published file's size: with the
    /// plan's metadata written in (losslessly: `OriginalEmbedding` leaves the image data as it is),
    /// or, for a file carrying Content Credentials or one that cannot take it, as a copy of its own
    /// (a reflink where the file system has them). Never a hard link: editing the published file
    /// must not edit the paid asset.
    func publishOriginal(_ plan: ImagePlan) -> Int {
        let target = site.path + "/" + plan.original
        let source = project.path + "/" + plan.source
        if let metadata = plan.metadata, !plan.carries.c2pa, let bytes = FastFiles.read(source),
            let embedded = OriginalEmbedding.embed(metadata, into: bytes, removingAllText: plan.hasPrivateFields)
        {
            try? AtomicFile.write(embedded.bytes, to: URL(fileURLWithPath: target), sync: false)
            return embedded.bytes.count
        }
        var published = stat(), asset = stat()
        guard stat(source, &asset) == 0 else { return 0 }
        if lstat(target, &published) == 0, (published.st_mode & S_IFMT) == S_IFREG, published.st_size == asset.st_size,
            !(published.st_dev == asset.st_dev && published.st_ino == asset.st_ino)
        {
            return Int(asset.st_size)  // already an independent copy (an earlier Folio hard-linked originals: those are replaced)
        }
        let temporary = target + ".\(getpid()).tmp"
        guard CopyFile.copy(from: source, to: temporary) else {
            unlink(temporary)
            return 0
        }
        if rename(temporary, target) != 0 { unlink(temporary) }
        return Int(asset.st_size)
    }

    /// Decodes one original and writes all its renditions through temporary names.
    func renderOne(_ plan: ImagePlan) -> Swift.Result<String, FolioError> {
        let widths = Array(Set(plan.renditions.map(\.width))).sorted(by: >)
        let formats = plan.formats
        var finals: [String] = []
        var temporaries: [String] = []
        var targets: [String] = []
        for width in widths {
            for format in formats {
                let final = site.path + "/img/\(plan.sha256)-\(width).\(format.fileExtension)"
                // Unpredictable, and cleared first: libvips opens it following links.
                let temporary = final + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp.\(format.fileExtension)"
                unlink(temporary)
                finals.append(final)
                temporaries.append(temporary)
                targets.append(temporary + plan.encoding.saveOptions(format))
            }
        }
        var rgb = [0.0, 0.0, 0.0]
        let widths32 = widths.map(Int32.init)
        let xmp = plan.metadata?.xmp ?? []
        let exif = plan.metadata?.exif ?? []
        let status = withCStrings(targets) { pointers in
            (project.path + "/" + plan.source).withCString { source in
                (plan.metadata?.parameters ?? "").withCString { parameters in
                    xmp.withUnsafeBytes { xmpBytes in
                        exif.withUnsafeBytes { exifBytes in
                            var metadata = FolioMetadata(
                                xmp: xmpBytes.baseAddress, xmp_length: xmpBytes.count, exif: exifBytes.baseAddress,
                                exif_length: exifBytes.count, png_parameters: parameters)
                            return widths32.withUnsafeBufferPointer { w in
                                rgb.withUnsafeMutableBufferPointer { colour in
                                    folio_render_renditions(
                                        source, Int32(widths.count), w.baseAddress, Int32(formats.count), pointers, colour.baseAddress, &metadata)
                                }
                            }
                        }
                    }
                }
            }
        }
        guard status == 0 else {
            for temporary in temporaries { unlink(temporary) }
            return .failure(FolioError(String(cString: folio_vips_last_error())))
        }
        for (temporary, final) in zip(temporaries, finals) { rename(temporary, final) }
        let hex = rgb.map { String(format: "%02x", min(255, max(0, Int($0.rounded())))) }.joined()
        return .success("#" + hex)
    }
}

extension ImageRenderer {
    /// Whether `path` is a regular file itself (`lstat`: a symbolic link is not).
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
}

/// Hands out work items to several workers.
actor WorkQueue<Item: Sendable> {
    private var items: [Item]
    private var index = 0
    private var finished = 0
    init(_ items: [Item]) { self.items = items }
    func next() -> Item? {
        guard index < items.count else { return nil }
        defer { index += 1 }
        return items[index]
    }
    /// Counts one more item done; how many are.
    func finish() -> Int {
        finished += 1
        return finished
    }
}

/// Calls `body` with a C array of C strings that live for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers = duplicates.map { UnsafePointer<CChar>($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
