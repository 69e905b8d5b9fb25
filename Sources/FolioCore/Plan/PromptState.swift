import Foundation

/// Where one published prompt stands: its lock entry read against the prompt's input and the files
/// in `assets/`. `PromptState.of` decides it, once per plan; the plan's actions, `folio status`, the
/// site's cards and the render report (and so the exit status) all read it from the `PlanEntry`.
public enum PromptState: Sendable, Hashable {
    /// The lockfile has no entry for it: never generated.
    case new
    /// Its entry was generated from another input: the prompt changed since.
    case stale
    /// A create request is being sent: the external task id is recorded, no task id yet.
    case submitting
    /// Generation started and has not finished: a task runs, or a sync route holds the variants
    /// received so far. Each output recorded so far, with what `assets/` holds of it.
    case pending([CheckedOutput])
    /// The generation failed; the entry's `error` says why.
    case failed
    /// Generated. Each output, with what `assets/` holds of it.
    case succeeded([CheckedOutput])

    /// The state of `prompt`, whose lock entry is `entry`, checking its assets under `project`.
    public static func of(_ prompt: Prompt, entry: LockEntry?, project: URL) -> PromptState {
        guard let entry else { return .new }
        guard entry.inputHash == prompt.inputHash else { return .stale }
        func checked() -> [CheckedOutput] {
            entry.outputs.map { CheckedOutput(output: $0, asset: AssetCheck.state($0, project: project)) }
        }
        switch entry.state {
        case .submitting: return .submitting
        case .pending where prompt.generation.route.rules.style == .sync && entry.outputs.isEmpty && entry.inFlight.isEmpty:
            // A sync route's entry is begun before its first call waits for a slot. With no variant in
            // flight or received (a run stopped before sending, or retries that ran out on answers that
            // charged nothing), nothing was created or paid for (SPEC: pending is a task created).
            return .new
        case .pending: return .pending(checked())
        case .failed: return .failed
        case .succeeded: return .succeeded(checked())
        }
    }

    /// `new`, `stale`, `submitting`, `pending`, `succeeded` or `failed`, as `folio status` shows it.
    public var name: String {
        switch self {
        case .new: "new"
        case .stale: "stale"
        case .submitting: "submitting"
        case .pending: "pending"
        case .failed: "failed"
        case .succeeded: "succeeded"
        }
    }

    /// Every name a state can have, in the order `folio status` counts them.
    public static let names = ["new", "stale", "submitting", "pending", "succeeded", "failed"]
}

/// One output of a lock entry, with what `assets/` holds of it.
public struct CheckedOutput: Sendable, Hashable {
    public var output: LockOutput
    public var asset: AssetState

    /// The file is there and hashes to what was recorded: it may be published.
    public var isUsable: Bool { asset == .verified }
}
