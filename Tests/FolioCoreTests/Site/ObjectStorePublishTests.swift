import Foundation
@testable import FolioCore
import Testing

/// `folio publish s3://BUCKET/PREFIX` against real parts (issue 11): the real `folio` binary and the
/// real aws command line, uploading to `moto_server` (PyPI's `moto[server]`) started by the test on
/// 127.0.0.1; every object is read back through aws.
///
/// The tools come from `FOLIO_S3_TOOLS` (a folder holding `aws` and `moto_server`; `.ci/run` sets
/// it), else /tmp/folio-s3/bin, else `PATH`. Without them the tests fail under CI and are skipped
/// elsewhere. Nothing leaves the machine: the endpoint is loopback, and every other address goes
/// to a proxy on 127.0.0.1:9 that no one answers.
@Suite(.serialized) struct ObjectStorePublishTests {
    /// Credentials moto accepts; distinctive, so a test can tell that Folio never prints them.
    static let secret = "folio-test-secret-never-printed"

    @Test(.enabled(if: S3Server.tools != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs aws and moto_server (see .ci/run)"))
    func aBucketGetsTheSiteWithItsHeadersAndASecondPublishUploadsNothing() throws {
        let project = try PublishTests.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        // Over the aws command line's 8 MiB threshold: uploaded in parts, its ETag no MD5 of the bytes.
        let big = FileHandle(forReadingAtPath: "/dev/urandom")!.readData(ofLength: 9 << 20)
        try FileManager.default.createDirectory(at: project.appendingPathComponent("static"), withIntermediateDirectories: true)
        try big.write(to: project.appendingPathComponent("static/big.bin"))
        let server = try S3Server.start()
        defer { server.stop() }
        try server.aws("s3api", "create-bucket", "--bucket", "gallery")
        try server.put("gallery", "site/notes/keep.txt", "someone else's\n")
        try server.put("gallery", "site-old/index.html", "an older site beside this one\n")
        let target = "s3://gallery/site"

        let dry = try runFolio(["publish", target, "--project", project.path, "--dry-run"], environment: server.environment)
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("  write  index.html") && dry.stdout.contains("would publish to s3://gallery/site: "), "\(dry.stdout)")
        #expect(try server.keys("gallery") == ["site-old/index.html", "site/notes/keep.txt"], "a dry run changes nothing")

        let first = try runFolio(["publish", target, "--project", project.path], environment: server.environment)
        #expect(first.status == 0, "\(first.stderr)")
        let site = try PublishTests.files(project.appendingPathComponent("site")) { $0.hasPrefix(".folio/") }
        #expect(first.stdout.contains("published to s3://gallery/site: \(site.count) files written, 0 removed, 0 unchanged"), "\(first.stdout)")
        #expect(
            try server.keys("gallery") == (site.keys.map { "site/" + $0 } + ["site/.folio-published", "site/notes/keep.txt", "site-old/index.html"]).sorted())

        // Read back: the bytes, and the headers each kind of file is served with.
        let rendition = try #require(site.keys.sorted().first { ContentType.isContentAddressed($0) && $0.hasSuffix(".webp") })
        let original = try #require(site.keys.sorted().first { $0.hasPrefix("img/") && !ContentType.isContentAddressed($0) })
        let expected: [(path: String, type: String, cache: String)] = [
            (rendition, "image/webp", "public, max-age=31536000, immutable"),
            ("index.html", "text/html; charset=utf-8", "public, max-age=0, must-revalidate"),
            (original, ContentType.of(original), "public, max-age=0, must-revalidate"),
            ("feed.xml", "application/xml", "public, max-age=0, must-revalidate"),
            ("big.bin", "application/octet-stream", "public, max-age=0, must-revalidate"),
        ]
        for (path, type, cache) in expected {
            let (bytes, headers) = try server.get("gallery", "site/" + path)
            #expect(bytes == site[path], "\(path): the bytes read back are the site's")
            #expect(headers["ContentType"] as? String == type, "\(path): \(headers)")
            #expect(headers["CacheControl"] as? String == cache, "\(path): \(headers)")
        }
        #expect((try server.get("gallery", "site/big.bin").headers["ETag"] as? String)?.hasSuffix("-2\"") == true, "big.bin went up in two parts")

        // Nothing changed: the second publish lists and compares, and writes nothing at all.
        let writes = try server.writeRequests()
        let clock = ContinuousClock(), start = clock.now
        let second = try runFolio(["publish", target, "--project", project.path], environment: server.environment)
        let seconds = start.duration(to: clock.now)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("0 files written, 0 removed, \(site.count) unchanged"), "\(second.stdout)")
        #expect(try server.writeRequests() == writes, "no PUT, POST or DELETE reached the server")
        print("second publish of \(site.count) unchanged files: \(seconds)")

