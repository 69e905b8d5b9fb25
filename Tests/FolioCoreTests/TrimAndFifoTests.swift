import Foundation
import Glibc
import Testing
@testable import FolioCore

/// Two shortcuts of the fast paths, held to what they replace: the prompt's trim (the input hash is
/// taken over it) is Foundation's, scalar for scalar; and a FIFO where a site file was is never
/// opened for a blocking read.
@Suite struct TrimAndFifoTests {
    @Test func thePromptIsTrimmedExactlyAsFoundationTrimsIt() {
        var scalars = (0...0xFFFF).compactMap(Unicode.Scalar.init)
        scalars += [0x1F98A, 0xE0020, 0x10FFFD].compactMap(Unicode.Scalar.init)
        var differ: [String] = []
        for scalar in scalars {
            for text in ["\(scalar)a b\(scalar)", " \(scalar)\u{301}x\n"] {
                let foundation = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if PromptDecoder.trimmed(text) != foundation { differ.append(String(scalar.value, radix: 16)) }
            }
        }
        #expect(differ.isEmpty, "trimmed differently around U+\(differ.prefix(10))")
        // U+200B is white space to Foundation, not to Unicode's White_Space: trimmed all the same.
        #expect(PromptDecoder.trimmed("\u{200B}A fox\u{200B}") == "A fox")
    }

    @Test(.timeLimit(.minutes(1))) func aFifoInTheSiteIsNeverReadFrom() throws {
        let folder = TestPaths.temporaryFolder("folio-fifo")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fifo = folder.appendingPathComponent("gallery.json").path
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(!FastFiles.holds(fifo, exactly: Array("{}".utf8)))
        // Replaced by a file of the new bytes, not read from.
        let file = try StreamedFile(replacing: fifo)
        try file.append(Array("{}".utf8))
        #expect(try file.finish())
        #expect(FastFiles.read(fifo) == Array("{}".utf8))
    }
}
