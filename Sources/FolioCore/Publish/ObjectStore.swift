import Crypto
import Foundation
import Glibc

extension PublishTarget {
    /// Why `text`, an `s3://…` address, names nothing Folio can publish to; nil when it does, or
    /// when it is not an `s3://` address.
    public static func objectStoreProblem(_ text: String) -> String? {
        guard text.hasPrefix("s3://"), case .failure(let problem) = ObjectStore.address(text) else { return nil }
        return problem.message
    }
}

/// `folio publish s3://BUCKET/PREFIX`: the site uploaded to an S3-compatible object store through
/// the `aws` command line, which brings its own credentials, region and endpoint (`aws configure`,
/// `AWS_PROFILE`, `AWS_ENDPOINT_URL`, …); Folio never reads, passes, prints or stores them.
///
/// The remote is listed once; a file is uploaded when its object is missing, differs in size or
/// ETag (the MD5 of its bytes, or of its parts' MD5s for a multipart upload), or was given other
/// headers. Uploads go one `aws s3 cp --recursive` per pair of `Content-Type` and `Cache-Control`,
/// from hard links staged in `.folio/`. Like a folder, the prefix keeps `.folio-published`, the
/// objects Folio wrote there: only those are ever replaced or deleted.
enum ObjectStore {
    /// The record's key under the prefix: the same name as a folder's.
    static let record = Publisher.record

    /// The headers an object was uploaded with; both nil while its upload is under way.
    struct Headers: Codable, Hashable, Comparable {
        var contentType: String?
        var cacheControl: String?

        /// What `path` is served with (ContentType's table).
        static func of(_ path: String) -> Headers {
            Headers(contentType: ContentType.of(path), cacheControl: ContentType.cacheControl(path))
        }

        static func < (a: Headers, b: Headers) -> Bool {
            (a.contentType ?? "", a.cacheControl ?? "") < (b.contentType ?? "", b.cacheControl ?? "")
        }
    }

    /// `.folio-published` under the prefix: each object Folio wrote there, by its path in the site.
    struct Record: Codable, Equatable {
        var objects: [String: Headers]
    }

    /// An object the listing found: its ETag without quotes, and its size.
    struct Remote {
        var etag: String
        var size: Int
    }

    // MARK: - The address

    /// `s3://BUCKET/PREFIX` as a target, nil when it is not a valid one.
    static func target(_ text: String) -> PublishTarget? {
        guard case .success(let (bucket, prefix)) = address(text) else { return nil }
        return .objectStore(bucket: bucket, prefix: prefix)
    }

