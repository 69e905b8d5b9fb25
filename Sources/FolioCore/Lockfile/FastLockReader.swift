import Foundation

/// Reads `folio.lock` into its on-disk schema without Foundation's `JSONDecoder`, entry by entry,
/// exactly as the decoder would read a file Folio wrote — or gives up (nil) at the first thing it
/// does not expect: a number with a fraction or exponent, a duplicate key, a value of another type,
/// invalid UTF-8, nesting past 256 levels. Then the decoder reads the file, and its errors name the
/// problem; this reader never decides that a lockfile is damaged.
enum FastLockReader {
    static func schema(_ data: Data) -> Lockfile.Schema? {
        data.withUnsafeBytes { raw in
            let scanner = JSONScanner(bytes: raw.bindMemory(to: UInt8.self))
            return scanner.lockfile()
        }
    }
}

/// A cursor over JSON text that reads the values Folio's files hold.
private final class JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: - The lockfile

    func lockfile() -> Lockfile.Schema? {
        var version: Int?
        var entries: [String: Lockfile.EntrySchema]?
        let read = members { scanner, key in
            switch key {
            case "version":
                guard version == nil, case .int(let v)? = scanner.value() else { return false }
                version = v
            case "entries":
                guard entries == nil else { return false }
                var all: [String: Lockfile.EntrySchema] = [:]
                let ok = scanner.members { scanner, id in
                    guard all[id] == nil, case .object(let pairs)? = scanner.value(), let entry = Self.entry(pairs) else { return false }
                    all[id] = entry
                    return true
                }
                guard ok else { return false }
                entries = all
            default:
                return scanner.value() != nil
            }
            return true
        }
        skipSpace()
        guard read, position == bytes.count, let version, let entries else { return nil }
        return Lockfile.Schema(version: version, entries: entries)
    }

    private static func entry(_ pairs: [(String, JSONValue)]) -> Lockfile.EntrySchema? {
        let fields = Fields(pairs)
        guard let inputHash = fields.string("input_hash"), let route = fields.string("route"), let model = fields.string("model"),
            let stateName = fields.string("state"), let state = LockEntry.State(rawValue: stateName),
            let externalTaskID = fields.optionalString("external_task_id"), let taskID = fields.optionalString("task_id"),
            let requestID = fields.optionalString("request_id"), let createdAt = fields.optionalString("created_at"),
            let updatedAt = fields.optionalString("updated_at"), let text = fields.optionalString("text"),
            let simulated = fields.optional("simulated", { if case .bool(let b) = $0 { b } else { nil } }),
            let inFlight = fields.optional("in_flight", { Self.array($0) { if case .int(let i) = $0 { i } else { nil } } }),
            let outputs = fields.optional("outputs", { Self.array($0) { if case .object(let pairs) = $0 { Self.output(pairs) } else { nil } } }),
            let error = fields.optional("error", Self.error),
            let generation = fields.optional(
                "generation",
                { value -> Lockfile.GenerationSchema? in
                    guard case .object(let pairs) = value else { return nil }
                    return Self.generation(pairs)
                }),
            let cost = fields.optional("cost", { $0 })
        else { return nil }
        return Lockfile.EntrySchema(
            input_hash: inputHash, route: route, model: model, state: state, external_task_id: externalTaskID, task_id: taskID,
            request_id: requestID, created_at: createdAt, updated_at: updatedAt, outputs: outputs, text: text, error: error, cost: cost,
            simulated: simulated, in_flight: inFlight, generation: generation)
    }

    private static func output(_ pairs: [(String, JSONValue)]) -> Lockfile.OutputSchema? {
        let fields = Fields(pairs)
        guard let index = fields.int("index"), let url = fields.optionalString("url"), let file = fields.optionalString("file"),
            let sha256 = fields.optionalString("sha256"), let bytes = fields.int("bytes"), let width = fields.int("width"),
            let height = fields.int("height"), let mime = fields.string("mime"), let carries = fields.optional("carries", { $0 })
        else { return nil }
        return Lockfile.OutputSchema(
            index: index, url: url, file: file, sha256: sha256, bytes: bytes, width: width, height: height, mime: mime, carries: carries)
    }

    private static func error(_ value: JSONValue) -> LockError? {
        guard case .object(let pairs) = value else { return nil }
        let fields = Fields(pairs)
        guard let kindName = fields.string("kind"), let kind = LockError.Kind(rawValue: kindName), let code = fields.optionalString("code"),
            let message = fields.string("message")
        else { return nil }
        return LockError(kind: kind, code: code, message: message)
    }

    private static func generation(_ pairs: [(String, JSONValue)]) -> Lockfile.GenerationSchema? {
        let fields = Fields(pairs)
        func flag(_ key: String) -> Bool?? { fields.optional(key) { if case .bool(let b) = $0 { b } else { nil } } }
        func number(_ key: String) -> Int?? { fields.optional(key) { if case .int(let i) = $0 { i } else { nil } } }
        guard let folioHash = fields.int("folio_hash"), let route = fields.string("route"), let model = fields.string("model"),
            let prompt = fields.string("prompt"), let n = fields.int("n"), let negative = fields.optionalString("negative_prompt"),
            let size = fields.optionalString("size"), let aspect = fields.optionalString("aspect_ratio"),
            let resolution = fields.optionalString("resolution"), let imageSize = fields.optionalString("image_size"),
            let resultType = fields.optionalString("result_type"), let seed = number("seed"), let watermark = flag("watermark"),
            let extend = flag("prompt_extend"), let amount = number("series_amount"),
            let images = fields.optional("images", { Self.array($0) { if case .string(let text) = $0 { text } else { nil } } }),
            let extra = fields.optional("extra", { $0 })
        else { return nil }
        return Lockfile.GenerationSchema(
            folio_hash: folioHash, route: route, model: model, prompt: prompt, n: n, negative_prompt: negative, size: size,
            aspect_ratio: aspect, resolution: resolution, image_size: imageSize, result_type: resultType, seed: seed, watermark: watermark,
            prompt_extend: extend, series_amount: amount, images: images, extra: extra)
    }

    /// An array each of whose items `read` takes; nil for anything else.
    private static func array<T>(_ value: JSONValue, _ read: (JSONValue) -> T?) -> [T]? {
        guard case .array(let items) = value else { return nil }
        var values: [T] = []
        values.reserveCapacity(items.count)
        for item in items {
            guard let value = read(item) else { return nil }
            values.append(value)
        }
        return values
    }

    /// The members of one object, as `Decodable` reads them: a missing key and `null` are both nil
    /// for an optional, and wrong for a required key.
    struct Fields {
        let pairs: [(String, JSONValue)]

        init(_ pairs: [(String, JSONValue)]) {
            self.pairs = pairs
        }

        func value(_ key: String) -> JSONValue? { pairs.first { $0.0 == key }?.1 }

        func string(_ key: String) -> String? {
            if case .string(let text)? = value(key) { return text }
            return nil
        }

        func int(_ key: String) -> Int? {
            if case .int(let number)? = value(key) { return number }
            return nil
        }

        /// `.some(nil)` when absent or null, `.some(v)` when `read` takes it, nil (give up) otherwise.
        func optional<T>(_ key: String, _ read: (JSONValue) -> T?) -> T?? {
            guard let found = value(key), found != .null else { return .some(nil) }
            guard let value = read(found) else { return nil }
            return .some(value)
        }

        func optionalString(_ key: String) -> String?? {
            optional(key) { if case .string(let text) = $0 { text } else { nil } }
        }
    }

    // MARK: - JSON

    func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    /// Reads an object's members, calling `member` with the scanner at each value; false when the
    /// text is not an object, a key repeats, or `member` says so.
    func members(_ member: (JSONScanner, String) -> Bool) -> Bool {
        skipSpace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "{") else { return false }
        position += 1
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return true
        }
        var seen = Set<String>()
        while true {
            skipSpace()
            guard let key = string(), seen.insert(key).inserted else { return false }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return false }
            position += 1
            guard member(self, key), let more = separator(closing: UInt8(ascii: "}")) else { return false }
            if !more { return true }
        }
    }

    /// After a member or an item: true past a `,`, false past `closing`, nil at anything else.
    private func separator(closing: UInt8) -> Bool? {
        skipSpace()
        guard position < bytes.count else { return nil }
        let byte = bytes[position]
        guard byte == UInt8(ascii: ",") || byte == closing else { return nil }
        position += 1
        return byte == UInt8(ascii: ",")
    }

    /// Any value, as `JSONValue`'s `Decodable` gives it (objects' keys sorted); nil past 256 levels.
    func value(depth: Int = 0) -> JSONValue? {
        guard depth < 256 else { return nil }
        skipSpace()
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            var pairs: [(String, JSONValue)] = []
            let ok = members { scanner, key in
                guard let inner = scanner.value(depth: depth + 1) else { return false }
                pairs.append((key, inner))
                return true
            }
            guard ok else { return nil }
            return .object(pairs.sorted { $0.0 < $1.0 })
        case UInt8(ascii: "["):
            position += 1
            var items: [JSONValue] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                guard let item = value(depth: depth + 1), let more = separator(closing: UInt8(ascii: "]")) else { return nil }
                items.append(item)
                if !more { return .array(items) }
            }
        case UInt8(ascii: "\""):
            return string().map { .string($0) }
        case UInt8(ascii: "t"):
            return literal("true", .bool(true))
        case UInt8(ascii: "f"):
            return literal("false", .bool(false))
        case UInt8(ascii: "n"):
            return literal("null", .null)
        default:
            return integer().map { .int($0) }
        }
    }

    private func literal(_ word: StaticString, _ value: JSONValue) -> JSONValue? {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { return nil }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return nil }
        position += count
        return value
    }

    /// An integer: `-`, then digits without a leading zero; nil for a fraction, an exponent or one
    /// past `Int`'s range (the decoder reads those, and decides).
    private func integer() -> Int? {
        var negative = false
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        let start = position
        var magnitude = 0
        while position < bytes.count, (0x30...0x39).contains(bytes[position]) {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(Int(bytes[position] - 0x30))
            guard !o1, !o2 else { return nil }
            magnitude = plus
            position += 1
        }
        let digits = position - start
        guard digits > 0, !(digits > 1 && bytes[start] == 0x30) else { return nil }
        if position < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[position]) { return nil }
        return negative ? -magnitude : magnitude
    }

    /// A string at the cursor, its escapes undone; nil for a control character, a bad escape, a lone
    /// surrogate or invalid UTF-8.
    func string() -> String? {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { return nil }
        position += 1
        let start = position
        // The common case: no escapes, taken as it is.
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            guard byte >= 0x20 else { return nil }
            position += 1
        }
        var out = Array(bytes[start..<position])
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(validating: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    guard var unit = hex4() else { return nil }
                    var scalarValue = UInt32(unit)
                    if (0xD800...0xDBFF).contains(unit) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            return nil
                        }
                        position += 2
                        guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return nil }
                        scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                        unit = 0
                    } else if (0xDC00...0xDFFF).contains(unit) {
                        return nil
                    }
                    guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                    out += Array(String(Character(scalar)).utf8)
                default:
                    return nil
                }
            default:
                guard byte >= 0x20 else { return nil }
                out.append(byte)
            }
        }
        return nil
    }

    private func hex4() -> UInt16? {
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt16
            switch byte {
            case 0x30...0x39: digit = UInt16(byte - 0x30)
            case 0x61...0x66: digit = UInt16(byte - 0x61 + 10)
            case 0x41...0x46: digit = UInt16(byte - 0x41 + 10)
            default: return nil
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
