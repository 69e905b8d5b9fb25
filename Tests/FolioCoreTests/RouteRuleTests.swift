import Foundation
import Testing
@testable import FolioCore

/// Every rule of `api-reference.md`'s route table, accepted where it should be and refused with the
/// allowed values where it should not.
@Suite struct RouteRuleTests {
    func front(_ route: String, _ lines: String..., body: String = "A test prompt") -> String {
        "---\nroute: \(route)\n" + lines.map { $0 + "\n" }.joined() + "---\n" + body + "\n"
    }

    // MARK: Value lists

    @Test(arguments: [
        ("gemini", "aspect_ratio", RouteID.gemini.rules.aspectRatios),
        ("gemini", "image_size", RouteID.gemini.rules.imageSizes),
        ("dashscope", "size", RouteID.dashscope.rules.sizes),
        ("kling", "aspect_ratio", RouteID.kling.rules.aspectRatios),
        ("kling", "resolution", RouteID.kling.rules.resolutions),
        ("kling-omni", "aspect_ratio", RouteID.klingOmni.rules.aspectRatios.filter { $0 != "auto" }),
        ("kling-omni", "resolution", RouteID.klingOmni.rules.resolutions),
    ])
    func everyListedValueIsAccepted(route: String, key: String, values: [String]) {
        for value in values {
            let result = decodePrompt(front(route, "\(key): \"\(value)\""))
            #expect(result.1.isEmpty, "\(route) \(key) \(value): \(result.1)")
        }
    }

    @Test func theValueListsAreTheReferences() {
        #expect(RouteID.gemini.rules.aspectRatios == ["1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9"])
        #expect(RouteID.gemini.rules.imageSizes == ["512", "1K", "2K", "4K"])
        #expect(RouteID.dashscope.rules.sizes == ["1664*928", "1472*1104", "1328*1328", "1104*1472", "928*1664"])
        #expect(RouteID.kling.rules.aspectRatios == ["16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9"])
        #expect(RouteID.kling.rules.resolutions == ["1k", "2k"])
        #expect(RouteID.klingOmni.rules.resolutions == ["1k", "2k", "4k"])
        #expect(RouteID.klingOmni.rules.aspectRatios.last == "auto")
        #expect(RouteID.gemini.rules.defaultModel == "gemini-3.1-flash-image-preview")
        #expect(RouteID.dashscope.rules.defaultModel == "qwen-image-plus")
        #expect(RouteID.kling.rules.defaultModel == "kling-v2-1")
        #expect(RouteID.klingOmni.rules.defaultModel == "kling-v3-omni")
    }

    @Test(arguments: [
        (
            "gemini", "aspect_ratio: \"2:1\"",
            "aspect_ratio '2:1' is not allowed on route gemini; allowed: 1:1, 1:4, 1:8, 2:3, 3:2, 3:4, 4:1, 4:3, 4:5, 5:4, 8:1, 9:16, 16:9, 21:9"
        ),
        ("gemini", "image_size: 8K", "image_size '8K' is not allowed on route gemini; allowed: 512, 1K, 2K, 4K"),
        ("gemini", "image_size: 2k", "image_size '2k' is not allowed on route gemini; allowed: 512, 1K, 2K, 4K; did you mean '2K'?"),
        (
            "dashscope", "size: 1472*1140",
            "size '1472*1140' is not allowed on route dashscope; allowed: 1664*928, 1472*1104, 1328*1328, 1104*1472, 928*1664; did you mean '1472*1104'?"
        ),
        ("kling", "aspect_ratio: \"5:4\"", "aspect_ratio '5:4' is not allowed on route kling; allowed: 16:9, 9:16, 1:1, 4:3, 3:4, 3:2, 2:3, 21:9"),
        ("kling", "resolution: 4k", "resolution '4k' is not allowed on route kling; allowed: 1k, 2k"),
        ("kling-omni", "resolution: 8k", "resolution '8k' is not allowed on route kling-omni; allowed: 1k, 2k, 4k"),
        ("kling-omni", "result_type: grid", "result_type 'grid' is not allowed on route kling-omni; allowed: single, series"),
        ("kling-omni", "aspect_ratio: auto", "aspect_ratio 'auto' needs a reference image to take the shape from; give a ratio such as 1:1"),
        ("kling-omni", "series_amount: 3", "series_amount applies only to result_type: series"),
        ("dashscope", "model: qwen-image-max-x", "model 'qwen-image-max-x' is not available on route dashscope; models: qwen-image-plus, qwen-image"),
        ("kling", "model: kling-v1", "model 'kling-v1' is not available on route kling; models: kling-v2-1; did you mean 'kling-v2-1'?"),
    ])
    func aValueOutsideTheListIsRefusedNamingTheAllowedOnes(route: String, line: String, message: String) {
        #expect(messages(decodePrompt(front(route, line))) == [message])
    }

