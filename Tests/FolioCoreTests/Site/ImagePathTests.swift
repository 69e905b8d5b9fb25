import Foundation
@testable import FolioCore
import Testing

/// What the image step computes along the way: the placeholder colour of each original, and the
/// whole-file reads that publish it.
@Suite struct ImagePathTests {
    /// Renders an original given as PNM bytes (which libvips reads) at its own width, and returns
    /// the placeholder colour.
    static func colour(of pnm: [UInt8], width: Int, height: Int) throws -> String {
        let project = TestPaths.temporaryFolder("folio-colour")
        defer { try? FileManager.default.removeItem(at: project) }
        try FileManager.default.createDirectory(at: project.appendingPathComponent("site/img"), withIntermediateDirectories: true)
        try Data(pnm).write(to: project.appendingPathComponent("original.pnm"))
        _ = Libraries.startVips
        let asset = StoredAsset(
            file: "original.pnm", sha256: String(repeating: "a", count: 64), bytes: pnm.count, width: width, height: height, mime: "image/x-portable-anymap")
        let plan = ImagePlanner.plan(asset, widths: [width], formats: [.jpeg])
        let renderer = ImageRenderer(project: project, site: project.appendingPathComponent("site"), workers: 1)
        return try renderer.renderOne(plan).get()
    }

    @Test func thePlaceholderIsTheMeanOfEveryBand() throws {
        // Left half red, right half blue: the mean is (127.5, 0, 127.5), which rounds to 0x80.
        let pixels = (0..<4).flatMap { _ in (0..<8).flatMap { x -> [UInt8] in x < 4 ? [255, 0, 0] : [0, 0, 255] } }
        #expect(try Self.colour(of: Array("P6\n8 4\n255\n".utf8) + pixels, width: 8, height: 4) == "#800080")
        // Three distinct bands, so a mixed-up band or stride shows.
        let bands = (0..<24).flatMap { i -> [UInt8] in [10, 200, UInt8(i)] }
        #expect(try Self.colour(of: Array("P6\n6 4\n255\n".utf8) + bands, width: 6, height: 4) == "#0ac80c")
        // One band (grey) becomes three equal ones.
        #expect(try Self.colour(of: Array("P5\n4 4\n255\n".utf8) + [UInt8](repeating: 100, count: 16), width: 4, height: 4) == "#646464")
    }

    @Test func aWholeFileReadsBackExactly() throws {
        let folder = TestPaths.temporaryFolder("folio-read")
        defer { try? FileManager.default.removeItem(at: folder) }
        var random = SystemRandomNumberGenerator()
        for size in [0, 1, 4095, 4096, 65_537, 1_500_000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
            let path = folder.appendingPathComponent("\(size)").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(FastFiles.read(path) == bytes, "\(size) bytes")
        }
        // A file longer than its size says (procfs reports 0) is read to its end all the same.
        let status = try #require(FastFiles.read("/proc/self/status"))
        #expect(status.count > 100 && status.last == UInt8(ascii: "\n"))
        #expect(String(decoding: status, as: UTF8.self).hasPrefix("Name:"))
        #expect(FastFiles.read(folder.appendingPathComponent("missing").path) == nil)
    }
}
