import AsyncHTTPClient
import CSimulatorDrawing
import Foundation
@testable import FolioCore
import FolioSimulator
import NIOCore
import Testing

/// `--image-detail photo`: simulated images that weigh what a real model's do (about 1.5 MB per
/// 1024×1024 PNG, where the simple ones are about 0.2 MB), drawn the same way for the same seed,
/// decoded by libvips like any image, and asked for through the simulator, `folio sim` and
/// `folio build --simulate`.
@Suite(.serialized) struct PhotoDetailTests {
    /// What a 1024×1024 photo PNG may weigh, in bytes.
    static let photoPNG = 1_200_000...2_000_000

    /// Whether a photo PNG of width×height weighs what a 1024×1024 one may, size for size.
    static func weighsLikeAPhoto(_ bytes: Int, width: Int, height: Int) -> Bool {
        photoPNG.contains(bytes * 1024 * 1024 / (width * height))
    }

    /// One image drawn by the simulator's C code.
    static func draw(
        _ detail: Int32, seed: UInt64, format: String = "png", width: Int = 1024, height: Int = 1024, title: String = "A lighthouse on a stormy coast"
    ) throws -> [UInt8] {
        _ = Libraries.startVips
        var out: UnsafeMutableRawPointer?
        var length = 0
        guard folio_sim_render_detail(Int32(width), Int32(height), seed, title, format, detail, &out, &length) == 0, let out else {
            throw FolioError("could not draw a \(width)×\(height) \(format) image")
        }
        defer { folio_sim_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    /// A simulator's environment for a `folio` run: no key, a fast clock, images at full size.
    static var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "ANYINT_API_KEY")
        environment.removeValue(forKey: "FOLIO_SIM_IMAGE_SCALE")
        environment["FOLIO_TIME_SCALE"] = "0.002"
        return environment
    }

    // MARK: - The drawing

    @Test func aPhotoPNGWeighsWhatARealModelsDoesAndDecodes() throws {
        for seed: UInt64 in [1, 0xF0C5] {
            let photo = try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: seed)
            #expect(Self.photoPNG.contains(photo.count), "seed \(seed): \(photo.count) bytes")
            let simple = try Self.draw(FOLIO_SIM_DETAIL_SIMPLE, seed: seed)
            #expect(simple.count < 600_000, "seed \(seed): the simple picture is \(simple.count) bytes")
            #expect(
                try Self.draw(FOLIO_SIM_DETAIL_SIMPLE, seed: seed, width: 64, height: 48, title: "") == SiteFixture.render(width: 64, height: 48, seed: seed))

