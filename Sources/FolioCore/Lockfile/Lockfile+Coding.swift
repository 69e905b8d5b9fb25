import Foundation

extension Lockfile {
    /// Past this `folio.lock` is refused: about 100 times a 10,000-prompt project's (8.6 MB).
    static let maxBytes = 1 << 30

    /// Reads `folio.lock` from `project`; a missing file is an empty lockfile.
    public static func load(project: URL) throws(FolioError) -> Lockfile {
        let url = project.appendingPathComponent(fileName)
        // Only a regular file, never opened for long (a pipe in its place must not hang a build,
        // nor a link to /dev/zero fill memory), and bounded.
        switch FastFiles.read(url.path, atMost: maxBytes) {
        case .bytes(let bytes):
            return try decode(Data(bytes))
        case .tooLarge(let size):
            throw FolioError(
                "\(fileName) is \(size / 1_000_000) MB; Folio reads lockfiles of at most \(maxBytes / 1_000_000) MB. The file was left unchanged.",
                path: fileName)
        case .unreadable:
            var info = stat()
            guard lstat(url.path, &info) == 0 else { return Lockfile() }
            throw FolioError("\(fileName): cannot read the file; check its permissions", path: fileName)
        }
    }

    /// `folio.lock` read before the run lock is held, so that decoding it overlaps loading the
    /// prompts; `current` gives it only while the file is still the one read (a write by another
    /// process renames a new file into place, which changes its identity).
    struct EarlyRead: Sendable {
        private let identity: FileIdentity?
        private let result: Result<Lockfile, FolioError>

        init(project: URL) {
            let path = project.appendingPathComponent(fileName).path
            let before = Self.identity(path)
            result = Result { () throws(FolioError) in try Lockfile.load(project: project) }
            // Read between two equal stats: these bytes are that file's.
            identity = before != nil && Self.identity(path) == before ? before : nil
        }

        /// What was read, when `folio.lock` is still that file; else nil (read it again).
        func current(project: URL) throws(FolioError) -> Lockfile? {
            guard let identity, Self.identity(project.appendingPathComponent(fileName).path) == identity else { return nil }
            return try result.get()
        }

        private static func identity(_ path: String) -> FileIdentity? {
            var info = stat()
            return lstat(path, &info) == 0 ? FileIdentity(info) : nil
        }
    }

    /// Decodes the bytes of a lockfile; `fastReader` false reads it with Foundation's decoder only (for tests).
    public static func decode(_ data: Data, fastReader: Bool = true) throws(FolioError) -> Lockfile {
        let recovery =
            "It was left unchanged. Restore it from version control ('git checkout -- folio.lock'), or move it aside to start a new one: the images in assets/ stay, but prompts without an entry are generated (and paid for) again."
        func check(_ version: Int) throws(FolioError) {
            guard version <= currentVersion else {
                throw FolioError(
                    "\(fileName) is version \(version), written by a newer Folio; this Folio reads version \(currentVersion). Upgrade Folio to use this project. The file was left unchanged.",
                    path: fileName)
            }
            guard version == currentVersion else {
                throw FolioError("\(fileName) has version \(version), which no Folio wrote. \(recovery)", path: fileName)
            }
        }
        let schema: Schema
        do {
            // One parse of the whole file (8.6 MB at 10,000 prompts) in the usual case; the version
            // alone is read only when the file does not fit this Folio's schema, so that a newer
            // Folio's lockfile is named as such rather than as damaged.
            do {
                // Folio's own lockfile is read by a reader of its own (Foundation's decoder took 0.15 s
                // at 10,000 entries, on every command); anything it does not expect goes to the
                // decoder, which also names what is wrong.
                schema = try (fastReader ? FastLockReader.schema(data) : nil) ?? JSONDecoder().decode(Schema.self, from: data)
            } catch let error as DecodingError {
                if let probe = try? JSONDecoder().decode(VersionProbe.self, from: data) { try check(probe.version) }
                throw error
            }
            try check(schema.version)
        } catch let error as FolioError {
            throw error
        } catch let error as DecodingError {
            // Foundation calls valid JSON with a number no field can hold (`"bytes": 1e30`) not JSON.
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty, context.underlyingError == nil,
                let number = Self.misfitNumber(in: data)
            {
                throw FolioError(
                    "\(fileName) is damaged: \(number) does not fit where it stands (too large, or not a whole number). \(recovery)", path: fileName)
            }
            throw FolioError("\(fileName) is damaged: \(describe(error)). \(recovery)", path: fileName)
        } catch {
            throw FolioError("\(fileName) is not valid JSON: \(error.localizedDescription). \(recovery)", path: fileName)
        }
        var entries: [String: LockEntry] = [:]
        entries.reserveCapacity(schema.entries.count)
        // The first problem by id is the one named, whatever order the entries were read in.
        var damage: (id: String, message: String)?
        for (id, e) in schema.entries {
            if let damage, damage.id < id { continue }
            guard let route = RouteID(rawValue: e.route) else {
                damage = (id, "entry '\(id)' names an unknown route '\(e.route)'")
                continue
            }
            // Values are data, never paths: a crafted `file` or `sha256` would make render read or
            // write outside the project.
            if let (position, problem) = (e.outputs ?? []).enumerated().lazy.compactMap({ i, o in o.pathProblem.map { (i, $0) } }).first {
                damage = (id, "entry '\(id)', outputs[\(position)].\(problem)")
                continue
            }
            entries[id] = LockEntry(
                inputHash: e.input_hash, route: route, model: e.model, state: e.state, externalTaskID: e.external_task_id,
                taskID: e.task_id, requestID: e.request_id, createdAt: e.created_at, updatedAt: e.updated_at,
                outputs: (e.outputs ?? []).map(\.output), text: e.text, error: e.error, cost: e.cost, simulated: e.simulated ?? false,
                inFlight: e.in_flight ?? [], generation: e.generation?.value)
        }
        if let damage { throw FolioError("\(fileName) is damaged: \(damage.message). \(recovery)", path: fileName) }
        return Lockfile(entries: entries)
    }

