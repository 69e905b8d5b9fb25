import CSimulatorDrawing
import CVips
import Foundation
@testable import FolioCore
import Testing

/// The fast PNG decoder of the image step (Sources/CVips/pngdecode.c: libdeflate and an SSE2
/// Paeth filter) gives exactly the pixels libvips' own loader gives, for every row filter and
/// every width, and leaves every other kind of PNG, and any damaged one, to libvips.
@Suite struct PNGFastPathTests {
    static let filters = ["none", "sub", "up", "average", "paeth", "per row"]

    /// A test PNG written by libvips; its path.
    static func write(
        _ folder: URL, width: Int, height: Int, bands: Int = 3, bits: Int = 8, filter: Int = 5, interlace: Bool = false, seed: UInt64 = 1
    ) throws -> String {
        _ = Libraries.startVips
        let path = folder.appendingPathComponent("w\(width)-h\(height)-b\(bands)-\(bits)-f\(filter)-i\(interlace).png").path
        let written = folio_sim_write_test_png(path, Int32(width), Int32(height), Int32(bands), Int32(bits), Int32(filter), interlace ? 1 : 0, seed)
        guard written == 0 else { throw FolioError("could not write \(path)") }
        return path
    }

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("folio-png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// RGB and RGBA, one pixel to a few hundred, every filter: 1 means decoded fast and identical.
    @Test func everyFilterAndWidthDecodesToLibvipsPixels() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (width, height) in [(1, 1), (1, 6), (2, 3), (3, 1), (5, 7), (17, 9), (64, 64), (333, 211)] {
            for bands in [3, 4] {
                for filter in 0..<Self.filters.count {
                    let path = try Self.write(folder, width: width, height: height, bands: bands, filter: filter, seed: UInt64(width * 31 + filter))
                    #expect(
                        folio_png_fast_path_check(path) == 1,
                        "\(width)×\(height), \(bands) bands, filter \(Self.filters[filter]): not decoded, or not as libvips does")
                }
            }
        }
    }

    /// Grey, 16-bit and interlaced PNGs are libvips' to read: the fast decoder declines them (0).
    @Test func otherKindsOfPNGAreLeftToLibvips() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let grey = try Self.write(folder, width: 20, height: 20, bands: 1)
        let deep = try Self.write(folder, width: 20, height: 20, bits: 16)
        let interlaced = try Self.write(folder, width: 20, height: 20, interlace: true)
        for path in [grey, deep, interlaced] {
            #expect(folio_png_fast_path_check(path) == 0, "\(path) was taken by the fast decoder")
        }
    }

    /// A damaged PNG (cut short, image data flipped, a stream too long for its header, an unknown
    /// critical chunk) is declined, never decoded into wrong pixels and never a crash.
    @Test func damagedPNGsAreDeclined() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.write(folder, width: 40, height: 30, filter: 4)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: good)))
        #expect(folio_png_fast_path_check(good) == 1)
        let idat = try #require(Self.find("IDAT", in: bytes))
        var variants: [String: [UInt8]] = [:]
        variants["cut"] = Array(bytes.prefix(bytes.count / 2))
        var flipped = bytes
        for i in (idat + 10)..<min(idat + 60, bytes.count - 20) { flipped[i] ^= 0x5a }
        variants["flipped"] = flipped
        var taller = bytes  // the header promises fewer rows than the stream holds
        taller[8 + 8 + 7] = 20
        variants["taller"] = taller
        var critical = bytes  // IDAT renamed to a critical chunk nobody knows
        critical.replaceSubrange((idat)..<(idat + 4), with: Array("IDAX".utf8))
        variants["critical"] = critical
        for (name, damaged) in variants {
            let path = folder.appendingPathComponent("\(name).png").path
            try Data(damaged).write(to: URL(fileURLWithPath: path))
            #expect(folio_png_fast_path_check(path) == 0, "\(name): taken by the fast decoder")
        }
    }

    /// Files that libvips' loader reads differently from a plain walk of the chunks: each must be
    /// declined (0), or decoded to what libvips gives (1), never decoded otherwise (-1).
    @Test func chunksThatChangeWhatLibvipsGivesAreHandledAsItDoes() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.write(folder, width: 40, height: 30, filter: 4))))
        let chunk = OriginalMetadataTests.pngChunk
        let idat = try #require(Self.find("IDAT", in: good)) - 4
        let end = good.count - 12
        var cases: [(String, [UInt8], Int32)] = []
        // Transparency becomes an alpha band in libvips.
        cases.append(("tRNS", OriginalMetadataTests.png(good, inserting: chunk("tRNS", [0, 0, 0, 0, 0, 0])), 0))
        // An empty IDAT, then another chunk, then the image data: not one run of IDAT chunks.
        var split = good
        split.insert(contentsOf: chunk("IDAT", []) + chunk("tEXt", Array("a\u{0}b".utf8)), at: idat)
        cases.append(("empty first IDAT", split, 0))
        // A pHYs after the image data, and a second one, are not what libvips reads.
        let late = chunk("pHYs", [0, 0, 0x13, 0x88, 0, 0, 0x13, 0x88, 1])
        cases.append(("pHYs after IDAT", OriginalMetadataTests.png(good, inserting: late, beforeEnd: true), 1))
        cases.append(("second pHYs", OriginalMetadataTests.png(good, inserting: late), 1))
        // A wrong CRC on IHDR makes libvips fail.
        var badHeader = good
        badHeader[29] ^= 0xff
        cases.append(("IHDR CRC", badHeader, 0))
        // A zlib header declaring a 1 KB window for 3.6 KB of rows: zlib may refuse what libdeflate reads.
        var narrow = good
        let cmf = idat + 8
        narrow[cmf] = 0x28
        narrow[cmf + 1] = UInt8((31 - (0x28 * 256 + Int(narrow[cmf + 1] & 0xe0)) % 31) % 31) | (narrow[cmf + 1] & 0xe0)
        cases.append(("small window", narrow, 0))
        #expect(end > idat)
        for (name, bytes, expected) in cases {
            let path = folder.appendingPathComponent("\(name).png").path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(folio_png_fast_path_check(path) == expected, "\(name)")
        }
    }

    /// A rendition made from a larger one (480 from 960) has the height Folio planned from the
    /// original (373 for 1152×896), not one rounded twice.
    @Test func renditionsFromRenditionsKeepThePlannedHeight() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for (width, height) in [(1152, 896), (1216, 832), (1080, 1920)] {
            let source = try Self.write(folder, width: width, height: height, seed: UInt64(width))
            let widths: [Int32] = [960, 480]
            let targets = widths.map { folder.appendingPathComponent("\(width)-\($0).jpg").path }
            let status = withCStrings(targets) { pointers in
                widths.withUnsafeBufferPointer { folio_render_renditions(source, 2, $0.baseAddress, 1, pointers, nil, nil) }
            }
            #expect(status == 0)
            for (target, made) in zip(targets, widths) {
                let header = try #require(ImageHeader.read(try [UInt8](Data(contentsOf: URL(fileURLWithPath: target)))))
                let planned = max(1, Int((Double(height) * Double(made) / Double(width)).rounded()))
                #expect(header.width == Int(made) && header.height == planned, "\(width)×\(height) at \(made): \(header.width ?? 0)×\(header.height ?? 0)")
            }
        }
    }

    /// The offset of a chunk type's four letters in a PNG.
    static func find(_ type: String, in bytes: [UInt8]) -> Int? {
        let pattern = Array(type.utf8)
        return (0..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == pattern }
    }
}
