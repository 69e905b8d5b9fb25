import CSimulatorDrawing
import Foundation
@testable import FolioCore

/// A project with generated images and a lockfile that records them, built on disk for site tests.
struct SiteFixture {
    let root: URL

    /// One prompt of the fixture: its file text, and how its lock entry should look.
    struct Item {
        var id: String
        var text: String
        /// Sizes of its images; empty for a prompt with no images.
        var images: [(Int, Int)] = [(64, 48)]
        var state: LockEntry.State = .succeeded
        var error: LockError?
        var replyText: String?
    }

    /// Writes `folio.yml`, the prompt files, deterministic PNG assets and a lockfile for them.
    static func make(
        config: String = "title: Fixture gallery\ndescription: A gallery for tests.\nimages:\n  widths: [32, 48, 100]\n  formats: [webp, jpeg]\n",
        items: [Item], extraFiles: [String: String] = [:]
    ) async throws -> SiteFixture {
        var files = ["folio.yml": config]
        for item in items { files["prompts/\(item.id).md"] = item.text }
        for (path, text) in extraFiles { files[path] = text }
        let root = makeProject(files)
        let project = await ProjectLoader.load(root)
        precondition(project.diagnostics.errors.isEmpty, "\(project.diagnostics)")
        var lock = Lockfile()
        try FileManager.default.createDirectory(at: root.appendingPathComponent("assets"), withIntermediateDirectories: true)
        _ = Libraries.startVips
        for item in items {
            guard let prompt = project.prompts.first(where: { $0.id == item.id }) else { continue }
            var outputs: [LockOutput] = []
            for (index, size) in item.images.enumerated() {
                let bytes = try render(width: size.0, height: size.1, seed: UInt64(truncatingIfNeeded: index + item.id.utf8.reduce(7) { $0 &* 31 &+ Int($1) }))
                let sha = SHA256Hex.of(bytes)
                try Data(bytes).write(to: root.appendingPathComponent("assets/\(sha).png"))
                outputs.append(
                    LockOutput(
                        index: index, url: "https://cdn.example/\(sha).png",
                        asset: StoredAsset(
                            file: "assets/\(sha).png", sha256: sha, bytes: bytes.count, width: size.0, height: size.1, mime: "image/png")))
            }
            lock.entries[item.id] = LockEntry(
                inputHash: prompt.inputHash, route: prompt.generation.route, model: prompt.generation.model, state: item.state,
                createdAt: "2026-11-20T10:00:00Z", updatedAt: "2026-11-20T10:00:30Z", outputs: outputs, text: item.replyText, error: item.error)
        }
        try lock.write(project: root)
        return SiteFixture(root: root)
    }

    static func render(width: Int, height: Int, seed: UInt64) throws -> [UInt8] {
        var out: UnsafeMutableRawPointer?
        var length = 0
        guard folio_sim_render(Int32(width), Int32(height), seed, "", "png", &out, &length) == 0, let out else {
            throw FolioError("could not draw a fixture image")
        }
        defer { folio_sim_free(out) }
        return Array(UnsafeRawBufferPointer(start: out, count: length))
    }

    /// Renders the site into `site` (default `root/site`) with the render steps `folio render`
    /// runs, without the stamp (so every call renders).
    func build(site: URL? = nil) async throws -> RenderReport {
        var state = BuildState(options: BuildOptions(project: root, out: site?.path, workingFolder: root))
        try await Pipeline.run([.load, .renderImages, .writePages, .checkLinks, .prune], &state)
        return state.render ?? RenderReport()
    }

    func read(_ path: String, site: String = "site") throws -> String {
        try String(contentsOf: root.appendingPathComponent("\(site)/\(path)"), encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
