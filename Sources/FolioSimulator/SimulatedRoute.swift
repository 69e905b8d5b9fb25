import FolioCore
import Hummingbird

/// One route the simulated gateway answers: what it holds true of the provider, and how its
/// handlers are mounted. The facts are the simulator's own transcription of api-reference.md, kept
/// apart from Folio's `RouteRules` on purpose: a test checks that the two agree.
struct SimulatedRoute: Sendable {
    var route: RouteID
    /// The path requests are posted to, as the router spells it (`{model}` for a part of the path);
    /// a task route answers queries at `path/{task_id}`.
    var path: String
    var models: [String]
    var aspectRatios: [String] = []
    var imageSizes: [String] = []
    var sizes: [String] = []
    var resolutions: [String] = []
    /// Images one request may ask for.
    var imagesPerRequest: ClosedRange<Int> = 1...1
    var seriesAmount: ClosedRange<Int>?
    var maxPromptLength: Int?
    var maxNegativePromptLength: Int?
    var seedRange: ClosedRange<Int>?
    /// Reference images one request may carry (0: none).
    var maxReferences = 0
    var maxReferenceBytes: Int?
    /// Reference image formats, by the names `ImageHeader` gives.
    var referenceFormats: [String] = []
    /// How long result URLs live, in seconds; nil for inline images.
    var urlLifetime: Double?
    /// Adds the route's handlers, given the route itself, to the gateway's router.
    var handlers: @Sendable (SimulatedRoute, Router<BasicRequestContext>, SimulatorCore) -> Void

    /// Every route the gateway answers. A new route is its file and one line here.
    static let all: [SimulatedRoute] = [.gemini, .dashscope, .kling, .klingOmni]
}
