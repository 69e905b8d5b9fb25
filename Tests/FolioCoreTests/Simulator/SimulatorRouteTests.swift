import Foundation
import FolioCore
import FolioSimulator
import Testing

/// The simulator answers the reference's four example requests with the reference's responses,
/// over real loopback HTTP.
@Suite(.serialized) struct SimulatorRouteTests {
    func imageHeader(_ base64: String?) -> ImageHeader? {
        base64.flatMap { Data(base64Encoded: $0) }.flatMap { ImageHeader.read($0) }
    }

    @Test func geminiExample() async throws {
        try await SimulatorHarness.with { h in
            let reply = try await h.post(Paths.gemini, ExampleBodies.gemini())
            #expect(reply.status == 200)
            let json = try #require(reply.json)
            let candidate = try #require(json["candidates"]?.arrayValue?.first)
            #expect(candidate["finishReason"]?.stringValue == "STOP")
            #expect(candidate["content"]?["role"]?.stringValue == "model")
            let parts = try #require(candidate["content"]?["parts"]?.arrayValue)
            let final = parts.filter { $0["thought"]?.boolValue != true }
            #expect(final.contains { $0["text"]?.stringValue != nil })
            let image = try #require(final.first { $0["inlineData"] != nil })
            let mime = try #require(image["inlineData"]?["mimeType"]?.stringValue)
            #expect(mime == "image/png" || mime == "image/jpeg")
            #expect(image["thoughtSignature"]?.stringValue != nil)
            let header = try #require(imageHeader(image["inlineData"]?["data"]?.stringValue))
            #expect(header.mime == mime)
            #expect(header.width == 896 / 8 && header.height == 1200 / 8)
            #expect(json["usageMetadata"]?["totalTokenCount"]?.intValue ?? 0 > 0)
            #expect(json["modelVersion"]?.stringValue == "gemini-3.1-flash-image-preview")
            #expect(json["responseId"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func geminiSometimesThinksAndAnswersInJPEG() async throws {
        try await SimulatorHarness.with { h in
            let reply = try await h.post(Paths.gemini, ExampleBodies.gemini("A fox [[sim:thought]] [[sim:jpeg]]"))
            let parts = try #require(reply.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue)
            #expect(parts.first?["thought"]?.boolValue == true)
            let thoughtImage = try #require(parts.first { $0["thought"]?.boolValue == true && $0["inlineData"] != nil })
            let final = try #require(parts.last)
            #expect(final["thought"] == nil)
            #expect(final["inlineData"]?["mimeType"]?.stringValue == "image/jpeg")
            #expect(imageHeader(final["inlineData"]?["data"]?.stringValue)?.format == "jpeg")
            #expect(thoughtImage["inlineData"]?["data"] != final["inlineData"]?["data"])
        }
    }

    @Test func dashscopeExampleAndItsDownload() async throws {
        try await SimulatorHarness.with { h in
            let reply = try await h.post(Paths.dashscope, ExampleBodies.dashscope())
            #expect(reply.status == 200)
            let json = try #require(reply.json)
            let choice = try #require(json["output"]?["choices"]?.arrayValue?.first)
            #expect(choice["finish_reason"]?.stringValue == "stop")
            #expect(choice["message"]?["role"]?.stringValue == "assistant")
            let url = try #require(choice["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
            #expect(url.hasPrefix(h.simulator.storageURL + "/dashscope/"))
            #expect(url.contains("Expires=") && url.contains("Signature="))
            #expect(json["output"]?["task_metric"]?["SUCCEEDED"]?.intValue == 1)
            #expect(json["usage"]?["width"]?.intValue == 1328)
            #expect(json["usage"]?["height"]?.intValue == 1328)
            #expect(json["usage"]?["image_count"]?.intValue == 1)
            #expect(json["request_id"]?.stringValue?.count == 36)
            let image = try await h.download(url)
            #expect(image.status == 200)
            #expect(image.headers.first(name: "content-type") == "image/png")
            let header = try #require(ImageHeader.read(image.bytes))
            #expect(header.format == "png" && header.width == 1328 / 8 && header.height == 1328 / 8)
        }
    }

    @Test func klingExampleRunsOnAClock() async throws {
        // A slower clock than the other tests, so the task is seen while it is still processing
        // (0.25–0.6 s here, wide enough for a loaded machine).
        try await SimulatorHarness.with({ $0.timeScale = 0.02 }) { h in
            let reply = try await h.post(Paths.kling, ExampleBodies.kling())
            #expect(reply.status == 200)
            let json = try #require(reply.json)
            #expect(json["code"]?.intValue == 0)
            #expect(json["message"]?.stringValue == "SUCCEED")
            let data = try #require(json["data"])
            let taskID = try #require(data["task_id"]?.stringValue)
            #expect(data["task_status"]?.stringValue == "submitted")
            #expect(data["task_info"]?["external_task_id"]?.stringValue == "ext-1")
            #expect((data["created_at"]?.intValue ?? 0) > 1_700_000_000_000)

            var seen = Set<String>()
            var final: JSONValue?
            for _ in 0..<2000 {
                let query = try await h.send(.GET, Paths.kling + "/" + taskID)
                let status = try #require(query.json?["data"]?["task_status"]?.stringValue)
                seen.insert(status)
                if status == "succeed" { final = query.json; break }
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(seen.isSuperset(of: ["processing", "succeed"]))
            let done = try #require(final?["data"])
            #expect(done["final_unit_deduction"]?.stringValue == "2")
            let images = try #require(done["task_result"]?["images"]?.arrayValue)
            #expect(images.map { $0["index"]?.intValue } == [0, 1])
            for image in images {
                let download = try await h.download(try #require(image["url"]?.stringValue))
                let header = try #require(ImageHeader.read(download.bytes))
                #expect(header.width == 768 / 8 && header.height == 1024 / 8)
            }
            // By external_task_id too.
            let byExternal = try await h.send(.GET, Paths.kling + "/ext-1")
            #expect(byExternal.json?["data"]?["task_id"]?.stringValue == taskID)
        }
    }

    @Test func omniExampleWithAReferenceImage() async throws {
        try await SimulatorHarness.with { h in
            let reply = try await h.post(Paths.omni, ExampleBodies.omni(ExampleBodies.bottleBase64))
            #expect(reply.json?["code"]?.intValue == 0, "\(reply.text)")
            let id = try #require(reply.json?["data"]?["task_id"]?.stringValue)
            let done = try await h.waitForTask("omni-image", id)
            let images = try #require(done["data"]?["task_result"]?["images"]?.arrayValue)
            #expect(images.count == 1)
            let download = try await h.download(try #require(images[0]["url"]?.stringValue))
            #expect(ImageHeader.read(download.bytes)?.width == 2048 / 8)
            // The same id answers on the omni route only.
            #expect(try await h.send(.GET, Paths.kling + "/" + id).json?["code"]?.intValue == 1203)
        }
    }

    @Test func omniSeriesReturnsSeriesImages() async throws {
        try await SimulatorHarness.with { h in
            let body =
                #"{"model_name": "kling-v3-omni", "model": "kling-v3-omni", "prompt": "Four seasons of one lighthouse", "resolution": "1k", "result_type": "series", "series_amount": 4, "aspect_ratio": "2:3", "external_task_id": "s-1"}"#
            let id = try #require(try await h.post(Paths.omni, body).json?["data"]?["task_id"]?.stringValue)
            let done = try await h.waitForTask("omni-image", id)
            #expect(done["data"]?["task_result"]?["series_images"]?.arrayValue?.count == 4)
            #expect(done["data"]?["task_result"]?["images"] == nil)
            #expect(done["data"]?["final_unit_deduction"]?.stringValue == "4")
        }
    }

    @Test func aRepeatedExternalTaskIDReturnsTheExistingTask() async throws {
        try await SimulatorHarness.with { h in
            let first = try await h.post(Paths.kling, ExampleBodies.kling(external: "same"))
            let second = try await h.post(Paths.kling, ExampleBodies.kling(external: "same"))
            let id = try #require(first.json?["data"]?["task_id"]?.stringValue)
            #expect(second.json?["data"]?["task_id"]?.stringValue == id)
            #expect(second.json?["code"]?.intValue == 0)
            let creates = await h.simulator.creates(containing: "old fisherman")
            #expect(creates.count == 2)
            #expect(Set(creates.compactMap(\.taskID)) == [id])
        }
    }

    @Test func theSameRequestGivesTheSameBytes() async throws {
        func images() async throws -> [[UInt8]] {
            try await SimulatorHarness.with { h in
                let gemini = try await h.post(Paths.gemini, ExampleBodies.gemini())
                let inline = gemini.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.last?["inlineData"]?["data"]?.stringValue
                let dash = try await h.post(Paths.dashscope, ExampleBodies.dashscope())
                let url = try #require(dash.json?["output"]?["choices"]?.arrayValue?.first?["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
                let again = try await h.post(Paths.dashscope, ExampleBodies.dashscope())
                let url2 = try #require(again.json?["output"]?["choices"]?.arrayValue?.first?["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
                let id = try #require(try await h.post(Paths.kling, ExampleBodies.kling(external: UUID().uuidString)).json?["data"]?["task_id"]?.stringValue)
                let done = try await h.waitForTask("generations", id)
                let klingURL = try #require(done["data"]?["task_result"]?["images"]?.arrayValue?.first?["url"]?.stringValue)
                return [
                    Array(Data(base64Encoded: inline ?? "") ?? Data()), try await h.download(url).bytes,
                    try await h.download(url2).bytes, try await h.download(klingURL).bytes,
                ]
            }
        }
        let first = try await images()
        let second = try await images()
        #expect(first == second)
        #expect(first.allSatisfy { $0.count > 100 })
        #expect(first[1] == first[2], "a seeded DashScope request gives the same image every time")
    }

    @Test func identicalUnseededRequestsAreNewVariants() async throws {
        try await SimulatorHarness.with { h in
            func image() async throws -> String? {
                try await h.post(Paths.gemini, ExampleBodies.gemini()).json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.last?[
                    "inlineData"]?["data"]?.stringValue
            }
            let a = try await image(), b = try await image()
            #expect(a != nil && a != b)
        }
    }

    @Test(arguments: [
        ("1:1", "1K", 1024, 1024), ("16:9", "1K", 1376, 768), ("9:16", "2K", 1536, 2752), ("21:9", "512", 792, 336), ("4:5", "4K", 3712, 4608),
    ])
    func geminiSizes(aspect: String, size: String, width: Int, height: Int) async throws {
        try await SimulatorHarness.with({ $0.imageScale = 1 }) { h in
            let body = ExampleBodies.gemini().replacingOccurrences(
                of: #""aspectRatio": "3:4", "imageSize": "1K""#, with: #""aspectRatio": "\#(aspect)", "imageSize": "\#(size)""#)
            let reply = try await h.post(Paths.gemini, body)
            let data = reply.json?["candidates"]?.arrayValue?.first?["content"]?["parts"]?.arrayValue?.last?["inlineData"]?["data"]?.stringValue
            let header = try #require(imageHeader(data))
            #expect(header.width == width && header.height == height)
        }
    }
}
