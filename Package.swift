// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Duplex",
    products: [
        .library(name: "Duplex", targets: ["Duplex"]),
        .executable(name: "duplexd", targets: ["duplexd"]),
        .executable(name: "duplexctl", targets: ["duplexctl"]),
        .executable(name: "duplex-probe", targets: ["duplex-probe"]),
        .executable(name: "duplex-vopr", targets: ["duplex-vopr"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Pure logic: state machines, codecs, configuration. Stdlib only.
        .target(name: "DuplexCore", swiftSettings: strict),
        .target(name: "DuplexSimulation", dependencies: ["DuplexCore"], swiftSettings: strict),
        // C for what Glibc does not import.
        .target(name: "CDuplexShims"),
        .systemLibrary(
            name: "CNetlink",
            pkgConfig: "libnl-route-3.0",
            providers: [.apt(["libnl-3-dev", "libnl-route-3-dev"])]
        ),
        .target(
            name: "DuplexLinux",
            dependencies: [
                "DuplexCore", "CDuplexShims", "CNetlink",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The client library linked into line-card processes: no Foundation.
        .target(name: "Duplex", dependencies: ["DuplexCore", "CDuplexShims"], swiftSettings: strict),
        .executableTarget(
            name: "duplexd",
            dependencies: [
                "DuplexCore", "DuplexLinux",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "duplexctl",
            dependencies: [
                "Duplex", "DuplexCore", "CDuplexShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // Benchmark probe: client and responder for the failover benchmark.
        .executableTarget(name: "duplex-probe", dependencies: ["CDuplexShims"], swiftSettings: strict),
        // Runs random simulation seeds for a given time and prints any failing seed.
        .executableTarget(
            name: "duplex-vopr", dependencies: ["DuplexCore", "DuplexSimulation"],
            path: "Tools/vopr/Sources", swiftSettings: strict),
        // Throughput of the checkpoint replication transport between two namespaces (Tools/bench/transport).
        .executableTarget(
            name: "duplex-transport-bench", dependencies: ["DuplexCore", "DuplexLinux", "CDuplexShims"],
            path: "Tools/bench/lib/transport", swiftSettings: strict),
        // The CPU cost of a pair frame's codec, with and without its HMAC tag (Tools/bench/frames).
        .executableTarget(
            name: "duplex-frame-bench", dependencies: ["DuplexCore", "DuplexBenchSupport"],
            path: "Tools/bench/lib/frames", swiftSettings: strict),
        // The clock and the arguments of the CPU benchmarks above and below.
        .target(name: "DuplexBenchSupport", path: "Tools/bench/lib/support", swiftSettings: strict),
        // The CPU of an asynchronous checkpoint write on both boards, without I/O (Tools/bench/core).
        .executableTarget(
            name: "duplex-core-bench", dependencies: ["DuplexCore", "DuplexLinux", "DuplexBenchSupport"],
            path: "Tools/bench/lib/core", swiftSettings: strict),
        // The measuring client of the checkpoint benchmark against Redis (Tools/bench/checkpoint).
        .executableTarget(
            name: "duplex-ckbench", dependencies: ["Duplex", "DuplexCore"],
            path: "Tools/bench/ckbench/Sources", swiftSettings: strict),
        // A line-card process in miniature: the component API's example, the supervisor's test child.
        .executableTarget(
            name: "duplex-example-component", dependencies: ["Duplex"],
            path: "Tools/example-component", swiftSettings: strict),
        // An example line-card process: per-client request counts on the logical IP, checkpointed.
        .executableTarget(
            name: "duplex-counter", dependencies: ["Duplex"],
            path: "Tools/examples/counter/Sources", swiftSettings: strict),
        // Helpers shared by the test targets (starting daemons as init would).
        .target(
            name: "DuplexTestSupport", dependencies: ["CDuplexShims"], path: "Tests/DuplexTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "DuplexCoreTests", dependencies: ["DuplexCore"], swiftSettings: strict),
        .testTarget(
            name: "DuplexSimulationTests",
            dependencies: ["DuplexCore", "DuplexSimulation"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DuplexLinuxTests",
            dependencies: ["DuplexTestSupport", "DuplexCore", "DuplexLinux", "CDuplexShims", "Duplex", "DuplexSimulation"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "DuplexIntegrationTests",
            dependencies: ["DuplexTestSupport", "DuplexCore", "Duplex"],
            swiftSettings: strict
        ),
    ]
)