            let header = try #require(ImageHeader.read(photo))
            #expect(header.format == "png" && header.width == 1024 && header.height == 1024)
            let pixels = try OriginalEmbeddingTests.pixels(photo, "photo.png")
            #expect(pixels.count == 1024 * 1024 * 3)
        }
    }

    @Test func theSameSeedDrawsTheSameBytesAndAnotherSeedOthers() throws {
        let first = try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: 42)
        #expect(try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: 42) == first)
        #expect(try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: 43) != first)
        #expect(try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: 42, title: "Another title") != first)
        #expect(try Self.draw(FOLIO_SIM_DETAIL_SIMPLE, seed: 42) != first)
    }

    @Test(arguments: ["jpeg", "webp"])
    func jpegAndWebPCarryTheDetailToo(format: String) throws {
        let photo = try Self.draw(FOLIO_SIM_DETAIL_PHOTO, seed: 5, format: format)
        let simple = try Self.draw(FOLIO_SIM_DETAIL_SIMPLE, seed: 5, format: format)
        #expect(ImageHeader.read(photo)?.format == format)
        #expect(photo.count > 2 * simple.count, "\(format): \(photo.count) bytes against \(simple.count)")
    }

    @Test func anUnknownLevelOfDetailIsRefused() {
        var out: UnsafeMutableRawPointer?
        var length = 0
        #expect(folio_sim_render_detail(64, 64, 1, "", "png", 7, &out, &length) == -1)
        #expect(out == nil && length == 0)
    }

    // MARK: - Through the simulator

    @Test func theSimulatorServesPhotosWhenConfiguredTo() async throws {
        try await SimulatorHarness.with({ ($0.imageScale, $0.imageDetail) = (1, .photo) }) { h in
            let reply = try await h.post(Paths.dashscope, ExampleBodies.dashscope(size: "1104*1472"))
            let url = try #require(reply.json?["output"]?["choices"]?.arrayValue?.first?["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
            let image = try await h.download(url)
            #expect(image.status == 200)
            #expect(ImageHeader.read(image.bytes).map { [$0.width, $0.height] } == [1104, 1472])
            #expect(Self.weighsLikeAPhoto(image.bytes.count, width: 1104, height: 1472), "\(image.bytes.count) bytes")
        }
    }

    @Test func folioSimTakesImageDetail() async throws {
        let (_, status) = try await withFolioSim(["--time-scale", "0.001", "--image-detail", "photo"]) { client, base in
            #expect(base.hasPrefix("http://127.0.0.1:"))
            var request = HTTPClientRequest(url: base + Paths.dashscope)
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer any")
            request.body = .bytes(ByteBuffer(string: ExampleBodies.dashscope()))
            let reply = try await client.execute(request, timeout: .seconds(30))
            let json = try JSONDecoder().decode(JSONValue.self, from: Data(buffer: try await reply.body.collect(upTo: 1 << 20)))
            let url = try #require(json["output"]?["choices"]?.arrayValue?.first?["message"]?["content"]?.arrayValue?.first?["image"]?.stringValue)
            let image = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            let bytes = try await image.body.collect(upTo: 16 << 20)
            #expect(image.status.code == 200)
            #expect(Self.weighsLikeAPhoto(bytes.readableBytes, width: 1328, height: 1328), "\(bytes.readableBytes) bytes")
        }
        #expect(status == 0)

        let unknown = try runFolio(["sim", "--image-detail", "glossy"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("simple") && unknown.stderr.contains("photo"), "\(unknown.stderr)")
    }

    // MARK: - Through a build

    @Test func buildSimulateDrawsPhotosAtFullSize() throws {
        let project = makeProject([
            "folio.yml": "title: Photo detail\nimages:\n  widths: [480]\n  formats: [jpeg]\n",
            "prompts/harbour.md": "---\nroute: dashscope\nsize: 1328*1328\n---\nA fishing harbour at dawn, mist on the water.\n",
            "prompts/lantern.md": "---\nroute: kling\naspect_ratio: \"1:1\"\nresolution: 1k\n---\nA paper lantern in the rain.\n",
        ])
        defer { try? FileManager.default.removeItem(at: project) }
        let build = try runFolio(["build", "--project", project.path, "--simulate", "--image-detail", "photo"], environment: Self.environment)
        #expect(build.status == 0, "\(build.stdout)\(build.stderr)")
        #expect(build.stdout.contains("2 generated, 0 cached, 0 failed"), "\(build.stdout)")
        let outputs = try Lockfile.load(project: project).entries.values.flatMap(\.outputs)
        #expect(outputs.count == 2)
        let assets = outputs.compactMap(\.asset).sorted { $0.width < $1.width }
        #expect(assets.map { [$0.width, $0.height] } == [[1024, 1024], [1328, 1328]])
        for asset in assets {
            #expect(asset.mime == "image/png")
            let bytes = try Data(contentsOf: project.appendingPathComponent(asset.file))
            #expect(Self.weighsLikeAPhoto(bytes.count, width: asset.width, height: asset.height), "\(asset.file): \(bytes.count) bytes")
        }
    }

    @Test func imageDetailNeedsSimulate() throws {
        let project = makeProject(["prompts/one.md": "A fox.\n"])
        defer { try? FileManager.default.removeItem(at: project) }
        for command in ["build", "generate", "serve"] {
            let result = try runFolio([command, "--project", project.path, "--image-detail", "photo"], environment: Self.environment)
            #expect(result.status == 2, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("--image-detail only applies with --simulate"), "\(command): \(result.stderr)")
        }
        let unknown = try runFolio(["build", "--project", project.path, "--simulate", "--image-detail", "glossy"], environment: Self.environment)
        #expect(unknown.status == 2)
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent("folio.lock").path))
    }
}
