import Crypto
import Foundation
import Glibc

/// One generated text file of the site (a page, or a published prompt source): where it goes, a
/// digest of everything it is made from, and its bytes, or nil when the last render made this very
/// file from the same inputs and it is still there as written (it is then not made again).
struct SiteText: Sendable {
    var path: String
    var key: String
    var bytes: [UInt8]?
    /// The file's size: its bytes', or the one recorded and found on disk.
    var size: Int
    /// For a file left as it was, its identity on disk (device, inode, size, times), as recorded.
    var identity: FileIdentity?

    init(path: String, key: String, bytes: [UInt8]) {
        self.path = path
        self.key = key
        self.bytes = bytes
        size = bytes.count
    }

    /// The file the last render made from inputs with `key`, when `record` says it is still there as written.
    init?(path: String, key: String, keptBy record: PageRecord?) {
        guard let identity = record?.identity(of: path, key: key) else { return nil }
        self.path = path
        self.key = key
        self.size = identity.size
        self.identity = identity
    }
}

/// A digest of a file's inputs, fed field by field. Each field ends with a 0 byte, so two fields
/// never run together into a third's text.
struct InputDigest {
    private var hasher = SHA256()

    init(_ kind: String) { add(kind) }

    mutating func add(_ text: String) {
        hasher.update(data: Array(text.utf8))
        hasher.update(data: [0])
    }

    mutating func add(_ number: Int) { add(String(number)) }

    func finish() -> String { SHA256Hex.hex(hasher.finalize()) }
}

/// `<output>/.folio/pages.txt`: what the last successful render made each page and prompt source
/// from (``SiteText/key``), and the file it left (device, inode, size and times: a file edited,
/// replaced or restored from a backup is not that file, whatever its size). A render makes again only the files whose inputs
/// changed or that are no longer there as written; the others are left as they are, so editing one
/// prompt of 10,000 renders its page, its neighbours and the listings that show it.
///
/// The record is removed before any page is written and written again only once the render has
/// succeeded, so it never describes a file that a failed render replaced.
struct PageRecord: Sendable {
    static let path = ".folio/pages.txt"
    static let header = "folio-pages 1"

    let site: String
    private let entries: [String: (key: String, identity: FileIdentity)]

    /// The record of `site`, or nil when there is none (or it is not in the format this Folio writes).
    static func read(site: URL) -> PageRecord? {
        guard RenderStamp.stateFolderIsReal(site), case .bytes(let bytes) = FastFiles.read(site.path + "/" + path, atMost: 64 << 20)
        else { return nil }
        let lines = bytes.split(separator: UInt8(ascii: "\n"))
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == header else { return nil }
        var entries: [String: (key: String, identity: FileIdentity)] = [:]
        entries.reserveCapacity(lines.count)
        for line in lines.dropFirst() {
            // `<key> <device> <inode> <size> <mtime> <ctime> <path>`: the key is 64 hex digits, the
            // times `seconds.nanoseconds`.
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7, fields[0].count == 64, SiteManifest.isSafe(fields[6]),
                let identity = FileIdentity(text: line[fields[1].startIndex..<fields[5].endIndex])
            else { return nil }
            entries[String(decoding: fields[6], as: UTF8.self)] = (String(decoding: fields[0], as: UTF8.self), identity)
        }
        return PageRecord(site: site.path, entries: entries)
    }

    /// The identity of the file at `path` when it was made from inputs with this `key` and is still
    /// the very file this record names (`lstat`: a file swapped for a link is not the file Folio wrote).
    func identity(of path: String, key: String) -> FileIdentity? {
        guard let entry = entries[path], entry.key == key else { return nil }
        var info = stat()
        guard lstat(site + "/" + path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, FileIdentity(info) == entry.identity else { return nil }
        return entry.identity
    }

    /// The record of `texts`, each with its key and the identity of its file (as recorded for a file
    /// left as it was, else as found now): the bytes of `path`.
    static func bytes(_ texts: [(path: String, key: String, identity: FileIdentity?)], site: URL) -> [UInt8] {
        var out: [UInt8] = []
        // A line is a 64-digit key, an identity of about 70 characters and the path.
        out.reserveCapacity(header.utf8.count + 1 + texts.reduce(0) { $0 + $1.path.utf8.count + $1.key.utf8.count + 80 })
        out += header.utf8
        out.append(UInt8(ascii: "\n"))
        for text in texts {
            var info = stat()
            guard let identity = text.identity ?? (lstat(site.path + "/" + text.path, &info) == 0 ? FileIdentity(info) : nil) else { continue }
            out += text.key.utf8
            out.append(UInt8(ascii: " "))
            out += identity.text.utf8
            out.append(UInt8(ascii: " "))
            out += text.path.utf8
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }
}

/// The keys pages are made from: what they all share, and each item's own part.
struct PageKeys: Sendable {
    var shared: String
    /// In `SitePages.items`' order.
    var items: [String]
}

extension SitePages {
    /// What every page shares (`inputs`, the icons, the albums of the menu), and each item's key:
    /// its digest and what this render learned of its images (placeholder colours, Content Credentials).
    func pageKeys() -> PageKeys {
        var shared = InputDigest("pages 1")
        shared.add(inputs)
        for icon in icons { shared.add("\(icon.url) \(icon.type ?? "-") \(icon.sizes ?? "-")") }
        shared.add(albums.count)
        for album in albums { shared.add(album) }
        shared.add(hasComparePage ? "compare" : "-")
        let keys = Parallel.map(Array(items.indices)) { index in
            var digest = InputDigest("item 1")
            digest.add(index < itemDigests.count ? itemDigests[index] : UUID().uuidString)
            for image in items[index].images {
                digest.add("\(image.sha256) \(colors[image.sha256] ?? "-") \(contentCredentials.contains(image.sha256))")
            }
            return digest.finish()
        }
        return PageKeys(shared: shared.finish(), items: keys)
    }
}
