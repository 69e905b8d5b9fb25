import FolioCore
import FolioServer
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The AnyInt gateway's image routes (`SimulatedRoute.all`) on loopback, with a storage host for result URLs.
///
/// Start it, point Folio's gateway at `baseURL`, and stop it (awaited) when done:
/// ```swift
/// let simulator = try await GatewaySimulator.start(SimulatorConfiguration())
/// let result = await use(simulator.baseURL)
/// await simulator.stop()
/// ```
public final class GatewaySimulator: Sendable {
    /// `http://127.0.0.1:PORT`: the gateway.
    public let baseURL: String
    /// `http://127.0.0.1:PORT`: the host that serves result images.
    public let storageURL: String
    private let core: SimulatorCore
    private let servers: [LoopbackServer]

    private init(baseURL: String, storageURL: String, core: SimulatorCore, servers: [LoopbackServer]) {
        self.baseURL = baseURL
        self.storageURL = storageURL
        self.core = core
        self.servers = servers
    }

    /// Starts the storage host and the gateway on 127.0.0.1.
    public static func start(_ configuration: SimulatorConfiguration) async throws -> GatewaySimulator {
        _ = Libraries.startVips
        let state = SimulatorState(seed: configuration.randomSeed)
        let log = RequestLog(path: configuration.logPath)

        // The storage host first: the gateway's answers carry its address.
        // Serving a download needs the shared state and log, not the storage host's own address.
        let storageCore = SimulatorCore(configuration: configuration, state: state, log: log, storageBase: "")
        let storageRouter = Router()
        storageRouter.get("/dashscope/:request/:file") { request, _ in await storageCore.download(request) }
        storageRouter.get("/kling/:task/:file") { request, _ in await storageCore.download(request) }
        let storage = try await LoopbackServer.start(router: storageRouter, port: configuration.storagePort, name: "folio-sim-storage")
        let storageURL = "http://127.0.0.1:\(storage.port)"
        let core = SimulatorCore(configuration: configuration, state: state, log: log, storageBase: storageURL)

        let router = Router()
        router.add(middleware: GatewayNotFound())
        for route in SimulatedRoute.all { route.handlers(route, router, core) }
        let gateway: LoopbackServer
        do {
            gateway = try await LoopbackServer.start(router: router, port: configuration.port, name: "folio-sim")
        } catch {
            await storage.stop()
            throw error
        }
        return GatewaySimulator(baseURL: "http://127.0.0.1:\(gateway.port)", storageURL: storageURL, core: core, servers: [gateway, storage])
    }

    /// Stops both servers; requests in flight are finished first.
    public func stop() async {
        for server in servers { await server.stop() }
    }

    /// Every request answered so far, oldest first.
    public func requests() async -> [SimulatorLogEntry] {
        await core.log.entries
    }

    /// Create (or sync generate) requests that reached a route with a prompt containing `text`.
    public func creates(containing text: String) async -> [SimulatorLogEntry] {
        await requests().filter { ($0.kind == "create" || $0.kind == "generate") && ($0.prompt?.contains(text) ?? false) }
    }
}

/// Unknown paths get the gateway's own envelope, as the reference warns they may.
struct GatewayNotFound<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return SimulatorCore.respond(
                404,
                .object([
                    (
                        "error",
                        .object([
                            ("message", .string("No route for \(request.method.rawValue) \(request.uri.path)")),
                            ("type", .string("invalid_request_error")), ("code", .string("route_not_found")),
                        ])
                    )
                ]))
        }
    }
}
