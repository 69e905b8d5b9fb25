import FolioCore
import Foundation

/// A Kling task as the simulator keeps it.
struct KlingTask: Sendable {
    var id: String
    var externalID: String?
    var route: RouteID
    var prompt: String
    var created: Date
    /// Real seconds from creation to the end.
    var duration: Double
    /// The images it yields, in order (`series_images` for an Omni series).
    var images: [ImageSpec]
    var series: Bool
    var fails: Bool
    var units: String
    /// Query faults (poll-error) still to fire.
    var pollErrors: Int

    /// The status at `now`: `submitted`, `processing`, `succeed` or `failed`.
    func status(at now: Date) -> String {
        let elapsed = now.timeIntervalSince(created)
        if elapsed < duration * 0.15 { return "submitted" }
        if elapsed < duration { return "processing" }
        return fails ? "failed" : "succeed"
    }

    func running(at now: Date) -> Bool { now.timeIntervalSince(created) < duration }
}

/// Everything the simulator remembers between requests.
actor SimulatorState {
    private var tasks: [String: KlingTask] = [:]
    private var externalIDs: [String: String] = [:]
    private var images: [String: ImageSpec] = [:]
    private var identical: [String: Int] = [:]
    private var faultCounts: [String: Int] = [:]
    private var counter: UInt64 = 0
    private var random: UInt64
    let started = Date()

    init(seed: UInt64) {
        random = seed
    }

    /// A fresh id: 22 URL-safe base64 characters, like Kling's.
    func newID() -> String {
        counter += 1
        let digest = SHA256Hex.of(Array("folio-sim-\(random)-\(counter)".utf8))
        let bytes = stride(from: 0, to: 32, by: 2).map { UInt8(digest.dropFirst($0).prefix(2), radix: 16)! }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A uniform number in [0, 1), from a fixed sequence.
    func uniform() -> Double {
        // splitmix64
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }

    /// How many identical requests came before this one: the k-th gets variant k.
    func variant(of fingerprint: String) -> Int {
        let k = identical[fingerprint, default: 0]
        identical[fingerprint] = k + 1
        return k
    }

    /// Whether `rule` fires for this request, counting its `times`.
    func fires(_ rule: FaultRule, key: String) -> Bool {
        guard let times = rule.times else { return true }
        let id = "\(rule.kind.rawValue)|\(rule.route?.rawValue ?? "*")|\(rule.match ?? "*")|\(key)"
        let count = faultCounts[id, default: 0]
        faultCounts[id] = count + 1
        return count < times
    }

    // MARK: Images

    func store(_ spec: ImageSpec, at path: String) {
        images[path] = spec
    }

    func image(at path: String) -> ImageSpec? {
        images[path]
    }

    // MARK: Tasks

    func task(_ idOrExternal: String) -> KlingTask? {
        if let task = tasks[idOrExternal] { return task }
        if let id = externalIDs[idOrExternal] { return tasks[id] }
        return nil
    }

    func add(_ task: KlingTask) {
        tasks[task.id] = task
        if let external = task.externalID { externalIDs[external] = task.id }
    }

    /// Slots held by running tasks.
    func slotsInUse(at now: Date) -> Int {
        tasks.values.filter { $0.running(at: now) }.reduce(0) { $0 + $1.images.count }
    }

    /// Takes one pending query fault of a task; true if one fired.
    func takePollError(_ id: String) -> Bool {
        guard var task = tasks[id], task.pollErrors > 0 else { return false }
        task.pollErrors -= 1
        tasks[id] = task
        return true
    }
}
