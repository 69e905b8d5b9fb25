// swift-tools-version:6.0
import Foundation
import PackageDescription

// libFuzzer targets for the decoders Folio runs on bytes it did not write: prompt files, folio.yml,
// folio.lock and each route's answers. A package of its own, so the main `swift build` and
// `swift test` never compile them; `Fuzz/run.sh` builds it with `-sanitize=fuzzer` and runs each
// target time-boxed from its checked-in corpus (`corpus/<target>/`).
//
// The targets themselves are `Tests/FolioCoreTests/Fuzz/FuzzTargets.swift`, linked here, so the
// replay of the corpus in `swift test` and the fuzzer check the same things.

// A path dependency is known by its folder's name, whatever the clone is called.
let folio = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "FolioFuzz",
    dependencies: [.package(path: folio.path)],
    targets: [
        .executableTarget(
            name: "folio-fuzz",
            dependencies: [.product(name: "FolioCore", package: folio.lastPathComponent)],
            // libFuzzer owns `main`; this target's entry point is a C function (see FuzzMain.swift).
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        )
    ]
)