    /// The first number of a file that is valid JSON, at its key (`entries.fox.outputs[0].bytes = 1e30`),
    /// that no field of Folio's can hold: too large for an Int, or a fraction where a whole number is
    /// read; nil when the file is not JSON or has none.
    static func misfitNumber(in data: Data) -> String? {
        guard let document = try? JSONDecoder().decode(JSONValue.self, from: data) else { return nil }
        // The keys Folio reads as whole numbers; elsewhere (a gateway's cost report) a fraction is fine.
        let whole: Set = ["version", "index", "bytes", "width", "height", "in_flight"]
        func find(_ value: JSONValue, _ path: String, _ key: String) -> String? {
            switch value {
            case .double(let number) where abs(number) >= 9.2e18 || (whole.contains(key) && number.rounded() != number):
                return "\(path) = \(number)"
            case .object(let pairs):
                for (name, member) in pairs { if let found = find(member, path.isEmpty ? name : "\(path).\(name)", name) { return found } }
            case .array(let items):
                for (index, item) in items.enumerated() { if let found = find(item, "\(path)[\(index)]", key) { return found } }
            default: break
            }
            return nil
        }
        return find(document, "", "")
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch error {
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return "unexpected value at \(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "not valid JSON" + (underlying.map { " (\($0))" } ?? "")
        case .keyNotFound(let key, let context):
            return "'\(key.stringValue)' is missing at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "unexpected value at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    /// The file's text: version 1, entries sorted by id, two-space indent, trailing newline.
    public func encoded() -> String {
        String(decoding: Self.assemble(entries.keys.sorted().map { Self.fragment($0, entries[$0]!) }), as: UTF8.self)
    }

    /// One entry as it stands in the file: its id, and the entry at the depth of `entries`'s members.
    static func fragment(_ id: String, _ entry: LockEntry) -> [UInt8] {
        var out: [UInt8] = []
        JSONValue.writeString(id, into: &out)
        out.append(contentsOf: Array(": ".utf8))
        entry.json.writePretty(into: &out, indent: 2)
        return out
    }

    /// The file from its entries' fragments, sorted by id: what `JSONValue.pretty` writes for the
    /// object {"version", "entries"}, so that a writer keeping each entry's fragment (LockStore,
    /// which rewrites the file after every change) re-encodes only the entries that changed.
    static func assemble(_ fragments: [[UInt8]]) -> [UInt8] {
        var out = Array("{\n  \"version\": \(currentVersion),\n  \"entries\": ".utf8)
        out.reserveCapacity(fragments.reduce(64) { $0 + $1.count + 6 })
        if fragments.isEmpty {
            out.append(contentsOf: Array("{}".utf8))
        } else {
            out.append(UInt8(ascii: "{"))
            for (i, fragment) in fragments.enumerated() {
                out.append(contentsOf: Array((i > 0 ? ",\n    " : "\n    ").utf8))
                out.append(contentsOf: fragment)
            }
            out.append(contentsOf: Array("\n  }".utf8))
        }
        out.append(contentsOf: Array("\n}\n".utf8))
        return out
    }

    // MARK: On-disk schema

    private struct VersionProbe: Decodable {
        var version: Int
    }

    struct Schema: Decodable {
        var version: Int
        var entries: [String: EntrySchema]
    }

    // swiftlint:disable identifier_name
    struct EntrySchema: Decodable {
        var input_hash: String
        var route: String
        var model: String
        var state: LockEntry.State
        var external_task_id: String?
        var task_id: String?
        var request_id: String?
        var created_at: String?
        var updated_at: String?
        var outputs: [OutputSchema]?
        var text: String?
        var error: LockError?
        var cost: JSONValue?
        var simulated: Bool?
        var in_flight: [Int]?
        var generation: GenerationSchema?
    }

    /// An entry's `generation` as Folio writes it: the keys of `Generation.hashInput`, typed. Decoding
    /// into `JSONValue` would try each type in turn for every value, which at 10,000 entries doubles
    /// the time every command takes to read the lockfile. Whether the record hashes to the entry's
    /// `input_hash` is checked where it is shown (`GenerationChanges.between`, stale entries only);
    /// one with a key this Folio does not know loses it, so it no longer hashes, and is not shown.
    struct GenerationSchema: Decodable {
        var folio_hash: Int
        var route: String
        var model: String
        var prompt: String
        var n: Int
        var negative_prompt: String?
        var size: String?
        var aspect_ratio: String?
        var resolution: String?
        var image_size: String?
        var result_type: String?
        var seed: Int?
        var watermark: Bool?
        var prompt_extend: Bool?
        var series_amount: Int?
        var images: [String]?
        var extra: JSONValue?

        /// The record as `Generation.record` gives it: the keys present, sorted.
        var value: JSONValue {
            var pairs: [(String, JSONValue)] = [
                ("folio_hash", .int(folio_hash)), ("route", .string(route)), ("model", .string(model)), ("prompt", .string(prompt)),
                ("n", .int(n)),
            ]
            let texts = [
                ("negative_prompt", negative_prompt), ("size", size), ("aspect_ratio", aspect_ratio), ("resolution", resolution),
                ("image_size", image_size), ("result_type", result_type),
            ]
            for (key, text) in texts { if let text { pairs.append((key, .string(text))) } }
            if let seed { pairs.append(("seed", .int(seed))) }
            if let watermark { pairs.append(("watermark", .bool(watermark))) }
            if let promptExtend = prompt_extend { pairs.append(("prompt_extend", .bool(promptExtend))) }
            if let seriesAmount = series_amount { pairs.append(("series_amount", .int(seriesAmount))) }
            if let images { pairs.append(("images", .array(images.map { .string($0) }))) }
            if let extra { pairs.append(("extra", extra)) }
            return JSONValue.object(pairs).keysSorted
        }
    }
    // swiftlint:enable identifier_name

    /// An output as written: `file` and `sha256` are null (or empty) until the image is downloaded,
    /// and then `bytes`, `width`, `height` and `mime` are 0 and empty.
    struct OutputSchema: Decodable {
        var index: Int
        var url: String?
        var file: String?
        var sha256: String?
        var bytes: Int
        var width: Int
        var height: Int
        var mime: String
        var carries: JSONValue?

        /// What is wrong with `file` and `sha256`, naming the field; nil when both hold what Folio writes:
        /// `sha256` 64 lowercase hex digits and `file` exactly `assets/<sha256>.<png|jpg|webp>`, or both
        /// empty for an image whose URL is known but which is not downloaded yet.
        var pathProblem: String? {
            // Numbers are data too: an index or a size no route could produce would overflow a
            // seed or a rendition's arithmetic further on.
            guard (0..<LockOutput.maxIndex).contains(index) else {
                return "index is \(index), not from 0 to \(LockOutput.maxIndex - 1)"
            }
            let file = file ?? "", sha256 = sha256 ?? ""
            if file.isEmpty, sha256.isEmpty { return nil }
            guard (1...LockOutput.maxSide).contains(width) else { return "width is \(width), not from 1 to \(LockOutput.maxSide) pixels" }
            guard (1...LockOutput.maxSide).contains(height) else { return "height is \(height), not from 1 to \(LockOutput.maxSide) pixels" }
            guard LockOutput.isDigest(sha256) else {
                return "sha256 is '\(sha256.prefix(80))', not 64 lowercase hexadecimal digits"
            }
            // Byte by byte, not through NSString: 10,000 entries are checked on every run.
            let bytes = Array(file.utf8)
            let ext = bytes.lastIndex(of: UInt8(ascii: ".")).map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) } ?? ""
            guard LockOutput.assetExtensions.contains(ext), bytes.count == 72 + ext.utf8.count, bytes[71] == UInt8(ascii: "."),
                bytes[..<7].elementsEqual("assets/".utf8), bytes[7..<71].elementsEqual(sha256.utf8)
            else {
                return "file is '\(file.prefix(120))'; it must be exactly 'assets/\(sha256).<png|jpg|webp>'"
            }
            return nil
        }

        /// The in-memory output (its `pathProblem` checked first).
        var output: LockOutput {
            guard let file, !file.isEmpty, let sha256 else { return LockOutput(index: index, url: url, asset: nil) }
            return LockOutput(
                index: index, url: url,
                asset: StoredAsset(
                    file: file, sha256: sha256, bytes: bytes, width: width, height: height, mime: mime, carries: carries.flatMap(OriginalMetadata.init(json:))))
        }
    }
}

