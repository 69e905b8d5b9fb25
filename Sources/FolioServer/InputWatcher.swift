import FolioCore
import Foundation
import Glibc

/// Tells `folio serve` that something in the project may have changed, from Linux's inotify: the
/// project folder itself (`folio.yml`, `folio.lock`) and every folder under `prompts/`,
/// `templates/`, `static/` and `assets/`, including folders made later. Nothing is stat'ed while
/// nothing changes, so a 10,000-prompt project costs nothing at rest. The render stamp still
/// decides whether an input really changed (an event may be a temporary file).
final class InputWatcher {
    private let descriptor: Int32
    private let project: String
    private var folders: [Int32: String] = [:]
    /// Where events are read into, kept between looks (one is taken ten times a second).
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)
    private let mask = UInt32(IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF)
    static let trees = RenderStamp.inputFolders

    /// Nil when inotify is not available (or its limits are reached): the caller polls instead.
    init?(project: URL) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        self.project = project.path
        guard descriptor >= 0 else { return nil }
        guard add(project.path, recursive: false) else {
            close(descriptor)
            return nil
        }
        for tree in Self.trees where !add(project.path + "/" + tree, recursive: true) {
            if errno == ENOSPC || errno == ENOMEM {
                close(descriptor)
                return nil
            }
        }
    }

    deinit { close(descriptor) }

    /// Reads every event waiting, without blocking: whether there was any. A folder made under a
    /// watched tree is watched from now on (and anything already in it counts as a change).
    func changed() -> Bool {
        var any = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            any = true
            var offset = 0
            while offset + MemoryLayout<inotify_event>.size <= count {
                let (wd, eventMask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + MemoryLayout<inotify_event>.size
                let nameBytes = buffer[nameStart..<min(nameStart + length, count)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                if eventMask & UInt32(IN_ISDIR) != 0, eventMask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, let parent = folders[wd] {
                    let isTop = parent == project
                    if !isTop || Self.trees.contains(name) { _ = add(parent + "/" + name, recursive: true) }
                }
                if eventMask & UInt32(IN_IGNORED) != 0 { folders[wd] = nil }
                offset = nameStart + length
            }
        }
        return any
    }

    /// Watches `folder` (and, when `recursive`, every folder under it; links are not followed).
    @discardableResult
    private func add(_ folder: String, recursive: Bool) -> Bool {
        var info = stat()
        guard lstat(folder, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return true }
        let wd = inotify_add_watch(descriptor, folder, mask | UInt32(IN_ONLYDIR | IN_DONT_FOLLOW))
        guard wd >= 0 else { return false }
        folders[wd] = folder
        guard recursive, let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return true }
        for entry in entries where !add(folder + "/" + entry, recursive: true) { return false }
        return true
    }
}
