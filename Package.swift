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
        // Network-namespace labs, their verification against the kernel, and synthetic clusters:
        // test and benchmark infrastructure, kept out of the product's diagnosis and collector.
        .target(
            name: "SkoopLab",
            dependencies: [
                "SkoopModel", "SkoopNetstack", "SkoopKubernetes", "SkoopCollector", "SkoopDiagnosis",
                .product(name: "Subprocess", package: "swift-subprocess"),
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
                "SkoopDiagnosis", "SkoopTUI", "SkoopLab",
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
        .testTarget(name: "SkoopNetstackTests", dependencies: ["SkoopNetstack", "SkoopTestSupport", "SkoopLab"]),
        .testTarget(name: "SkoopKubernetesTests", dependencies: ["SkoopKubernetes", "SkoopTestSupport"]),
        .testTarget(name: "SkoopCollectorTests", dependencies: ["SkoopCollector", "SkoopTestSupport", "SkoopLab"]),
        .testTarget(name: "SkoopDiagnosisTests", dependencies: ["SkoopDiagnosis", "SkoopCollector", "SkoopTestSupport", "SkoopLab"]),
        .testTarget(name: "SkoopTUITests", dependencies: ["SkoopTUI", "SkoopDiagnosis", "SkoopTestSupport", "SkoopLab"]),
    ],
    swiftLanguageModes: [.v6]
)
