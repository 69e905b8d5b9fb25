import ArgumentParser
import FolioCore
import FolioSimulator
import Foundation

/// `folio sim`: the gateway simulator on loopback, until interrupted.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Run the gateway simulator on 127.0.0.1: every route, no key or network needed.",
        discussion: "Prints its base URL on the first line of standard output, then serves until interrupted.")

    @Option(help: "Port to listen on (0: the system chooses).") var port: Int = 0

    @Option(help: "Multiplies every simulated duration (latency, task time, URL lifetime); 0.01 runs 100× faster.") var timeScale: Double = 1

    @Option(help: "Divides every image's pixel dimensions.") var imageScale: Int = 1

    @Option(help: ArgumentHelp(SimulatedImageDetail.help)) var imageDetail: SimulatedImageDetail = .simple

    @Option(help: "The API key to accept (default: ANYINT_API_KEY; without either, any non-empty bearer token).") var key: String?

    @Option(help: "A YAML file of faults to put on.") var faults: String?

    @Option(help: "Append a JSON line per request to this file.") var log: String?

    @Option(help: ArgumentHelp("Answer every gateway request in exactly this many seconds (for benchmarks).", visibility: .hidden)) var latency: Double?

    @OptionGroup var verbosity: Verbosity

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
        guard timeScale >= 0 else { throw ValidationError("--time-scale must be 0 or more") }
        guard imageScale >= 1 else { throw ValidationError("--image-scale must be 1 or more") }
    }

    func run() async throws {
        var configuration = SimulatorConfiguration()
        (configuration.port, configuration.timeScale, configuration.imageScale) = (port, timeScale, imageScale)
        configuration.imageDetail = imageDetail
        configuration.key = key ?? ProcessInfo.processInfo.environment["ANYINT_API_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        (configuration.logPath, configuration.fixedLatency) = (log, latency)
        try await GatewaySimulator.serveUntilInterrupted(configuration, faultsFile: faults, quiet: verbosity.quiet)
    }
}
