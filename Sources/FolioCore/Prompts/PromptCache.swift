import Crypto
import Foundation
import Glibc

/// The prompt files an earlier run decoded, kept in `<project>/.folio/prompts.cache`, so a run
/// decodes again only the files that changed: reading 10,000 files' front matter costs more than
/// rendering the one page an edit touched.
///
/// An entry is used only for the very bytes it was decoded from (the file's SHA-256), at the same
/// path, by the same Folio and under the same `folio.yml` bytes (`context`): decoding is a function
/// of exactly those. And only for the very file this machine read (device, inode, size and times,
/// the change time above all, which no one sets at will): a cache that came with a cloned or
/// copied project, forged to show one prompt and send another, never applies. Only files that decoded without a single diagnostic and name no reference
/// image are kept; a reference image is another file, read and checked on every run. The file
/// ends with a SHA-256 of everything before it: a cache cut short or damaged is ignored whole.
struct PromptCache: Sendable {
    static let file = "prompts.cache"
    /// Past this the cache is neither read nor written (a project of 100,000 prompts needs ~40 MB).
    static let maxBytes = 64 << 20
    static let magic = Array("folio prompt cache 1\n".utf8)

    /// Folio itself and the bytes `folio.yml` was read from.
    let context: String
    /// Each cached file (`prompts/…md`): its SHA-256, its identity when read, and its prompts, encoded.
    private let entries: [String: Entry]

    private struct Entry {
        var sha256: String
        var identity: String
        var payload: ArraySlice<UInt8>
    }

    /// A file as this run read it.
    struct Source: Sendable {
        var file: String
        var sha256: String
        /// `FileIdentity.text` of the file when it was opened.
        var identity: String
    }

    var count: Int { entries.count }

    /// What decoding depends on besides a file's bytes and path; nil when it cannot be told (no
    /// cache is then read or written).
    static func context(settingsDigest: String) -> String? {
        guard Libraries.executable != "unknown", !settingsDigest.isEmpty else { return nil }
        return "\(Libraries.executable)\n\(settingsDigest)"
    }

    init(context: String) {
        self.context = context
        entries = [:]
    }

