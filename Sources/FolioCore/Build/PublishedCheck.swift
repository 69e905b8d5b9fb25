import Foundation

/// `folio check --published`: reads every image of the rendered site back and reports any that
/// lost its AI label, any signed original that is no longer the file its credentials sign, and
/// any private value (SPEC §2) found in any published file. A problem ends the command with 4, so
/// CI can gate a publish on it.
public struct PublishedCheck: Sendable {
    /// One sentence each, naming the file.
    public var problems: [String] = []
    /// Images read back.
    public var images = 0
    /// All files searched for private values.
    public var files = 0

    /// `folio check --published --json`: `{"problems": ["…"], "images": 42, "files": 120}`.
    public var json: JSONValue {
        .object([("problems", .array(problems.map { .string($0) })), ("images", .int(images)), ("files", .int(files))])
    }

    /// Checks the site in `site` against the project and its lockfile.
    public static func run(project: LoadedProject, lock: Lockfile, site: URL) -> PublishedCheck {
        var check = PublishedCheck()
        // Only a site this project rendered: another folder would pass with nothing checked.
        guard SiteManifest.owner(site: site, project: project.root) == .thisProject else {
            check.problems.append("\(site.path) is not a site this project rendered; render it first, or name it with --out")
            return check
        }
        let folder = site.appendingPathComponent("img")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            check.problems.append("\(site.lastPathComponent)/img/ cannot be read: render the site first")
            return check
        }
        // Every downloaded output of a published prompt, by SHA-256: which prompt labels it, and what
        // its original carries (as recorded, else as the asset itself says).
        var outputs: [String: (prompt: Prompt, asset: StoredAsset)] = [:]
        for prompt in project.prompts where !prompt.draft {
            for asset in lock.entries[prompt.id]?.outputs.compactMap(\.asset) ?? [] where outputs[asset.sha256] == nil {
                outputs[asset.sha256] = (prompt, asset)
            }
        }
        for name in names.sorted() where !name.hasSuffix(".tmp") && !name.contains(".tmp.") {
            let sha = String(name.prefix(64))
            guard let (_, asset) = outputs[sha], let bytes = FastFiles.read(folder.path + "/" + name) else { continue }
            check.images += 1
            let isOriginal = !name.dropFirst(64).hasPrefix("-")
            // What the original carries matters for the original only: read once, not per rendition.
            if isOriginal, (asset.carries ?? OriginalMetadata.read(FastFiles.read(project.root.path + "/" + asset.file) ?? [])).c2pa {
                if SHA256Hex.of(bytes) != sha {
                    check.problems.append(
                        "img/\(name) carries Content Credentials but is no longer the signed original (its SHA-256 differs); delete it and render again")
                }
                continue
            }
            let found = OriginalMetadata.read(bytes)
            if found.digitalSourceType == ImageProvenance.digitalSourceType, found.aigcLabel == "1" { continue }
            // An original Folio may not write into (a JUMBF box it does not recognise, a multi-picture
            // JPEG) is published as it came; its renditions carry the label. Hashed only here, where
            // the label is missing.
            if isOriginal, SHA256Hex.of(bytes) == sha, OriginalEmbedding.embed(EmbeddedMetadata.probe, into: bytes) == nil { continue }
            check.problems.append("img/\(name) is missing its AI label (IPTC digital source type and the TC260 AIGC label); delete it and render again")
        }
        check.findLeaks(in: site, prompts: project.prompts)
        return check
    }

    /// Searches every published file for the text of a private prompt or negative prompt, in UTF-8
    /// and in UTF-16 (as EXIF `UserComment` holds it).
    mutating func findLeaks(in site: URL, prompts: [Prompt]) {
        var secrets: [(id: String, field: String, forms: [[UInt8]])] = []
        for prompt in prompts where !prompt.draft {
            let values: [(PrivateField, String?)] = [(.prompt, prompt.generation.prompt), (.negativePrompt, prompt.generation.negativePrompt)]
            for (field, value) in values where prompt.privateFields.contains(field) {
                // Long enough to mean something: a one-word prompt would match everywhere.
                guard let value, value.count >= 12 else { continue }
                let utf16 = value.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
                secrets.append((prompt.id, field.rawValue, [Array(value.utf8), utf16]))
            }
        }
        guard !secrets.isEmpty else { return }
        let enumerator = FileManager.default.enumerator(at: site, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            let relative = String(url.path.dropFirst(site.path.count + 1))
            guard !relative.hasPrefix(".folio"), let bytes = FastFiles.read(url.path) else { continue }
            files += 1
            for secret in secrets where secret.forms.contains(where: { ByteSearch.contains(bytes[...], $0) }) {
                problems.append("\(relative) holds the private \(secret.field) of '\(secret.id)'")
            }
        }
    }

    /// `checked 42 images and 118 files: 0 problems`.
    public var summary: String {
        "checked \(images) published image\(images == 1 ? "" : "s") and \(files) file\(files == 1 ? "" : "s") for private values: \(problems.count) problem\(problems.count == 1 ? "" : "s")"
    }
}
