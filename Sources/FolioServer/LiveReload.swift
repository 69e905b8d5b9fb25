import Foundation
import Synchronization

/// The open pages' event streams: each render that changes the site sends `reload` to all of them.
///
/// Every page is served with the site's version in its script's address (`tag(version:)`); the
/// script (`script`, at `scriptPath`) opens `eventsPath`, is told the version on connecting, and
/// reloads when it differs from the one its page was served with (a render finished in between,
/// or the server restarted: a version starts with a number drawn when the server starts), and on
/// every later `reload`.
final class LiveReload: Sendable {
    static let scriptPath = "/__folio/reload.js"
    static let eventsPath = "/__folio/events"
    /// Open streams beyond this are refused (503): a page needs one, a browser a few.
    static let maximumListeners = 64

    static let script = """
        // Served by `folio serve` only: reloads the page when the site has been rendered again.
        (function () {
          "use strict";
          var script = document.currentScript;
          var served = script ? new URL(script.src).searchParams.get("v") : null;
          var events = new EventSource("\(eventsPath)");
          events.addEventListener("version", function (event) {
            if (served !== null && event.data !== served) { location.reload(); }
          });
          events.addEventListener("reload", function () { location.reload(); });
        })();

        """

    /// The tag added before `</head>` of every page served, and only there: the published site
    /// never has it. An external script, so the pages' CSP (`script-src 'self'`) allows it.
    static func tag(version: String) -> String {
        "<script src=\"\(scriptPath)?v=\(version)\" defer></script>"
    }

    private struct State {
        var count = 0
        var streams: [Int: AsyncStream<String>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    /// Drawn when the server starts, so a page served by an earlier one reloads.
    private let start = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    /// The site's version now: `<start>-<renders that changed it>`.
    var version: String { version(state.withLock { $0.count }) }

    private func version(_ count: Int) -> String { "\(start)-\(count)" }

    /// A new page's stream: the current version first, then every reload; nil when too many are open.
    func subscribe() -> AsyncStream<String>? {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        let id: Int? = state.withLock { state in
            guard !state.finished, state.streams.count < Self.maximumListeners else { return nil }
            defer { state.nextID += 1 }
            state.streams[state.nextID] = continuation
            return state.nextID
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.streams.removeValue(forKey: id) } }
        continuation.yield(Self.message("version", version))
        return stream
    }

    /// The site changed: every open page reloads.
    func reload() {
        let (streams, version) = state.withLock { state in
            state.count += 1
            return (Array(state.streams.values), state.count)
        }
        for continuation in streams { continuation.yield(Self.message("reload", self.version(version))) }
    }

    /// A comment line every stream gets now and then, so a closed connection is noticed.
    func ping() {
        for continuation in state.withLock({ Array($0.streams.values) }) { continuation.yield(": ping\n\n") }
    }

    /// The server stops: every stream ends, so no request keeps it waiting.
    func finish() {
        let streams = state.withLock { state in
            state.finished = true
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }
        for continuation in streams { continuation.finish() }
    }

    static func message(_ event: String, _ data: String) -> String {
        "event: \(event)\ndata: \(data)\n\n"
    }
}
