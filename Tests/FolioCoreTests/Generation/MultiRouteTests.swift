import Foundation
@testable import FolioCore
import FolioSimulator
import Testing

/// A prompt file that names several routes (`routes: [gemini, kling, dashscope]`): one create and one
/// lock entry per route, one page with the routes side by side, and `compare/` listing it.
@Suite struct MultiRouteTests {
    static let config = "title: Routes\ndescription: One prompt, three routes.\nbase_url: https://example.com/g/\nimages:\n  widths: [32]\n  formats: [jpeg]\n"

    static let lighthouse = """
        ---
        title: Lighthouse at dusk
        routes: [gemini, kling, dashscope]
        tags: [sea]
        aspect_ratio: "3:4"
        kling: { resolution: 2k }
        dashscope: { size: 1104*1472, seed: 7, aspect_ratio: null }
        ---
        A lighthouse on a cliff at dusk, long exposure
        """

    static func decode(_ text: String, id: String = "lighthouse") -> ([Prompt], [Diagnostic]) {
        let decoder = PromptDecoder(settings: SettingsLoader.load(text: "").0, project: FileManager.default.temporaryDirectory)
        return decoder.decodeAll(text: text, file: "prompts/\(id).md", id: id)
    }

    /// The message of the one error decoding `text` gives.
    static func error(_ text: String) -> String {
        let (prompts, problems) = decode(text)
        #expect(prompts.isEmpty)
        return problems.errors.map { "\($0.line): \($0.message)" }.joined(separator: "\n")
    }

    /// Renders the site of `root` from its lockfile and assets, as `folio render` does.
    static func render(_ root: URL) async throws -> RenderReport {
        var state = BuildState(options: BuildOptions(project: root, workingFolder: root))
        try await Pipeline.run(Pipeline.render, &state)
        return state.render ?? RenderReport()
    }

    // MARK: - Reading the file

    @Test func eachRouteIsAPromptWithItsOwnKeysAndTheSharedOnes() throws {
        let (prompts, problems) = Self.decode(Self.lighthouse)
        #expect(problems.errors.isEmpty, "\(problems)")
        #expect(prompts.map(\.id) == ["lighthouse@gemini", "lighthouse@kling", "lighthouse@dashscope"])
        #expect(prompts.allSatisfy { $0.page == "lighthouse" && $0.title == "Lighthouse at dusk" && $0.tags == ["sea"] })
        #expect(prompts.map(\.routePosition) == [0, 1, 2])
        let (gemini, kling, dashscope) = (prompts[0].generation, prompts[1].generation, prompts[2].generation)
        #expect(gemini.route == .gemini && gemini.aspectRatio == "3:4")
        #expect(kling.route == .kling && kling.aspectRatio == "3:4" && kling.resolution == "2k")
        // `aspect_ratio: null` under dashscope unsets the shared key for that route alone.
        #expect(dashscope.route == .dashscope && dashscope.size == "1104*1472" && dashscope.seed == 7 && dashscope.aspectRatio == nil)
        #expect(Set(prompts.map(\.inputHash)).count == 3)
        // One route in `routes` is a plain prompt: its id and page are the file's.
        let single = Self.decode("---\nroutes: [kling]\n---\nA fox\n").0
        #expect(single.map(\.id) == ["lighthouse"] && single.first?.generation.route == .kling && single.first?.isOneOfSeveralRoutes == false)
    }

