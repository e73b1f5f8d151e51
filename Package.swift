// swift-tools-version:6.0
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "credence",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "credence", targets: ["credence"]),
        .library(name: "CredenceCore", targets: ["CredenceCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Pure domain: events, validation, features, scorecard, exports. No I/O. (CCRC32C for its
        // prefetch hint only, in the month close's walk over every user's state.)
        .target(name: "CredenceCore", dependencies: ["CCRC32C"], swiftSettings: strict),
        // The CPU instructions Swift does not reach: CRC-32C (SSE4.2 / ARMv8) behind a runtime check
        // (EventLog's CRC32C falls back to Swift), and a cache prefetch hint for the intake tables
        // and the users' states.
        .target(name: "CCRC32C"),
        // Append-only segmented log of opaque, checksummed records. Knows nothing of events.
        .target(name: "EventLog", dependencies: ["CCRC32C"], swiftSettings: strict),
        // ChaCha20-Poly1305 a record at a time through the BoringSSL that swift-crypto vendors, with a
        // context kept per thread (its wrapping cost two thirds of each call); Shredding falls back to
        // swift-crypto's API when it is not linked.
        .target(name: "CChaChaPoly"),
        // Crypto-shredding: per-subject keys that can be destroyed, records sealed with ChaCha20-Poly1305
        // and identifiers keyed with HMAC-SHA256 (swift-crypto); key slots checksummed with the log's CRC-32C.
        .target(
            name: "Shredding",
            dependencies: [
                "EventLog", "DurableFile", "CChaChaPoly", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        // Closed monthly snapshots: a compact month file per revision (the log's file layer and CRC-32C)
        // and a SQLite catalogue (GRDB); immutable, versioned, queryable per user and month.
        .target(
            name: "SnapshotStore",
            dependencies: ["CredenceCore", "EventLog", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        // Synthetic, seeded event streams for demos, tests and benchmarks.
        .target(name: "CredenceSynth", dependencies: ["CredenceCore"], swiftSettings: strict),
        // The file layer of everything beside the log: appends, atomic replaces, positional files (the
        // key store) and directory syncs with the log's discipline (EINTR retried, short writes looped,
        // every fsync checked).
        .target(name: "DurableFile", swiftSettings: strict),
        // Composition: intake (dedup, dead letters), state, month close, snapshot store, commands' logic.
        .target(
            name: "CredenceEngine",
            dependencies: ["CredenceCore", "EventLog", "Shredding", "SnapshotStore", "DurableFile", "CCRC32C"],
            swiftSettings: strict),
        // librdkafka (Debian's librdkafka-dev): the only C of the Kafka part, imported by Kafka alone.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        // Kafka clients over librdkafka: consumer, producer, admin, mock cluster; logs to swift-log.
        .target(
            name: "Kafka", dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Several `credence run` instances as one: partitioners, the control topic's records, the
        // cluster view (owners, global watermark), instance-to-instance HTTP, merged exports.
        .target(
            name: "CredenceCluster",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Kafka into the engine (effectively once) and the outbox out to a topic, as services.
        .target(
            name: "CredenceKafka",
            dependencies: [
                "CredenceEngine", "CredenceCore", "Kafka", "CredenceCluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        // The HTTP API: queries, eligibility, intake, metrics and health (Hummingbird).
        .target(
            name: "CredenceServer",
            dependencies: [
                "CredenceEngine", "CredenceCore", "SnapshotStore", "CredenceCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The deployments as one ServiceGroup each: `serve` (HTTP) and `run` (Kafka, publisher,
        // metrics sampler, optional HTTP), built here so that tests drive exactly what users run.
        .target(
            name: "CredenceServices",
            dependencies: [
                "CredenceEngine", "CredenceServer", "CredenceKafka", "CredenceCluster",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "credence",
            dependencies: [
                "CredenceEngine", "CredenceCore", "CredenceSynth", "CredenceServer", "CredenceKafka",
                "CredenceServices", "SnapshotStore", "CredenceCluster", "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Helpers of every test target: temporary directories, the repository's fixtures, the
        // shared spec when it is beside the clone, the CLI runner, seeded random numbers.
        .target(
            name: "CredenceTestSupport",
            dependencies: ["Kafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/CredenceTestSupport", swiftSettings: strict),
        .testTarget(
            name: "CredenceCoreTests", dependencies: ["CredenceCore", "CredenceTestSupport"], swiftSettings: strict),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "CredenceTestSupport"], swiftSettings: strict),
        .testTarget(name: "ShreddingTests", dependencies: ["Shredding", "CredenceTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "SnapshotStoreTests",
            dependencies: [
                "SnapshotStore", "CredenceCore", "CredenceTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "CredenceSynthTests", dependencies: ["CredenceSynth", "CredenceCore"],
            swiftSettings: strict),
        .testTarget(
            name: "DurableFileTests", dependencies: ["DurableFile", "CredenceTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "CredenceEngineTests",
            dependencies: ["CredenceEngine", "CredenceCore", "CredenceSynth", "CredenceTestSupport", "SnapshotStore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CredenceClusterTests",
            dependencies: ["CredenceCluster", "Kafka", "CredenceTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "CredenceTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "CredenceKafkaTests",
            dependencies: [
                "Kafka", "CredenceKafka", "CredenceEngine", "CredenceCore", "CredenceSynth", "CredenceTestSupport",
            ],
            swiftSettings: strict),
        .testTarget(
            name: "CredenceServerTests",
            dependencies: [
                "CredenceServer", "CredenceEngine", "CredenceCore", "CredenceTestSupport", "CredenceCluster",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "CredenceServicesTests",
            dependencies: [
                "CredenceServices", "CredenceServer", "CredenceKafka", "CredenceEngine", "CredenceCore",
                "CredenceTestSupport", "Kafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The CLI as users run it: whole commands, their output and exit codes.
        .testTarget(
            name: "CommandLineTests",
            dependencies: ["CredenceTestSupport"],
            swiftSettings: strict
        ),
    ]
)
