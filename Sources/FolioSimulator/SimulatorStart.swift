import FolioCore
import Foundation

extension GatewaySimulator {
    /// How `--simulate` starts a simulator for a build: the build's time and image scales, no key, no faults.
    public static let forBuilds: @Sendable (_ timeScale: Double, _ imageScale: Int) async throws -> SimulatedGateway = { timeScale, imageScale in
        var configuration = SimulatorConfiguration()
        configuration.timeScale = timeScale
        configuration.imageScale = imageScale
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
}
