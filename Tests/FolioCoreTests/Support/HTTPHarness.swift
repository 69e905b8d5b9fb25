import AsyncHTTPClient
import Foundation
import FolioCore
import FolioSimulator
import NIOCore
import NIOHTTP1

/// `folio sim` run as a user runs it (`arguments` after `sim`), with an HTTP client: `body` gets the
/// client and the URL the simulator printed first. The client is shut down however `body` ends, then
/// the simulator is interrupted as Ctrl-C would; its exit status comes back with `body`'s result.
func withFolioSim<T>(_ arguments: [String], _ body: (HTTPClient, String) async throws -> T) async throws -> (result: T, status: Int32) {
    let process = Process()
    process.executableURL = TestPaths.folio
    process.arguments = ["sim"] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    defer { killAndWait(process) }
    let base = try firstLine(of: out.fileHandleForReading)
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    let result: T
    do {
        result = try await body(client, base)
        try await client.shutdown()
    } catch {
        try? await client.shutdown()
        throw error
    }
    process.interrupt()
    process.waitUntilExit()
    return (result, process.terminationStatus)
}

/// A simulator on loopback and an HTTP client to talk to it, always stopped by `with`.
struct SimulatorHarness {
    let simulator: GatewaySimulator
    let client: HTTPClient
    var key = "test-key-not-secret"

    /// Runs `body` with a fresh simulator (fast clock, small images) and stops it however `body` ends.
    static func with<T>(
        _ configure: (inout SimulatorConfiguration) -> Void = { _ in },
        _ body: (SimulatorHarness) async throws -> T
    ) async throws -> T {
        var configuration = SimulatorConfiguration()
        configuration.timeScale = 0.0005
        configuration.imageScale = 8
        configuration.key = "test-key-not-secret"
        configure(&configuration)
        let simulator = try await GatewaySimulator.start(configuration)
        var clientConfiguration = HTTPClient.Configuration()
        clientConfiguration.redirectConfiguration = .disallow
        clientConfiguration.timeout = .init(connect: .seconds(5), read: .seconds(30))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
        let harness = SimulatorHarness(simulator: simulator, client: client, key: configuration.key ?? "any")
        do {
            let result = try await body(harness)
            try await client.shutdown()
            await simulator.stop()
            return result
        } catch {
            try? await client.shutdown()
            await simulator.stop()
            throw error
        }
    }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var bytes: [UInt8]
        var json: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }
        var text: String { String(decoding: bytes, as: UTF8.self) }
    }

    /// Sends a request to the gateway (or to a full URL) and collects the whole answer.
    func send(
        _ method: HTTPMethod, _ pathOrURL: String, json: String? = nil, authorization: String?? = .none,
        headers extra: [(String, String)] = []
    ) async throws -> Reply {
        let url = pathOrURL.hasPrefix("http") ? pathOrURL : simulator.baseURL + pathOrURL
        var request = HTTPClientRequest(url: url)
        request.method = method
        switch authorization {
        case .none: request.headers.add(name: "Authorization", value: "Bearer \(key)")
        case .some(.none): break
        case .some(.some(let value)): request.headers.add(name: "Authorization", value: value)
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 100 * 1024 * 1024)
        return Reply(status: Int(response.status.code), headers: response.headers, bytes: Array(buffer: body))
    }

    func post(_ path: String, _ json: String, authorization: String?? = .none) async throws -> Reply {
        try await send(.POST, path, json: json, authorization: authorization)
    }

    /// Downloads a result URL without any Authorization header, as Folio must.
    func download(_ url: String) async throws -> Reply {
        try await send(.GET, url, authorization: .some(nil))
    }

    /// Polls a Kling task until it finishes.
    func waitForTask(_ route: String, _ id: String) async throws -> JSONValue {
        for _ in 0..<400 {
            let reply = try await send(.GET, "/transtreams/kling/v1/images/\(route)/\(id)")
            let status = reply.json?["data"]?["task_status"]?.stringValue
            if status == "succeed" || status == "failed" { return reply.json! }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw SimulatorError("task \(id) did not finish")
    }
}

enum Paths {
    static let gemini = "/gemini/v1beta/models/gemini-3.1-flash-image-preview:generateContent"
    static let dashscope = "/dashscope/v1/services/aigc/multimodal-generation/generation"
    static let kling = "/transtreams/kling/v1/images/generations"
    static let omni = "/transtreams/kling/v1/images/omni-image"
}

/// The four example request bodies of api-reference.md.
enum ExampleBodies {
    static func gemini(_ prompt: String = "A watercolor fox in a snowy forest", extra: String = "") -> String {
        #"{"contents": [{"role": "user", "parts": [{"text": "\#(prompt)"}]}], "generationConfig": {"responseModalities": ["TEXT", "IMAGE"], "imageConfig": {"aspectRatio": "3:4", "imageSize": "1K"}}\#(extra)}"#
    }

    static func dashscope(_ prompt: String = "A premium product hero image", size: String = "1328*1328", seed: String = #", "seed": 42"#) -> String {
        #"{"model": "qwen-image-plus", "input": {"messages": [{"role": "user", "content": [{"text": "\#(prompt)"}]}]}, "parameters": {"size": "\#(size)", "negative_prompt": "", "prompt_extend": true, "watermark": false\#(seed)}}"#
    }

    static func kling(_ prompt: String = "portrait of an old fisherman, film photo", n: Int = 2, external: String = "ext-1", model: String = "kling-v2-1")
        -> String
    {
        #"{"model_name": "kling-v2-1", "model": "\#(model)", "prompt": "\#(prompt)", "negative_prompt": "blurry, watermark", "resolution": "1k", "n": \#(n), "aspect_ratio": "3:4", "external_task_id": "\#(external)"}"#
    }

    static func omni(_ image: String, prompt: String = "Put the product in <<<image_1>>> on a marble table", external: String = "omni-1") -> String {
        #"{"model_name": "kling-v3-omni", "model": "kling-v3-omni", "prompt": "\#(prompt)", "image_list": [{"image": "\#(image)"}], "resolution": "2k", "result_type": "single", "n": 1, "aspect_ratio": "1:1", "external_task_id": "\#(external)"}"#
    }

    static var bottleBase64: String {
        (try? Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("prompts/products/ref/bottle.png")).base64EncodedString()) ?? ""
    }
}
