// swift-tools-version: 6.2
import PackageDescription

/// Modules by capability (see docs/architecture.md). Domain modules (Core, Identity, Catalog,
/// Protocol) never import a web framework or a database driver; storage and HTTP live at the edges.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// The privacy module's field arithmetic and samplers are optimised in debug builds too: the
/// tests run set intersections of 10,000 identifiers, which take minutes unoptimised.
let optimizedSwiftSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Dataspace",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dataspace", targets: ["dataspace"]),
        .library(name: "DataspaceCore", targets: ["DataspaceCore"]),
        .library(name: "DataspaceServer", targets: ["DataspaceServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.86.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/attaswift/BigInt.git", from: "6.0.1"),
    ],
    targets: [
        .target(
            name: "DataspaceCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceIdentity",
            dependencies: [
                "DataspaceCore", .product(name: "Crypto", package: "swift-crypto"), .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceProtocol",
            dependencies: ["DataspaceCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceCatalog",
            dependencies: ["DataspaceCore", "DataspaceProtocol", "DataspaceQuality", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceLedger",
            dependencies: ["DataspaceCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // System zlib (zlib1g-dev) for reading gzip-compressed files while profiling.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // A header-only module for the CPU's prefetch hint (the profiler's hash tables).
        .systemLibrary(name: "CPrefetch", path: "Sources/CPrefetch"),
        .target(
            name: "DataspaceQuality",
            dependencies: [
                "DataspaceCore", "CZlib", "CPrefetch", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // Privacy-preserving computation: differentially private queries with exact discrete
        // samplers (BigInt rationals), private set intersection, secure aggregation (docs/privacy.md).
        .target(
            name: "DataspacePrivacy",
            dependencies: ["DataspaceCore", .product(name: "BigInt", package: "BigInt"), .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: optimizedSwiftSettings
        ),
        .target(
            name: "DataspaceContracts",
            dependencies: ["DataspaceCore", "DataspaceIdentity", "DataspaceProtocol", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceSQLite",
            dependencies: [
                "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceContracts", "DataspaceLedger",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // The scale-out store: every storage protocol over PostgreSQL (PostgresNIO), its own
        // migrations; replicas of one participant share it (docs/operations.md).
        .target(
            name: "DataspacePostgres",
            dependencies: [
                "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceContracts", "DataspaceLedger",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Application services: contract negotiation, transfer, delivery decisions and evidence,
        // over small protocols (stores, peer transport, DID resolution, evidence sink, clock) —
        // no HTTP server, HTTP client or database driver (ApplicationLayeringTests holds this).
        .target(
            name: "DataspaceApplication",
            dependencies: [
                "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceProtocol", "DataspaceContracts", "DataspaceLedger",
                "DataspaceQuality", "DataspacePrivacy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DataspaceServer",
            dependencies: [
                "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceProtocol", "DataspaceSQLite", "DataspacePostgres",
                "DataspaceContracts", "DataspaceLedger", "DataspaceQuality", "DataspaceApplication", "DataspacePrivacy",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "dataspace",
            dependencies: [
                "DataspaceServer", "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceSQLite", "DataspacePostgres",
                "DataspaceContracts", "DataspaceLedger", "DataspaceQuality", "DataspacePrivacy", "DataspaceApplication",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // Fuzz targets for every parser (docs/security.md); Scripts/fuzz.sh builds them with libFuzzer.
        .target(
            name: "DataspaceFuzzTargets",
            dependencies: [
                "DataspaceCore", "DataspaceIdentity", "DataspaceLedger", "DataspaceProtocol", "DataspaceQuality", "DataspaceContracts",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "dataspace-fuzz", dependencies: ["DataspaceFuzzTargets"], swiftSettings: swiftSettings),
        // Helpers several test targets share: the PostgreSQL server and fresh databases on it.
        .target(
            name: "DataspaceTestSupport",
            dependencies: ["DataspacePostgres", .product(name: "Logging", package: "swift-log")],
            path: "Tests/DataspaceTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DataspaceFuzzTargetsTests", dependencies: ["DataspaceFuzzTargets"], swiftSettings: swiftSettings),
        .testTarget(name: "DataspaceCoreTests", dependencies: ["DataspaceCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DataspaceIdentityTests",
            dependencies: ["DataspaceIdentity", "DataspaceCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataspaceCatalogTests",
            dependencies: ["DataspaceCatalog", "DataspaceCore", "DataspaceProtocol", "DataspaceQuality", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DataspaceQualityTests", dependencies: ["DataspaceQuality", "DataspaceCore", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: swiftSettings),
        .testTarget(
            name: "DataspacePrivacyTests",
            dependencies: ["DataspacePrivacy", "DataspaceCore", .product(name: "BigInt", package: "BigInt")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "DataspaceLedgerTests", dependencies: ["DataspaceLedger", "DataspaceCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DataspaceContractsTests",
            dependencies: ["DataspaceContracts", "DataspaceIdentity", "DataspaceCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataspaceSQLiteTests",
            dependencies: [
                "DataspaceSQLite", "DataspacePostgres", "DataspaceCatalog", "DataspaceIdentity", "DataspaceContracts", "DataspaceCore",
                "DataspaceLedger", "DataspaceApplication", "DataspaceTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DataspaceServerTests",
            dependencies: [
                "DataspaceServer", "DataspaceCore", "DataspaceIdentity", "DataspaceCatalog", "DataspaceProtocol",
                "DataspaceSQLite", "DataspaceContracts", "DataspaceLedger", "DataspaceApplication", "DataspacePostgres", "DataspaceTestSupport",
                "DataspacePrivacy",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