    // MARK: Keys a route does not take

    @Test(arguments: [
        (
            "gemini",
            [
                "negative_prompt: x", "seed: 1", "resolution: 1k", "size: 1328*1328", "watermark: true", "prompt_extend: true", "result_type: single",
                "series_amount: 2",
            ]
        ),
        ("dashscope", ["aspect_ratio: \"1:1\"", "resolution: 1k", "image_size: 1K", "images: [a.png]", "result_type: single", "series_amount: 2"]),
        ("kling", ["seed: 1", "size: 1328*1328", "image_size: 1K", "prompt_extend: true", "result_type: single", "series_amount: 2"]),
        ("kling-omni", ["negative_prompt: x", "seed: 1", "size: 1328*1328", "image_size: 1K", "watermark: true", "prompt_extend: true"]),
    ])
    func keysARouteDoesNotTakeAreRefused(route: String, lines: [String]) {
        for line in lines {
            let key = String(line.prefix { $0 != ":" })
            let result = decodePrompt(front(route, line))
            #expect(result.0 == nil)
            #expect(result.1.count == 1)
            #expect(result.1.first?.message.hasPrefix("route \(route) takes no '\(key)'") == true, "\(result.1)")
            #expect(result.1.first?.line == 3)
            #expect(result.1.first?.key == key)
        }
    }

