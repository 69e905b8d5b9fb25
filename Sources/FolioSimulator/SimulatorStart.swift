import FolioCore
import FolioServer
import Foundation

extension GatewaySimulator {
    /// How `--simulate` starts a simulator for a build: the build's time and image scales and image
    /// detail, no key, no faults.
    public static let forBuilds: @Sendable (_ timeScale: Double, _ imageScale: Int, _ imageDetail: SimulatedImageDetail) async throws -> SimulatedGateway = {
        timeScale, imageScale, imageDetail in
        var configuration = SimulatorConfiguration()
        configuration.timeScale = timeScale
        configuration.imageScale = imageScale
        configuration.imageDetail = imageDetail
        let simulator = try await GatewaySimulator.start(configuration)
        return SimulatedGateway(baseURL: simulator.baseURL, stop: { await simulator.stop() })
    }

    /// Starts a simulator for `folio sim`, its faults read from `faultsFile`; a bad faults file is
    /// invalid input (exit 2), a port that cannot be bound an error (exit 1).
    public static func start(_ configuration: SimulatorConfiguration, faultsFile: String?) async throws(FolioError) -> GatewaySimulator {
        var configuration = configuration
        if let faultsFile {
            do {
                configuration.faults = try Faults.load(path: faultsFile)
            } catch {
                throw FolioError("\(error)", path: faultsFile, exit: .invalidInput)
            }
        }
        do {
            return try await GatewaySimulator.start(configuration)
        } catch {
            throw FolioError("\(error)")
        }
    }

    /// `folio sim`: prints the base URL as the first line of standard output (scripts wait for it,
    /// even when `quiet`), says on standard error what it accepts unless `quiet`, and serves until
    /// SIGINT or SIGTERM.
    public static func serveUntilInterrupted(_ configuration: SimulatorConfiguration, faultsFile: String?, quiet: Bool = false) async throws(FolioError) {
        let simulator = try await start(configuration, faultsFile: faultsFile)
        Console.lines([simulator.baseURL])
        let accepts = configuration.key == nil ? "any non-empty bearer token" : "one key (given by --key or ANYINT_API_KEY)"
        if !quiet {
            Console.error("folio sim: gateway \(simulator.baseURL), storage host \(simulator.storageURL); accepts \(accepts); Ctrl-C stops it")
        }
        await Signals.waitForInterrupt()
        await simulator.stop()
    }
}
