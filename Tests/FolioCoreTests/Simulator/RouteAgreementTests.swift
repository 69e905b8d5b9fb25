import Foundation
@testable import FolioCore
@testable import FolioSimulator
import Testing

/// Folio's route files and the simulator keep separate transcriptions of api-reference.md on
/// purpose; on every fact both hold, they agree.
@Suite struct RouteAgreementTests {
    @Test func bothKnowTheSameRoutesInTheSameOrder() {
        #expect(SimulatedRoute.all.map(\.route) == RouteID.allCases)
    }

    @Test(arguments: RouteID.allCases)
    func theFactsAgree(route: RouteID) throws {
        let rules = route.rules
        let simulated = try #require(SimulatedRoute.all.first { $0.route == route })
        #expect(rules.route == route)
        #expect(simulated.models == rules.models)
        #expect(rules.models.contains(rules.defaultModel))
        #expect(simulated.aspectRatios == rules.aspectRatios)
        #expect(simulated.imageSizes == rules.imageSizes)
        #expect(simulated.sizes == rules.sizes)
        #expect(simulated.resolutions == rules.resolutions)
        switch rules.imagesPerCall {
        case .one: #expect(simulated.imagesPerRequest == 1...1)
        case .all: #expect(simulated.imagesPerRequest == rules.n)
        }
        #expect(simulated.seriesAmount == rules.seriesAmount)
        #expect(simulated.maxPromptLength == rules.maxPromptLength)
        #expect(simulated.maxNegativePromptLength == rules.maxNegativePromptLength)
        #expect(simulated.seedRange == rules.seedRange)
        #expect(simulated.maxReferences == rules.references?.maxCount ?? 0)
        #expect(simulated.maxReferenceBytes == rules.references?.maxBytes)
        #expect(simulated.referenceFormats == rules.references?.formats ?? [])
        #expect(simulated.urlLifetime == rules.resultLifetime)
    }

    @Test(arguments: RouteID.allCases)
    func theEndpointsAndStylesAgree(route: RouteID) throws {
        let rules = route.rules
        let simulated = try #require(SimulatedRoute.all.first { $0.route == route })
        switch route.definition.calls {
        case .sync(let sync):
            #expect(rules.style == .sync)
            for model in rules.models {
                let generation = Generation(route: route, model: model, prompt: "A fox", n: 1, images: [])
                #expect(sync.path(generation) == simulated.path.replacingOccurrences(of: "{model}", with: model))
            }
        case .task(let task):
            #expect(rules.style == .task)
            #expect(task.path == simulated.path)
        }
    }
}