    /// The bucket and the prefix (no slash at either end, maybe empty) of `s3://BUCKET/PREFIX`, or why
    /// it is not one.
    static func address(_ text: String) -> Result<(bucket: String, prefix: String), FolioError> {
        func problem(_ why: String) -> Result<(bucket: String, prefix: String), FolioError> {
            .failure(FolioError("'\(text)' is not an object store address Folio publishes to: \(why)", exit: .invalidInput))
        }
        guard text.hasPrefix("s3://") else { return problem("it does not begin with s3://") }
        let rest = text.dropFirst(5)
        let bucket = String(rest.prefix { $0 != "/" })
        var prefix = String(rest.dropFirst(bucket.count + 1))
        if let why = bucketProblem(bucket) { return problem("the bucket name \(why)") }
        if prefix.hasSuffix("/") { prefix.removeLast() }
        guard !prefix.isEmpty else { return .success((bucket, "")) }
        if prefix.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return problem("the prefix holds a control character")
        }
        let parts = prefix.split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: \.isEmpty) { return problem("the prefix has an empty part (two slashes in a row, or one after the bucket)") }
        if parts.contains(where: { $0 == "." || $0 == ".." }) { return problem("the prefix has a '.' or '..' part") }
        if prefix.utf8.count > 512 { return problem("the prefix is longer than 512 bytes") }
        return .success((bucket, prefix))
    }

    /// What is wrong with `bucket` by S3's naming rules, nil when nothing is.
    static func bucketProblem(_ bucket: String) -> String? {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
        guard !bucket.isEmpty else { return "is missing (s3://BUCKET/PREFIX)" }
        guard (3...63).contains(bucket.count) else { return "'\(bucket)' is not 3 to 63 characters long" }
        guard bucket.allSatisfy(allowed.contains) else { return "'\(bucket)' holds more than lowercase letters, digits, dots and hyphens" }
        guard let first = bucket.first, let last = bucket.last, first.isLetter || first.isNumber, last.isLetter || last.isNumber else {
            return "'\(bucket)' does not begin and end with a letter or a digit"
        }
        if bucket.contains("..") { return "'\(bucket)' has two dots in a row" }
        let numbers = bucket.split(separator: ".", omittingEmptySubsequences: false)
        if numbers.count == 4, numbers.allSatisfy({ Int($0).map { (0...255).contains($0) } ?? false }) {
            return "'\(bucket)' is written as an IP address"
        }
        for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] where bucket.hasPrefix(reserved) {
            return "'\(bucket)' begins with '\(reserved)', which S3 reserves"
        }
        for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] where bucket.hasSuffix(reserved) {
            return "'\(bucket)' ends with '\(reserved)', which S3 reserves"
        }
        return nil
    }

    // MARK: - Publishing

    /// Uploads what changed in `site` to the bucket under `prefix` and deletes what an earlier publish
    /// put there that the site no longer holds; with `dryRun`, only lists the remote and says what it would do.
    /// `progress` hears how many of the files to upload are up, after each group.
    static func publish(
        _ site: URL, bucket: String, prefix: String, project: URL, dryRun: Bool, environment: [String: String],
        progress: @Sendable (_ done: Int, _ total: Int) async -> Void = { _, _ in }
    ) async throws(FolioError) -> PublishReport {
        let name = PublishTarget.objectStore(bucket: bucket, prefix: prefix).name
        let files = try Publisher.siteFiles(site, destination: name)
        let keyPrefix = prefix.isEmpty ? "" : prefix + "/"
        if let long = files.first(where: { keyPrefix.utf8.count + $0.utf8.count > 1024 }) {
            throw FolioError("\(name)/\(long): an object's key is at most 1024 bytes; shorten the prefix or the file's name", exit: .invalidInput)
        }
        let client = try Client(environment: environment, project: project)
        defer { client.removeWork() }
        let remote = try client.list(bucket: bucket, keyPrefix: keyPrefix)
        let before = try remote[record] != nil ? client.readRecord(bucket: bucket, key: keyPrefix + record) : [:]

        var report = PublishReport()
        var pending: [Headers: [String]] = [:]
        var foreign: [String] = []
        // While uploads run, the record names every object this publish may write, its headers unknown.
        var during = before
        for path in files {
            let headers = Headers.of(path)
            if let object = remote[path] {
                // An object there that an earlier publish did not write is someone else's: never replaced.
                guard let recorded = before[path] else {
                    foreign.append(path)
                    continue
                }
                // A file of another size than its object is never read; one of the same size a chunk at a time.
                if recorded == headers, holds(file: site.path + "/" + path, size: object.size, etag: object.etag) {
                    report.unchanged += 1
                    continue
                }
            }
            report.written.append(path)
            pending[headers, default: []].append(path)
            during[path] = Headers()
        }
        if let first = foreign.first {
            let more =
                foreign.count > 1
                ? " (and \(foreign.count - 1) more: \(foreign.dropFirst().prefix(3).joined(separator: ", "))\(foreign.count > 4 ? ", …" : ""))" : ""
            throw FolioError(
                "\(name)/\(first)\(more) is already there and Folio did not publish it; it is never overwritten. Delete it (aws s3 rm), or publish to another prefix.",
                exit: .invalidInput)
        }
        let kept = Set(files)
        report.removed = before.keys.filter { !kept.contains($0) && remote[$0] != nil }.sorted()
        guard !dryRun else { return report }

        let after = Dictionary(uniqueKeysWithValues: files.map { ($0, Headers.of($0)) })
        let changing = !pending.isEmpty || !report.removed.isEmpty
        if changing, during != before || remote[record] == nil {
            try client.writeRecord(Record(objects: during), bucket: bucket, key: keyPrefix + record)
        }
        var uploaded = 0
        if !pending.isEmpty { await progress(0, report.written.count) }
        for (group, (headers, paths)) in pending.sorted(by: { $0.key < $1.key }).enumerated() {
            try client.upload(paths, from: site, headers: headers, group: group, to: "s3://\(bucket)/\(keyPrefix)")
            uploaded += paths.count
            await progress(uploaded, report.written.count)
        }
        try client.delete(report.removed.map { keyPrefix + $0 }, bucket: bucket)
        if changing || after != before || remote[record] == nil { try client.writeRecord(Record(objects: after), bucket: bucket, key: keyPrefix + record) }
        return report
    }

    // MARK: - ETags

    /// Whether an object of `size` bytes with this ETag holds the file at `path`: the MD5 of a
    /// single-part upload, or for a multipart one (`…-N`) the MD5 of its parts' MD5s, tried for the
    /// part sizes the aws command line chooses (8 MiB by default, more for a file of over 10,000
    /// parts) and other common ones. The file is read a chunk at a time, never whole.
    static func holds(file path: String, size: Int, etag: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) == size else { return false }
        let tag = etag.lowercased()
        guard let dash = tag.firstIndex(of: "-") else { return md5(fd, from: 0, count: size).map { SHA256Hex.hex($0) } == tag }
        guard let parts = Int(tag[tag.index(after: dash)...]), (1...10_000).contains(parts) else { return false }
        return partSizes(total: size, parts: parts).contains { multipartTag(fd, size: size, partSize: $0) == tag }
    }

    /// The MD5 of `count` bytes of `fd` from `offset`, read a chunk at a time; nil if they cannot be read.
    static func md5(_ fd: Int32, from offset: Int, count: Int) -> Insecure.MD5.Digest? {
        var hash = Insecure.MD5()
        var buffer = [UInt8](repeating: 0, count: min(max(count, 1), 1 << 20))
        var done = 0
        while done < count {
            let want = min(buffer.count, count - done)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(offset + done)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            hash.update(data: buffer[..<n])
            done += n
        }
        return hash.finalize()
    }

    /// The part sizes that cut `total` bytes into exactly `parts` parts, among those an uploader picks.
    static func partSizes(total: Int, parts: Int) -> [Int] {
        let mebibyte = 1 << 20
        guard parts > 1 else { return [max(total, 1)] }
        let smallest = (total + parts - 1) / parts, largest = (total - 1) / (parts - 1)
        guard smallest <= largest else { return [] }
        let rounded = (smallest + mebibyte - 1) / mebibyte * mebibyte
        let common = [8, 5, 16, 10, 15, 25, 50, 64, 100, 128].map { $0 * mebibyte } + (0...12).map { mebibyte << $0 }
        var sizes: [Int] = []
        for size in common + [rounded, smallest] where (smallest...largest).contains(size) && !sizes.contains(size) { sizes.append(size) }
        return sizes
    }

    /// `md5(md5(part 1) ‖ … ‖ md5(part N))-N` of the `size` bytes of `fd`.
    static func multipartTag(_ fd: Int32, size: Int, partSize: Int) -> String? {
        var digests: [UInt8] = []
        var start = 0, count = 0
        while start < size || count == 0 {
            let end = min(start + partSize, size)
            guard let digest = md5(fd, from: start, count: end - start) else { return nil }
            digests += digest
            start = end
            count += 1
        }
        return SHA256Hex.hex(Insecure.MD5.hash(data: digests)) + "-\(count)"
    }
}

