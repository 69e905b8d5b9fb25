import ArgumentParser
import FolioCore
import FolioServer

/// `folio serve`: the site on 127.0.0.1, rendered again and reloaded in the browser on every change.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Preview the site on 127.0.0.1, rendering it again and reloading open pages on every change. Never spends money.",
        discussion: """
            Prints the site's URL on the first line of standard output. Prompts whose generation key changed \
            show as "needs generating" cards until 'folio build' (or --simulate, which generates through the built-in simulator).
            """)

    @OptionGroup var options: ProjectOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Port to listen on (0: the system chooses a free one).") var port: Int = 8000

    @Flag(help: "Open the site in the browser.") var open = false

    @Flag(help: "Generate changed prompts through the built-in gateway simulator: no key, no network, no money.") var simulate = false

    @Option(help: ArgumentHelp(SimulatedImageDetail.help + " Needs --simulate.")) var imageDetail: SimulatedImageDetail?

    func validate() throws {
        try options.refuseJSON(in: "serve")
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        try SimulatedImageDetail.validate(imageDetail, simulate: simulate)
    }

    func run() async throws {
        var build = options.buildOptions
        output.apply(to: &build)
        (build.simulate, build.simulatedImageDetail) = (simulate, imageDetail ?? .simple)
        try await PreviewServer.run(
            build, options: .init(port: port, open: open), printer: BuildPrinter(quiet: options.quiet, verbose: options.verbose, resultsToStandardError: true))
    }
}
