import ArgumentParser
import FolioCore
import Foundation

/// `folio new ID`: a prompt file to start from.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Create prompts/<ID>.md to start from.")

    @Argument(help: "The prompt's id: its path under prompts/ without .md, such as posters/launch.")
    var id: String

    @Option(help: "The route: gemini, dashscope, kling or kling-omni.")
    var route: String = "gemini"

    @Option(name: .long, help: "The project folder.")
    var project: String = "."

    func run() throws {
        let segments = id.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !segments.isEmpty, segments.allSatisfy(Slug.fits) else {
            let suggestion = segments.map { Slug.suggest($0) }.joined(separator: "/")
            throw FolioExit(code: ExitStatus.invalidInput, message: "error: '\(id)' does not fit the id rule (lowercase a-z, 0-9 and '-' segments); try '\(suggestion)'")
        }
        guard let routeID = RouteID(rawValue: route) else {
            throw FolioExit(code: ExitStatus.invalidInput, message: "error: unknown route '\(route)'; routes: \(RouteID.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let root = URL(fileURLWithPath: project)
        let file = root.appendingPathComponent("prompts/\(id).md")
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw FolioExit(code: ExitStatus.error, message: "error: prompts/\(id).md already exists; nothing was changed")
        }
        let rules = routeID.rules
        var keys = ["title: \(Slug.title(segments.last!))", "route: \(route)"]
        if let aspect = rules.aspectRatios.first(where: { $0 == "1:1" }) { keys.append("aspect_ratio: \"\(aspect)\"") }
        if let size = rules.defaultSize { keys.append("size: \(size)") }
        keys += ["tags: []", "alt: Describe the image for people who cannot see it", "draft: true"]
        let text = "---\n" + keys.joined(separator: "\n") + "\n---\nDescribe the image you want here.\n"
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Array(text.utf8), to: file)
        print("created prompts/\(id).md (a draft: remove 'draft: true' when it is ready)")
    }
}

/// `folio init DIR`: a new project with a folio.yml, a first prompt and a .gitignore.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new project folder.")

    @Argument(help: "The folder to create the project in.")
    var directory: String

    func run() throws {
        let root = URL(fileURLWithPath: directory)
        for existing in ["folio.yml", "prompts"] where FileManager.default.fileExists(atPath: root.appendingPathComponent(existing).path) {
            throw FolioExit(code: ExitStatus.error, message: "error: \(directory) already has \(existing); nothing was changed")
        }
        let files: [(String, String)] = [
            ("folio.yml", """
                # Folio project settings. Every key is optional; these are the defaults.
                title: Showcase
                description: Images generated from prompts.
                # base_url: https://example.com/gallery/   # for feeds, sitemap and social cards
                gateway:
                  concurrency: 4
                  retries: 5
                  poll_timeout: 10m
                defaults:
                  route: gemini
                images:
                  widths: [480, 960, 1600]
                  formats: [webp, jpeg]
                pagination: 60

                """),
            ("prompts/first-image.md", """
                ---
                title: First image
                route: gemini
                aspect_ratio: "4:3"
                tags: [example]
                alt: A lighthouse on a cliff at dusk, painted in watercolor
                ---
                A lighthouse on a cliff at dusk, loose watercolor, warm light in the window.

                """),
            (".gitignore", "site/\n.folio/\n"),
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(Array(text.utf8), to: url)
        }
        print("""
            created a Folio project in \(directory)
              folio build --project \(directory) --simulate   # try it without a key
              export ANYINT_API_KEY=…; folio build --project \(directory)
            """)
    }
}

/// `folio clean`: list, then with `--yes` delete, assets and lock entries no prompt refers to.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean", abstract: "List assets and lock entries no prompt refers to; delete them with --yes.")

    @OptionGroup var options: ProjectOptions

    @Flag(help: "Delete what is listed.")
    var yes = false

    func run() async throws {
        let project = try await options.loadValidProject()
        // Deleting rewrites folio.lock: never beside a generate that is writing it.
        let runLock = yes ? try options.acquireRunLock(command: "clean --yes") : nil
        defer { runLock?.release() }
        let lock = try options.loadLockfile()
        let plan = CleanPlan.make(prompts: project.prompts, lock: lock, project: project.root)
        if plan.isEmpty {
            print("nothing to clean")
            return
        }
        for id in plan.entries { print("entry   \(id) (its prompt file is gone)") }
        for asset in plan.assets { print("asset   \(asset)") }
        let megabytes = String(format: "%.1f MB", Double(plan.bytes) / 1_000_000)
        if yes {
            _ = try plan.apply(lock: lock, project: project.root)
            print("removed \(plan.entries.count) lock entr\(plan.entries.count == 1 ? "y" : "ies") and \(plan.assets.count) asset\(plan.assets.count == 1 ? "" : "s") (\(megabytes))")
        } else {
            print("\(plan.entries.count) lock entr\(plan.entries.count == 1 ? "y" : "ies") and \(plan.assets.count) asset\(plan.assets.count == 1 ? "" : "s") (\(megabytes)) would be removed; run 'folio clean --yes' to remove them")
        }
    }
}
