import Foundation

/// The open pages' event streams: each render that changes the site sends `reload` to all of them.
///
/// A page's script (`script`, served at `scriptPath`) opens `eventsPath` with `EventSource`. On
/// connecting it is told the site's version; a page that reconnects (after the server restarted,
/// or the laptop slept) and hears another version than it loaded with reloads too.
actor LiveReload {
    static let scriptPath = "/__folio/reload.js"
    static let eventsPath = "/__folio/events"
    /// The tag the server adds before `</head>` of every page it serves, and only there: the
    /// published site never has it. An external script, so the pages' CSP (`script-src 'self'`)
    /// needs no inline script.
    static let tag = "<script src=\"\(scriptPath)\" defer></script>"

    static let script = """
        // Served by `folio serve` only: reloads the page when the site has been rendered again.
        (function () {
          "use strict";
          var loaded = null;
          var events = new EventSource("\(eventsPath)");
          events.addEventListener("version", function (event) {
            if (loaded === null) { loaded = event.data; } else if (event.data !== loaded) { location.reload(); }
          });
          events.addEventListener("reload", function () { location.reload(); });
        })();

        """

    private(set) var version = 0
    private var streams: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextID = 0
    private var finished = false

    /// A new page's stream: the current version first, then every reload.
    func subscribe() -> AsyncStream<String> {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(8))
        guard !finished else {
            continuation.finish()
            return stream
        }
        let id = nextID
        nextID += 1
        streams[id] = continuation
        continuation.onTermination = { _ in Task { await self.drop(id) } }
        continuation.yield(Self.message("version", "\(version)"))
        return stream
    }

    /// The site changed: every open page reloads.
    func reload() {
        version += 1
        for continuation in streams.values { continuation.yield(Self.message("reload", "\(version)")) }
    }

    /// A comment line every stream gets now and then, so a closed connection is noticed.
    func ping() {
        for continuation in streams.values { continuation.yield(": ping\n\n") }
    }

    /// The server stops: every stream ends, so no request keeps it waiting.
    func finish() {
        finished = true
        for continuation in streams.values { continuation.finish() }
        streams = [:]
    }

    var listeners: Int { streams.count }

    private func drop(_ id: Int) {
        streams[id] = nil
    }

    static func message(_ event: String, _ data: String) -> String {
        "event: \(event)\ndata: \(data)\n\n"
    }
}