extension LockEntry {
    /// The entry as written, fields in a fixed order, absent optionals as `null`.
    var json: JSONValue {
        func string(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        var pairs: [(String, JSONValue)] = [
            ("input_hash", .string(inputHash)),
            ("route", .string(route.rawValue)),
            ("model", .string(model)),
            ("state", .string(state.rawValue)),
            ("external_task_id", string(externalTaskID)),
            ("task_id", string(taskID)),
            ("request_id", string(requestID)),
            ("created_at", string(createdAt)),
            ("updated_at", string(updatedAt)),
            ("outputs", .array(outputs.map(\.json))),
            ("text", string(text)),
            ("error", error.map(\.json) ?? .null),
        ]
        if let cost { pairs.append(("cost", cost)) }
        if simulated { pairs.append(("simulated", .bool(true))) }
        if !inFlight.isEmpty { pairs.append(("in_flight", .array(inFlight.map { .int($0) }))) }
        if let generation { pairs.append(("generation", generation)) }
        return .object(pairs)
    }
}

extension LockOutput {
    /// The output as written: an image not downloaded yet has `file` and `sha256` null, its size 0.
    var json: JSONValue {
        .object(
            [
                ("index", .int(index)),
                ("url", url.map { .string($0) } ?? .null),
                ("file", asset.map { .string($0.file) } ?? .null),
                ("sha256", asset.map { .string($0.sha256) } ?? .null),
                ("bytes", .int(asset?.bytes ?? 0)),
                ("width", .int(asset?.width ?? 0)),
                ("height", .int(asset?.height ?? 0)),
                ("mime", .string(asset?.mime ?? "")),
            ] + (asset?.carries.map { [("carries", $0.json)] } ?? []))
    }
}

extension OriginalMetadata {
    /// Read back from `json` (the lockfile's `carries`, or `.folio/images.json`); strings capped.
    init?(json: JSONValue) {
        guard case .object = json else { return nil }
        func capped(_ key: String) -> String? { json[key]?.stringValue.flatMap(OriginalMetadata.capped) }
        let producer = capped("content_producer"), produceID = capped("produce_id"), reserved = capped("reserved_code1")
        let label =
            producer == nil && produceID == nil && reserved == nil
            ? nil : ImageProvenance.OriginalLabel(producer: producer, produceID: produceID, reservedCode1: reserved)
        self.init(
            c2pa: json["c2pa"]?.boolValue ?? false, xmp: capped("xmp").flatMap(XMP.init(rawValue:)) ?? .absent, aigc: label,
            aigcLabel: capped("aigc_label"), digitalSourceType: capped("digital_source_type"))
    }

