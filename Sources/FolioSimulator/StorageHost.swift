import FolioCore
import Foundation
import Hummingbird
import NIOCore

/// The stand-in for the storage hosts that serve DashScope's and Kling's result URLs.
extension SimulatorCore {
    func download(_ request: Request) async -> Response {
        let path = request.uri.path
        // Signed storage links refuse an Authorization header; the log shows if one was ever sent.
        let authorization = request.headers[.authorization] == nil ? "none" : "present"
        let route: RouteID = path.hasPrefix("/dashscope/") ? .dashscope : .kling
        func done(_ response: Response, fault: FaultKind? = nil) async -> Response {
            await record(
                host: "storage", route: route, kind: "download", request: request, status: response.status.code,
                fault: fault, authorization: authorization)
            return response
        }
        func xml(_ status: Int, _ code: String, _ message: String) -> Response {
            Response(
                status: .init(code: status), headers: [.contentType: "application/xml"],
                body: .init(
                    byteBuffer: ByteBuffer(
                        string: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>\(code)</Code><Message>\(message)</Message></Error>\n")))
        }
        if authorization == "present" {
            return await done(xml(403, "AccessDenied", "Signed URLs do not accept an Authorization header."))
        }
        guard let spec = await state.image(at: path) else {
            return await done(xml(404, "NoSuchKey", "The specified key does not exist."))
        }
        if let expires = spec.expires, expires < Date() {
            return await done(xml(403, "AccessDenied", "Request has expired."), fault: spec.expires.map { $0 < state.started } == true ? .expired : nil)
        }
        let bytes: [UInt8]
        do {
            bytes = try spec.render()
        } catch {
            return await done(xml(500, "InternalError", "\(error)"))
        }
        if spec.truncate, await state.fires(FaultRule(kind: .truncate, times: 1), key: path) {
            let half = Array(bytes.prefix(bytes.count / 2))
            let response = Response(
                status: .ok, headers: [.contentType: spec.mime, .contentLength: String(bytes.count)],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(bytes: half))
                    throw ConnectionReset()
                })
            return await done(response, fault: .truncate)
        }
        return await done(
            Response(
                status: .ok, headers: [.contentType: spec.mime, .contentLength: String(bytes.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))))
    }
}