// MARK: - The aws command line

extension ObjectStore {
    /// The `aws` command line, found on `PATH` and run with the caller's environment, so that its own
    /// configuration decides the account, the region and the endpoint. Its output goes through files
    /// in a private folder under `.folio/`, where the files to upload are staged too.
    struct Client {
        let executable: String
        let environment: [String: String]
        let work: String

        /// The first `aws` on `PATH` (absolute folders only), and a fresh work folder.
        init(environment: [String: String], project: URL) throws(FolioError) {
            executable = try Self.find(environment: environment)
            self.environment = environment
            let state: String
            switch StateFolder.path(project: project) {
            case .success(let folder): state = folder
            case .failure(let error): throw error
            }
            var template = Array((state + "/publish-XXXXXX").utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw FolioError("cannot create a folder in \(state): \(String(cString: strerror(errno)))", path: state)
            }
            work = String(cString: made)
        }

        /// The path of `aws` on `PATH`, or the error that says how to get it.
        static func find(environment: [String: String]) throws(FolioError) -> String {
            for folder in (environment["PATH"] ?? "").split(separator: ":") where folder.hasPrefix("/") {
                let candidate = String(folder) + "/aws"
                var info = stat()
                if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
            }
            throw FolioError(
                """
                folio publish s3://…: needs the aws command line on PATH (pip install awscli, or see https://aws.amazon.com/cli/), \
                and it was not found. Folio uploads through it, with the credentials of its own configuration.
                """)
        }

