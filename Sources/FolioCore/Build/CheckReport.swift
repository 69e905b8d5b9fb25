import Foundation

/// `folio check`: every problem in `folio.yml`, the prompt files and the templates, at once.
public struct CheckReport: Sendable {
    /// Sorted by file and line.
    public var diagnostics: [Diagnostic]
    /// Prompt files read, valid or not.
    public var files: Int
    /// Prompts that decoded.
    public var prompts: Int

    public var errors: Int { diagnostics.errors.count }
    public var warnings: Int { diagnostics.count - errors }
    /// Exit 2 when anything is an error.
    public var exitStatus: ExitStatus { errors > 0 ? .invalidInput : .ok }

    /// Checks the project at `root`. A damaged `folio.lock` stops check as it stops every other command.
    public static func run(project root: URL) async throws(FolioError) -> CheckReport {
        _ = try Lockfile.load(project: root)
        let project = await ProjectLoader.load(root)
        var diagnostics = project.diagnostics + Theme.load(project: project.root).1
        diagnostics = diagnostics.sortedByLocation()
        if project.settings.images.formats.contains(.avif), !Libraries.canEncode(.avif) {
            diagnostics.append(
                Diagnostic(
                    file: SettingsLoader.fileName, key: "images.formats", severity: .warning,
                    message: "this libvips cannot encode AVIF; the site will be rendered without it"))
        }
        let broken = Set(diagnostics.filter { $0.file.hasPrefix("prompts/") && $0.severity == .error }.map(\.file))
        // A file with several routes is one prompt per route, but one file.
        let files = Set(project.prompts.map(\.file)).count
        return CheckReport(diagnostics: diagnostics, files: files + broken.count, prompts: project.prompts.count)
    }

    /// `checked 14 prompt files: 0 errors, 1 warning`.
    public var summary: String {
        "checked \(files) prompt file\(files == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")"
    }

    /// `folio check --json`.
    public var json: JSONValue {
        let list: [JSONValue] = diagnostics.map { d in
            .object([
                ("file", .string(d.file)), ("line", .int(d.line)), ("column", .int(d.column)),
                ("severity", .string(d.severity.rawValue)), ("key", d.key.map { .string($0) } ?? .null),
                ("message", .string(d.message)),
            ])
        }
        return .object([
            ("ok", .bool(errors == 0)), ("prompts", .int(prompts)),
            ("errors", .int(errors)), ("warnings", .int(warnings)), ("diagnostics", .array(list)),
        ])
    }
}