    /// The cache of `project`, or an empty one when there is none, it is damaged, or it was made
    /// under another context.
    static func read(project: URL, context: String) -> PromptCache {
        let folder = project.path + "/" + StateFolder.name
        var info = stat()
        // Only a real .folio folder, and never a file reached through a link.
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR,
            lstat(folder + "/" + file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
            case .bytes(let bytes) = FastFiles.read(folder + "/" + file, atMost: maxBytes)
        else { return PromptCache(context: context) }
        return PromptCache(bytes: bytes, context: context) ?? PromptCache(context: context)
    }

    /// The cache held in `bytes`; nil when they are not one, or one made under another context.
    init?(bytes: [UInt8], context: String) {
        let digestSize = SHA256.byteCount
        guard bytes.count >= Self.magic.count + digestSize, bytes.starts(with: Self.magic) else { return nil }
        let body = bytes[..<(bytes.count - digestSize)]
        guard SHA256.hash(data: body).elementsEqual(bytes[(bytes.count - digestSize)...]) else { return nil }
        var reader = CacheReader(bytes: body[(body.startIndex + Self.magic.count)...])
        guard reader.string() == context else { return nil }
        var entries: [String: Entry] = [:]
        // Counts come from the file: never room reserved for them (a forged count of millions
        // would reserve gigabytes before the first entry failed to read).
        for _ in 0..<reader.count() where !reader.failed {
            let file = reader.string(), sha = reader.string(), identity = reader.string()
            guard let payload = reader.slice() else { return nil }
            entries[file] = Entry(sha256: sha, identity: identity, payload: payload)
        }
        guard reader.isAtEnd else { return nil }
        self.context = context
        self.entries = entries
    }

    /// The prompts decoded from `source` when it was this very file with these bytes; nil when not
    /// cached (or the entry does not decode: the file is then decoded again).
    func prompts(_ source: Source, id: String) -> [Prompt]? {
        guard let entry = entries[source.file], entry.sha256 == source.sha256, entry.identity == source.identity else { return nil }
        let (file, sha256) = (source.file, source.sha256)
        var reader = CacheReader(bytes: entry.payload)
        let count = reader.count()
        guard count > 0 else { return nil }
        var prompts: [Prompt] = []
        for _ in 0..<count {
            guard var prompt = reader.prompt(file: file), prompt.page == id else { return nil }
            prompt.sourceSHA256 = sha256
            prompts.append(prompt)
        }
        return reader.isAtEnd ? prompts : nil
    }

    /// Whether a file that decoded to `prompts` with `problems` may be cached.
    static func keeps(_ prompts: [Prompt], problems: [Diagnostic]) -> Bool {
        problems.isEmpty && !prompts.isEmpty && prompts.allSatisfy { $0.generation.images.isEmpty }
    }

    /// The bytes of a cache holding `files` (each as read, with its prompts); nil past `maxBytes`.
    static func encode(_ files: [(source: Source, prompts: [Prompt])], context: String) -> [UInt8]? {
        var writer = CacheWriter()
        writer.bytes = magic
        writer.string(context)
        writer.int(files.count)
        var payload = CacheWriter()
        for (source, prompts) in files {
            writer.string(source.file)
            writer.string(source.sha256)
            writer.string(source.identity)
            payload.bytes.removeAll(keepingCapacity: true)
            payload.int(prompts.count)
            for prompt in prompts { payload.prompt(prompt) }
            writer.int(payload.bytes.count)
            writer.bytes += payload.bytes
            if writer.bytes.count > maxBytes - SHA256.byteCount { return nil }
        }
        writer.bytes += SHA256.hash(data: writer.bytes)
        return writer.bytes
    }

    /// A cache to write: the files it keeps, and the context they were decoded under.
    struct Update: Sendable {
        var files: [(source: Source, prompts: [Prompt])]
        var context: String

        /// Writes the cache of `project` (in `.folio/`, created when missing); a cache that cannot
        /// be written is no error: the next run decodes every file, as without one.
        func write(project: URL) {
            guard case .success(let folder) = StateFolder.path(project: project) else { return }
            let url = URL(fileURLWithPath: folder + "/" + PromptCache.file)
            // A write a killed run left half done is removed; a cache too large to keep is removed
            // too, rather than left to answer for files that have changed since.
            AtomicFile.removeLeftovers(of: url)
            guard let bytes = encode(files, context: context) else {
                unlink(url.path)
                return
            }
            try? AtomicFile.write(bytes, to: url, sync: false)
        }
    }
}

/// Appends the cache's values: integers as zigzag LEB128, strings with their length first.
private struct CacheWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) {
        var zigzag = UInt64(bitPattern: Int64((value << 1) ^ (value >> 63)))
        while zigzag >= 0x80 {
            bytes.append(UInt8(zigzag & 0x7f) | 0x80)
            zigzag >>= 7
        }
        bytes.append(UInt8(zigzag))
    }

    mutating func string(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            int(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func flag(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func optional(_ value: String?) {
        flag(value != nil)
        if let value { string(value) }
    }

    mutating func optional(_ value: Int?) {
        flag(value != nil)
        if let value { int(value) }
    }

    mutating func optional(_ value: Bool?) { bytes.append(value.map { $0 ? 2 : 1 } ?? 0) }

    mutating func strings(_ values: [String]) {
        int(values.count)
        for value in values { string(value) }
    }

    mutating func json(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(0)
        case .bool(let flag): bytes.append(flag ? 2 : 1)
        case .int(let number):
            bytes.append(3)
            int(number)
        case .double(let number):
            bytes.append(4)
            int(Int(Int64(bitPattern: number.bitPattern)))
        case .string(let text):
            bytes.append(5)
            string(text)
        case .array(let items):
            bytes.append(6)
            int(items.count)
            for item in items { json(item) }
        case .object(let pairs):
            bytes.append(7)
            int(pairs.count)
            for (key, item) in pairs {
                string(key)
                json(item)
            }
        }
    }

    /// Every stored field of `prompt` but `sourceSHA256` (the entry's key) and the reference
    /// images (a prompt with any is never cached).
    mutating func prompt(_ prompt: Prompt) {
        string(prompt.id)
        string(prompt.page)
        optional(prompt.album)
        string(prompt.file)
        string(prompt.title)
        optional(prompt.alt)
        strings(prompt.tags)
        optional(prompt.caption)
        optional(prompt.date)
        optional(prompt.weight)
        flag(prompt.draft)
        int(prompt.cover)
        int(prompt.hidden.count)
        for index in prompt.hidden { int(index) }
        strings(prompt.privateFields.map(\.rawValue).sorted())
        int(prompt.routePosition)
        string(prompt.inputHash)
        let generation = prompt.generation
        string(generation.route.rawValue)
        string(generation.model)
        string(generation.prompt)
        int(generation.n)
        optional(generation.negativePrompt)
        optional(generation.size)
        optional(generation.aspectRatio)
        optional(generation.resolution)
        optional(generation.imageSize)
        optional(generation.seed)
        optional(generation.watermark)
        optional(generation.promptExtend)
        optional(generation.resultType)
        optional(generation.seriesAmount)
        flag(generation.extra != nil)
        if let extra = generation.extra { json(extra) }
    }
}

/// Reads what `CacheWriter` wrote. A read past the end, or a value out of range, marks the reader
/// failed; the caller checks `isAtEnd` (false once failed) before trusting what it read.
private struct CacheReader {
    let bytes: ArraySlice<UInt8>
    var position: Int
    var failed = false

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var isAtEnd: Bool { !failed && position == bytes.endIndex }

    mutating func byte() -> UInt8 {
        guard position < bytes.endIndex else {
            failed = true
            return 0
        }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func int() -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while !failed {
            let next = byte()
            guard shift < 64 else {
                failed = true
                return 0
            }
            value |= UInt64(next & 0x7f) << shift
            if next < 0x80 { break }
            shift += 7
        }
        return Int(Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1))
    }

    /// A count or length: never negative, never more than the bytes left.
    mutating func count() -> Int {
        let value = int()
        guard value >= 0, value <= bytes.endIndex - position else {
            failed = true
            return 0
        }
        return value
    }

    mutating func slice() -> ArraySlice<UInt8>? {
        let length = count()
        guard !failed else { return nil }
        defer { position += length }
        return bytes[position..<(position + length)]
    }

    mutating func string() -> String {
        guard let utf8 = slice() else { return "" }
        return String(decoding: utf8, as: UTF8.self)
    }

    mutating func flag() -> Bool {
        switch byte() {
        case 0: return false
        case 1: return true
        default:
            failed = true
            return false
        }
    }

    mutating func optionalString() -> String? { flag() ? string() : nil }
    mutating func optionalInt() -> Int? { flag() ? int() : nil }

    mutating func optionalBool() -> Bool? {
        switch byte() {
        case 0: return nil
        case 1: return false
        case 2: return true
        default:
            failed = true
            return nil
        }
    }

    mutating func strings() -> [String] {
        repeated { $0.string() }
    }

    /// `count()` values read by `read`, stopping at the first failure; no room is reserved for a
    /// count read from the file (`(0..<n).map` would reserve all `n` at once).
    mutating func repeated<T>(_ read: (inout CacheReader) -> T) -> [T] {
        var values: [T] = []
        for _ in 0..<count() where !failed { values.append(read(&self)) }
        return values
    }

    mutating func json(depth: Int = 0) -> JSONValue {
        guard depth < 64 else {
            failed = true
            return .null
        }
        switch byte() {
        case 0: return .null
        case 1: return .bool(false)
        case 2: return .bool(true)
        case 3: return .int(int())
        case 4: return .double(Double(bitPattern: UInt64(bitPattern: Int64(int()))))
        case 5: return .string(string())
        case 6: return .array(repeated { $0.json(depth: depth + 1) })
        case 7: return .object(repeated { ($0.string(), $0.json(depth: depth + 1)) })
        default:
            failed = true
            return .null
        }
    }

    /// A prompt of `file`, as `CacheWriter.prompt` wrote it; nil when the bytes do not hold one.
    mutating func prompt(file: String) -> Prompt? {
        let id = string(), page = string(), album = optionalString(), storedFile = string(), title = string()
        let alt = optionalString(), tags = strings(), caption = optionalString(), date = optionalString()
        let weight = optionalInt(), draft = flag(), cover = int()
        let hidden = repeated { $0.int() }
        let privateFields = strings().map(PrivateField.init(rawValue:))
        let routePosition = int(), inputHash = string()
        guard !failed, storedFile == file, !privateFields.contains(nil), let route = RouteID(rawValue: string()) else { return nil }
        let model = string(), text = string(), n = int()
        let negativePrompt = optionalString(), size = optionalString(), aspectRatio = optionalString()
        let resolution = optionalString(), imageSize = optionalString(), seed = optionalInt()
        let watermark = optionalBool(), promptExtend = optionalBool(), resultType = optionalString()
        let seriesAmount = optionalInt()
        let extra = flag() ? json() : nil
        guard !failed else { return nil }
        let generation = Generation(
            route: route, model: model, prompt: text, n: n, negativePrompt: negativePrompt, size: size, aspectRatio: aspectRatio,
            resolution: resolution, imageSize: imageSize, seed: seed, watermark: watermark, promptExtend: promptExtend,
            resultType: resultType, seriesAmount: seriesAmount, images: [], extra: extra)
        var prompt = Prompt(restoring: generation, inputHash: inputHash, id: id, file: file, title: title)
        prompt.page = page
        prompt.album = album
        prompt.alt = alt
        prompt.tags = tags
        prompt.caption = caption
        prompt.date = date
        prompt.weight = weight
        prompt.draft = draft
        prompt.cover = cover
        prompt.hidden = hidden
        prompt.privateFields = Set(privateFields.compactMap { $0 })
        prompt.routePosition = routePosition
        return prompt
    }
}
