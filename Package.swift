// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Folio",
    // Linux is the one supported platform: the POSIX layer (atomic writes, locks, file identities,
    // the directory walker) calls Glibc directly, and CI runs on Debian 12. SwiftPM has no Linux
    // entry for `platforms:`, so FolioCore refuses other systems at compile time
    // (Sources/FolioCore/Support/LinuxOnly.swift).
    products: [
        .executable(name: "folio", targets: ["folio"]),
        .library(name: "FolioCore", targets: ["FolioCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // System libraries, found by pkg-config; the apt names are what `.ci/run` installs.
        .systemLibrary(name: "Vips", path: "Sources/Vips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),
        .systemLibrary(name: "CCmark", path: "Sources/CCmark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),
        .systemLibrary(name: "CLibXML2", path: "Sources/CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        // libvips' API is variadic, which Swift cannot call: fixed-argument wrappers live here.
        // libdeflate inflates the PNGs of the fast path (Sources/CVips/pngdecode.c).
        .target(name: "CVips", dependencies: ["Vips"], linkerSettings: [.linkedLibrary("deflate")]),
        // The simulator's procedural test images, drawn in C; only the simulator and the tests link it.
        .target(name: "CSimulatorDrawing", dependencies: ["Vips"]),
        // The built-in theme, at the top of the repository as the sample project's `templates/`.
        // Its files are compiled into the binary, so a copied `folio` keeps them; the one Swift
        // file there exposes their bytes.
        .target(
            name: "FolioTheme",
            path: "templates",
            resources: [
                .embedInCode("layout.mustache"), .embedInCode("head.mustache"),
                .embedInCode("card.mustache"), .embedInCode("params.mustache"),
                .embedInCode("grid.mustache"), .embedInCode("prompt.mustache"),
                .embedInCode("routes.mustache"), .embedInCode("compare.mustache"),
                .embedInCode("folio.css"), .embedInCode("folio.js"), .embedInCode("favicon.svg"),
            ]
        ),
        .target(
            name: "FolioCore",
            dependencies: [
                "CVips", "CCmark", "CLibXML2", "FolioTheme",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        // Folio's servers on loopback: the preview server of `folio serve`, and the plumbing the simulator shares.
        .target(
            name: "FolioServer",
            dependencies: [
                "FolioCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The gateway simulator: the four routes of api-reference.md on loopback, for tests, CI and trying Folio without a key.
        .target(
            name: "FolioSimulator",
            dependencies: [
                "FolioCore", "FolioServer", "CSimulatorDrawing",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "folio",
            dependencies: [
                "FolioCore", "FolioServer", "FolioSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "FolioCoreTests",
            // `folio` is built so tests can run it as a user would.
            dependencies: [
                "FolioCore", "FolioServer", "FolioSimulator", "folio", "CSimulatorDrawing", "CLibXML2", "CVips",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
