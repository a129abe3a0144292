// swift-tools-version:6.2
// Trellis: a Matrix homeserver run as a cluster of worker processes.
// Module layering (dependencies point down only) is described in DESIGN.md.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

/// A worker executable: a tiny `@main` that hands over to `HomeserverRuntime`.
func worker(_ product: String, directory: String) -> Target {
    .executableTarget(
        name: product,
        dependencies: ["HomeserverRuntime"],
        path: "Sources/Workers/\(directory)",
        swiftSettings: swiftSettings
    )
}

let package = Package(
    name: "Trellis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trellis", targets: ["trellis"]),
        .executable(name: "trellis-client-api", targets: ["trellis-client-api"]),
        .executable(name: "trellis-sync", targets: ["trellis-sync"]),
        .executable(name: "trellis-federation-reader", targets: ["trellis-federation-reader"]),
        .executable(name: "trellis-federation-sender", targets: ["trellis-federation-sender"]),
        .executable(name: "trellis-media", targets: ["trellis-media"]),
        .executable(name: "trellis-push", targets: ["trellis-push"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // C libraries, each wrapped once and imported by exactly one module.
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CHiredis", pkgConfig: "hiredis", providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CVips", pkgConfig: "vips", providers: [.apt(["libvips-dev"])]),

        // Pure Matrix model and protocol: no I/O.
        .target(name: "MatrixCore", swiftSettings: swiftSettings),
        .target(name: "MatrixCrypto", dependencies: ["MatrixCore", "CSodium", "COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "MatrixEvents", dependencies: ["MatrixCore", "MatrixCrypto"], swiftSettings: swiftSettings),
        .target(name: "MatrixAPI", dependencies: ["MatrixCore"], swiftSettings: swiftSettings),
        .target(name: "RoomGraph", dependencies: ["MatrixCore", "MatrixEvents"], swiftSettings: swiftSettings),
        .target(name: "GoldenVectors", dependencies: ["MatrixCore", "MatrixCrypto", "MatrixEvents", "RoomGraph"],
                swiftSettings: swiftSettings),
        // Image headers and thumbnails (libvips): blocking calls on bytes, no other I/O.
        .target(name: "MediaImaging", dependencies: ["CVips"], swiftSettings: swiftSettings),
        // A seeded random number generator for reproducible tests.
        .target(name: "SeededRandom", swiftSettings: swiftSettings),
        // Builders of synthetic rooms for RoomGraph tests and benchmarks.
        .target(name: "RoomGraphTesting", dependencies: ["RoomGraph", "MatrixEvents", "MatrixCore"],
                swiftSettings: swiftSettings),

        // Platform: the replication bus and the database.
        .target(
            name: "Replication",
            dependencies: [
                "CHiredis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Outbound server-server requests: discovery, X-Matrix signing, remote signing keys.
        .target(
            name: "FederationClient",
            dependencies: [
                "MatrixCore", "MatrixCrypto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "MatrixCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations")],
            swiftSettings: swiftSettings
        ),

        // Domain services: no HTTP types, no SQL.
        .target(
            name: "Homeserver",
            dependencies: [
                "MatrixCore", "MatrixCrypto", "MatrixAPI", "MatrixEvents", "RoomGraph", "Storage", "Replication",
                "MediaImaging", "FederationClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),

        // HTTP glue.
        .target(
            name: "HomeserverHTTP",
            dependencies: [
                "MatrixCore", "MatrixAPI", "MatrixEvents", "Homeserver", "Storage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),

        // Configuration, bootstrap and the service group of each worker kind.
        .target(
            name: "HomeserverRuntime",
            dependencies: [
                "HomeserverHTTP", "Homeserver", "Storage", "Replication", "MatrixAPI", "MatrixCrypto", "MatrixEvents",
                "FederationClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // Executables.
        .executableTarget(
            name: "trellis",
            dependencies: [
                "HomeserverRuntime", "GoldenVectors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/TrellisCLI",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "trellis-bench",
            dependencies: ["MatrixAPI", "RoomGraph", "RoomGraphTesting"],
            path: "Sources/Benchmarks",
            swiftSettings: swiftSettings
        ),
        worker("trellis-client-api", directory: "ClientAPI"),
        worker("trellis-sync", directory: "Sync"),
        worker("trellis-federation-reader", directory: "FederationReader"),
        worker("trellis-federation-sender", directory: "FederationSender"),
        worker("trellis-media", directory: "Media"),
        worker("trellis-push", directory: "Push"),

        // Test support and tests.
        .target(
            name: "HomeserverTesting",
            dependencies: [
                "Storage", "Replication", "HomeserverRuntime",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MatrixCoreTests", dependencies: ["MatrixCore", "SeededRandom"], swiftSettings: swiftSettings),
        .testTarget(name: "MatrixCryptoTests", dependencies: ["MatrixCrypto"], swiftSettings: swiftSettings),
        .testTarget(name: "MatrixEventsTests", dependencies: ["MatrixEvents"], swiftSettings: swiftSettings),
        .testTarget(name: "MatrixAPITests", dependencies: ["MatrixAPI"], swiftSettings: swiftSettings),
        .testTarget(name: "MediaImagingTests", dependencies: ["MediaImaging"], swiftSettings: swiftSettings),
        .testTarget(name: "FederationClientTests", dependencies: ["FederationClient"], swiftSettings: swiftSettings),
        .testTarget(name: "RoomGraphTests", dependencies: ["RoomGraph", "RoomGraphTesting", "SeededRandom"], swiftSettings: swiftSettings),
        .testTarget(name: "GoldenVectorTests", dependencies: ["GoldenVectors"], swiftSettings: swiftSettings),
        .testTarget(name: "ReplicationTests", dependencies: ["Replication", "HomeserverTesting"],
                    swiftSettings: swiftSettings),
        .testTarget(name: "StorageTests", dependencies: ["Storage", "HomeserverTesting", "SeededRandom"],
                    swiftSettings: swiftSettings),
        .testTarget(
            name: "HomeserverHTTPTests",
            dependencies: [
                "HomeserverHTTP", "HomeserverRuntime", "HomeserverTesting", "MediaImaging",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "HomeserverTests", dependencies: ["Homeserver"], swiftSettings: swiftSettings),
        .testTarget(name: "HomeserverRuntimeTests", dependencies: ["HomeserverRuntime"], swiftSettings: swiftSettings),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["HomeserverTesting", "MatrixCore", "MatrixCrypto", "MediaImaging", "Storage",
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["nio"],
            swiftSettings: swiftSettings
        ),
    ]
)
