import Foundation
import Testing
@testable import FolioCore

@Suite struct InputHashTests {
    func hash(_ text: String, config: String = "", project: URL? = nil) throws -> String {
        let result = decodePrompt(text, config: config, project: project)
        return try #require(result.0, "\(result.1)").inputHash
    }

    static let base = """
        ---
        title: Launch poster
        route: kling
        aspect_ratio: "3:4"
        resolution: 2k
        n: 2
        negative_prompt: blurry
        tags: [poster]
        ---
        A launch poster for an AI music product.
        """

    @Test func theHashIsStableAcrossRunsAndVersions() throws {
        // Pinned: a change here re-generates (and re-bills) every user's images.
        #expect(try hash(Self.base) == "sha256:52a5b508828b59986497913d0c48531cd5ebbabd0a68e728b05fd0e02942db87")
    }

    @Test func theHashInputIsCanonicalJSON() throws {
        let prompt = try #require(decodePrompt(Self.base).0)
        #expect(
            prompt.generation.hashInput.canonical
                == #"{"aspect_ratio":"3:4","folio_hash":1,"model":"kling-v2-1","n":2,"negative_prompt":"blurry","prompt":"A launch poster for an AI music product.","resolution":"2k","route":"kling"}"#
        )
    }

    @Test func keyOrderDoesNotMatter() throws {
        let reordered = """
            ---
            n: 2
            resolution: 2k
            tags: [poster]
            negative_prompt: blurry
            aspect_ratio: "3:4"
            route: kling
            title: Launch poster
            ---
            A launch poster for an AI music product.
            """
        #expect(try hash(reordered) == hash(Self.base))
    }

    @Test(arguments: [
        ("title: Launch poster", "title: Another title"),
        ("tags: [poster]", "tags: [poster, music, new]"),
        ("\nn: 2", "\nn: 2\nalt: Some alt text"),
        ("\nn: 2", "\nn: 2\ncaption: A *caption*"),
        ("\nn: 2", "\nn: 2\ndate: 2026-01-01"),
        ("\nn: 2", "\nn: 2\nweight: 5"),
        ("\nn: 2", "\nn: 2\ncover: 1"),
        ("\nn: 2", "\nn: 2\nprivate: [prompt]"),
        ("\nn: 2", "\nn: 2\ndraft: false"),
    ])
    func displayOnlyEditsKeepTheHash(from: String, to: String) throws {
        #expect(try hash(Self.base.replacingOccurrences(of: from, with: to)) == hash(Self.base))
    }

    @Test func formattingOfTheBodyThatIsTrimmedKeepsTheHash() throws {
        let padded = Self.base.replacingOccurrences(of: "---\nA launch", with: "---\n\n\n   A launch") + "\n\n\n"
        #expect(try hash(padded) == hash(Self.base))
        let crlf = Data(Self.base.replacingOccurrences(of: "\n", with: "\r\n").utf8)
        #expect(try hash(SourceText.decode(crlf, file: "x.md").get()) == hash(Self.base))
    }

    @Test(arguments: [
        ("A launch poster", "A launch Poster"),
        ("\nn: 2", "\nn: 3"),
        ("negative_prompt: blurry", "negative_prompt: blurry, dark"),
        ("aspect_ratio: \"3:4\"", "aspect_ratio: \"2:3\""),
        ("resolution: 2k", "resolution: 1k"),
        ("\nn: 2", "\nn: 2\nwatermark: true"),
        ("\nn: 2", "\nn: 2\nextra: { callback_url: \"https://example.com/hook\" }"),
        ("route: kling\naspect_ratio: \"3:4\"\nresolution: 2k\nn: 2\nnegative_prompt: blurry", "route: kling-omni"),
    ])
    func everyGenerationKeyChangesTheHash(from: String, to: String) throws {
        let changed = Self.base.replacingOccurrences(of: from, with: to)
        #expect(changed != Self.base)
        #expect(try hash(changed) != hash(Self.base))
    }

    @Test func dashscopeAndGeminiKeysChangeTheHash() throws {
        let dash = "---\nroute: dashscope\nsize: 1328*1328\nseed: 1\n---\nA shoe\n"
        let dashHash = try hash(dash)
        for (from, to) in [
            ("size: 1328*1328", "size: 928*1664"), ("seed: 1", "seed: 2"), ("seed: 1", "seed: 1\nprompt_extend: false"),
            ("seed: 1", "seed: 1\nwatermark: true"), ("seed: 1", "seed: 1\nmodel: qwen-image"),
        ] {
            #expect(try hash(dash.replacingOccurrences(of: from, with: to)) != dashHash, "\(to)")
        }
        let gemini = "---\nroute: gemini\nimage_size: 1K\n---\nA fox\n"
        #expect(try hash(gemini.replacingOccurrences(of: "1K", with: "2K")) != hash(gemini))
        #expect(try hash(gemini + "more") != hash(gemini))
    }

    @Test func explicitDefaultsEqualUnsetKeys() throws {
        #expect(try hash("---\nroute: kling\nresolution: 1k\nmodel: kling-v2-1\naspect_ratio: \"1:1\"\nn: 1\n---\nX\n") == hash("---\nroute: kling\n---\nX\n"))
        #expect(try hash("---\nroute: dashscope\nwatermark: false\nprompt_extend: true\nsize: 1664*928\n---\nX\n") == hash("---\nroute: dashscope\n---\nX\n"))
        #expect(try hash("---\nroute: gemini\nimage_size: 1K\n---\nX\n") == hash("X\n"))
    }

    @Test func aChangedDefaultInFolioYmlChangesTheHash() throws {
        let text = "---\nroute: kling\n---\nX\n"
        #expect(try hash(text, config: "defaults:\n  kling: { resolution: 2k }\n") != hash(text))
    }

    @Test func referenceImagesAreHashedByContent() throws {
        let root = TestPaths.temporaryFolder("folio-hash")
        defer { try? FileManager.default.removeItem(at: root) }
        let png = try Data(contentsOf: TestPaths.packageRoot.appendingPathComponent("prompts/products/ref/bottle.png"))
        try FileManager.default.createDirectory(at: root.appendingPathComponent("prompts"), withIntermediateDirectories: true)
        try png.write(to: root.appendingPathComponent("prompts/a.png"))
        try png.write(to: root.appendingPathComponent("prompts/b.png"))
        let text = "---\nroute: gemini\nimages: [a.png]\n---\nRestyle this\n"
        let first = try hash(text, project: root)
        #expect(try hash(text.replacingOccurrences(of: "a.png", with: "b.png"), project: root) == first)
        var changed = png
        changed[changed.count - 20] ^= 0xFF
        try changed.write(to: root.appendingPathComponent("prompts/a.png"))
        #expect(try hash(text, project: root) != first)
    }
}
