import FolioCore

/// How a simulator behaves: its key, its clock, its image sizes, its faults.
public struct SimulatorConfiguration: Sendable {
    /// The bearer token it accepts; nil accepts any non-empty one.
    public var key: String?
    /// Multiplies every simulated duration: latencies, task run times, URL lifetimes, retry delays.
    /// 1 is real time; tests use 0.001 or less.
    public var timeScale: Double = 1
    /// Divides every image's pixel dimensions (1 gives the real sizes).
    public var imageScale: Int = 1
    /// Flat pictures, or photographic ones whose files weigh and decode like a real model's.
    public var imageDetail = SimulatedImageDetail.simple
    /// Faults from a file; markers in prompt text add more.
    public var faults: [FaultRule] = []
    /// How long result URLs live, in simulated seconds, per route.
    public var urlLifetimes: [RouteID: Double] = Dictionary(
        uniqueKeysWithValues: SimulatedRoute.all.compactMap { route in route.urlLifetime.map { (route.route, $0) } })
    /// Kling concurrency slots (each running task holds `n`); past them creates get 429 code 1303.
    public var klingSlots = 64
    /// Port of the gateway; 0 lets the system choose.
    public var port = 0
    /// Port of the storage host that serves result URLs; 0 lets the system choose.
    public var storagePort = 0
    /// Where the request log is appended as JSON lines, if anywhere.
    public var logPath: String?
    /// When set, every gateway answer takes exactly this many real seconds (for benchmarks), whatever the route.
    public var fixedLatency: Double?
    /// Latency spread is drawn from this, so runs repeat.
    public var randomSeed: UInt64 = 0x5EED

    public init() {}
}
