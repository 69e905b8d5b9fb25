/// SPEC §4's exit statuses.
public enum ExitStatus: Int32, Sendable, Comparable {
    /// Everything asked for is done.
    case ok = 0
    /// Something in the machine or the project's state stopped the command (an unreadable
    /// `folio.lock`, a missing key, a held run lock, an unwritable file).
    case error = 1
    /// What the user asked for is wrong: usage, `folio.yml`, prompt files, templates, an output folder.
    case invalidInput = 2
    /// Done, but tasks are still pending: run again to resume.
    case pending = 3
    /// Some prompts failed or have images that can no longer be fetched.
    case partial = 4

    public static func < (a: ExitStatus, b: ExitStatus) -> Bool { a.rawValue < b.rawValue }
}

/// The one error a Folio command fails with: what went wrong, in which step of the build, about
/// which file, and the exit status it ends the command with. Its `description` is the message
/// alone, as it was always printed; `report` adds the step.
public struct FolioError: Error, Sendable, CustomStringConvertible {
    /// The pipeline step that failed (`load`, `plan`, `render images`, …), filled in by the driver.
    public var step: String?
    /// The file or folder the problem is about, when there is one.
    public var path: String?
    public var message: String
    public var exit: ExitStatus
    /// The word printed before the message (`error: …`); nil prints a sentence that says it all.
    public var heading: String?

    public init(_ message: String, path: String? = nil, exit: ExitStatus = .error, step: String? = nil, heading: String? = "error") {
        self.message = message
        self.path = path
        self.exit = exit
        self.step = step
        self.heading = heading
    }

    public var description: String { message }

    /// What the command line prints on standard error: `error: <message>`, and the step it stopped in.
    public var report: String {
        guard !message.isEmpty else { return "" }
        let text = heading.map { "\($0): \(message)" } ?? message
        guard let step else { return text }
        return text + "\n  (stopped in the '\(step)' step)"
    }

    /// Ends a command with `exit` and nothing more to say (what went wrong was printed already).
    public static func exit(_ status: ExitStatus) -> FolioError {
        FolioError("", exit: status)
    }
}
