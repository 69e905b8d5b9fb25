import FolioTheme
import Foundation
import Mustache

/// The built-in theme, compiled into the binary, and the project's overrides in `templates/`.
public struct Theme: Sendable {
    /// Template names, without `.mustache`.
    public static let templates = ["layout", "head", "card", "params", "grid", "prompt", "routes", "compare"]
    /// Static files copied to `site/static/`.
    public static let staticFiles = ["folio.css", "folio.js", "favicon.svg"]
    public static let folder = "templates"

    /// The built-in files by name, from the `FolioTheme` target (the repository's `templates/`).
    static let builtIn: [String: [UInt8]] = BuiltInTheme.files

    let library: MustacheLibrary
    /// Static files by name.
    public let files: [String: [UInt8]]
    /// Which files came from the project (`templates/…`), for messages.
    public let overridden: Set<String>
    /// SHA-256 of every template and static file, so a build knows when the theme changed.
    public let digest: String

    /// Loads every template, the project's own first; problems name the file and line.
    public static func load(project: URL) -> (Theme?, [Diagnostic]) {
        var library = MustacheLibrary()
        var problems: [Diagnostic] = []
        var files: [String: [UInt8]] = [:]
        var overridden = Set<String>()
        var sources: [String: (text: String, file: String)] = [:]
        var everything: [UInt8] = []
        let projectPath = FastFiles.realPath(project.path) ?? project.path
        for name in templates.map({ "\($0).mustache" }) + staticFiles {
            let own = project.appendingPathComponent("\(folder)/\(name)")
            let bytes: [UInt8]
            let file: String
            // A theme file is published (folio.css, folio.js) or shapes every page: one that resolves
            // outside the project (a link to ~/.ssh/…) is refused, as static/ refuses such links.
            if let real = FastFiles.realPath(own.path), !FastFiles.isInside(real, projectPath) {
                problems.append(
                    Diagnostic(
                        file: "\(folder)/\(name)", severity: .error,
                        message:
                            "\(folder)/\(name) is a symbolic link that resolves outside the project; Folio uses theme files only from inside it. Copy the file into \(folder)/ instead."
                    ))
                bytes = builtIn[name]!
                file = "(built-in) \(name)"
            } else if let data = FileManager.default.contents(atPath: own.path) {
                bytes = [UInt8](data)
                file = "\(folder)/\(name)"
                overridden.insert(name)
            } else {
                bytes = builtIn[name]!
                file = "(built-in) \(name)"
            }
            everything += Array(name.utf8) + [0] + bytes + [0]
            if name.hasSuffix(".mustache") {
                switch SourceText.decode(bytes, file: file) {
                case .success(let text): sources[String(name.dropLast(9))] = (text, file)
                case .failure(let problem): problems.append(problem)
                }
            } else {
                files[name] = bytes
            }
        }
        for (name, source) in sources.sorted(by: { $0.key < $1.key }) {
            do {
                try library.register(source.text, named: name)
            } catch let error as MustacheTemplate.ParserError {
                problems.append(
                    Diagnostic(
                        file: source.file, line: error.context.lineNumber, column: error.context.columnNumber,
                        message: "template syntax error: \(describe(error.error)) in '\(error.context.line.trimmingCharacters(in: .whitespaces))'"))
            } catch {
                problems.append(Diagnostic(file: source.file, message: "template error: \(error)"))
            }
            problems += missingPartials(in: source.text, file: source.file, known: Set(templates))
        }
        // Templates in templates/ that the theme does not use are probably misnamed.
        let folderURL = project.appendingPathComponent(folder)
        for extra in ((try? FileManager.default.contentsOfDirectory(atPath: folderURL.path)) ?? []).sorted()
        where extra.hasSuffix(".mustache") && !templates.contains(String(extra.dropLast(9))) {
            let stem = String(extra.dropLast(9))
            problems.append(
                Diagnostic(
                    file: "\(folder)/\(extra)", severity: .warning,
                    message:
                        "the theme has no template named '\(stem)', so this file is not used; templates: \(templates.joined(separator: ", "))\(Suggest.didYouMean(stem, in: templates))"
                ))
        }
        guard problems.errors.isEmpty else { return (nil, problems) }
        return (Theme(library: library, files: files, overridden: overridden, digest: SHA256Hex.of(everything)), problems)
    }

    /// Every `{{> name}}` must name a template.
    static func missingPartials(in text: String, file: String, known: Set<String>) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line[...]
            while let open = rest.range(of: "{{>") {
                guard let close = rest.range(of: "}}", range: open.upperBound..<rest.endIndex) else { break }
                let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                if !known.contains(name) {
                    let column = line.distance(from: line.startIndex, to: open.lowerBound) + 1
                    problems.append(
                        Diagnostic(
                            file: file, line: number + 1, column: column,
                            message: "partial '\(name)' not found; templates: \(known.sorted().joined(separator: ", "))\(Suggest.didYouMean(name, in: known))"))
                }
                rest = rest[close.upperBound...]
            }
        }
        return problems
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case MustacheTemplate.Error.sectionCloseNameIncorrect: "a section is closed with the wrong name"
        case MustacheTemplate.Error.unfinishedName: "a tag is not finished"
        case MustacheTemplate.Error.expectedSectionEnd: "a section is never closed"
        case MustacheTemplate.Error.invalidSetDelimiter: "an invalid delimiter change"
        default: "\(error)"
        }
    }

    /// Renders template `name` with `view` (see `SiteViews.swift` for what each template receives).
    func render(_ name: String, _ view: some TemplateView) -> String {
        library.render(view, withTemplate: name) ?? ""
    }
}
