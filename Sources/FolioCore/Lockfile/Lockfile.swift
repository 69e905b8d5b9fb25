/// What Folio generated, from what, and where it is: the in-memory model of `folio.lock`.
public struct Lockfile: Sendable, Equatable {
    /// The schema version this Folio reads and writes.
    public static let currentVersion = 1
    public static let fileName = "folio.lock"

    /// Entries by prompt id.
    public var entries: [String: LockEntry]

    public init(entries: [String: LockEntry] = [:]) {
        self.entries = entries
    }
}

/// One prompt's generation record.
public struct LockEntry: Sendable, Equatable {
    /// Where a prompt's generation stands.
    public enum State: String, Sendable, Codable, CaseIterable {
        /// About to send a create request; `externalTaskID` is set, no task id yet.
        case submitting
        /// A task exists and has not finished.
        case pending
        case succeeded
        case failed
    }

    public var inputHash: String
    public var route: RouteID
    public var model: String
    public var state: State
    public var externalTaskID: String?
    public var taskID: String?
    public var requestID: String?
    /// ISO 8601, UTC.
    public var createdAt: String?
    public var updatedAt: String?
    public var outputs: [LockOutput]
    /// The model's text reply (Gemini).
    public var text: String?
    public var error: LockError?
    /// What the gateway reported it charged, as the route reports it.
    public var cost: JSONValue?
    /// Made by `--simulate`, not by the real gateway: a real build makes it again.
    public var simulated: Bool
    /// Sync-route variants whose create request is being sent: written before the request, cleared
    /// when its answer is recorded. One left by a run that stopped may have been charged.
    public var inFlight: [Int]
    /// The normalised generation `inputHash` was taken over (`Generation.hashInput`), recorded with
    /// the hash so `folio plan` can say which keys a stale entry's prompt changed; nil for an entry
    /// written before Folio recorded it.
    public var generation: JSONValue?

    public init(
        inputHash: String, route: RouteID, model: String, state: State, externalTaskID: String? = nil,
        taskID: String? = nil, requestID: String? = nil, createdAt: String? = nil, updatedAt: String? = nil,
        outputs: [LockOutput] = [], text: String? = nil, error: LockError? = nil, cost: JSONValue? = nil, simulated: Bool = false,
        inFlight: [Int] = [], generation: JSONValue? = nil
    ) {
        self.inputHash = inputHash
        self.route = route
        self.model = model
        self.state = state
        self.externalTaskID = externalTaskID
        self.taskID = taskID
        self.requestID = requestID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.outputs = outputs
        self.text = text
        self.error = error
        self.cost = cost
        self.simulated = simulated
        self.inFlight = inFlight
        self.generation = generation
    }
}

/// One generated image: where it came from and, once downloaded, its file in `assets/`.
public struct LockOutput: Sendable, Hashable {
    public var index: Int
    /// The URL it was downloaded from; nil for inline (Gemini) images.
    public var url: String?
    /// The downloaded file; nil until the image is downloaded (`file` and `sha256` null on disk).
    public var asset: StoredAsset?

    public init(index: Int, url: String?, asset: StoredAsset?) {
        self.index = index
        self.url = url
        self.asset = asset
    }
}

/// A file in `assets/`, verified when it was stored: what the lockfile records of a downloaded image.
public struct StoredAsset: Sendable, Hashable {
    /// The project folder every asset lives in.
    public static let folder = "assets"
    /// Relative to the project: `assets/<sha256>.<ext>`.
    public var file: String
    /// 64 lowercase hex digits.
    public var sha256: String
    public var bytes: Int
    public var width: Int
    public var height: Int
    public var mime: String
    /// What the original carried when it was stored (Content Credentials, an AIGC label, a digital
    /// source type); nil when nothing, or when it was stored by a Folio that did not look.
    public var carries: OriginalMetadata?

    public init(file: String, sha256: String, bytes: Int, width: Int, height: Int, mime: String, carries: OriginalMetadata? = nil) {
        self.file = file
        self.sha256 = sha256
        self.bytes = bytes
        self.width = width
        self.height = height
        self.mime = mime
        self.carries = carries
    }
}

/// Why a generation failed, in Folio's kinds and the provider's own code and message.
public struct LockError: Sendable, Equatable, Codable {
    /// Folio's classification of a failure.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case moderation, billing, invalid, auth, server, network, timeout
        /// A paid call was sent completely and got no usable answer: it may have been charged, so
        /// it is sent again only with `--retry-failed`.
        case uncertain
    }

    public var kind: Kind
    /// The provider's code (`1301`, `DataInspectionFailed`, `IMAGE_SAFETY`), as text.
    public var code: String?
    public var message: String

    public init(kind: Kind, code: String?, message: String) {
        self.kind = kind
        self.code = code
        self.message = message
    }
}