    /// What the lockfile records of an original's own metadata: only what was found.
    var json: JSONValue {
        var pairs: [(String, JSONValue)] = []
        if c2pa { pairs.append(("c2pa", .bool(true))) }
        if xmp != .absent { pairs.append(("xmp", .string(xmp.rawValue))) }
        if let aigcLabel { pairs.append(("aigc_label", .string(aigcLabel))) }
        if let producer = aigc?.producer { pairs.append(("content_producer", .string(producer))) }
        if let id = aigc?.produceID { pairs.append(("produce_id", .string(id))) }
        if let code = aigc?.reservedCode1 { pairs.append(("reserved_code1", .string(code))) }
        if let digitalSourceType { pairs.append(("digital_source_type", .string(digitalSourceType))) }
        return .object(pairs)
    }
}

extension LockError {
    var json: JSONValue {
        .object([("kind", .string(kind.rawValue)), ("code", code.map { .string($0) } ?? .null), ("message", .string(message))])
    }
}

extension LockOutput {
    /// The extensions an asset may have.
    static let assetExtensions: Set<String> = ["png", "jpg", "webp"]
    /// Output indices run from 0 below this (a prompt has at most 9 variants or series images).
    static let maxIndex = 64
    /// The longest side an asset may record, in pixels.
    static let maxSide = 65_535

    /// Whether `text` is 64 lowercase hexadecimal digits.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
