import Foundation
import Glibc
import Testing

@testable import FolioCore
@testable import FolioServer

/// Which request paths reach which file of the site: only regular files inside it.
@Suite struct SitePathTests {
    /// A site with a page, a folder, a hidden state folder, and links that lead out of it.
    static func site() throws -> (root: URL, site: String) {
        let root = TestPaths.temporaryFolder("folio-sitepath")
        let site = root.appendingPathComponent("site")
        for folder in ["p/fox", ".folio", "empty"] {
            try FileManager.default.createDirectory(at: site.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for (path, text) in ["index.html": "home", "p/fox/index.html": "fox", ".folio/build.txt": "state", "a b.txt": "space"] {
            try Data(text.utf8).write(to: site.appendingPathComponent(path))
        }
        try Data("secret".utf8).write(to: root.appendingPathComponent("folio.yml"))
        try FileManager.default.createSymbolicLink(atPath: site.path + "/out.yml", withDestinationPath: root.path + "/folio.yml")
        try FileManager.default.createSymbolicLink(atPath: site.path + "/up", withDestinationPath: root.path)
        try FileManager.default.createSymbolicLink(atPath: site.path + "/state.txt", withDestinationPath: site.path + "/.folio/build.txt")
        try Data("not Folio's".utf8).write(to: site.appendingPathComponent("foreign.txt"))
        return (root, site.path)
    }

    /// What the render wrote: `foreign.txt` and the links are not among them.
    static let files: Set<String> = ["index.html", "p/fox/index.html", "a b.txt", "state.txt", "out.yml", "up/folio.yml"]

    @Test func answersFilesInsideTheSiteOnly() throws {
        let (root, site) = try Self.site()
        func resolve(_ path: String) -> SitePath { SitePath.resolve(path, site: site, files: Self.files) }
        defer { try? FileManager.default.removeItem(at: root) }
        let real = URL(fileURLWithPath: site).resolvingSymlinksInPath().path
        #expect(resolve("/") == .file(real + "/index.html", relative: "index.html"))
        #expect(resolve("/p/fox/") == .file(real + "/p/fox/index.html", relative: "p/fox/index.html"))
        #expect(resolve("/p/%66ox/index.html") == .file(real + "/p/fox/index.html", relative: "p/fox/index.html"))
        #expect(resolve("/a%20b.txt") == .file(real + "/a b.txt", relative: "a b.txt"))
        // A folder without its slash is redirected, so the page's relative links resolve.
        #expect(resolve("/p/fox") == .redirect("/p/fox/"))
        #expect(resolve("//p//fox") == .redirect("/p/fox/"))
        // No listing of a folder without an index page; no file asked for as a folder.
        #expect(resolve("/empty/") == .notFound)
        #expect(resolve("/index.html/") == .notFound)
        let outside = [
            "/../folio.yml", "/%2e%2e/folio.yml", "/%2E%2E/folio.yml", "/%2e%2e%2ffolio.yml", "/..%2ffolio.yml", "/..%2Ffolio.yml",
            "/p/../../folio.yml", "/p/%2e%2e/%2e%2e/folio.yml", "/.%2e/folio.yml", "/..%5cfolio.yml", "/%252e%252e/folio.yml",
            "/out.yml", "/up/folio.yml", "/.folio/build.txt", "/%2efolio/build.txt", "/index.html%00.txt", "/%zz", "/%e9",
            "/" + root.path + "/folio.yml", "folio.yml", "/missing.html", "/state.txt", "/foreign.txt",
        ]
        for path in outside {
            #expect(resolve(path) == .notFound, "\(path)")
        }
    }

    @Test func pagesGetTheReloadTagAndNothingElseDoes() {
        let tag = LiveReload.tag(version: "k2-3")
        let page = PreviewPages.withReload("<!doctype html><html><HEAD><title>x</title></HEAD><body></body></html>", tag: tag)
        #expect(page.contains("<title>x</title>\(tag)</HEAD>"))
        #expect(PreviewPages.withReload("<p>fragment</p>", tag: tag).hasSuffix(tag))
        // The tag names an external script: the site's CSP (`script-src 'self'`) allows it.
        #expect(tag == "<script src=\"/__folio/reload.js?v=k2-3\" defer></script>")
    }
}

/// `folio serve`, run as a user would: the real binary, real HTTP over loopback, real files.
@Suite(.serialized) struct ServeCommandTests {
    static let fox = "---\ntitle: Red fox\nroute: gemini\n---\nA red fox in the snow\n"

    @Test func rendersServesReloadsOnChangeShowsErrorsAndRecovers() async throws {
        let fixture = try await SiteFixture.make(items: [.init(id: "fox", text: Self.fox)])
        defer { fixture.remove() }
        let server = try ServeProcess(project: fixture.root)
        defer { server.stop() }

        let home = try RawHTTP.get(server.port, "/")
        #expect(home.status == 200)
        #expect(home.header("content-type") == "text/html; charset=utf-8")
        #expect(home.header("cache-control") == "no-store")
        #expect(home.body.contains("Red fox") && home.body.contains("<script src=\"/__folio/reload.js?v="))
        // The published files themselves never carry the reload script.
        let onDisk = try String(contentsOf: fixture.root.appendingPathComponent("site/index.html"), encoding: .utf8)
        #expect(!onDisk.contains("__folio"))
        let script = try RawHTTP.get(server.port, LiveReload.scriptPath)
        #expect(script.status == 200 && script.header("content-type")?.hasPrefix("text/javascript") == true)
        let css = try RawHTTP.get(server.port, "/static/folio.css")
        #expect(css.status == 200 && css.header("content-type") == "text/css; charset=utf-8")
        #expect(try RawHTTP.get(server.port, "/p/fox").status == 301)

        // Paths outside the site, as sent on the wire (no client normalises them).
        for path in ["/../folio.yml", "/%2e%2e/folio.yml", "/..%2ffolio.yml", "/p/../../folio.lock", "/.folio/build.txt", "/%2e%2e%2f%2e%2e%2fetc/passwd"] {
            let answer = try RawHTTP.get(server.port, path)
            #expect(answer.status == 404, "\(path)")
            #expect(!answer.body.contains("Fixture gallery") && !answer.body.contains("input_hash"), "\(path)")
            #expect(answer.header("cache-control") == "no-store")
        }
        #expect(try RawHTTP.get(server.port, "/", method: "POST").status == 405)
        // HEAD: the headers of GET, no body.
        let head = try RawHTTP.get(server.port, "/static/folio.css", method: "HEAD")
        #expect(head.status == 200 && head.body.isEmpty && head.header("content-length") == css.header("content-length"))
        // A page whose name was pointed at 127.0.0.1 (DNS rebinding) is refused.
        #expect(try RawHTTP.get(server.port, "/", host: "evil.example:\(server.port)").status == 403)
        #expect(try RawHTTP.get(server.port, "/", host: "localhost:\(server.port)").status == 200)

        // An edit: the open page hears `reload` within 5 s, and the page has the new title.
        let events = try EventStream(port: server.port)
        defer { events.close() }
        #expect(events.wait(for: "event: version", within: .seconds(5)))
        let prompt = fixture.root.appendingPathComponent("prompts/fox.md")
        try Data(Self.fox.replacingOccurrences(of: "Red fox", with: "Arctic fox").utf8).write(to: prompt)
        #expect(events.wait(for: "event: reload", within: .seconds(5)))
        let page = try RawHTTP.get(server.port, "/p/fox/")
        #expect(page.status == 200 && page.body.contains("Arctic fox"))

        // An invalid edit: the error page names the file, the line and the problem.
        try Data("---\ntitle: Arctic fox\nroute: gemini\naspect: wide\n---\nA fox\n".utf8).write(to: prompt)
        #expect(events.wait(for: "event: reload", within: .seconds(5), count: 2))
        let broken = try RawHTTP.get(server.port, "/p/fox/")
        #expect(broken.status == 500)
        #expect(broken.body.contains("prompts/fox.md:4:"), "\(broken.body)")
        #expect(broken.body.contains("aspect") && broken.body.contains("/__folio/reload.js?v="))
        #expect(try RawHTTP.get(server.port, "/").status == 500)

        // The fix brings the site back without a restart.
        try Data(Self.fox.replacingOccurrences(of: "Red fox", with: "Snow fox").utf8).write(to: prompt)
        #expect(events.wait(for: "event: reload", within: .seconds(5), count: 3))
        let fixed = try RawHTTP.get(server.port, "/p/fox/")
        #expect(fixed.status == 200 && fixed.body.contains("Snow fox"))

        // Ctrl-C stops it cleanly, with the event stream open.
        #expect(server.interrupt() == 0)
        #expect(server.stderr.contains("prompts/fox.md:4:"))
    }

    @Test func aChangedGenerationKeyShowsNeedsGeneratingAndSpendsNothing() async throws {
        let fixture = try await SiteFixture.make(items: [.init(id: "fox", text: Self.fox)])
        defer { fixture.remove() }
        let server = try ServeProcess(project: fixture.root, environment: ["ANYINT_API_KEY": "k-live", "ANYINT_BASE_URL": "http://127.0.0.1:9"])
        defer { server.stop() }
        let events = try EventStream(port: server.port)
        defer { events.close() }
        #expect(events.wait(for: "event: version", within: .seconds(5)))
        let lock = try Data(contentsOf: fixture.root.appendingPathComponent("folio.lock"))
        try Data(Self.fox.replacingOccurrences(of: "A red fox", with: "A blue fox").utf8).write(to: fixture.root.appendingPathComponent("prompts/fox.md"))
        #expect(events.wait(for: "event: reload", within: .seconds(5)))
        let page = try RawHTTP.get(server.port, "/p/fox/")
        #expect(page.body.contains("needs generating — run `folio build`"), "\(page.body)")
        // Nothing was sent or recorded: the lockfile is as it was.
        #expect(try Data(contentsOf: fixture.root.appendingPathComponent("folio.lock")) == lock)
        // A prompt in a folder made after the server started is seen too.
        let birds = fixture.root.appendingPathComponent("prompts/birds")
        try FileManager.default.createDirectory(at: birds, withIntermediateDirectories: true)
        try Data("---\ntitle: Snowy owl\nroute: gemini\n---\nAn owl\n".utf8).write(to: birds.appendingPathComponent("owl.md"))
        #expect(events.wait(for: "event: reload", within: .seconds(5), count: 2))
        let owl = try RawHTTP.get(server.port, "/p/birds/owl/")
        #expect(owl.status == 200 && owl.body.contains("Snowy owl") && owl.body.contains("needs generating"))
        #expect(try Data(contentsOf: fixture.root.appendingPathComponent("folio.lock")) == lock)
        #expect(server.interrupt() == 0)
    }

    @Test func aFolderTheRenderRefusesIsNeverServed() async throws {
        let fixture = try await SiteFixture.make(items: [.init(id: "fox", text: Self.fox)])
        defer { fixture.remove() }
        let foreign = TestPaths.temporaryFolder("folio-foreign")
        defer { try? FileManager.default.removeItem(at: foreign) }
        try Data("private".utf8).write(to: foreign.appendingPathComponent("secret.txt"))
        let server = try ServeProcess(project: fixture.root, arguments: ["--out", foreign.path])
        defer { server.stop() }
        #expect(try RawHTTP.get(server.port, "/secret.txt").status == 404)
        let home = try RawHTTP.get(server.port, "/")
        #expect(home.status == 500 && home.body.contains("Folio cannot render the site"))
        // `--out .` renders into the project, which holds files Folio did not write: refused too.
        let inside = try ServeProcess(project: fixture.root, arguments: ["--out", fixture.root.path])
        defer { inside.stop() }
        for path in ["/folio.yml", "/folio.lock", "/prompts/fox.md"] {
            #expect(try RawHTTP.get(inside.port, path).status == 404, "\(path)")
        }
        #expect(server.interrupt() == 0 && inside.interrupt() == 0)
    }

    @Test func withSimulateAnEditIsGeneratedAndStandardOutputIsTheURLAlone() async throws {
        // A project built with --simulate (the fixture's lockfile holds "real" generations, which
        // --simulate refuses to mix with simulated ones).
        let folder = TestPaths.temporaryFolder("folio-serve-simulate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fast = ["FOLIO_TIME_SCALE": "0.01", "FOLIO_SIM_IMAGE_SCALE": "8"]
        #expect(try runFolio(["init", folder.path + "/gallery"]).status == 0)
        let root = folder.appendingPathComponent("gallery")
        try Data(Self.fox.utf8).write(to: root.appendingPathComponent("prompts/fox.md"))
        #expect(try runFolio(["build", "--simulate", "--project", root.path], environment: fast).status == 0)
        let server = try ServeProcess(project: root, arguments: ["--simulate"], environment: fast)
        defer { server.stop() }
        let events = try EventStream(port: server.port)
        defer { events.close() }
        #expect(events.wait(for: "event: version", within: .seconds(5)))
        try Data(Self.fox.replacingOccurrences(of: "A red fox", with: "A blue fox").utf8).write(to: root.appendingPathComponent("prompts/fox.md"))
        #expect(events.wait(for: "event: reload", within: .seconds(10)), "\(server.stderr)")
        let page = try RawHTTP.get(server.port, "/p/fox/")
        #expect(page.status == 200 && !page.body.contains("needs generating") && page.body.contains("<img"))
        // Removing the site while serving renders it again.
        try FileManager.default.removeItem(at: root.appendingPathComponent("site"))
        #expect(events.wait(for: "event: reload", within: .seconds(5), count: 2))
        #expect(try RawHTTP.get(server.port, "/").status == 200)
        #expect(server.interrupt() == 0)
        #expect(server.stdoutAfterFirstLine.isEmpty, "\(server.stdoutAfterFirstLine)")
        #expect(server.stderr.contains("1 generated"), "\(server.stderr)")
    }

    @Test func initThenBuildThenServeWorksInAnEmptyFolder() async throws {
        let folder = TestPaths.temporaryFolder("folio-serve-init")
        defer { try? FileManager.default.removeItem(at: folder) }
        let project = folder.appendingPathComponent("gallery")
        #expect(try runFolio(["init", project.path]).status == 0)
        let build = try runFolio(
            ["build", "--simulate", "--project", project.path], environment: ["FOLIO_TIME_SCALE": "0.01", "FOLIO_SIM_IMAGE_SCALE": "8"])
        #expect(build.status == 0, "\(build.stderr)")
        let server = try ServeProcess(project: project)
        defer { server.stop() }
        let home = try RawHTTP.get(server.port, "/")
        #expect(home.status == 200 && home.body.contains("<img"))
        #expect(server.interrupt() == 0)
    }
}

/// `folio serve --port 0` running in the background; its URL read from the first line it prints.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let errFile: URL
    private let out = Pipe()

    init(project: URL, arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = TestPaths.folio
        process.arguments = ["serve", "--port", "0", "--project", project.path] + arguments
        var env = ProcessInfo.processInfo.environment
        env["ANYINT_API_KEY"] = nil
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = out
        errFile = TestPaths.temporaryFolder("folio-serve-err").appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let url = try firstLine(of: out.fileHandleForReading)
        guard url.hasPrefix("http://127.0.0.1:"), url.hasSuffix("/"), let port = Int(url.dropFirst(17).dropLast()) else {
            killAndWait(process)
            throw RawHTTP.Failure("folio serve printed '\(url)' first")
        }
        self.port = port
    }

    var stderr: String { (try? String(contentsOf: errFile, encoding: .utf8)) ?? "" }

    /// What it printed on standard output after its URL, once it has ended.
    var stdoutAfterFirstLine: String {
        guard !process.isRunning else { return "(still running)" }
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    /// Ctrl-C, then its exit status (waiting at most 10 s).
    func interrupt() -> Int32 {
        process.interrupt()
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning, ContinuousClock.now < deadline { usleep(20_000) }
        guard !process.isRunning else { return -1 }
        return process.terminationStatus
    }

    func stop() {
        killAndWait(process)
        try? FileManager.default.removeItem(at: errFile.deletingLastPathComponent())
    }
}

/// HTTP/1.1 over a plain socket: the request line goes out exactly as written.
enum RawHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Answer {
        var status: Int
        var headers: [(String, String)]
        var body: String
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(socket)
            throw Failure("connect to 127.0.0.1:\(port)")
        }
        return socket
    }

    static func send(_ socket: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    static func get(_ port: Int, _ path: String, method: String = "GET", host: String? = nil) throws -> Answer {
        let socket = try connect(port)
        defer { Glibc.close(socket) }
        send(socket, "\(method) \(path) HTTP/1.1\r\nHost: \(host ?? "127.0.0.1:\(port)")\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure("no answer to \(path): \(text)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        guard let status = lines.first?.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { throw Failure("status line \(lines)") }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Answer(status: status, headers: headers, body: String(text[split.upperBound...]))
    }
}

/// The server-sent event stream a served page opens, read on its own thread.
final class EventStream: @unchecked Sendable {
    private let socket: Int32
    private let lock = NSLock()
    private var received = ""
    private let reader: Thread

    init(port: Int) throws {
        let socket = try RawHTTP.connect(port)
        self.socket = socket
        RawHTTP.send(socket, "GET \(LiveReload.eventsPath) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: text/event-stream\r\n\r\n")
        let box = Box()
        reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count == 0 || (count < 0 && errno != EAGAIN && errno != EINTR) { break }
                if count > 0 { box.stream?.append(String(decoding: buffer[0..<count], as: UTF8.self)) }
            }
        }
        box.stream = self
        reader.start()
    }

    private final class Box: @unchecked Sendable { weak var stream: EventStream? }

    private func append(_ text: String) {
        lock.lock()
        received += text
        lock.unlock()
    }

    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Waits until `needle` has been received `count` times.
    func wait(for needle: String, within limit: Duration, count: Int = 1) -> Bool {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if text.components(separatedBy: needle).count - 1 >= count { return true }
            usleep(20_000)
        }
        return false
    }

    func close() {
        shutdown(socket, Int32(SHUT_RDWR))
        Glibc.close(socket)
    }
}
