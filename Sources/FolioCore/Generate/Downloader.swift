import AsyncHTTPClient
import Crypto
import Foundation
import Glibc
import NIOCore
import NIOHTTP1

/// Why a download failed.
struct DownloadFailure: Error, Sendable {
    var message: String
    /// The URL answered that the file is gone (expired link): not worth retrying.
    var gone: Bool
    var retryable: Bool
}

/// Downloads result images into `assets/`: streamed to a temporary file, capped, checked by magic
/// bytes, hashed, and renamed to its content address only when complete. Never sends the key.
struct Downloader: Sendable {
    let http: GatewayHTTP
    let assets: URL
    let maxBytes: Int

    init(http: GatewayHTTP, project: URL, maxBytes: Int) {
        self.http = http
        assets = project.appendingPathComponent(StoredAsset.folder)
        self.maxBytes = maxBytes
    }

    /// Stores inline image bytes (Gemini) the same way a download is stored.
    func store(_ bytes: [UInt8]) throws(DownloadFailure) -> StoredAsset {
        guard bytes.count <= maxBytes else { throw DownloadFailure(message: "the image is larger than \(maxBytes) bytes", gone: false, retryable: false) }
        try prepareFolder()
        let temporary = temporaryPath()
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw DownloadFailure(message: "cannot write \(temporary)", gone: false, retryable: false)
        }
        return try finish(temporary: temporary, head: bytes, sha256: SHA256Hex.of(bytes), count: bytes.count)
    }

    /// What `store` records for inline image bytes, worked out before any file is written (nil when
    /// `store` would refuse them), so the lockfile can name the file before it exists.
    func identity(_ bytes: [UInt8]) -> StoredAsset? {
        guard bytes.count <= maxBytes, let header = ImageHeader.read(bytes), ["png", "jpeg", "webp"].contains(header.format),
            let width = header.width, let height = header.height, (1...LockOutput.maxSide).contains(width), (1...LockOutput.maxSide).contains(height)
        else { return nil }
        let sha256 = SHA256Hex.of(bytes)
        return StoredAsset(
            file: "\(StoredAsset.folder)/\(sha256).\(header.fileExtension)", sha256: sha256, bytes: bytes.count, width: width, height: height,
            mime: header.mime)
    }

    /// A URL from the gateway or a redirect as a message shows it: the key scrubbed before it is cut
    /// to 80 characters, so no part of it survives the cut.
    func shown(_ url: String) -> String {
        String(http.endpoint.scrub(url).prefix(80))
    }

    /// Downloads `url` (http or https only; redirects followed by hand, http(s) only, at most 3).
    func download(_ url: String) async throws(DownloadFailure) -> StoredAsset {
        var current = url
        for _ in 0...3 {
            guard let parsed = URL(string: current), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
                parsed.host != nil
            else {
                throw DownloadFailure(
                    message: "refusing to download from '\(shown(current))': only http and https URLs are fetched", gone: false, retryable: false)
            }
            // A URL from folio.lock is data from wherever the project came from: it may not send this
            // machine's requests to its own services (loopback, link-local) unless the gateway is here too.
            // Against a gateway on this machine (the simulator, tests) images come from this machine, and only from it.
            let local = HostAddress.isThisMachine(parsed.host ?? "")
            if local != http.endpoint.isLoopback {
                let why =
                    local
                    ? "an image URL may not point at this machine unless ANYINT_BASE_URL names a gateway on it"
                    : "against a gateway on this machine (ANYINT_BASE_URL), images come only from this machine"
                throw DownloadFailure(message: "refusing to download from '\(shown(current))': \(why)", gone: false, retryable: false)
            }
            var request = HTTPClientRequest(url: current)
            request.method = .GET
            request.headers.add(name: "User-Agent", value: "folio/0.1")
            let response: HTTPClientResponse
            do {
                response = try await http.client.execute(request, timeout: .seconds(60))
            } catch {
                throw DownloadFailure(message: GatewayHTTP.transportFailure(error, scrub: http.endpoint.scrub).message, gone: false, retryable: true)
            }
            let status = Int(response.status.code)
            if (300...399).contains(status), let location = response.headers.first(name: "Location") {
                current = URL(string: location, relativeTo: parsed)?.absoluteString ?? location
                continue
            }
            guard status == 200 else {
                let gone = status == 403 || status == 404 || status == 410
                throw DownloadFailure(
                    message: "HTTP \(status) from the image host\(gone ? " (the link has expired or is gone)" : "")", gone: gone,
                    retryable: status >= 500 || status == 429)
            }
            if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maxBytes {
                throw DownloadFailure(message: "the image is \(length) bytes, over the \(maxBytes)-byte cap", gone: false, retryable: false)
            }
            return try await receive(response, expected: response.headers.first(name: "Content-Length").flatMap(Int.init))
        }
        throw DownloadFailure(message: "too many redirects", gone: false, retryable: false)
    }

    private func receive(_ response: HTTPClientResponse, expected: Int?) async throws(DownloadFailure) -> StoredAsset {
        try prepareFolder()
        let temporary = temporaryPath()
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DownloadFailure(message: "cannot create \(temporary)", gone: false, retryable: false) }
        var completed = false
        defer {
            if !completed { unlink(temporary) }
        }
        var hasher = SHA256()
        var count = 0
        var head: [UInt8] = []
        do {
            defer { close(fd) }
            for try await chunk in response.body {
                count += chunk.readableBytes
                guard count <= maxBytes else {
                    throw DownloadFailure(message: "the image is over the \(maxBytes)-byte cap", gone: false, retryable: false)
                }
                try chunk.withUnsafeReadableBytes { raw in
                    hasher.update(bufferPointer: raw)
                    if head.count < 256 * 1024 { head.append(contentsOf: raw.prefix(256 * 1024 - head.count)) }
                    var offset = 0
                    while offset < raw.count {
                        let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                        if written < 0 {
                            if errno == EINTR { continue }
                            throw DownloadFailure(message: "cannot write \(temporary)", gone: false, retryable: false)
                        }
                        offset += written
                    }
                }
            }
            guard fsync(fd) == 0 else { throw DownloadFailure(message: "cannot sync \(temporary)", gone: false, retryable: false) }
        } catch let failure as DownloadFailure {
            throw failure
        } catch {
            throw DownloadFailure(
                message: "the download broke off after \(count) bytes: \(GatewayHTTP.transportFailure(error, scrub: http.endpoint.scrub).message)",
                gone: false, retryable: true)
        }
        if let expected, expected != count {
            throw DownloadFailure(message: "the download stopped at \(count) of \(expected) bytes", gone: false, retryable: true)
        }
        let digest = SHA256Hex.hex(hasher.finalize())
        let stored = try finish(temporary: temporary, head: head, sha256: digest, count: count)
        completed = true
        return stored
    }

    /// Checks the image and renames the temporary file to `assets/<sha256>.<ext>`.
    private func finish(temporary: String, head: [UInt8], sha256: String, count: Int) throws(DownloadFailure) -> StoredAsset {
        guard let header = ImageHeader.read(head), ["png", "jpeg", "webp"].contains(header.format) else {
            unlink(temporary)
            throw DownloadFailure(message: "the download is not a PNG, JPEG or WebP image", gone: false, retryable: true)
        }
        guard let width = header.width, let height = header.height, width > 0, height > 0 else {
            unlink(temporary)
            throw DownloadFailure(message: "the image's size cannot be read; the file is damaged", gone: false, retryable: true)
        }
        // What the lockfile may record, so no download can leave a lockfile its own reader refuses.
        guard width <= LockOutput.maxSide, height <= LockOutput.maxSide else {
            unlink(temporary)
            throw DownloadFailure(
                message: "the image claims \(width) × \(height) pixels, more than the \(LockOutput.maxSide) a side Folio accepts", gone: false,
                retryable: false)
        }
        let name = "\(sha256).\(header.fileExtension)"
        let final = assets.appendingPathComponent(name).path
        // A file already there under this name that is not these bytes was changed by hand: it is
        // kept beside the new one, never overwritten.
        if FastFiles.size(final) != nil, VerifiedHashes.hash(final) != sha256 {
            rename(final, final + ".changed-\(Int(Date().timeIntervalSince1970))")
        }
        guard rename(temporary, final) == 0 else {
            unlink(temporary)
            throw DownloadFailure(message: "cannot move the download to \(final)", gone: false, retryable: false)
        }
        AssetCheck.remember("\(StoredAsset.folder)/\(name)", sha256: sha256, project: assets.deletingLastPathComponent())
        // Look before writing: what the original carries decides what the site may add to it.
        let found = FastFiles.read(final).map(OriginalMetadata.read)
        return StoredAsset(
            file: "\(StoredAsset.folder)/\(name)", sha256: sha256, bytes: count, width: width, height: height, mime: header.mime,
            carries: found?.isEmpty == false ? found : nil)
    }

    private func prepareFolder() throws(DownloadFailure) {
        if let outside = VerifiedHashes.of(project: assets.deletingLastPathComponent()).assetsOutside {
            throw DownloadFailure(
                message: "\(StoredAsset.folder)/ is a symbolic link to \(outside), outside the project; Folio keeps paid images only inside the project",
                gone: false, retryable: false)
        }
        do {
            try FileManager.default.createDirectory(at: assets, withIntermediateDirectories: true)
        } catch {
            throw DownloadFailure(message: "cannot create \(assets.path)", gone: false, retryable: false)
        }
    }

    /// Removes the temporary files of downloads a stopped run left in `assets/` (never whole assets).
    /// Called once per build with the run lock held, before any download starts
    /// (`Generator.removeLeftovers`).
    func removeLeftovers() {
        guard VerifiedHashes.of(project: assets.deletingLastPathComponent()).assetsOutside == nil,
            let names = try? FileManager.default.contentsOfDirectory(atPath: assets.path)
        else { return }
        for name in names where name.hasPrefix(Self.temporaryPrefix) && name.hasSuffix(Self.temporarySuffix) {
            unlink(assets.appendingPathComponent(name).path)
        }
    }

    static let temporaryPrefix = ".download-", temporarySuffix = ".part"

    private func temporaryPath() -> String {
        assets.appendingPathComponent(Self.temporaryPrefix + UUID().uuidString + Self.temporarySuffix).path
    }
}

