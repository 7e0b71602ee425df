import Foundation

/// The harness named by SKOOP_FUZZ_TARGET.
func selectedHarness() -> Harness {
    let name = ProcessInfo.processInfo.environment["SKOOP_FUZZ_TARGET"] ?? ""
    if name == "list" {
        print(harnesses.map(\.name).joined(separator: "\n"))
        exit(0)
    }
    guard let harness = harnesses.first(where: { $0.name == name }) else {
        let names = harnesses.map(\.name).joined(separator: " ")
        FileHandle.standardError.write(Data("set SKOOP_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    return harness
}

#if SKOOP_LIBFUZZER
/// SKOOP_FUZZ_WRITE_SEEDS=DIR writes the seed corpus instead of fuzzing.
let seedDirectory = ProcessInfo.processInfo.environment["SKOOP_FUZZ_WRITE_SEEDS"]

/// libFuzzer's entry point for one input.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: size) } ?? Data()
    currentHarness.run(data)
    return 0
}

/// Chosen once: the environment does not change while fuzzing.
let currentHarness = selectedHarness()

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point as MODULE_main; here it hands over to libFuzzer.
@_cdecl("SkoopFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    let harness = currentHarness  // fails early on a bad name; "list" prints the names
    if let seedDirectory {
        writeSeeds(harness, to: seedDirectory)
        return 0
    }
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzOneInput)
}
#else
/// Without libFuzzer: `SkoopFuzz seeds DIR` writes the harness's seed corpus to DIR;
/// `SkoopFuzz FILE...` replays inputs (a crash reproduces in a debugger or under a sanitizer).
@main struct SkoopFuzzReplay {
    static func main() {
        let harness = selectedHarness()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "seeds", arguments.count == 2 {
            writeSeeds(harness, to: arguments[1])
            return
        }
        for path in arguments {
            guard let data = FileManager.default.contents(atPath: path) else {
                FileHandle.standardError.write(Data("cannot read \(path)\n".utf8))
                exit(2)
            }
            harness.run(data)
            print("ok \(path)")
        }
    }
}
#endif

/// Writes the seed corpus of `harness` to `directory`: matching fixture files, plus the
/// snapshot harness's selector-prefixed files and a few command lines for the TUI.
func writeSeeds(_ harness: Harness, to directory: String) {
    let fixtures = ProcessInfo.processInfo.environment["SKOOP_FUZZ_FIXTURES"] ?? "Tests/Fixtures"
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    var seeds: [Data] = []
    let files = (FileManager.default.subpaths(atPath: fixtures) ?? []).sorted()
    for file in files where harness.seeds.contains(where: { fnmatch($0, file, 0) == 0 }) {
        if let data = FileManager.default.contents(atPath: fixtures + "/" + file) { seeds.append(data) }
    }
    switch harness.name {
    case "snapshot": seeds = SnapshotFuzzer.seeds()
    case "tui-command": seeds = ["diag default/client svc/default/web 80", "d a b 65535 udp", "q", "help", "diag x"].map { Data($0.utf8) }
    default: break
    }
    for (index, seed) in seeds.enumerated() {
        _ = FileManager.default.createFile(atPath: "\(directory)/seed-\(index)", contents: seed)
    }
    print("\(harness.name): \(seeds.count) seeds in \(directory)")
}
