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

/// A failure that stops rendering: a broken link, a template error, an unwritable file.
public struct SiteError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Renders `site/` from the prompts, `folio.lock` and `assets/`, without network.
public struct SiteBuilder: Sendable {
    public var project: LoadedProject
    public var lock: Lockfile
    public var theme: Theme
    /// The output folder.
    public var site: URL

    public init(project: LoadedProject, lock: Lockfile, theme: Theme, site: URL? = nil) {
        self.project = project
        self.lock = lock
        self.theme = theme
        self.site = site ?? project.root.appendingPathComponent(project.settings.output)
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
        let items = SiteItem.items(project.prompts, lock: lock, project: project.root, settings: settings, formats: formats)
        report.placeholders = items.filter { $0.images.isEmpty }.map { ($0.id, "\($0.state ?? ""): \($0.reason ?? "")") }
        var plans: [String: ImagePlan] = [:]
        for item in items { for plan in item.images { plans[plan.sha256] = plan } }

        step("render images")
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
        var files = SiteFiles(root: site)
        do {
            try files.write(cacheFile, JSONValue.object(rendered.colors.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).pretty)
            let pages = SitePages(settings: settings, items: items, colors: rendered.colors, theme: theme, project: project.root)
            for (path, text) in pages.all() { try files.write(path, text) }
            for (path, bytes) in pages.extras() { try files.write(path, bytes) }
            report.pages = pages.pageCount
        } catch let error as SiteError {
            throw error
        } catch {
            throw SiteError("cannot write the site: \(error)")
        }
        for plan in plans.values {
            files.keep([plan.original] + plan.renditions.map(\.path))
        }

        step("check links")
        let broken = LinkChecker.check(site: site, pages: files.produced.filter { $0.hasSuffix(".html") }.sorted(), files: files.produced)
        if !broken.isEmpty {
            let list = broken.prefix(20).map { "  \($0.page): broken link '\($0.link)'" }.joined(separator: "\n")
            throw SiteError("\(broken.count) broken link\(broken.count == 1 ? "" : "s") in the rendered site:\n\(list)")
        }
        report.removed = files.prune()
        report.written = files.written
        report.unchanged = files.unchanged
        return report
    }

    static func readColors(_ url: URL) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: url.path),
              case .object(let pairs)? = try? JSONDecoder().decode(JSONValue.self, from: data) else { return [:] }
        return Dictionary(pairs.compactMap { key, value in value.stringValue.map { (key, $0) } }, uniquingKeysWith: { a, _ in a })
    }
}
