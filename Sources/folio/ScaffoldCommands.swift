import ArgumentParser
import FolioCore
import Foundation

/// `folio new ID`: a prompt file to start from.
struct NewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Create prompts/<ID>.md to start from.")

    @Argument(help: "The prompt's id: its path under prompts/ without .md, such as posters/launch.") var id: String

    @Option(help: ArgumentHelp("The route: \(RouteID.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "route")) var route: String = "gemini"

    @Option(name: .long, help: "The project folder.") var project: String = "."

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        let path = try Scaffold.newPrompt(id: id, route: route, project: URL(fileURLWithPath: project))
        if !verbosity.quiet { print("created \(path) (a draft: remove 'draft: true' when it is ready)") }
    }
}

/// `folio init DIR`: a new project with a folio.yml, a first prompt and a .gitignore; with
/// `--theme`, also the built-in theme in templates/, to restyle.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new project folder.")

    @Argument(help: "The folder to create the project in.") var directory: String

    @Flag(help: "Also copy the whole built-in theme (templates, folio.css, folio.js, favicon.svg) into templates/, to restyle it.") var theme = false

    @OptionGroup var verbosity: Verbosity

    func run() throws {
        let folder = try Scaffold.projectFolder(directory, workingFolder: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try Scaffold.makeProject(in: folder, theme: theme)
        guard !verbosity.quiet else { return }
        print("created a Folio project in \(directory)")
        if theme { print("  \(directory)/templates/ holds the built-in theme: edit it, or delete a file to use the built-in one") }
        print(
            """
              folio build --project \(directory) --simulate   # try it without a key
              export ANYINT_API_KEY=…; folio build --project \(directory)
            """)
    }
}
