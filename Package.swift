// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Folio",
    platforms: [.macOS(.v14)],
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
        .target(name: "CVips", dependencies: ["Vips"]),
        .target(
            name: "FolioCore",
            dependencies: [
                "CVips", "CCmark", "CLibXML2",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            // The built-in theme is compiled into the binary, so a copied `folio` keeps it.
            resources: [
                .embedInCode("Theme/layout.mustache"), .embedInCode("Theme/head.mustache"),
                .embedInCode("Theme/card.mustache"), .embedInCode("Theme/params.mustache"),
                .embedInCode("Theme/grid.mustache"), .embedInCode("Theme/prompt.mustache"),
                .embedInCode("Theme/folio.css"), .embedInCode("Theme/folio.js"),
            ]
        ),
        // The gateway simulator: the four routes of api-reference.md on loopback, for tests, CI and trying Folio without a key.
        .target(
            name: "FolioSimulator",
            dependencies: [
                "FolioCore", "CVips",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "folio",
            dependencies: [
                "FolioCore", "FolioSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "FolioCoreTests",
            // `folio` is built so tests can run it as a user would.
            dependencies: [
                "FolioCore", "FolioSimulator", "folio", "CVips", "CLibXML2",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
