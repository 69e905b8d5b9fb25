import Foundation

/// A lock entry that changes its id because its prompt file gained or lost routes: `launch` becomes
/// `launch@kling` when `route: kling` turns into `routes: [kling, gemini]`, and back again. What was
/// paid for (images, a pending task) stays the prompt's, under its new id, instead of being made again.
public struct RouteMove: Sendable, Hashable {
    public var from: String
    public var to: String
}

extension Lockfile {
    /// The lockfile with every entry whose prompt now has another id moved to it, and the moves.
    /// An entry moves only to a prompt of the same file and route that has no entry of its own, and
    /// only from an id no prompt has; whether its input hash still matches is the plan's business
    /// (a changed prompt is stale under its new id, as under its old one).
    public func movingRoutes(for prompts: [Prompt]) -> (Lockfile, [RouteMove]) {
        let ids = Set(prompts.map(\.id))
        var lock = self
        var moves: [RouteMove] = []
        for prompt in prompts where lock.entries[prompt.id] == nil {
            let old = prompt.idWithOtherRouteCount
            guard !ids.contains(old), let entry = lock.entries[old], entry.route == prompt.generation.route else { continue }
            lock.entries[old] = nil
            lock.entries[prompt.id] = entry
            moves.append(RouteMove(from: old, to: prompt.id))
        }
        return (lock, moves)
    }
}
