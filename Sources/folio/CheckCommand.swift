import ArgumentParser
import FolioCore
import Foundation

/// `folio check`: every problem in the configuration and the prompt files, at once.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate folio.yml and the prompt files; exit 2 if anything is wrong.")

    @OptionGroup var options: ProjectOptions

    func run() async throws {
        // A damaged folio.lock stops check as it stops every other command.
        _ = try options.loadLockfile()
        let project = await ProjectLoader.load(options.projectURL)
        var diagnostics = project.diagnostics
        diagnostics += Theme.load(project: project.root).1
        diagnostics = diagnostics.sortedByLocation()
        if project.settings.images.formats.contains(.avif), !Libraries.canEncode(.avif) {
            diagnostics.append(Diagnostic(
                file: SettingsLoader.fileName, key: "images.formats", severity: .warning,
                message: "this libvips cannot encode AVIF; the site will be rendered without it"))
        }
        let errors = diagnostics.errors.count
        let warnings = diagnostics.count - errors
        if options.json {
            let list: [JSONValue] = diagnostics.map { d in
                .object([
                    ("file", .string(d.file)), ("line", .int(d.line)), ("column", .int(d.column)),
                    ("severity", .string(d.severity.rawValue)), ("key", d.key.map { .string($0) } ?? .null),
                    ("message", .string(d.message)),
                ])
            }
            Output.json(.object([
                ("ok", .bool(errors == 0)), ("prompts", .int(project.prompts.count)),
                ("errors", .int(errors)), ("warnings", .int(warnings)), ("diagnostics", .array(list)),
            ]))
        } else {
            Output.report(diagnostics, quiet: options.quiet)
            if !options.quiet {
                let files = project.prompts.count + Set(diagnostics.filter { $0.file.hasPrefix("prompts/") && $0.severity == .error }.map(\.file)).count
                print("checked \(files) prompt file\(files == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
            }
        }
        if errors > 0 { throw FolioExit(code: ExitStatus.invalidInput) }
    }
}