    @Test func refusalsSayWhatToUseInstead() {
        #expect(
            messages(decodePrompt(front("dashscope", "aspect_ratio: \"16:9\""))) == [
                "route dashscope takes no 'aspect_ratio': set the shape with size: 1664*928 (16:9), 1472*1104 (4:3), 1328*1328 (1:1), 1104*1472 (3:4) or 928*1664 (9:16)"
            ])
        #expect(
            messages(decodePrompt(front("gemini", "resolution: 2k"))) == [
                "route gemini takes no 'resolution': set the output size with image_size (512, 1K, 2K, 4K)"
            ])
    }

    // MARK: n and requests

    @Test(arguments: ["gemini", "dashscope", "kling", "kling-omni"])
    func nIsOneToNine(route: String) {
        #expect(decodePrompt(front(route, "n: 9")).1.isEmpty)
        #expect(messages(decodePrompt(front(route, "n: 0"))) == ["n must be from 1 to 9 on route \(route), not 0"])
        #expect(messages(decodePrompt(front(route, "n: 10"))) == ["n must be from 1 to 9 on route \(route), not 10"])
    }

    @Test(arguments: [("gemini", 3, 3, 3), ("dashscope", 2, 2, 2), ("kling", 3, 1, 3), ("kling-omni", 4, 1, 4)])
    func requestsPerVariant(route: String, n: Int, requests: Int, images: Int) throws {
        let prompt = try #require(decodePrompt(front(route, "n: \(n)")).0)
        #expect(prompt.generation.requests == requests)
        #expect(prompt.generation.expectedImages == images)
    }

    @Test func anOmniSeriesIsOneRequestForSeriesAmountImages() throws {
        let series = try #require(decodePrompt(front("kling-omni", "result_type: series")).0)
        #expect(series.generation.requests == 1)
        #expect(series.generation.expectedImages == 4)
        let six = try #require(decodePrompt(front("kling-omni", "result_type: series", "series_amount: 6")).0)
        #expect(six.generation.expectedImages == 6)
        #expect(
            messages(decodePrompt(front("kling-omni", "result_type: series", "series_amount: 10"))) == [
                "series_amount must be from 2 to 9 on route kling-omni, not 10"
            ])
    }

    // MARK: Lengths and ranges

    @Test(arguments: [("dashscope", 800), ("kling", 2500), ("kling-omni", 2500)])
    func promptLengthLimit(route: String, limit: Int) {
        #expect(decodePrompt(front(route, body: String(repeating: "é", count: limit))).1.isEmpty)
        #expect(
            messages(decodePrompt(front(route, body: String(repeating: "é", count: limit + 1)))) == [
                "the prompt is \(limit + 1) characters; route \(route) takes at most \(limit)"
            ])
    }

    @Test func geminiHasNoDocumentedPromptLimit() {
        #expect(decodePrompt(front("gemini", body: String(repeating: "a", count: 20000))).1.isEmpty)
    }

    @Test(arguments: [("dashscope", 500), ("kling", 2500)])
    func negativePromptLengthLimit(route: String, limit: Int) {
        #expect(decodePrompt(front(route, "negative_prompt: \(String(repeating: "b", count: limit))")).1.isEmpty)
        #expect(
            messages(decodePrompt(front(route, "negative_prompt: \(String(repeating: "b", count: limit + 1))"))) == [
                "negative_prompt is \(limit + 1) characters; route \(route) takes at most \(limit)"
            ])
    }

    @Test func dashscopeSeedRange() {
        #expect(decodePrompt(front("dashscope", "seed: 0")).1.isEmpty)
        #expect(decodePrompt(front("dashscope", "seed: 2147483647")).1.isEmpty)
        #expect(messages(decodePrompt(front("dashscope", "seed: -1"))) == ["seed must be from 0 to 2147483647 on route dashscope, not -1"])
        #expect(messages(decodePrompt(front("dashscope", "seed: 2147483648"))) == ["seed must be from 0 to 2147483647 on route dashscope, not 2147483648"])
    }

    // MARK: Defaults that say what they mean

    @Test func dashscopeAlwaysSaysWatermarkAndPromptExtend() throws {
        let g = try #require(decodePrompt(front("dashscope")).0).generation
        #expect(g.watermark == false)
        #expect(g.promptExtend == true)
        #expect(g.size == "1664*928")
        let set = try #require(decodePrompt(front("dashscope", "watermark: true", "prompt_extend: false")).0).generation
        #expect(set.watermark == true)
        #expect(set.promptExtend == false)
    }

    @Test func omniWithoutImagesGetsAnExplicitAspectRatio() throws {
        let g = try #require(decodePrompt(front("kling-omni")).0).generation
        #expect(g.aspectRatio == "1:1")
        #expect(g.resultType == "single")
        #expect(g.resolution == "1k")
    }

    @Test func klingDefaultsComeFromFolioYml() throws {
        let builtIn = try #require(decodePrompt(front("kling")).0).generation
        #expect(builtIn.aspectRatio == "1:1")
        #expect(builtIn.resolution == "1k")
        let configured = try #require(decodePrompt(front("kling"), config: "defaults:\n  kling: { aspect_ratio: \"3:4\", resolution: 2k }\n").0).generation
        #expect(configured.aspectRatio == "3:4")
        #expect(configured.resolution == "2k")
        let own = try #require(decodePrompt(front("kling", "aspect_ratio: \"16:9\""), config: "defaults:\n  kling: { aspect_ratio: \"3:4\" }\n").0).generation
        #expect(own.aspectRatio == "16:9")
    }

    @Test func defaultRouteComesFromFolioYml() throws {
        let prompt = try #require(decodePrompt("A fox\n", config: "defaults:\n  route: dashscope\n").0)
        #expect(prompt.generation.route == .dashscope)
        #expect(prompt.generation.model == "qwen-image-plus")
    }

    @Test func globalDefaultsApplyOnlyWhereTheRouteTakesTheKey() throws {
        let config = "defaults:\n  negative_prompt: blurry\n"
        let gemini = try #require(decodePrompt(front("gemini"), config: config).0)
        #expect(gemini.generation.negativePrompt == nil)
        let kling = try #require(decodePrompt(front("kling"), config: config).0)
        #expect(kling.generation.negativePrompt == "blurry")
    }

    // MARK: Reference images

    final class Images {
        let root = TestPaths.temporaryFolder("folio-refs")
        deinit { try? FileManager.default.removeItem(at: root) }

        func png(_ name: String, width: Int, height: Int, padTo size: Int = 0) -> String {
            var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
            for v in [width, height] { bytes += [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
            bytes += [8, 2, 0, 0, 0, 0, 0, 0, 0]
            if bytes.count < size { bytes += [UInt8](repeating: 0, count: size - bytes.count) }
            write(name, bytes)
            return name
        }

        func write(_ name: String, _ bytes: [UInt8]) {
            let url = root.appendingPathComponent("prompts/\(name)")
            try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try! Data(bytes).write(to: url)
        }
    }

    @Test func referenceImageCountsPerRoute() {
        let images = Images()
        let names = (0..<15).map { images.png("r\($0).png", width: 600, height: 600) }
        func list(_ count: Int) -> String { "images: [\(names.prefix(count).joined(separator: ", "))]" }
        let refs = (1...10).map { "<<<image_\($0)>>>" }.joined(separator: " ")
        #expect(decodePrompt(front("kling", list(1)), project: images.root).1.isEmpty)
        #expect(messages(decodePrompt(front("kling", list(2)), project: images.root)) == ["route kling takes at most 1 reference image, not 2"])
        #expect(decodePrompt(front("gemini", list(14)), project: images.root).1.isEmpty)
        #expect(messages(decodePrompt(front("gemini", list(15)), project: images.root)) == ["route gemini takes at most 14 reference images, not 15"])
        #expect(decodePrompt(front("kling-omni", list(10), body: refs), project: images.root).1.isEmpty)
        #expect(
            messages(decodePrompt(front("kling-omni", list(11), body: refs), project: images.root)) == [
                "route kling-omni takes at most 10 reference images, not 11"
            ])
    }

    @Test func referenceImageFormatsSizesAndShapes() {
        let images = Images()
        images.write(
            "photo.webp",
            Array("RIFF\0\0\0\0WEBPVP8X".utf8) + [UInt8](repeating: 0, count: 4) + [0x57, 0x02, 0x00, 0x57, 0x02, 0x00] + [UInt8](repeating: 0, count: 8))
        images.write("photo.heic", [0, 0, 0, 24] + Array("ftypheic".utf8) + [UInt8](repeating: 0, count: 12))
        images.write("notes.txt", Array("just text".utf8))
        _ = images.png("big.png", width: 1000, height: 1000, padTo: 7_000_001)
        _ = images.png("wide.png", width: 1000, height: 300)
        #expect(
            messages(decodePrompt(front("kling", "images: [photo.webp]"), project: images.root)) == [
                "reference image 'photo.webp' is webp; route kling takes png, jpeg"
            ])
        #expect(decodePrompt(front("gemini", "images: [photo.webp, photo.heic]"), project: images.root).1.isEmpty)
        #expect(
            messages(decodePrompt(front("gemini", "images: [notes.txt]"), project: images.root)) == [
                "reference image 'notes.txt' is not an image Folio recognises; route gemini takes png, jpeg, webp, heic, heif"
            ])
        #expect(
            messages(decodePrompt(front("gemini", "images: [big.png]"), project: images.root)) == [
                "reference image 'big.png' is 7.0 MB; route gemini takes at most 7.0 MB"
            ])
        #expect(decodePrompt(front("kling", "images: [big.png]"), project: images.root).1.isEmpty)
        #expect(
            messages(decodePrompt(front("kling", "images: [wide.png]"), project: images.root)) == [
                "reference image 'wide.png' is 1000×300; route kling needs an aspect ratio between 1:2.5 and 2.5:1"
            ])
        #expect(
            messages(decodePrompt(front("gemini", "images: [../../outside.png]"), project: images.root)) == [
                "reference image '../../outside.png' must be a path inside the project, relative to the prompt file"
            ])
    }

    @Test func omniPromptsAddressTheirImages() {
        let images = Images()
        _ = images.png("a.png", width: 600, height: 600)
        #expect(decodePrompt(front("kling-omni", "images: [a.png]", body: "Put <<<image_1>>> on a table"), project: images.root).1.isEmpty)
        let unaddressed = decodePrompt(front("kling-omni", "images: [a.png]", body: "Put it on a table"), project: images.root)
        #expect(unaddressed.0 != nil)
        #expect(unaddressed.1.map(\.severity) == [.warning])
        #expect(
            messages(decodePrompt(front("kling-omni", body: "Put <<<image_1>>> on a table"), project: images.root)) == [
                "the prompt refers to <<<image_1>>> but the file lists 0 reference images under images"
            ])
    }

    @Test func klingRefusesANegativePromptWithAnImage() {
        let images = Images()
        _ = images.png("a.png", width: 600, height: 600)
        #expect(
            messages(decodePrompt(front("kling", "images: [a.png]", "negative_prompt: blur"), project: images.root)) == [
                "route kling takes no negative_prompt together with a reference image; remove one of them"
            ])
    }
}

@Suite struct DateTests {
    @Test(arguments: [
        "2026-11-25", "2024-02-29", "2026-11-25T14:30", "2026-11-25T14:30:00Z", "2026-11-25 14:30:00",
        "2026-11-25T14:30:00.123+01:00", "2026-11-25T14:30:00-0500",
    ])
    func accepted(_ text: String) { #expect(DateText.isValid(text)) }

    @Test(arguments: [
        "2026-02-30", "2026-13-01", "26-11-25", "2026/11/25", "2026-11-25T25:00", "2026-11-25T14:30:00ZZ",
        "2026-11-25T14:30:00.", "yesterday", "2026-11-25T14:30:00+1",
    ])
    func refused(_ text: String) { #expect(!DateText.isValid(text)) }
}
