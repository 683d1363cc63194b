// swift-tools-version:6.1
import Foundation
import PackageDescription

/// On Linux the server links tcmalloc (gperftools' `tcmalloc_minimal`) when its development
/// files are installed (`apt-get install libgoogle-perftools-dev`; `.ci/run` does): with glibc's
/// malloc, allocation and freeing take ~9% of a command's CPU, and `bench http` runs ~10% faster
/// with tcmalloc (docs/benchmarks.md). Without it the build uses the system allocator.
/// `clawcloud bench` prints which one it runs on.
let tcmalloc: [LinkerSetting] = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib"]
    .contains { FileManager.default.fileExists(atPath: "\($0)/libtcmalloc_minimal.so") }
    ? [.linkedLibrary("tcmalloc_minimal", .when(platforms: [.linux]))] : []

/// ClawCloud: the event-sourced control plane for hosted OpenClaw.
///
/// Dependencies point one way: `clawcloud → Gateway → {Projections, Domain, EventStore}`,
/// `Projections → {Domain, EventStore}`, `Domain → Foundation`, `EventStore → SQLite (GRDB, and `CSQLiteSetup` for `sqlite3_config`)`.
let package = Package(
    name: "clawcloud",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "clawcloud", targets: ["clawcloud"]),
        .library(name: "EventStore", targets: ["EventStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"4.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // `sqlite3_config` (variadic, so not callable from Swift) for the one setting the stores need.
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "EventStore",
            dependencies: [
                "CSQLiteSetup",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(name: "Domain", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Projections", dependencies: ["Domain", "EventStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .target(
            name: "Gateway",
            dependencies: [
                "Projections", "Domain", "EventStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // A simulated OpenClaw runtime (the real one cannot run here), for `clawcloud dev` and the tests.
        .target(name: "RuntimeSimulator", dependencies: [.product(name: "Hummingbird", package: "hummingbird")]),
        .executableTarget(
            name: "clawcloud",
            dependencies: [
                "EventStore", "Domain", "Projections", "Gateway", "RuntimeSimulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            linkerSettings: tcmalloc
        ),
        // Test support: a child process the durability test kills with SIGKILL mid-append.
        .executableTarget(
            name: "store-crash-probe", dependencies: ["EventStore", .product(name: "GRDBSQLite", package: "GRDB.swift")], path: "Tests/StoreCrashProbe"),
        .testTarget(name: "DomainTests", dependencies: ["Domain"]),
        .testTarget(
            name: "ProjectionsTests",
            dependencies: ["Projections", "Domain", "EventStore", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "EventStoreTests",
            // The probe is a dependency so that `swift test` builds it before the durability test runs.
            dependencies: ["EventStore", "store-crash-probe", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                "Gateway", "Domain", "EventStore", "Projections", "RuntimeSimulator",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
    ]
)