        func removeWork() {
            try? FileManager.default.removeItem(atPath: work)
        }

        /// Runs `aws arguments`; its standard output. A failure says which command and what aws said.
        @discardableResult
        func run(_ arguments: [String]) throws(FolioError) -> [UInt8] {
            let output = work + "/stdout", errors = work + "/stderr"
            guard FileManager.default.createFile(atPath: output, contents: nil), FileManager.default.createFile(atPath: errors, contents: nil),
                let out = FileHandle(forWritingAtPath: output), let err = FileHandle(forWritingAtPath: errors)
            else { throw FolioError("cannot create files in \(work)", path: work) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            // aws v2 pages long output through `less` unless told not to.
            process.environment = environment.merging(["AWS_PAGER": ""]) { $1 }
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = out
            process.standardError = err
            do { try process.run() } catch { throw FolioError("cannot run \(executable): \(error)") }
            process.waitUntilExit()
            try? out.close()
            try? err.close()
            guard process.terminationReason == .exit, process.terminationStatus == 0 else {
                // An endpoint given as scheme://user:password@host must not reach the terminal with its password.
                let said = String(decoding: FastFiles.read(errors) ?? [], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    .replacingOccurrences(of: #"://[^/\s@]+@"#, with: "://…@", options: .regularExpression)
                let excerpt = said.count > 600 ? "…" + String(said.suffix(600)) : said
                var message = "aws \(arguments.prefix(2).joined(separator: " ")) failed (status \(process.terminationStatus)): \(excerpt)"
                if said.lowercased().contains("credentials") {
                    message +=
                        "\nFolio takes no credentials itself: the aws command line finds them in its own configuration (aws configure, AWS_PROFILE, the AWS_* environment variables)."
                }
                throw FolioError(message)
            }
            // An answer too large to read is an error, never an empty listing (which would let a publish
            // overwrite objects it did not write).
            guard case .bytes(let bytes) = FastFiles.read(output, atMost: 1 << 30) else {
                throw FolioError("aws \(arguments.prefix(2).joined(separator: " ")) printed more than Folio reads (1 GB) or nothing readable")
            }
            return bytes
        }

        /// Every object under `keyPrefix`, by its key without the prefix (every page of the listing).
        func list(bucket: String, keyPrefix: String) throws(FolioError) -> [String: Remote] {
            struct Listing: Decodable {
                struct Object: Decodable {
                    var key: String
                    var etag: String?
                    var size: Int?
                    enum CodingKeys: String, CodingKey {
                        case key = "Key", etag = "ETag", size = "Size"
                    }
                }
                var contents: [Object]?
                enum CodingKeys: String, CodingKey { case contents = "Contents" }
            }
            let output = try run(
                ["s3api", "list-objects-v2", "--bucket=\(bucket)", "--output=json"] + (keyPrefix.isEmpty ? [] : ["--prefix=\(keyPrefix)"]))
            guard output.contains(where: { $0 > 0x20 }) else { return [:] }
            let listing: Listing
            do { listing = try JSONDecoder().decode(Listing.self, from: Data(output)) } catch {
                throw FolioError("aws s3api list-objects-v2 printed what Folio cannot read: \(error)")
            }
            var found: [String: Remote] = [:]
            for object in listing.contents ?? [] where object.key.utf8.starts(with: keyPrefix.utf8) {
                let path = String(decoding: object.key.utf8.dropFirst(keyPrefix.utf8.count), as: UTF8.self)
                found[path] = Remote(etag: (object.etag ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\"")), size: object.size ?? -1)
            }
            return found
        }

        /// The record at `key`: what an earlier publish wrote, by path. A folder's record (one path a
        /// line) copied there is read too, its headers unknown.
        func readRecord(bucket: String, key: String) throws(FolioError) -> [String: Headers] {
            let local = work + "/record.old"
            try run(["s3", "cp", "s3://\(bucket)/\(key)", local, "--only-show-errors"])
            guard case .bytes(let bytes) = FastFiles.read(local, atMost: 64 << 20) else {
                throw FolioError("s3://\(bucket)/\(key) is larger than 64 MB or unreadable; it is not a list Folio wrote. Delete it to publish here again.")
            }
            if let record = try? JSONDecoder().decode(Record.self, from: Data(bytes)) {
                return record.objects.filter { SiteManifest.isSafe($0.key) && $0.key != ObjectStore.record }
            }
            return Dictionary(uniqueKeysWithValues: Publisher.recordedPaths(bytes).map { ($0, Headers()) })
        }

        func writeRecord(_ record: Record, bucket: String, key: String) throws(FolioError) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let local = work + "/record.new"
            do { try encoder.encode(record).write(to: URL(fileURLWithPath: local)) } catch {
                throw FolioError("cannot write \(local): \(error)", path: local)
            }
            try run(["s3", "cp", local, "s3://\(bucket)/\(key)", "--only-show-errors", "--content-type=application/json", "--cache-control=no-store"])
        }

        /// Uploads `paths` of the site with `headers`, in one `aws s3 cp --recursive` of a staged copy
        /// (hard links where the file system allows, else copies).
        func upload(_ paths: [String], from site: URL, headers: Headers, group: Int, to destination: String) throws(FolioError) {
            let stage = work + "/upload-\(group)"
            for path in paths {
                var folder = stage
                for part in [""] + path.split(separator: "/").dropLast().map(String.init) {
                    folder += part.isEmpty ? "" : "/" + part
                    guard mkdir(folder, 0o700) == 0 || errno == EEXIST else {
                        throw FolioError("cannot create \(folder): \(String(cString: strerror(errno)))", path: folder)
                    }
                }
                let source = site.path + "/" + path, staged = stage + "/" + path
                guard link(source, staged) == 0 || CopyFile.copy(from: source, to: staged) else {
                    throw FolioError("cannot stage \(source) for upload: \(String(cString: strerror(errno)))", path: source)
                }
            }
            try run(
                [
                    "s3", "cp", stage, destination, "--recursive", "--only-show-errors", "--content-type=\(headers.contentType ?? "")",
                    "--cache-control=\(headers.cacheControl ?? "")",
                ])
        }

        /// Deletes `keys`, up to 1,000 a request; any key S3 could not delete fails the publish.
        func delete(_ keys: [String], bucket: String) throws(FolioError) {
            struct Request: Encodable {
                struct Object: Encodable {
                    var key: String
                    enum CodingKeys: String, CodingKey { case key = "Key" }
                }
                var objects: [Object]
                var quiet = true
                enum CodingKeys: String, CodingKey {
                    case objects = "Objects", quiet = "Quiet"
                }
            }
            struct Answer: Decodable {
                struct Failure: Decodable {
                    var key: String?
                    var message: String?
                    enum CodingKeys: String, CodingKey {
                        case key = "Key", message = "Message"
                    }
                }
                var errors: [Failure]?
                enum CodingKeys: String, CodingKey { case errors = "Errors" }
            }
            for start in stride(from: 0, to: keys.count, by: 1000) {
                let local = work + "/delete.json"
                let request = Request(objects: keys[start..<min(start + 1000, keys.count)].map { Request.Object(key: $0) })
                do { try JSONEncoder().encode(request).write(to: URL(fileURLWithPath: local)) } catch {
                    throw FolioError("cannot write \(local): \(error)", path: local)
                }
                let output = try run(["s3api", "delete-objects", "--bucket=\(bucket)", "--delete=file://\(local)", "--output=json"])
                if output.contains(where: { $0 > 0x20 }), let answer = try? JSONDecoder().decode(Answer.self, from: Data(output)),
                    let failure = answer.errors?.first
                {
                    throw FolioError(
                        "aws s3api delete-objects could not delete s3://\(bucket)/\(failure.key ?? "?") (\(answer.errors?.count ?? 1) in all): \(failure.message ?? "")"
                    )
                }
            }
        }
    }
}