/// What a URL's host names, as an address: whether it is this machine (or its link-local neighbours).
enum HostAddress {
    /// Loopback, unspecified (`0.0.0.0`, `::`) or link-local (`169.254/16`, `fe80::/10`), in any
    /// spelling `inet_aton` and `inet_pton` accept (`127.1`, `2130706433`, `[::ffff:127.0.0.1]`),
    /// or `localhost`. Names that DNS resolves to such addresses are not looked up.
    static func isThisMachine(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        if name.hasSuffix(".") { name = String(name.dropLast()) }
        if let zone = name.firstIndex(of: "%") { name = String(name[..<zone]) }
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr()
        if inet_aton(name, &v4) != 0 { return isLocal(v4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, name, &v6) == 1 {
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            if bytes.allSatisfy({ $0 == 0 }) || bytes == Array(repeating: 0, count: 15) + [1] { return true }
            if bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { return true }
            // An IPv4 address mapped into IPv6 (or the old IPv4-compatible form).
            if bytes[0..<10].allSatisfy({ $0 == 0 }), (bytes[10] == 0xFF && bytes[11] == 0xFF) || (bytes[10] == 0 && bytes[11] == 0) {
                return isLocal(v4: bytes[12...].reduce(0) { $0 << 8 | UInt32($1) })
            }
        }
        return false
    }

    private static func isLocal(v4 address: UInt32) -> Bool {
        let first = address >> 24, second = (address >> 16) & 0xFF
        return first == 127 || first == 0 || (first == 169 && second == 254)
    }
}
