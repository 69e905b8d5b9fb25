import Foundation
import FolioCore
import FolioSimulator
import Testing

/// Every error row of api-reference.md, produced by the simulator in its route's own envelope.
@Suite(.serialized) struct SimulatorErrorTests {
    /// A Gemini error: `{"error": {"code", "message", "status"}}`.
    func expectGemini(_ reply: SimulatorHarness.Reply, _ status: Int, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["error"]?["code"]?.intValue == status, sourceLocation: sourceLocation)
        #expect(reply.json?["error"]?["status"]?.stringValue == name, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["error"]?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }

    /// A DashScope error: `{"request_id", "code", "message"}`.
    func expectDashScope(_ reply: SimulatorHarness.Reply, _ status: Int, _ code: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["code"]?.stringValue == code, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["request_id"]?.stringValue != nil, sourceLocation: sourceLocation)
        #expect(reply.json?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }

    /// A Kling error: `{"code": N, "message", "request_id"}`.
    func expectKling(_ reply: SimulatorHarness.Reply, _ status: Int, _ code: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["code"]?.intValue == code, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["request_id"]?.stringValue != nil, sourceLocation: sourceLocation)
        #expect(reply.json?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
    }

    @Test func geminiRows() async throws {
        try await SimulatorHarness.with { h in
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini(), authorization: .some(nil)), 401, "UNAUTHENTICATED")
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini(), authorization: "Bearer wrong"), 401, "UNAUTHENTICATED")
            let unknown = try await h.post(
                Paths.gemini, ExampleBodies.gemini().replacingOccurrences(of: #""imageSize": "1K""#, with: #""imageSize": "1K"}, "negativePrompt": {"x": 1"#))
            expectGemini(unknown, 400, "INVALID_ARGUMENT")
            #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("Unknown name \"negativePrompt\"") == true)
            #expect(unknown.json?["error"]?["message"]?.stringValue?.contains("Cannot find field") == true)
            expectGemini(
                try await h.post(Paths.gemini, ExampleBodies.gemini().replacingOccurrences(of: #"["TEXT", "IMAGE"]"#, with: #"["IMAGE"]"#)), 400,
                "INVALID_ARGUMENT")
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini().replacingOccurrences(of: "3:4", with: "7:5")), 400, "INVALID_ARGUMENT")
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini().replacingOccurrences(of: #""1K""#, with: #""1k""#)), 400, "INVALID_ARGUMENT")
            expectGemini(try await h.post(Paths.gemini, "{not json"), 400, "INVALID_ARGUMENT")
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:billing]]")), 400, "FAILED_PRECONDITION")
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:permission]]")), 403, "PERMISSION_DENIED")
            expectGemini(try await h.post("/gemini/v1beta/models/gemini-9:generateContent", ExampleBodies.gemini()), 404, "NOT_FOUND")
            let limited = try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:rate-limit]]"))
            expectGemini(limited, 429, "RESOURCE_EXHAUSTED")
            let info = try #require(limited.json?["error"]?["details"]?.arrayValue?.first)
            #expect(info["@type"]?.stringValue == "type.googleapis.com/google.rpc.RetryInfo")
            #expect(info["retryDelay"]?.stringValue?.hasSuffix("s") == true)
            expectGemini(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:server-error]]")), 503, "UNAVAILABLE")
        }
    }

    @Test func geminiModerationIsAnOKAnswerWithoutAnImage() async throws {
        try await SimulatorHarness.with { h in
            let safety = try #require(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:moderation]]")).json)
            #expect(safety["candidates"]?.arrayValue?.first?["finishReason"]?.stringValue == "IMAGE_SAFETY")
            #expect(safety["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.isEmpty == true)
            let blocked = try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:blocked]]"))
            #expect(blocked.status == 200)
            #expect(blocked.json?["promptFeedback"]?["blockReason"]?.stringValue == "PROHIBITED_CONTENT")
            #expect(blocked.json?["candidates"] == nil)
            let refusal = try #require(try await h.post(Paths.gemini, ExampleBodies.gemini("x [[sim:refusal]]")).json)
            let parts = try #require(refusal["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue)
            #expect(parts.allSatisfy { $0["inlineData"] == nil } && !parts.isEmpty)
            #expect(refusal["candidates"]?.arrayValue?.first?["finishReason"]?.stringValue == "STOP")
        }
    }

    @Test func dashscopeRows() async throws {
        try await SimulatorHarness.with { h in
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope(), authorization: "Bearer wrong"), 401, "InvalidApiKey")
            let size = try await h.post(Paths.dashscope, ExampleBodies.dashscope(size: "1024*1024"))
            expectDashScope(size, 400, "InvalidParameter")
            #expect(size.json?["message"]?.stringValue == "The size does not match the allowed size 1664*928,1472*1104,1328*1328,1104*1472,928*1664.")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope(String(repeating: "a", count: 801))), 400, "InvalidParameter")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope(seed: #", "seed": -1"#)), 400, "InvalidParameter")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:moderation]]")), 400, "DataInspectionFailed")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:billing]]")), 400, "Arrearage")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:permission]]")), 403, "AccessDenied.Unpurchased")
            let async = try await h.send(.POST, Paths.dashscope, json: ExampleBodies.dashscope(), headers: [("X-DashScope-Async", "enable")])
            expectDashScope(async, 403, "AccessDenied")
            expectDashScope(
                try await h.post(Paths.dashscope, ExampleBodies.dashscope().replacingOccurrences(of: "qwen-image-plus", with: "qwen-nope")), 404,
                "ModelNotFound")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:rate-limit]]")), 429, "Throttling.RateQuota")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:quota]]")), 429, "Throttling.AllocationQuota")
            expectDashScope(try await h.post(Paths.dashscope, ExampleBodies.dashscope("x [[sim:server-error]]")), 500, "InternalError")
        }
    }

    @Test(arguments: [Paths.kling, Paths.omni])
    func klingRows(path: String) async throws {
        try await SimulatorHarness.with { h in
            let omni = path == Paths.omni
            func body(_ prompt: String = "A poster", _ extra: String = "") -> String {
                let model = omni ? "kling-v3-omni" : "kling-v2-1"
                return
                    #"{"model_name": "\#(model)", "model": "\#(model)", "prompt": "\#(prompt)", "n": 1, "aspect_ratio": "1:1", "external_task_id": "\#(UUID().uuidString)"\#(extra)}"#
            }
            expectKling(try await h.post(path, body(), authorization: .some(nil)), 401, 1001)
            expectKling(try await h.post(path, body(), authorization: "Bearer wrong"), 401, 1002)
            expectKling(try await h.post(path, "{]"), 400, 1200)
            let mismatch = try await h.post(path, body().replacingOccurrences(of: #""model": "kling-v"#, with: #""model": "kling-vX"#))
            expectKling(mismatch, 400, 1201)
            #expect(mismatch.json?["message"]?.stringValue?.contains("model_name") == true)
            let n = try await h.post(path, body().replacingOccurrences(of: #""n": 1"#, with: #""n": 10"#))
            expectKling(n, 400, 1201)
            #expect(n.json?["message"]?.stringValue?.contains("n must be") == true)
            expectKling(try await h.post(path, body().replacingOccurrences(of: "1:1", with: "5:4")), 400, 1201)
            if omni {
                expectKling(try await h.post(path, body("x", #", "negative_prompt": "blur""#)), 400, 1201)
                expectKling(try await h.post(path, body("Put <<<image_2>>> here")), 400, 1201)
            } else {
                expectKling(try await h.post(path, body("x", #", "negative_prompt": "blur", "image": "\#(ExampleBodies.bottleBase64)""#)), 400, 1201)
                expectKling(try await h.post(path, body("x", #", "image": "data:image/png;base64,AAAA""#)), 400, 1201)
            }
            expectKling(
                try await h.post(
                    path,
                    body().replacingOccurrences(of: #""kling-v2-1""#, with: #""kling-v9""#).replacingOccurrences(of: #""kling-v3-omni""#, with: #""kling-v9""#)),
                404, 1203)
            expectKling(try await h.send(.GET, path + "/no-such-task"), 404, 1203)
            expectKling(try await h.post(path, body("x [[sim:moderation]]")), 400, 1301)
            expectKling(try await h.post(path, body("x [[sim:quota]]")), 429, 1101)
            expectKling(try await h.post(path, body("x [[sim:billing]]")), 429, 1102)
            expectKling(try await h.post(path, body("x [[sim:permission]]")), 403, 1103)
            expectKling(try await h.post(path, body("x [[sim:rate-limit]]")), 429, 1302)
            expectKling(try await h.post(path, body("x [[sim:concurrency]]")), 429, 1303)
            expectKling(try await h.post(path, body("x [[sim:server-error]]")), 500, 5000)
        }
    }

    @Test func aKlingTaskCanFailModeration() async throws {
        try await SimulatorHarness.with { h in
            let id = try #require(try await h.post(Paths.kling, ExampleBodies.kling("x [[sim:task-failed]]")).json?["data"]?["task_id"]?.stringValue)
            let done = try await h.waitForTask("generations", id)
            #expect(done["code"]?.intValue == 0)
            #expect(done["data"]?["task_status"]?.stringValue == "failed")
            #expect(done["data"]?["task_status_msg"]?.stringValue == "Failure to pass the risk control system")
            #expect(done["data"]?["task_result"] == nil)
        }
    }

    @Test func klingSlotsRunOut() async throws {
        try await SimulatorHarness.with({
            $0.klingSlots = 3; $0.timeScale = 1
        }) { h in
            expectKling(try await h.post(Paths.kling, ExampleBodies.kling(n: 2, external: "a")), 200, 0)
            expectKling(try await h.post(Paths.kling, ExampleBodies.kling("another", n: 2, external: "b")), 429, 1303)
        }
    }

    @Test func theGatewaysOwnErrorsUseAnotherEnvelope() async throws {
        try await SimulatorHarness.with { h in
            let reply = try await h.send(.GET, "/openai/v1/models")
            #expect(reply.status == 404)
            #expect(reply.json?["error"]?["code"]?.stringValue == "route_not_found")
        }
    }
}
