import Crypto
import Foundation
import Testing

@testable import FolioCore

/// `.folio/prompts.cache`: a run decodes again only the prompt files that changed, and what it
/// reads from the cache is exactly what decoding the file gives.
@Suite struct PromptCacheTests {
    /// The sample project's folio.yml and prompts, and files that use every key the cache stores.
    static func project() throws -> URL {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let root = TestPaths.temporaryFolder("folio-prompt-cache")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repository.appendingPathComponent("prompts"), to: root.appendingPathComponent("prompts"))
        try FileManager.default.copyItem(at: repository.appendingPathComponent("folio.yml"), to: root.appendingPathComponent("folio.yml"))
        let files = [
            "prompts/every/lighthouse.md": """
            ---
            title: Lighthouse at dusk
            routes: [gemini, kling, dashscope]
            aspect_ratio: "3:4"
            caption: "A *long* exposure, [see more](https://example.com)."
            tags: [coast, "night sky"]
            date: 2026-11-20T18:30:00Z
            weight: -3
            kling: { resolution: 2k, n: 3, cover: 2, hide: [1] }
            dashscope: { size: 1104*1472, seed: 7, aspect_ratio: null, watermark: true, prompt_extend: false, negative_prompt: "blur, text" }
            ---
            A lighthouse on a cliff at dusk, long exposure, soft pink light. Ünïcødé ✓ 灯塔
            """,
            "prompts/every/secret.md": """
            ---
            route: dashscope
            private: [prompt, negative_prompt]
            negative_prompt: nothing
            draft: true
            extra: { style_hint: { steps: 30, guidance: 7.5, tiled: false, names: [a, "b"], none: null } }
            ---
            Kept off the page.
            """,
            "prompts/every/series.md": """
            ---
            route: kling-omni
            result_type: series
            series_amount: 3
            alt: Three frames
            ---
            A short series of frames.
            """,
        ]
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return root
    }

    static func cacheURL(_ root: URL) -> URL { root.appendingPathComponent(".folio/\(PromptCache.file)") }

    /// `file` of `root` as a load reads it, with the SHA-256 `sha256`.
    static func source(_ root: URL, _ file: String, _ sha256: String) -> PromptCache.Source {
        var info = stat()
        _ = stat(root.path + "/" + file, &info)
        return PromptCache.Source(file: file, sha256: sha256, identity: FileIdentity(info).text)
    }

    /// Loads the project and writes the cache as a build does (after its run lock).
    static func load(_ root: URL) async -> LoadedProject {
        var project = await ProjectLoader.load(root)
        project.writePromptCache()
        return project
    }

    @Test func aSecondLoadReadsTheCacheAndGetsExactlyWhatDecodingGives() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = await Self.load(root)
        #expect(first.diagnostics.errors.isEmpty, "\(first.diagnostics)")
        #expect(first.prompts.count > 15)
        #expect(FileManager.default.fileExists(atPath: Self.cacheURL(root).path))

        // The cache holds every file but the one with reference images, and each entry gives
        // back, field for field (Prompt is Equatable over every stored property), what decoding gave.
        let context = try #require(PromptCache.context(settingsDigest: first.settingsDigest))
        let cache = PromptCache.read(project: root, context: context)
        let files = Dictionary(grouping: first.prompts, by: \.file)
        let withReferences = files.filter { $0.value.contains { !$0.generation.images.isEmpty } }
        #expect(!withReferences.isEmpty)
        #expect(cache.count == files.count - withReferences.count)
        for (file, prompts) in files where withReferences[file] == nil {
            let cached = cache.prompts(Self.source(root, file, prompts[0].sourceSHA256), id: prompts[0].page)
            #expect(cached?.sorted { $0.id < $1.id } == prompts, "\(file)")
            #expect(cache.prompts(Self.source(root, file, String(repeating: "0", count: 64)), id: prompts[0].page) == nil)
        }
        let lighthouse = try #require(first.prompts.first { $0.id == "every/lighthouse@kling" })
        #expect(lighthouse.hidden == [1] && lighthouse.cover == 2 && lighthouse.generation.n == 3 && lighthouse.routePosition == 1)
        #expect(first.prompts.contains { $0.generation.extra != nil && $0.privateFields == [.prompt, .negativePrompt] })

        // A load with the cache in place gives the same project; the cache is not written again.
        let written = try FileManager.default.attributesOfItem(atPath: Self.cacheURL(root).path)[.modificationDate] as? Date
        try await Task.sleep(for: .milliseconds(20))
        let second = await ProjectLoader.load(root)
        #expect(second.prompts == first.prompts)
        #expect(second.diagnostics == first.diagnostics)
        #expect(second.promptCacheUpdate == nil)
        #expect(try FileManager.default.attributesOfItem(atPath: Self.cacheURL(root).path)[.modificationDate] as? Date == written)
    }

    /// The cache is used (a forged entry for this very file shows), but only for the files this
    /// machine read: in a copy of the project (a clone, say) the same forged cache is ignored.
    @Test func aCacheAppliesOnlyToTheVeryFilesItWasMadeFrom() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = await Self.load(root)
        let fox = try #require(first.prompts.first { $0.id == "nature/watercolor-fox" })
        var forged = fox
        forged.title = "Forged"
        forged.generation.n = 4
        let context = try #require(PromptCache.context(settingsDigest: first.settingsDigest))
        let bytes = try #require(PromptCache.encode([(Self.source(root, fox.file, fox.sourceSHA256), [forged])], context: context))
        try Data(bytes).write(to: Self.cacheURL(root))
        let fooled = await ProjectLoader.load(root)
        #expect(fooled.prompts.first { $0.id == fox.id }?.title == "Forged")

        let copy = TestPaths.temporaryFolder("folio-prompt-cache-copy")
        defer { try? FileManager.default.removeItem(at: copy) }
        try FileManager.default.copyItem(at: root, to: copy)
        let copied = await ProjectLoader.load(copy)
        #expect(copied.prompts.first { $0.id == fox.id }?.title == fox.title)
        #expect(copied.prompts.first { $0.id == fox.id }?.generation.n == 1)
    }

    @Test func anEditedFileOrAChangedFolioYmlIsDecodedAgain() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = await Self.load(root)
        let fox = root.appendingPathComponent("prompts/nature/watercolor-fox.md")
        let text = try String(contentsOf: fox, encoding: .utf8)
        try Data(text.replacingOccurrences(of: "title: Watercolor fox", with: "title: A fox, edited").utf8).write(to: fox)
        let edited = await Self.load(root)
        #expect(edited.prompts.first { $0.id == "nature/watercolor-fox" }?.title == "A fox, edited")

        // The fox takes its route from folio.yml's defaults: a new default reaches it through the cache.
        let settings = root.appendingPathComponent("folio.yml")
        let yml = try String(contentsOf: settings, encoding: .utf8)
        try Data(yml.replacingOccurrences(of: "  route: gemini\n", with: "  route: kling\n").utf8).write(to: settings)
        let moved = await Self.load(root)
        #expect(moved.prompts.first { $0.id == "nature/watercolor-fox" }?.generation.route == .kling)
        #expect(moved.prompts.first { $0.id == "nature/watercolor-fox" }?.inputHash != edited.prompts.first { $0.id == "nature/watercolor-fox" }?.inputHash)
        #expect(moved.prompts == PromptCacheTests.decodedWithoutCache(root))
    }

    /// What loading gives with no cache at all.
    static func decodedWithoutCache(_ root: URL) -> [Prompt] {
        let (settings, _, digest) = SettingsLoader.loadWithDigest(project: root)
        _ = digest
        let decoder = PromptDecoder(settings: settings, project: root)
        let (files, _) = ProjectLoader.promptFiles(in: root.appendingPathComponent("prompts"), project: root)
        var prompts: [Prompt] = []
        for found in files {
            guard let bytes = FastFiles.read(root.path + "/" + found.path), case .success(let text) = SourceText.decode(bytes, file: found.path) else {
                continue
            }
            var (decoded, _) = decoder.decodeAll(text: text, file: found.path, id: found.id)
            for index in decoded.indices { decoded[index].sourceSHA256 = SHA256Hex.of(bytes) }
            prompts += decoded
        }
        return prompts.sorted { $0.id < $1.id }
    }

    @Test func onlyACommandThatGoesOnToWriteKeepsTheCache() async throws {
        let fixture = try await SiteFixture.make(items: [SiteFixture.Item(id: "fox", text: "A fox\n")])
        defer { fixture.remove() }
        let cache = Self.cacheURL(fixture.root)
        let environment = ProcessInfo.processInfo.environment
        for command in [["plan"], ["check"], ["status"]] {
            let run = try await runFolioOnAThread(command + ["--project", fixture.root.path], environment: environment)
            #expect(run.status == 0, "\(command): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cache.path), "\(command) only reads")
        }
        // A render refused for its output folder leaves the project as it was.
        let refused = try await runFolioOnAThread(
            ["render", "--project", fixture.root.path, "--out", fixture.root.path + "/prompts"], environment: environment)
        #expect(refused.status != 0)
        #expect(!FileManager.default.fileExists(atPath: cache.path))
        let render = try await runFolioOnAThread(["render", "--project", fixture.root.path], environment: environment)
        #expect(render.status == 0, "\(render.stderr)")
        #expect(FileManager.default.fileExists(atPath: cache.path))
    }

    @Test func aFileWithWarningsIsNeverCachedAndWarnsOnEveryRun() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let odd = root.appendingPathComponent("prompts/odd.md")
        try Data("---\nroute: kling\nunknown_key: 1\n---\nA prompt with a key Folio does not know\n".utf8).write(to: odd)
        let first = await Self.load(root)
        let warnings = first.diagnostics.filter { $0.file == "prompts/odd.md" }
        #expect(!warnings.isEmpty)
        let context = try #require(PromptCache.context(settingsDigest: first.settingsDigest))
        let cache = PromptCache.read(project: root, context: context)
        let sha = SHA256Hex.of(try Data(contentsOf: odd))
        #expect(cache.prompts(Self.source(root, "prompts/odd.md", sha), id: "odd") == nil)
        let second = await Self.load(root)
        #expect(second.diagnostics.filter { $0.file == "prompts/odd.md" } == warnings)
    }

    @Test func aDamagedCacheIsIgnoredWholeAndNeverCrashesTheReader() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = await Self.load(root)
        let context = try #require(PromptCache.context(settingsDigest: first.settingsDigest))
        let bytes = [UInt8](try Data(contentsOf: Self.cacheURL(root)))
        #expect(PromptCache(bytes: bytes, context: context) != nil)
        #expect(PromptCache(bytes: bytes, context: context + "x") == nil)
        // Cut short anywhere, or one byte changed: the digest at the end no longer matches.
        for cut in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
            #expect(PromptCache(bytes: Array(bytes[..<cut]), context: context) == nil)
            var flipped = bytes
            flipped[cut] ^= 0x20
            #expect(PromptCache(bytes: flipped, context: context) == nil)
        }
        // A cache whose digest matches damaged contents (written by a broken Folio, say) is read
        // without crashing: every byte of the body changed in turn, the digest made again.
        let body = Array(bytes[..<(bytes.count - 32)])
        let files = Dictionary(grouping: first.prompts, by: \.file).filter { $0.value.allSatisfy { $0.generation.images.isEmpty } }
        for position in stride(from: PromptCache.magic.count, to: body.count, by: max(1, body.count / 1500)) {
            for change: UInt8 in [0x01, 0x80, 0xff] {
                var damaged = body
                damaged[position] ^= change
                damaged += SHA256.hash(data: damaged)
                guard let cache = PromptCache(bytes: damaged, context: context) else { continue }
                for (file, prompts) in files { _ = cache.prompts(Self.source(root, file, prompts[0].sourceSHA256), id: prompts[0].page) }
            }
        }
        // On disk, a damaged cache is replaced and the project loads as without one.
        var damaged = bytes
        damaged[bytes.count / 2] ^= 0xff
        try Data(damaged).write(to: Self.cacheURL(root))
        let again = await Self.load(root)
        #expect(again.prompts == first.prompts)
        #expect(PromptCache(bytes: [UInt8](try Data(contentsOf: Self.cacheURL(root))), context: context) != nil)
    }

    @Test func aLinkInPlaceOfTheCacheIsNeitherReadNorWrittenThrough() async throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let first = await Self.load(root)
        let victim = TestPaths.temporaryFolder("folio-cache-victim")
        defer { try? FileManager.default.removeItem(at: victim) }
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        // A valid cache elsewhere, linked in: not read (the prompts are decoded), and the write
        // replaces the link rather than the file it leads to.
        let elsewhere = victim.appendingPathComponent("cache")
        try FileManager.default.moveItem(at: Self.cacheURL(root), to: elsewhere)
        let kept = try Data(contentsOf: elsewhere)
        try FileManager.default.createSymbolicLink(at: Self.cacheURL(root), withDestinationURL: elsewhere)
        let fox = root.appendingPathComponent("prompts/nature/watercolor-fox.md")
        try Data("---\ntitle: Changed\n---\nA fox\n".utf8).write(to: fox)
        let second = await Self.load(root)
        #expect(second.prompts.first { $0.id == "nature/watercolor-fox" }?.title == "Changed")
        #expect(try Data(contentsOf: elsewhere) == kept)
        var info = stat()
        #expect(lstat(Self.cacheURL(root).path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG)
        _ = first
    }
}

