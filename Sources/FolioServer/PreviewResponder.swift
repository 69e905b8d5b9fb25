import FolioCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Answers every request of `folio serve`: the site's files as they are on disk (pages with the
/// reload script added), the reload script and its event stream, and the error page while the
/// last render failed. Nothing else is reachable: see `SitePath`.
struct PreviewResponder: RouterMiddleware {
    typealias Context = BasicRequestContext
    let session: PreviewSession

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            var response = Self.page(.methodNotAllowed, PreviewPages.message("Method not allowed", "folio serve answers GET and HEAD only."))
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        let path = request.uri.path
        switch path {
        case LiveReload.scriptPath:
            return Self.respond(.ok, type: ContentType.of("reload.js"), ByteBuffer(string: LiveReload.script), head: request.method == .head)
        case LiveReload.eventsPath:
            return await events()
        default:
            break
        }
        let site = await session.site
        let failure = await session.failure
        switch SitePath.resolve(path, site: site.path) {
        case .redirect(let location):
            var response = Self.page(.movedPermanently, PreviewPages.message("Moved", "This page is at \(location)."))
            response.headers[.location] = location
            return response
        case .notFound:
            if let failure, Self.isPage(path) { return Self.page(.internalServerError, PreviewPages.failure(failure)) }
            return Self.page(.notFound, PreviewPages.message("Not found", "Nothing in the site is at this address."))
        case .file(let file, let relative):
            let isPage = ContentType.of(relative).hasPrefix("text/html")
            if isPage, let failure { return Self.page(.internalServerError, PreviewPages.failure(failure)) }
            guard let data = FileManager.default.contents(atPath: file) else {
                return Self.page(.notFound, PreviewPages.message("Not found", "Nothing in the site is at this address."))
            }
            let body = isPage ? ByteBuffer(string: PreviewPages.withReload(String(decoding: data, as: UTF8.self))) : ByteBuffer(bytes: data)
            return Self.respond(.ok, type: ContentType.of(relative), body, head: request.method == .head)
        }
    }

    /// `text/event-stream`: the site's version, then a `reload` event each time it changes.
    private func events() async -> Response {
        let stream = await session.reload.subscribe()
        var headers = Self.headers(type: "text/event-stream")
        headers[.connection] = "keep-alive"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                for await message in stream { try await writer.write(ByteBuffer(string: message)) }
                try await writer.finish(nil)
            })
    }

    /// A path a browser asks for as a page: a folder (`/`, `/p/fox/`), an `.html` file, or a name without an extension.
    static func isPage(_ path: String) -> Bool {
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return path.hasSuffix("/") || last.hasSuffix(".html") || !last.contains(".")
    }

    static func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        respond(status, type: ContentType.of("page.html"), ByteBuffer(string: html), head: false)
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
