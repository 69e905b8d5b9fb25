import Foundation
import Glibc
import Testing
@testable import FolioCore

/// Two shortcuts of the fast paths, held to what they replace: the prompt's trim (the input hash is
/// taken over it) is Foundation's, scalar for scalar; and a FIFO where a site file was is never
/// opened for a blocking read.
@Suite struct TrimAndFifoTests {
    /// `trimmed` takes ASCII white space off itself and leaves the rest to Foundation unless both
    /// ends are then visible ASCII characters: exactly Foundation's result when the bytes it takes
    /// off are in Foundation's set and the ones it stops at are not, which this checks byte by byte.
    @Test func thePromptIsTrimmedExactlyAsFoundationTrimsIt() {
        let set = CharacterSet.whitespacesAndNewlines
        for byte in UInt8(0)..<0x80 {
            let taken = byte == 0x20 || (0x09...0x0D).contains(byte)
            let stops = (0x21...0x7E).contains(byte)
            let scalar = Unicode.Scalar(byte)
            if taken { #expect(set.contains(scalar), "U+\(String(byte, radix: 16)) is not white space to Foundation") }
            if stops { #expect(!set.contains(scalar), "U+\(String(byte, radix: 16)) is white space to Foundation") }
        }
        // And around the scalars where Unicode and Foundation part ways, or could.
        for scalar in [0x85, 0xA0, 0x1680, 0x180E, 0x2000, 0x200A, 0x200B, 0x200C, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF, 0x301] {
            let s = Unicode.Scalar(UInt32(scalar))!
            for text in ["\(s)a b\(s)\n", " \(s)\u{301}x\n", "\(s)", "\t\(s) a", "a \(s)"] {
                #expect(PromptDecoder.trimmed(text) == text.trimmingCharacters(in: .whitespacesAndNewlines), "U+\(String(scalar, radix: 16))")
            }
        }
        // U+200B is white space to Foundation, not to Unicode's White_Space: trimmed all the same.
        #expect(PromptDecoder.trimmed("\u{200B}A fox\u{200B}\n") == "A fox")
        #expect(PromptDecoder.trimmed(" \n A fox.\n\n") == "A fox.")
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

/// The value of `body`, worked out on a thread of its own: a test's long loop must not hold one of
/// the two cooperative threads the in-process simulators of other tests answer on.
func onAThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: body()) }.start()
    }
}
