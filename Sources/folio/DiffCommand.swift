import ArgumentParser
import FolioCore
import Foundation

/// `folio diff [REV]`: the prompts and lock entries that differ from a git revision, listed and
/// written as an HTML report to attach to a pull request.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare prompts and folio.lock with a git revision; write an HTML report of the old and new images.")

    @Argument(help: "The git revision to compare with.") var revision = "HEAD"

    @Option(name: .long, help: "Where to write the HTML report (default: folio-diff.html in the project).") var out: String?

    @OptionGroup var options: ProjectOptions

    func run() async throws {
        let build = try await options.run([.load])
        guard let project = build.project else { return }
        let named =
            out.map { URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL }
            ?? project.root.appendingPathComponent("folio-diff.html")
        // Before anything is compared: a mistyped --out never replaces a prompt, folio.lock or a file
        // of the user's. Written exactly where it was checked.
        let file = try DiffReport.destination.check(named, shown: out ?? "folio-diff.html", project: project.root)
        let environment = ProcessInfo.processInfo.environment
        let diff = try await ProjectDiff.make(project: project, lock: build.lock, revision: revision, environment: environment)
        let report = DiffReport(diff: diff, thumbnails: try DiffReport.thumbnails(diff, project: project.root, environment: environment))
        do {
            try AtomicFile.write(Array(report.html.utf8), to: file)
        } catch {
            throw FolioError("cannot write the report \(file.path): \(error)", path: file.path)
        }
        for problem in diff.revisionProblems { Console.error("\(revision): \(problem.description) (compared as absent)") }
        if options.json {
            Console.json(diff.json(report: file.path))
        } else {
            diff.lines.forEach { print($0) }
            print("report: \(file.path)")
        }
    }
}