        // A prompt removed: its page is deleted from the bucket; the objects Folio did not write stay.
        try FileManager.default.removeItem(at: project.appendingPathComponent("prompts/welcome.md"))
        let third = try runFolio(["publish", target, "--project", project.path, "--verbose"], environment: server.environment)
        #expect(third.status == 0, "\(third.stderr)")
        #expect(third.stdout.contains("  remove p/welcome/index.html"), "\(third.stdout)")
        let keys = try server.keys("gallery")
        #expect(!keys.contains("site/p/welcome/index.html") && keys.contains("site/index.html"), "\(keys)")
        #expect(keys.contains("site/notes/keep.txt") && keys.contains("site-old/index.html"), "foreign objects survive: \(keys)")
        let record = String(decoding: try server.get("gallery", "site/.folio-published").bytes ?? Data(), as: UTF8.self)
        #expect(record.contains("\"index.html\"") && !record.contains("p/welcome/"), "\(record)")

        for output in [dry, first, second, third] { #expect(!(output.stdout + output.stderr).contains(Self.secret)) }
        #expect(!record.contains(Self.secret))
    }

    @Test(.enabled(if: S3Server.tools != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs aws and moto_server (see .ci/run)"))
    func foreignObjectsAPartialSiteAndAMissingClientOrBucketPublishNothing() throws {
        let project = try PublishTests.builtSample()
        defer { try? FileManager.default.removeItem(at: project) }
        let server = try S3Server.start()
        defer { server.stop() }
        try server.aws("s3api", "create-bucket", "--bucket", "gallery")

        // An object at a key the site needs, which Folio did not publish: never overwritten.
        try server.put("gallery", "site/index.html", "my own page\n")
        let refused = try runFolio(["publish", "s3://gallery/site", "--project", project.path], environment: server.environment)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(
            refused.stderr.contains("s3://gallery/site/index.html is already there and Folio did not publish it; it is never overwritten"),
            "\(refused.stderr)")
        #expect(try server.keys("gallery") == ["site/index.html"], "nothing written")
        #expect(try server.get("gallery", "site/index.html").bytes == Data("my own page\n".utf8))

        // No aws on PATH: said before anything is rendered, exit 1.
        let empty = TestPaths.temporaryFolder("folio-no-aws")
        defer { try? FileManager.default.removeItem(at: empty) }
        var bare = server.environment
        bare["PATH"] = empty.path
        let missing = try runFolio(["publish", "s3://gallery/other", "--project", project.path], environment: bare)
        #expect(missing.status == 1, "\(missing.stderr)")
        #expect(missing.stderr.contains("folio publish s3://…: needs the aws command line on PATH (pip install awscli"), "\(missing.stderr)")

        // A bucket that does not exist: aws's own message, exit 1, no secret in it.
        let absent = try runFolio(["publish", "s3://no-such-bucket/site", "--project", project.path], environment: server.environment)
        #expect(absent.status == 1 && absent.stderr.contains("NoSuchBucket"), "\(absent.stderr)")
        #expect(!absent.stderr.contains(Self.secret))

        // A failed prompt: refused without --allow-partial; nothing uploaded.
        var lock = try Lockfile.load(project: project)
        lock.entries["posters/launch"]?.state = .failed
        lock.entries["posters/launch"]?.error = LockError(kind: .moderation, code: "1301", message: "blocked")
        try lock.write(project: project)
        let partial = try runFolio(["publish", "s3://gallery/partial", "--project", project.path], environment: server.environment)
        #expect(partial.status == 4 && partial.stderr.contains("--allow-partial"), "\(partial.stderr)")
        #expect(try server.keys("gallery") == ["site/index.html"], "nothing uploaded")
        let allowed = try runFolio(["publish", "s3://gallery/partial", "--project", project.path, "--allow-partial"], environment: server.environment)
        // Published, and still exit 4 as for a folder: the site shows a failed prompt.
        #expect(allowed.stdout.contains("published to s3://gallery/partial:"), "\(allowed.stdout)\(allowed.stderr)")
        #expect(try server.keys("gallery").contains("partial/p/posters/launch/index.html"))

        // Addresses that name no bucket and prefix: exit 2, saying why, before anything runs.
        let invalid = [
            ("s3://Gallery/site", "holds more than lowercase letters, digits, dots and hyphens"),
            ("s3://ab/site", "is not 3 to 63 characters long"), ("s3://192.168.1.2/site", "written as an IP address"),
            ("s3://gallery//site", "empty part"), ("s3://gallery/a/../b", "'.' or '..' part"), ("s3://gallery/a\u{7}b", "control character"),
            ("s3://", "bucket name is missing"),
        ]
        for (address, reason) in invalid {
            let result = try runFolio(["publish", address, "--project", project.path], environment: server.environment)
            #expect(result.status == 2 && result.stderr.contains(reason), "\(address): \(result.stderr)")
        }
        #expect(try server.keys("gallery").filter { !$0.hasPrefix("partial/") } == ["site/index.html"], "nothing else written")
    }

    @Test func anAddressIsABucketAndAPrefix() {
        #expect(PublishTarget.parse("s3://gallery/site/2024/") == .objectStore(bucket: "gallery", prefix: "site/2024"))
        #expect(PublishTarget.parse("s3://my.gallery-1") == .objectStore(bucket: "my.gallery-1", prefix: ""))
        #expect(PublishTarget.parse("s3://my.gallery-1/") == .objectStore(bucket: "my.gallery-1", prefix: ""))
        #expect(PublishTarget.objectStore(bucket: "gallery", prefix: "").name == "s3://gallery")
        for bad in ["s3://gallery..x/a", "s3://-gallery/a", "s3://xn--gallery/a", "s3://gallery-s3alias/a", "s3://gallery/./a", "s3://gallery/a//"] {
            #expect(PublishTarget.parse(bad) == nil, "\(bad)")
            #expect(PublishTarget.objectStoreProblem(bad) != nil, "\(bad)")
        }
        #expect(PublishTarget.objectStoreProblem("s3://gallery/site") == nil)
    }
}

/// A moto_server on 127.0.0.1 and an ephemeral port, and the environment aws and folio run with
/// against it.
struct S3Server {
    /// `aws` and `moto_server`, from `FOLIO_S3_TOOLS`, /tmp/folio-s3/bin or `PATH`; nil when missing.
    static let tools: (aws: String, moto: String)? = {
        let environment = ProcessInfo.processInfo.environment
        var folders = ["/tmp/folio-s3/bin"] + (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let chosen = environment["FOLIO_S3_TOOLS"], !chosen.isEmpty { folders = [chosen] }
        for folder in folders {
            let aws = folder + "/aws", moto = folder + "/moto_server"
            if FileManager.default.isExecutableFile(atPath: aws), FileManager.default.isExecutableFile(atPath: moto) { return (aws, moto) }
        }
        return nil
    }()

    let process: Process
    let folder: URL
    let log: URL
    let aws: String
    let environment: [String: String]

    /// Starts moto_server on port 0 and waits until it answers; an error (which fails the test) when
    /// the tools are missing or it does not start.
    static func start() throws -> S3Server {
        guard let tools else {
            throw FolioError(
                """
                aws and moto_server not found (FOLIO_S3_TOOLS, /tmp/folio-s3/bin, PATH). Install them as .ci/run does: \
                python3 -m venv /tmp/folio-s3 && /tmp/folio-s3/bin/pip install awscli==1.46.3 'moto[server]==5.2.5', \
                then export FOLIO_S3_TOOLS=/tmp/folio-s3/bin.
                """)
        }
        let folder = TestPaths.temporaryFolder("folio-s3")
        let log = folder.appendingPathComponent("moto.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tools.moto)
        process.arguments = ["-H", "127.0.0.1", "-p", "0"]
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        // moto_server prints the port it was given: `Running on http://127.0.0.1:PORT`.
        var port: Int?
        let deadline = Date().addingTimeInterval(60)
        while port == nil, process.isRunning, Date() < deadline {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "Running on http://127.0.0.1:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
            } else {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        guard let port else {
            killAndWait(process)
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: folder)
            throw FolioError("moto_server did not start: \(text)")
        }
        var environment = PublishTests.environment
        for name in environment.keys where name.hasPrefix("AWS_") || name.lowercased().hasSuffix("_proxy") { environment[name] = nil }
        let credentials = folder.appendingPathComponent("credentials").path
        FileManager.default.createFile(atPath: credentials, contents: nil)
        environment.merge(
            [
                "AWS_ACCESS_KEY_ID": "AKIAFOLIOTEST", "AWS_SECRET_ACCESS_KEY": ObjectStorePublishTests.secret, "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:\(port)",
                // The user's own aws configuration is never read, and no other address is reached.
                "AWS_CONFIG_FILE": credentials, "AWS_SHARED_CREDENTIALS_FILE": credentials, "AWS_EC2_METADATA_DISABLED": "true",
                "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1",
                "PATH": URL(fileURLWithPath: tools.aws).deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin"),
            ]
        ) { $1 }
        let server = S3Server(process: process, folder: folder, log: log, aws: tools.aws, environment: environment)
        // Answering: a listing of no buckets succeeds.
        for attempt in 0..<50 {
            if try runProcess(tools.aws, ["s3api", "list-buckets", "--output=json"], environment: environment).status == 0 { break }
            if attempt == 49 {
                server.stop()
                throw FolioError("moto_server on port \(port) does not answer")
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return server
    }

    func stop() {
        killAndWait(process)
        try? FileManager.default.removeItem(at: folder)
    }

    /// Runs aws against the server; a failure fails the test with what aws said.
    @discardableResult
    func aws(_ arguments: String...) throws -> ProcessResult {
        let result = try runProcess(aws, arguments, environment: environment)
        guard result.status == 0 else { throw FolioError("aws \(arguments.joined(separator: " ")) failed: \(result.stderr)") }
        return result
    }

    /// Puts `text` at `key`, as someone other than Folio would.
    func put(_ bucket: String, _ key: String, _ text: String) throws {
        let body = folder.appendingPathComponent("body")
        try Data(text.utf8).write(to: body)
        try aws("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", body.path)
    }

    /// Every key in the bucket, sorted.
    func keys(_ bucket: String) throws -> [String] {
        let listing = try aws("s3api", "list-objects-v2", "--bucket", bucket, "--output", "json").stdout
        guard let data = listing.data(using: .utf8), !listing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [] }
        return ((object["Contents"] as? [[String: Any]]) ?? []).compactMap { $0["Key"] as? String }.sorted()
    }

    /// An object's bytes and the headers `get-object` reports (`ContentType`, `CacheControl`, `ETag`).
    func get(_ bucket: String, _ key: String) throws -> (bytes: Data?, headers: [String: Any]) {
        let out = folder.appendingPathComponent("object")
        let answer = try aws("s3api", "get-object", "--bucket", bucket, "--key", key, out.path, "--output", "json").stdout
        let headers = try JSONSerialization.jsonObject(with: Data(answer.utf8)) as? [String: Any] ?? [:]
        return (try Data(contentsOf: out), headers)
    }

    /// How many requests that write (PUT, POST, DELETE) the server has logged.
    func writeRequests() throws -> Int {
        let text = try String(contentsOf: log, encoding: .utf8)
        return text.split(separator: "\n").filter { $0.contains("\"PUT ") || $0.contains("\"POST ") || $0.contains("\"DELETE ") }.count
    }
}