@Suite struct EarlyLockfileReadTests {
    /// folio.lock read before the run lock is held counts only while it is still the file read:
    /// another process's write (a new file renamed into place) sends the build back to the file.
    @Test func anEarlyReadIsUsedOnlyWhileTheLockfileIsTheFileItRead() throws {
        let root = TestPaths.temporaryFolder("folio-early-lock")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Lockfile.EarlyRead(project: root).current(project: root) == nil, "no file, nothing read")
        try Lockfile().write(project: root)
        let early = Lockfile.EarlyRead(project: root)
        #expect(try early.current(project: root) != nil)
        try Lockfile().write(project: root)
        #expect(try early.current(project: root) == nil, "replaced since")
        let damaged = root.appendingPathComponent(Lockfile.fileName)
        try Data("{ not json".utf8).write(to: damaged)
        #expect(throws: FolioError.self) { try Lockfile.EarlyRead(project: root).current(project: root) }
    }

    /// The early read runs before errors in the prompts stop a build: a pipe in place of folio.lock
    /// is refused, not read from (which would wait for a writer for ever).
    @Test(.timeLimit(.minutes(1))) func aPipeInPlaceOfTheLockfileIsRefusedNotReadFrom() throws {
        let root = TestPaths.temporaryFolder("folio-fifo-lock")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(mkfifo(root.appendingPathComponent(Lockfile.fileName).path, 0o644) == 0)
        #expect(throws: FolioError.self) { try Lockfile.load(project: root) }
        #expect(throws: FolioError.self) { try Lockfile.EarlyRead(project: root).current(project: root) }
    }
}
