import Foundation
import Testing
@testable import FolioCore

/// Folio's own reader of `folio.lock` gives what Foundation's decoder gives, for every file Folio
/// writes and every file it does not (then it gives up, and the decoder reads it).
@Suite struct FastLockReaderTests {
    /// A lockfile text with every kind of field and value Folio writes.
    static let text = """
        {
          "version": 1,
          "entries": {
            "a/fox": {
              "input_hash": "sha256:aa", "route": "kling", "model": "kling-v2-1", "state": "succeeded",
              "external_task_id": "folio-1", "task_id": "t\\u00e9\\/1", "request_id": null, "created_at": "2026-11-25T12:00:00Z",
              "updated_at": "2026-11-25T12:00:41Z",
              "outputs": [
                {"index": 0, "url": "https://cdn.example/1.png", "file": "assets/\(LockfileTests.digest).png", "sha256": "\(LockfileTests.digest)",
                 "bytes": 2318312, "width": 1536, "height": 2048, "mime": "image/png", "carries": {"c2pa": true, "aigc": {"label": "1", "b": [1, null, "x"]}}},
                {"index": 1, "url": "https://cdn.example/2.png", "file": null, "sha256": null, "bytes": 0, "width": 0, "height": 0, "mime": ""}
              ],
              "text": "Here is a \\"fox\\"\\nwith \\ud83e\\udd8a and ünïcode", "error": null,
              "cost": {"final_unit_deduction": "2", "z": {"b": 1, "a": -3}}, "simulated": true, "in_flight": [0, 2],
              "generation": {"folio_hash": 1, "route": "kling", "model": "kling-v2-1", "prompt": "A fox", "n": 2, "seed": 7,
                             "watermark": false, "images": ["sha256:\(LockfileTests.digest)"], "extra": {"q": {"b": 2, "a": [true]}}, "unknown": 3}
            },
            "gem": {"input_hash": "sha256:cc", "route": "gemini", "model": "m", "state": "failed", "outputs": [],
                    "error": {"kind": "moderation", "code": "IMAGE_SAFETY", "message": "no"}, "future_key": {"x": [1, 2]}}
          },
          "future_top_level": 1
        }
        """

    @Test func itReadsWhatTheDecoderReads() throws {
        let data = Data(Self.text.utf8)
        #expect(FastLockReader.schema(data) != nil, "a file Folio writes is read without the decoder")
        let fast = try Lockfile.decode(data)
        let slow = try Lockfile.decode(data, fastReader: false)
        #expect(fast == slow)
        #expect(fast.entries["a/fox"]?.taskID == "té/1" && fast.entries["a/fox"]?.text?.contains("🦊") == true)
        // And what Folio writes itself, read back.
        let written = Data(fast.encoded().utf8)
        #expect(FastLockReader.schema(written) != nil)
        #expect(try Lockfile.decode(written) == slow)
    }

    @Test func whatItDoesNotExpectGoesToTheDecoder() throws {
        let cases = [
            Self.text.replacingOccurrences(of: "\"2\", \"z\"", with: "2.5, \"z\""),  // a fraction
            Self.text.replacingOccurrences(of: "\"bytes\": 2318312", with: "\"bytes\": 2318312, \"bytes\": 1"),  // a duplicate key
            Self.text.replacingOccurrences(of: "\"n\": 2", with: "\"n\": 2e0"),  // an exponent
            Self.text.replacingOccurrences(of: "\"seed\": 7", with: "\"seed\": \"7\""),  // another type
        ]
        for text in cases {
            let data = Data(text.utf8)
            #expect(FastLockReader.schema(data) == nil, "\(text.prefix(0))")
            // Read as the decoder reads it, or refused with its message.
            let fast = Result { () throws(FolioError) in try Lockfile.decode(data) }
            let slow = Result { () throws(FolioError) in try Lockfile.decode(data, fastReader: false) }
            #expect(Self.same(fast, slow))
        }
    }

    /// The same lockfile read, or the same message.
    static func same(_ a: Result<Lockfile, FolioError>, _ b: Result<Lockfile, FolioError>) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x == y
        case (.failure(let x), .failure(let y)): x.message == y.message
        default: false
        }
    }

    /// Damaged copies of a lockfile: whenever the reader takes one, the decoder reads the same entries.
    @Test func damagedCopiesAreReadAsTheDecoderReadsThem() async throws {
        // Seconds of work: on a thread of its own (see `onAThread`). The fuzz target `lockfile` does
        // the same, a million times.
        let (taken, differ) = await onAThread { () -> (Int, [String]) in
            var generator = SystemRandomNumberGenerator()
            let original = Array(Self.text.utf8)
            let alphabet = Array("{}[]\",:0123456789-.eEtrufalsn \\u\n".utf8) + [0xC3, 0xA9, 0x80, 0x01]
            var taken = 0
            var differ: [String] = []
            for _ in 0..<300 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    let at = Int.random(in: 0..<bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes[at] = alphabet.randomElement(using: &generator)!
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(alphabet.randomElement(using: &generator)!, at: at)
                    }
                }
                let data = Data(bytes)
                guard FastLockReader.schema(data) != nil else { continue }
                taken += 1
                let fast = Result { () throws(FolioError) in try Lockfile.decode(data) }
                let slow = Result { () throws(FolioError) in try Lockfile.decode(data, fastReader: false) }
                if !Self.same(fast, slow) { differ.append(String(decoding: bytes, as: UTF8.self)) }
            }
            return (taken, differ)
        }
        #expect(differ.isEmpty, "\(differ.prefix(2))")
        #expect(taken > 10, "most single changes inside strings still read")
    }
}