    @Test func mistakesInRoutesAreNamedWithLineAndKey() {
        #expect(
            Self.error("---\nroutes: [gemini, klng]\n---\nA fox\n")
                == "2: unknown route 'klng'; routes: gemini, dashscope, kling, kling-omni; did you mean 'kling'?")
        #expect(Self.error("---\nroutes: [gemini, gemini]\n---\nA fox\n").contains("route gemini is listed twice"))
        #expect(Self.error("---\nroutes: []\n---\nA fox\n").contains("'routes' is empty"))
        #expect(Self.error("---\nroute: kling\nroutes: [gemini, kling]\n---\nA fox\n").hasPrefix("2: set either 'route' or 'routes'"))
        // A shared key one of the routes does not take: moved under the routes that take it.
        let shared = Self.error("---\nroutes: [gemini, kling]\nresolution: 2k\n---\nA fox\n")
        #expect(shared.hasPrefix("3: route gemini takes no 'resolution'"), "\(shared)")
        #expect(
            shared.contains("set it under the routes that take it (such as 'dashscope: { resolution: 2k }')") || shared.contains("kling: { resolution: 2k }"))
        // A route's own key is checked against that route, and named with it.
        let (_, own) = Self.decode("---\nroutes: [gemini, kling]\ngemini: { resolution: 2k }\n---\nA fox\n")
        #expect(own.errors.first?.key == "gemini.resolution", "\(own)")
        #expect(Self.error("---\nroutes: [gemini, kling]\nkling: { title: Fox }\n---\nA fox\n").contains("'title' is shown once for the whole prompt"))
        #expect(Self.error("---\nroutes: [gemini, kling]\nkling: { resolutoin: 2k }\n---\nA fox\n").contains("did you mean 'resolution'"))
        #expect(Self.error("---\nroutes: [gemini, kling]\nkling: { route: gemini }\n---\nA fox\n").contains("'route' has no place under kling"))
        #expect(Self.error("---\nroutes: [gemini]\nkling: { resolution: 2k }\n---\nA fox\n").contains("does not list"))
        #expect(Self.error("---\nroute: kling\nkling: { resolution: 2k }\n---\nA fox\n").contains("list them with 'routes: [kling, …]'"))
        #expect(Self.error("---\nroutes: [gemini, kling]\nkling: 2k\n---\nA fox\n").contains("'kling' must be a mapping"))
        #expect(Self.error("---\nrutes: [gemini, kling]\n---\nA fox\n").contains("did you mean 'routes'"))
        #expect(Self.error("---\nroutes: [gemini, kling]\nprivate: [parameters]\n---\nA fox\n").hasPrefix("3: private: parameters would withhold the routes"))
        #expect(Self.decode("---\nroutes: [gemini, kling]\nprivate: [prompt]\n---\nA fox\n").0.count == 2, "other fields may stay private")
    }

    @Test func theRoutesOfAFileShareItsTitleAndWhatItKeepsPrivate() throws {
        // Without a title, the file's name gives it, never the route's id (`Lighthouse at dusk@kling`).
        let untitled = Self.decode("---\nroutes: [kling, gemini]\n---\nA fox\n", id: "lighthouse-at-dusk").0
        #expect(untitled.map(\.title) == ["Lighthouse at dusk", "Lighthouse at dusk"])
        // What folio.yml keeps private for one route, every route of the file keeps: the page shows the prompt once.
        let (settings, problems) = SettingsLoader.load(text: "defaults:\n  gemini: { private: [prompt] }\n")
        #expect(problems.isEmpty, "\(problems)")
        let decoder = PromptDecoder(settings: settings, project: FileManager.default.temporaryDirectory)
        let (both, found) = decoder.decodeAll(text: "---\nroutes: [kling, gemini]\n---\nA secret fox\n", file: "prompts/secret.md", id: "secret")
        #expect(found.errors.isEmpty, "\(found)")
        #expect(both.count == 2 && both.allSatisfy { $0.privateFields == [.prompt] }, "\(both.map(\.privateFields))")
        // private: parameters from folio.yml is refused as it is in the file.
        let (strict, _) = SettingsLoader.load(text: "defaults:\n  private: [parameters]\n")
        let refused = PromptDecoder(settings: strict, project: FileManager.default.temporaryDirectory)
            .decodeAll(text: "---\nroutes: [kling, gemini]\n---\nA fox\n", file: "prompts/secret.md", id: "secret")
        #expect(refused.0.isEmpty && refused.1.errors.contains { $0.key == "private" && $0.message.contains("a default from folio.yml") })
        // One route in routes is exactly route: the same keys refused, named the same way.
        let one = Self.decode("---\nroutes: [gemini]\nresolution: 2k\n---\nA fox\n")
        let plain = Self.decode("---\nroute: gemini\nresolution: 2k\n---\nA fox\n")
        #expect(one.1.errors.map(\.key) == ["resolution"] && one.1.errors.map(\.message) == plain.1.errors.map(\.message))
        #expect(!Self.decode("---\nroutes: [gemini]\nseed: ~\n---\nA fox\n").1.errors.isEmpty, "as route: gemini refuses it")
    }

    @Test func folioDiffTakesAMovedEntryForTheSamePrompt() {
        let old = Self.decode("---\nroute: kling\n---\nA fox\n", id: "fox").0
        let new = Self.decode("---\nroutes: [kling, gemini]\n---\nA fox\n", id: "fox").0
        var before = Lockfile()
        before.entries["fox"] = LockEntry(inputHash: old[0].inputHash, route: .kling, model: "kling-v2-1", state: .succeeded, taskID: "t1")
        var after = Lockfile()
        after.entries["fox@kling"] = before.entries["fox"]
        let diff = ProjectDiff.compare(old: (old, before), new: (new, after), prices: Prices())
        // Kling's prompt and entry are the same under their new id; only gemini is new.
        #expect(diff.prompts.map { "\($0.kind.rawValue) \($0.id)" } == ["added fox@gemini"])
    }

    // MARK: - Generating and publishing

    @Test func aMultiRoutePromptMakesOneCreatePerRouteAndOnePageWithThemSideBySide() async throws {
        let files = ["folio.yml": Self.config, "prompts/lighthouse.md": Self.lighthouse, "prompts/fox.md": "---\ntitle: Fox\n---\nA red fox in snow\n"]
        try await GenerationHarness.with(files: files) { harness in
            let (report, lock, _) = try await harness.generate()
            #expect(report.failed.isEmpty, "\(report.failed)")
            // Exactly one create (or sync generate call) per route, each on its own route.
            let creates = await harness.simulator.creates(containing: "A lighthouse on a cliff")
            #expect(
                creates.compactMap(\.route).sorted() == [.gemini, .dashscope, .kling].sorted(),
                "\(creates.map { "\($0.kind) \(String(describing: $0.route))" })")
            for (id, route) in [("lighthouse@gemini", RouteID.gemini), ("lighthouse@kling", .kling), ("lighthouse@dashscope", .dashscope)] {
                let entry = try #require(lock.entries[id], "no entry \(id) in \(lock.entries.keys.sorted())")
                #expect(entry.route == route && entry.state == .succeeded && entry.outputs.count == 1)
            }
            #expect(lock.entries["lighthouse"] == nil)

            let render = try await Self.render(harness.root)
            #expect(render.placeholders.isEmpty && render.incomplete.isEmpty)
            let site = harness.root.appendingPathComponent("site")
            func read(_ path: String) throws -> String { try String(contentsOf: site.appendingPathComponent(path), encoding: .utf8) }
            // One page for the file, a column per route in the order written, each with its own image and parameters.
            let page = try read("p/lighthouse/index.html")
            let columns = ["route-gemini", "route-kling", "route-dashscope"].map { page.range(of: "id=\"\($0)\"")?.lowerBound }
            #expect(columns.allSatisfy { $0 != nil } && columns == columns.sorted { $0! < $1! }, "columns in the order of routes:")
            for id in ["lighthouse@gemini", "lighthouse@kling", "lighthouse@dashscope"] {
                let sha = try #require(lock.entries[id]?.outputs.first?.asset?.sha256)
                #expect(page.contains("img/\(sha)"), "the page shows \(id)'s image")
            }
            #expect(page.contains("<dd>kling-v2-1</dd>") && page.contains("<dd>qwen-image-plus</dd>") && page.contains("<dd>2k</dd>"))
            #expect(page.components(separatedBy: "A lighthouse on a cliff at dusk").count - 1 >= 2, "the prompt is shown once, with its copy text")
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("p/lighthouse@kling").path))
            // A card per route in the grid, each linking to its column.
            let index = try read("index.html")
            for route in ["gemini", "kling", "dashscope"] { #expect(index.contains("p/lighthouse/index.html#route-\(route)")) }
            // compare/ lists the prompt with several routes, and not the one with one.
            let compare = try read("compare/index.html")
            #expect(compare.contains("Lighthouse at dusk") && !compare.contains(">Fox<"))
            for route in ["gemini", "kling", "dashscope"] { #expect(compare.contains("p/lighthouse/index.html#route-\(route)")) }
            #expect(index.contains("compare/index.html"), "the menu links the compare page")
            // Feed entries stay distinct; the sitemap lists the page once.
            let feed = try read("feed.xml")
            #expect(feed.contains("<id>https://example.com/g/p/lighthouse/#route-kling</id>"))
            let sitemap = try read("sitemap.xml")
            #expect(sitemap.components(separatedBy: "p/lighthouse/<").count == 2 && sitemap.contains("g/compare/<"))
            // The prompt file is published once beside the page.
            #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent("p/lighthouse/prompt.md").path))

            // A second run sends nothing.
            _ = try await harness.generate()
            #expect(await harness.simulator.creates(containing: "A lighthouse on a cliff").count == 3)
        }
    }

    @Test func aSiteWithoutSeveralRoutesHasNoComparePage() async throws {
        let files = ["folio.yml": Self.config, "prompts/fox.md": "---\ntitle: Fox\n---\nA red fox in snow\n"]
        try await GenerationHarness.with(files: files) { harness in
            _ = try await harness.generate()
            _ = try await Self.render(harness.root)
            let site = harness.root.appendingPathComponent("site")
            #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("compare/index.html").path))
            let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
            #expect(!index.contains("compare/"))
        }
    }

    @Test func aFileThatGainsRoutesKeepsWhatItPaidForUnderItsNewID() async throws {
        let files = ["folio.yml": Self.config, "prompts/fox.md": "---\ntitle: Fox\nroute: kling\n---\nA red fox in snow\n"]
        try await GenerationHarness.with(files: files) { harness in
            let (_, first, _) = try await harness.generate()
            let paid = try #require(first.entries["fox"])
            try Data("---\ntitle: Fox\nroutes: [kling, gemini]\n---\nA red fox in snow\n".utf8)
                .write(to: harness.root.appendingPathComponent("prompts/fox.md"))
            let (_, second, _) = try await harness.generate()
            // Kling is not asked again: its entry moved to fox@kling; only gemini is new.
            let creates = await harness.simulator.creates(containing: "A red fox in snow")
            #expect(creates.compactMap(\.route) == [.kling, .gemini], "\(creates.map(\.kind))")
            #expect(second.entries["fox@kling"]?.taskID == paid.taskID && second.entries["fox@kling"]?.outputs == paid.outputs)
            #expect(second.entries["fox"] == nil, "moved, not copied")
            #expect(second.entries["fox@gemini"]?.state == .succeeded)

            // And back: the file with one route takes the kling entry again; nothing is sent.
            try Data("---\ntitle: Fox\nroute: kling\n---\nA red fox in snow\n".utf8).write(to: harness.root.appendingPathComponent("prompts/fox.md"))
            let project = await ProjectLoader.load(harness.root)
            let (moved, moves) = second.movingRoutes(for: project.prompts)
            #expect(moves == [RouteMove(from: "fox@kling", to: "fox")])
            #expect(Planner.plan(project.prompts, lock: moved, project: harness.root).entries.first?.action == .cached)
            _ = try await harness.generate()
            #expect(await harness.simulator.creates(containing: "A red fox in snow").count == 2)
        }
    }
}
