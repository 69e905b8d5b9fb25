import Foundation

/// The routes Folio knows, in the order it lists them. A new route is its file and one line here.
enum Routes {
    static let all: [any Route] = [Gemini(), DashScope(), Kling(), KlingOmni()]

    /// The routes' names, in order.
    static let ids: [RouteID] = all.map(\.id)
    /// Each route by its name.
    static let byID: [RouteID: any Route] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
}

/// One gateway route: what it takes, how a prompt's front matter becomes its normalised
/// `Generation`, the requests it is sent, how its answers read and how its parameters are shown.
/// Each lives in one file of this folder and is a `SyncRoute` or a `TaskRoute`.
protocol Route: Sendable {
    /// What the route accepts, per api-reference.md.
    var rules: RouteRules { get }
    /// The company whose model makes the images (`Google`): the producer a published image's AI label names.
    var provider: String { get }
    /// Request body fields Folio sets from the front matter: `extra` may add fields but not replace
    /// these (dotted paths: `parameters.size`).
    var modelledFields: [String] { get }
    /// Values Folio uses for keys neither the file nor `folio.yml` sets, as `folio.yml` would give them.
    var builtInDefaults: [FrontMatterKey: String] { get }
    /// How the generator calls the route; `SyncRoute` and `TaskRoute` provide it.
    var calls: RouteCalls { get }

    /// The route's own defaults and checks, once `generation` holds the keys every route reads.
    /// `promptLine` is the line the prompt text starts on; `imagesRead` is false when the reference
    /// images could not be read (a problem already reported), so `generation.images` is not theirs.
    func normalise(_ generation: inout Generation, frontMatter: FrontMatterReader, promptLine: Int, imagesRead: Bool) throws(Diagnostic)

    /// The rows a prompt page shows for this route after those every route has, as (name, value);
    /// rows without a value are left out.
    func parameterRows(_ generation: Generation) -> [(String, String?)]

    /// The seed variant `variant` is sent with, when the generation has one.
    func seed(_ generation: Generation, variant: Int) -> Int?
}

extension Route {
    /// The route's name.
    var id: RouteID { rules.route }

    var builtInDefaults: [FrontMatterKey: String] { [:] }

    func normalise(_ generation: inout Generation, frontMatter: FrontMatterReader, promptLine: Int, imagesRead: Bool) throws(Diagnostic) {}

    func parameterRows(_ generation: Generation) -> [(String, String?)] { [] }

    func seed(_ generation: Generation, variant: Int) -> Int? { generation.seed }
}

/// How the generator calls a route: each request answered with its image, or a task to poll.
enum RouteCalls: Sendable {
    case sync(any SyncRoute)
    case task(any TaskRoute)
}

/// A route that answers each request with its image, inline or as a URL; `n` variants may take `n` requests.
protocol SyncRoute: Route {
    /// The path, below the gateway's base URL, that `generation` is posted to.
    func path(_ generation: Generation) -> String
    /// The body of the request for variant `variant`, with the reference images' bytes in order.
    func body(_ generation: Generation, variant: Int, references: [Data]) -> JSONValue
    /// An answer read by the route's tables: the images, or a classified failure.
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<SyncResult, CallFailure>
}

extension SyncRoute {
    var calls: RouteCalls { .sync(self) }
}

/// A route that answers with a task, which is then queried until it ends.
protocol TaskRoute: Route {
    /// The path, below the gateway's base URL, tasks are created at; a task is queried at `path/<task id>`.
    var path: String { get }
    /// The create body, carrying the task's `externalID`, with the reference images' bytes in order.
    func body(_ generation: Generation, externalID: String, references: [Data]) -> JSONValue
    /// A create or query answer read by the route's tables: the task, or a classified failure.
    func classify(_ reply: HTTPReply, scrub: (String) -> String) -> Result<TaskSnapshot, CallFailure>
}

extension TaskRoute {
    var calls: RouteCalls { .task(self) }
}
