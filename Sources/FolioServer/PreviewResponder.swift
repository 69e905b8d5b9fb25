import FolioCore
import Foundation
import Glibc
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Answers every request of `folio serve`: the site's files as they are on disk (pages with the
/// reload script added), the reload script and its event stream, and the error page while the
/// last render failed. Nothing else is reachable: see `SitePath`. Requests must name the server
/// by its loopback address (`Host`), so a web page whose name is made to point at 127.0.0.1 (DNS
/// rebinding) cannot read the preview.
struct PreviewResponder: RouterMiddleware {
    typealias Context = BasicRequestContext
    let session: PreviewSession
    private let files = FileIO()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let head = request.method == .head
        guard request.method == .get || head else {
            var response = page(.methodNotAllowed, PreviewPages.message("Method not allowed", "folio serve answers GET and HEAD only.", tag: tag))
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        guard isLoopback(request.head.authority) else {
            return page(.forbidden, PreviewPages.message("Forbidden", "folio serve answers requests to 127.0.0.1 or localhost only.", tag: tag))
        }
        let path = request.uri.path
        switch path {
        case LiveReload.scriptPath:
            return Self.respond(.ok, type: ContentType.of("reload.js"), ByteBuffer(string: LiveReload.script), head: head)
        case LiveReload.eventsPath:
            return events(head: head)
        default:
            break
        }
        let served = session.served.withLock { $0 }
        let resolved = served.site.map { SitePath.resolve(path, site: $0, files: served.files) } ?? .notFound
        switch resolved {
        case .redirect(let location):
            var response = page(.movedPermanently, PreviewPages.message("Moved", "This page is at \(location).", tag: tag))
            response.headers[.location] = location + (request.uri.query.map { "?" + $0 } ?? "")
            return response
        case .notFound:
            if let failure = served.failure, Self.isPage(path) { return page(.internalServerError, PreviewPages.failure(failure, tag: tag)) }
            return notFound()
        case .file(let file, let relative):
            let type = ContentType.of(relative)
            if type.hasPrefix("text/html") {
                if let failure = served.failure { return page(.internalServerError, PreviewPages.failure(failure, tag: tag)) }
                guard case .bytes(let bytes) = FastFiles.read(file, atMost: 64 << 20) else { return notFound() }
                return Self.respond(.ok, type: type, ByteBuffer(string: PreviewPages.withReload(String(decoding: bytes, as: UTF8.self), tag: tag)), head: head)
            }
            // Streamed from disk in chunks: a large file is never read whole into memory.
            var info = stat()
            guard stat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return notFound() }
            var headers = Self.headers(type: type)
            headers[.contentLength] = "\(info.st_size)"
            guard !head, info.st_size > 0 else { return Response(status: .ok, headers: headers, body: ResponseBody()) }
            guard let body = try? await files.loadFile(path: file, context: context) else { return notFound() }
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    private var tag: String { LiveReload.tag(version: session.reload.version) }

    /// `text/event-stream`: the site's version, then a `reload` event each time it changes.
    private func events(head: Bool) -> Response {
        var headers = Self.headers(type: "text/event-stream")
        guard !head else { return Response(status: .ok, headers: headers, body: ResponseBody()) }
        guard let stream = session.reload.subscribe() else {
            return page(.serviceUnavailable, PreviewPages.message("Too many pages open", "Close some tabs of this preview.", tag: tag))
        }
        headers[.connection] = "keep-alive"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                for await message in stream { try await writer.write(ByteBuffer(string: message)) }
                try await writer.finish(nil)
            })
    }

    /// `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`, as a browser on this machine sends it.
    private func isLoopback(_ host: String?) -> Bool {
        guard let host = host?.lowercased() else { return false }
        let port = session.port.withLock { $0 }
        return ["127.0.0.1", "localhost", "[::1]"].contains { host == "\($0):\(port)" }
    }

    private func notFound() -> Response {
        page(.notFound, PreviewPages.message("Not found", "Nothing in the site is at this address.", tag: tag))
    }

    private func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        Self.respond(status, type: ContentType.of("page.html"), ByteBuffer(string: html), head: false)
    }

    /// A path a browser asks for as a page: a folder (`/`, `/p/fox/`), an `.html` file, or a name without an extension.
    static func isPage(_ path: String) -> Bool {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return path.hasSuffix("/") || last.hasSuffix(".html") || !last.contains(".")
    }

    static func respond(_ status: HTTPResponse.Status, type: String, _ body: ByteBuffer, head: Bool) -> Response {
        var headers = Self.headers(type: type)
        headers[.contentLength] = "\(body.readableBytes)"
        return Response(status: status, headers: headers, body: head ? ResponseBody() : ResponseBody(byteBuffer: body))
    }

    /// Nothing served while previewing is kept: every reload asks again.
    static func headers(type: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return headers
    }
}
