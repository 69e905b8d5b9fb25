import FolioCore
import Foundation
import Glibc
import Hummingbird

/// `folio serve`: renders the site, serves it on 127.0.0.1, and renders it again (and reloads
/// open pages) each time a prompt, template, static file, asset or `folio.yml` changes.
///
/// It never spends money: without `--simulate` it runs `Pipeline.render`, so a prompt whose
/// generation key changed shows as a "needs generating" card; with it, `Pipeline.build` through
/// the in-process simulator.
public enum PreviewServer {
    public struct Options: Sendable {
        public var port: Int
        /// Open the site in the desktop's browser (`xdg-open`).
        public var open = false
        /// How often the watcher looks for changes (see `PreviewSession.watch`).
        public var interval: Duration = .milliseconds(100)

        public init(port: Int, open: Bool = false) {
            self.port = port
            self.open = open
        }
    }

    /// Renders, prints the site's URL as the first line of standard output, then serves and
    /// watches until SIGINT or SIGTERM; a port that cannot be bound is an error (exit 1).
    public static func run(_ build: BuildOptions, options: Options, printer: BuildPrinter) async throws(FolioError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: build.project.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw FolioError("there is no project folder at \(build.project.path)", exit: .invalidInput)
        }
        // Ctrl-C before the server is up ends at once (every file a render writes is written
        // whole under a temporary name first); after, it stops the server cleanly.
        let interrupted = Task { await Signals.waitForInterrupt() }
        let early = Task {
            await interrupted.value
            guard !Task.isCancelled else { return }
            Console.error("folio serve: stopped")
            exit(130)
        }
        let session = PreviewSession(options: build, steps: build.simulate ? Pipeline.build : Pipeline.render, printer: printer)
        await session.render()
        let router = Router()
        router.add(middleware: PreviewResponder(session: session))
        let server: LoopbackServer
        do {
            server = try await LoopbackServer.start(router: router, port: options.port, name: "folio-serve")
        } catch {
            throw error as? FolioError ?? FolioError("\(error)")
        }
        session.port.withLock { $0 = server.port }
        early.cancel()
        let url = "http://127.0.0.1:\(server.port)/"
        Console.lines([url])
        Console.error(
            "folio serve: \(url); watching prompts/, templates/, static/, assets/ and folio.yml"
                + (build.simulate ? " (generating through the simulator)" : " (never generating: run folio build for that)") + "; Ctrl-C stops it")
        if options.open { openInBrowser(url) }
        let watcher = Task { await session.watch(every: options.interval) }
        await interrupted.value
        // A second Ctrl-C ends it at once.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        watcher.cancel()
        await watcher.value
        session.reload.finish()
        await server.stop()
        Console.error("folio serve: stopped")
    }

    /// `xdg-open URL`, detached; a desktop without it gets a note, not an error.
    static func openInBrowser(_ url: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["xdg-open", url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            Console.error("folio serve: could not open a browser (\(error)); open \(url) yourself")
        }
    }
}
