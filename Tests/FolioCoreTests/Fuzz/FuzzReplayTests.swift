import Foundation
import Testing

/// The fuzz targets (`FuzzTargets.swift`) on every `swift test`, without libFuzzer: each input of the
/// checked-in corpus (`Fuzz/corpus/<target>/`) and every input a fuzzer ever crashed on
/// (`Fuzz/regressions/<target>/`), then seeded mutations of them. `FOLIO_FUZZ_SEED` and
/// `FOLIO_FUZZ_MUTATIONS` repeat or lengthen a run; a failure names its seed and input.
@Suite struct FuzzReplayTests {
    static let fuzz = TestPaths.packageRoot.appendingPathComponent("Fuzz")

    /// The files of `folder/<target>/`, by name.
    static func inputs(_ target: FuzzTarget, in folder: String) -> [(name: String, bytes: [UInt8])] {
        let url = fuzz.appendingPathComponent(folder).appendingPathComponent(target.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.sorted().filter { !$0.hasPrefix(".") }.compactMap { name in
            FileManager.default.contents(atPath: url.appendingPathComponent(name).path).map { ("\(folder)/\(target.rawValue)/\(name)", [UInt8]($0)) }
        }
    }

    /// Runs one input, timed: it must hold every property, and end (30 s at most: a guard against a hang, not a speed check).
    static func check(_ target: FuzzTarget, _ name: String, _ bytes: [UInt8]) {
        let clock = ContinuousClock()
        let start = clock.now
        let problems = target.run(bytes)
        let elapsed = clock.now - start
        #expect(problems.isEmpty, "\(name): \(problems.joined(separator: "; "))")
        #expect(elapsed < .seconds(30), "\(name) took \(elapsed)")
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyCorpusAndRegressionInputIsDecodedCleanly(_ target: FuzzTarget) {
        let corpus = Self.inputs(target, in: "corpus")
        #expect(corpus.count >= 5, "the corpus of \(target.rawValue) is missing")
        for (name, bytes) in corpus + Self.inputs(target, in: "regressions") {
            Self.check(target, name, bytes)
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func seededMutationsOfTheCorpusAreDecodedCleanly(_ target: FuzzTarget) {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["FOLIO_FUZZ_SEED"].flatMap { UInt64($0) } ?? 20_261_125
        let count = environment["FOLIO_FUZZ_MUTATIONS"].flatMap { Int($0) } ?? 150
        let inputs = Self.inputs(target, in: "corpus") + Self.inputs(target, in: "regressions")
        guard !inputs.isEmpty else { return }
        var mutator = Mutator(seed: seed ^ UInt64(FuzzTarget.allCases.firstIndex(of: target)!))
        for i in 0..<count {
            let (name, bytes) = inputs[Int(mutator.next() % UInt64(inputs.count))]
            let mutated = mutator.mutate(bytes, other: inputs[Int(mutator.next() % UInt64(inputs.count))].bytes, json: target != .prompt && target != .config)
            Self.check(target, "FOLIO_FUZZ_SEED=\(seed) mutation \(i) of \(name), base64 \(Data(mutated).base64EncodedString())", mutated)
        }
    }

    @Test func theMutatorRepeatsFromItsSeed() {
        var a = Mutator(seed: 7), b = Mutator(seed: 7)
        let input = Array("---\ntitle: x\n---\nbody\n".utf8)
        for _ in 0..<50 { #expect(a.mutate(input, other: input, json: false) == b.mutate(input, other: input, json: false)) }
    }
}

/// Structure-aware mutations from a seed (SplitMix64): byte flips, cuts, splices with another
/// input, YAML and JSON tokens, huge numbers, deep nesting, invalid UTF-8.
struct Mutator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    static let yamlTokens = [
        "---", "...", "&a ", "*a", "<<: *a", "? ", ": ", "- ", "{", "}", "[", "]", "!!binary ", "!!str ", "!tag ", "%YAML 1.1\n", "\t", "|\n  ",
        ">-\n  ", "'", "\"", "\\u00", "#", "~", "null", "yes", "0x1F", "0o17", ".inf", "-.nan", "1e400", "99999999999999999999999",
        "route: kling", "route: kling-omni", "route: dashscope", "n: 9", "images: [a.png]", "extra: {a: 1}", "private: [prompt]",
        "<<<image_1>>>", "[[sim:reset]]",
    ]
    static let jsonTokens = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\\ud800", "null", "true", "false", "-0", "1e400", "-1e400",
        "99999999999999999999999", "0.000000000000000000001", "\"code\": 0", "\"task_status\": \"succeed\"", "\"images\": [",
        "\"inlineData\": {\"mimeType\": \"image/png\", \"data\": \"iVBORw0KGgo=\"}", "\"retryDelay\": \"nans\"",
        "\"version\": 1", "\"outputs\": [", "\"state\": \"pending\"", FuzzTarget.key,
    ]

    /// One to four mutations of `input`.
    mutating func mutate(_ input: [UInt8], other: [UInt8], json: Bool) -> [UInt8] {
        var bytes = input
        for _ in 0...below(4) {
            let at = below(bytes.count + 1)
            switch below(10) {
            case 0 where !bytes.isEmpty:
                bytes[below(bytes.count)] ^= UInt8(1 << below(8))
            case 1:
                bytes = Array(bytes.prefix(at))
            case 2:
                let from = below(other.count + 1)
                bytes = Array(bytes.prefix(at)) + Array(other.dropFirst(from).prefix(below(200)))
            case 3, 4:
                let tokens = json ? Self.jsonTokens : Self.yamlTokens
                bytes.insert(contentsOf: Array(tokens[below(tokens.count)].utf8), at: at)
            case 5:
                let depth = 1 + below(2000)
                let (open, close): (String, String) = json ? ("[", "]") : below(2) == 0 ? ("[", "]") : ("{a: ", "}")
                bytes.insert(contentsOf: Array((String(repeating: open, count: depth) + String(repeating: close, count: below(2) * depth)).utf8), at: at)
            case 6:
                let invalid: [[UInt8]] = [
                    [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x00], [0x0D], [0xEF, 0xBB, 0xBF],
                ]
                bytes.insert(contentsOf: invalid[below(invalid.count)], at: at)
            case 7 where !bytes.isEmpty:
                let start = below(bytes.count), length = below(min(64, bytes.count - start) + 1)
                let piece = Array(bytes[start..<(start + length)])
                for _ in 0..<below(50) { bytes.insert(contentsOf: piece, at: at) }
            case 8 where !bytes.isEmpty:
                let start = below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(16)))
            default:
                bytes.insert(UInt8(truncatingIfNeeded: next()), at: at)
            }
        }
        return bytes
    }
}
