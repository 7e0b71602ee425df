// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Skoop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "skoop", targets: ["skoop"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // Byte scanning kernels written with SIMD intrinsics (Swift has no portable movemask).
        .target(name: "CSkoopScan"),
        // Pure values: the seed's model, addresses and prefixes. No I/O.
        .target(name: "SkoopModel", dependencies: ["CSkoopScan"]),
        // Linux netstack: parsers of real tool output and the routing/netfilter simulation. No I/O.
        .target(name: "SkoopNetstack", dependencies: ["SkoopModel"]),
        // Kubernetes objects, the IPCache. No I/O.
        .target(name: "SkoopKubernetes", dependencies: ["SkoopModel", "SkoopNetstack"]),
        // Adapters: reading snapshots, running the node-side tools, the lab.
        .target(
            name: "SkoopCollector",
            dependencies: [
                "SkoopModel", "SkoopNetstack", "SkoopKubernetes",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            resources: [.copy("Resources/demo")]
        ),
        // The diagnosis: Context, Provider, Network, Diagnostor, plugins, services, assertions.
        .target(
            name: "SkoopDiagnosis",
            dependencies: [
                "SkoopModel", "SkoopNetstack", "SkoopKubernetes", "SkoopCollector",
                .product(name: "DequeModule", package: "swift-collections"),
                // What-if edits files and NetworkPolicy manifests are YAML.
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .systemLibrary(
            name: "CNCurses",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        // The terminal UI: a pure view model plus a thin ncurses backend.
        .target(name: "SkoopTUI", dependencies: ["SkoopModel", "SkoopDiagnosis", "CNCurses"]),
        .executableTarget(
            name: "skoop",
            dependencies: [
                "SkoopModel", "SkoopNetstack", "SkoopKubernetes", "SkoopCollector",
                "SkoopDiagnosis", "SkoopTUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // libFuzzer harnesses over every parser and loader (Tests/Fuzz/run.sh); a replay tool otherwise.
        .executableTarget(
            name: "SkoopFuzz",
            dependencies: ["SkoopModel", "SkoopNetstack", "SkoopKubernetes", "SkoopCollector", "SkoopTUI"]
        ),
        .target(name: "SkoopTestSupport", path: "Tests/SkoopTestSupport"),
        .testTarget(name: "SkoopModelTests", dependencies: ["SkoopModel"]),
        .testTarget(name: "SkoopNetstackTests", dependencies: ["SkoopNetstack", "SkoopTestSupport"]),
        .testTarget(name: "SkoopKubernetesTests", dependencies: ["SkoopKubernetes", "SkoopTestSupport"]),
        .testTarget(name: "SkoopCollectorTests", dependencies: ["SkoopCollector", "SkoopTestSupport"]),
        .testTarget(name: "SkoopDiagnosisTests", dependencies: ["SkoopDiagnosis", "SkoopCollector", "SkoopTestSupport"]),
        .testTarget(name: "SkoopTUITests", dependencies: ["SkoopTUI", "SkoopDiagnosis", "SkoopTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
