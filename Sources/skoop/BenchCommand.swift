import ArgumentParser
import Foundation
import SkoopModel
import SkoopNetstack
import SkoopCollector
import SkoopLab
import SkoopDiagnosis
import SkoopTUI

/// `skoop bench`: the performance goals, measured on synthetic clusters generated for the run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure parsing, end-to-end diagnosis, simulation and TUI speed on synthetic clusters.",
        discussion: "Build in release mode first: swift build -c release && .build/release/skoop bench")

    @Flag(help: "Smaller clusters, fewer runs: a fast sanity check.")
    var quick = false
    @Flag(help: "Rewrite the results table in README.md (in the current directory, or --readme).")
    var writeReadme = false
    @Option(help: "The README to rewrite.")
    var readme = "README.md"
    @Option(help: "Where to generate the clusters (kept and reused); default: a temporary directory, deleted afterwards.")
    var workDir: String?
    @Option(help: "Run only these benchmarks (comma-separated: parse, nft, diagnose, simulation, matrix, tui).")
    var only: String?
    @Option(help: "Largest cluster to diagnose; below the envelope (5000), growth is measured from a fifth of it.")
    var maxNodes: Int?

    func run() throws {
        var sizes = quick ? BenchSizes.quick : BenchSizes.full
        var scaleNote: String?
        if let maxNodes, maxNodes < sizes.diagnoseLarge.nodes {
            let perNode = sizes.diagnoseLarge.pods / sizes.diagnoseLarge.nodes
            sizes.diagnoseLarge.nodes = maxNodes
            sizes.diagnoseLarge.pods = maxNodes * perNode
            sizes.diagnoseSmall.nodes = max(10, maxNodes / 5)
            sizes.diagnoseSmall.pods = sizes.diagnoseSmall.nodes * perNode
            scaleNote = "Diagnosis capped at \(maxNodes) nodes (--max-nodes): growth is measured over the same 5× step, \(sizes.diagnoseSmall.nodes) → \(maxNodes) nodes."
        }
        let work = workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("skoop-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if workDir == nil { try? FileManager.default.removeItem(atPath: work) } }
        var bench = Bench(sizes: sizes, work: work)
        if let scaleNote { bench.notes.append(scaleNote) }
        #if DEBUG
        bench.notes.append("This was a debug build: figures are not representative (build with -c release).")
        #endif
        let selected = Set((only ?? "parse,nft,diagnose,simulation,matrix,tui").split(separator: ",").map(String.init))
        if selected.contains("parse") { try bench.parsing() }
        if selected.contains("nft") { try bench.nftParsing() }
        if selected.contains("diagnose") { try bench.diagnosis() }
        if selected.contains("simulation") { try bench.simulation() }
        if selected.contains("matrix") { try bench.matrix() }
        if selected.contains("tui") { try bench.tui() }
        let table = BenchReport.markdown(rows: bench.rows, machine: BenchReport.machine(), mode: quick ? " --quick" : "",
                                         notes: bench.notes)
        print("")
        print(table, terminator: "")
        if writeReadme {
            let current = (try? String(contentsOfFile: readme, encoding: .utf8)) ?? "# Skoop\n"
            try BenchReport.replacingTable(in: current, with: table).write(toFile: readme, atomically: true, encoding: .utf8)
            print("\nwrote the table into \(readme)")
        }
        if bench.rows.contains(where: { $0.passed == false }) { throw ExitCode(1) }
    }
}

/// The cluster sizes and repetitions of a bench run.
struct BenchSizes {
    /// The ruleset parsed (services × endpoints).
    var parse: SynthSpec
    /// The smaller and the larger cluster diagnosed end to end.
    var diagnoseSmall: SynthSpec
    var diagnoseLarge: SynthSpec
    /// The ruleset simulated per Transmission.
    var simulation: SynthSpec
    /// The cluster whose reachability matrix is built, and how many times.
    var matrix: SynthSpec
    var matrixRuns: Int
    var runs: Int

    static let full = BenchSizes(
        parse: SynthSpec(nodes: 5_000, pods: 150_000, services: 10_000, endpoints: 10),
        diagnoseSmall: SynthSpec(nodes: 1_000, pods: 30_000, services: 10_000, endpoints: 10),
        diagnoseLarge: SynthSpec(nodes: 5_000, pods: 150_000, services: 10_000, endpoints: 10),
        simulation: SynthSpec(nodes: 2, pods: 20, services: 30_000, endpoints: 2),
        matrix: SynthSpec(nodes: 1_000, pods: 3_000, services: 120, endpoints: 2, policies: true), matrixRuns: 3, runs: 7)
    static let quick = BenchSizes(
        parse: SynthSpec(nodes: 100, pods: 3_000, services: 1_000, endpoints: 10),
        diagnoseSmall: SynthSpec(nodes: 100, pods: 3_000, services: 1_000, endpoints: 10),
        diagnoseLarge: SynthSpec(nodes: 500, pods: 15_000, services: 1_000, endpoints: 10),
        simulation: SynthSpec(nodes: 2, pods: 20, services: 3_000, endpoints: 2),
        matrix: SynthSpec(nodes: 100, pods: 300, services: 120, endpoints: 2, policies: true), matrixRuns: 1, runs: 3)
}

/// The measurements, accumulated into table rows.
struct Bench {
    let sizes: BenchSizes
    let work: String
    var rows: [BenchRow] = []
    var notes: [String] = []
    let executable = Bench.selfPath()

    init(sizes: BenchSizes, work: String) {
        self.sizes = sizes
        self.work = work
    }

    // MARK: iptables-save parsing

    mutating func parsing() throws {
        let spec = sizes.parse
        let path = work + "/iptables-\(spec.services).txt"
        if !FileManager.default.fileExists(atPath: path) {
            try SyntheticCluster.iptablesSave(SynthLayout(spec: spec)).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var lines = 0
        // What a diagnosis does: map the file, scan its structure (rules decode on first use).
        let folder = try SnapshotDirectory(path: work), file = String(path.dropFirst(work.count + 1))
        let skoop = BenchReport.median(try (0..<sizes.runs).map { _ in
            try Bench.time {
                guard let bytes = try folder.map(file) else { throw ValidationError("\(path) vanished") }
                let scanned = try IPTablesSaveParser.scan(bytes, source: path)
                lines = scanned.ruleset.tables.reduce(0) { $0 + $1.chains.reduce(0) { $0 + $1.ruleCount } }
            }
        })
        // What `skoop inspect` does: map the file, scan it, then decode and check every rule.
        let whole = BenchReport.median(try (0..<sizes.runs).map { _ in
            try Bench.time {
                guard let bytes = try folder.map(file) else { throw ValidationError("\(path) vanished") }
                _ = try IPTablesSaveParser.scan(bytes, source: path).ruleset.validate(source: path)
            }
        })
        log("iptables-save scan (\(spec.services) services): \(BenchReport.duration(skoop)), \(lines) rules; every rule decoded: \(BenchReport.duration(whole))")
        var mapped: SharedBytes?
        let map = try Bench.time { mapped = try folder.map(file) }
        let structure = try Bench.time { _ = try mapped.map { try IPTablesSaveParser.scan($0, source: path) } }
        log("  of which: map \(BenchReport.duration(map)), UTF-8 check and scan \(BenchReport.duration(structure))")
        let scanName = "Scan iptables-save as a diagnosis does (structure only: tables, chains, which lines hold which chain; no rule decoded), \(spec.services.formatted()) services × \(spec.endpoints) (\(lines.formatted()) rules, \(BenchReport.bytes(size)))"
        let decodeName = "Decode every rule of the same iptables-save, checked as skoop inspect does (parsed into the engine's structures)"
        let goal = "≥ 50× faster than iptables-legacy-restore --test"
        func unmeasured(_ why: String) {
            notes.append("iptables-legacy-restore comparison skipped: \(why).")
            rows.append(BenchRow(name: scanName, figures: "Skoop \(BenchReport.duration(skoop))", ratio: "—", goal: goal, passed: nil))
            rows.append(BenchRow(name: decodeName, figures: "Skoop \(BenchReport.duration(whole))", ratio: "—", goal: goal, passed: nil))
        }
        guard getuid() == 0 else { return unmeasured("it needs root (a throwaway netns is created for it)") }
        let namespace = "skoop-bench-\(getpid())"
        guard (try? ChildProcess.run(["ip", "netns", "add", namespace]))?.status == 0 else {
            return unmeasured("`ip netns add` failed")
        }
        defer { _ = try? ChildProcess.run(["ip", "netns", "delete", namespace]) }
        var failed = false
        let restore = BenchReport.median(try (0..<sizes.runs).map { _ in
            let run = try ChildProcess.run(["ip", "netns", "exec", namespace, "iptables-legacy-restore", "--test", path])
            if run.status != 0 { failed = true }
            return run.seconds
        })
        if failed {
            notes.append("iptables-legacy-restore --test failed on the ruleset; its time is not comparable.")
        }
        let scanRatio = restore / skoop, decodeRatio = restore / whole
        log("iptables-legacy-restore --test: \(BenchReport.duration(restore)) (scan \(BenchReport.ratio(scanRatio)), decode \(BenchReport.ratio(decodeRatio)))")
        let restoreText = "iptables-legacy-restore --test \(BenchReport.duration(restore))"
        rows.append(BenchRow(name: scanName, figures: "Skoop \(BenchReport.duration(skoop)); \(restoreText)",
                             ratio: BenchReport.ratio(scanRatio), goal: goal, passed: failed ? nil : scanRatio >= 50))
        rows.append(BenchRow(name: decodeName, figures: "Skoop \(BenchReport.duration(whole)); \(restoreText)",
                             ratio: BenchReport.ratio(decodeRatio), goal: goal, passed: failed ? nil : decodeRatio >= 50))
    }

    // MARK: Per-Transmission simulation

    mutating func simulation() throws {
        let spec = sizes.simulation
        let layout = SynthLayout(spec: spec)
        let snapshot = work + "/simulation-\(spec.services)s"
        if !FileManager.default.fileExists(atPath: snapshot + "/snapshot.json") {
            try? FileManager.default.removeItem(atPath: snapshot)
            _ = try SyntheticCluster.generate(spec, into: snapshot)
        }
        let host = try CollectorManager(snapshot: snapshot).netns(node: layout.nodeName(0), id: "host")
        let indexed = NetNSSimulator(info: host)
        let linear = NetNSSimulator(info: host, netfilterOptions: NetfilterEngine.Options(indexThreshold: nil))
        let pod = layout.pod(node: 0, slot: 1)
        var identical = true
        var timings: [(Double, Double)] = []
        for service in [spec.services / 2, spec.services - 1] {
            let packet = Packet(src: IPAddress(layout.podIP(pod))!, sport: 40_000, dst: IPAddress(layout.clusterIP(service))!,
                                dport: UInt16(SynthLayout.servicePort), proto: .tcp)
            let step = { (simulator: NetNSSimulator) in
                simulator.process(packet, ingress: .interface(layout.vethName(ofPod: pod)), l2Target: IPAddress(layout.bridgeIP(0)))
            }
            let a: [NetNSDecision] = step(indexed), b: [NetNSDecision] = step(linear)
            identical = identical && SimulationEquivalence.same(a, b)
            let fast = BenchReport.median(try (0..<15).map { _ in try Bench.time(repeat: 200) { _ = step(indexed) } })
            let slow = BenchReport.median(try (0..<7).map { _ in try Bench.time(repeat: 3) { _ = step(linear) } })
            timings.append((fast, slow))
        }
        let (fast, slow) = timings.last ?? (1, 1)
        let ratio = slow / fast
        log("simulation \(spec.services) services: indexed \(BenchReport.duration(fast)), linear \(BenchReport.duration(slow))")
        rows.append(BenchRow(
            name: "One Transmission through a node with \(spec.services.formatted()) services (indexed vs linear rule walk, last service)",
            figures: "indexed \(BenchReport.duration(fast)), linear \(BenchReport.duration(slow)); middle service: \(BenchReport.duration(timings[0].0)) vs \(BenchReport.duration(timings[0].1)); matched-rule traces \(identical ? "identical" : "DIFFERENT")",
            ratio: BenchReport.ratio(ratio), goal: "≥ 20×, identical traces", passed: ratio >= 20 && identical))
    }

    // MARK: TUI

    mutating func tui() throws {
        // The real TUI's first frame (`skoop tui --print-first-frame`: the same configuration,
        // state and rendering as on a terminal, curses aside), timed from the process's start
        // to its exit, on the largest diagnosed cluster; the first run warms the page cache.
        let spec = sizes.diagnoseLarge
        let snapshot = try preparedCluster(spec)
        let arguments = [executable, "tui", "--snapshot", snapshot, "--print-first-frame"] + Bench.serviceQuery(spec)
        var statuses: [Int32] = []
        let runs = try (0...sizes.runs).map { _ in
            let run = try ChildProcess.run(arguments)
            statuses.append(run.status)
            return run.seconds
        }
        let first = BenchReport.median(Array(runs.dropFirst()))
        let shown = statuses.allSatisfy { $0 == 0 }
        if !shown { notes.append("skoop tui --print-first-frame showed an error, not a diagnosis (exit \(statuses.first { $0 != 0 } ?? -1)).") }
        let size = Size(columns: 120, rows: 40)
        var state = TUIState(title: "big")
        state.resize(to: size)
        state.begin(query: TUIQuery(src: "a", dst: "b", port: 80), driver: ChainDriver(count: 1_000))
        _ = state.handle(.char("r"))
        let redraw = BenchReport.median(try (0..<300).map { index in
            try Bench.time {
                _ = state.handle(.char(index % 150 < 75 ? "j" : "k"))
                _ = state.render(size: size)
            }
        })
        log("TUI: first frame \(BenchReport.duration(first)), redraw \(BenchReport.duration(redraw))")
        rows.append(BenchRow(
            name: "TUI: first frame, \(spec.nodes.formatted()) nodes / \(spec.pods.formatted()) pods / \(spec.services.formatted()) services, pod → ClusterIP (process start, load, diagnose first step, render the TUI's view model at 120×40)",
            figures: BenchReport.duration(first) + (shown ? "" : ", showed an error"), goal: "≤ 1 s, a diagnosis shown",
            passed: first <= 1 && shown))
        rows.append(BenchRow(name: "TUI: redraw after a keystroke, 1,000-link graph (120×40)",
                             figures: BenchReport.duration(redraw), goal: "≤ 10 ms", passed: redraw <= 0.010))
    }

    // MARK: Helpers

    func log(_ message: String) {
        FileHandle.standardError.write(Data(("bench: " + message + "\n").utf8))
    }

    /// Seconds taken by `body` (divided by `repeat` when it is run several times).
    static func time(repeat count: Int = 1, _ body: () throws -> Void) throws -> Double {
        let clock = ContinuousClock()
        let elapsed = try clock.measure { for _ in 0..<count { try body() } }
        let (seconds, attoseconds) = elapsed.components
        return (Double(seconds) + Double(attoseconds) / 1e18) / Double(count)
    }

    /// This executable's path, so children run the same build.
    static func selfPath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// A diagnosis of `count` links in a tree of fan-out 3, for the TUI redraw measurement.
struct ChainDriver: DiagnosisDriver {
    let fullPath: PacketPath
    let allSteps: [DiagnosisStep]
    private(set) var taken = 0

    init(count: Int) {
        let packet = Packet(src: IPAddress("10.0.0.1")!, sport: 40_000, dst: IPAddress("10.0.0.2")!, dport: 80, proto: .tcp)
        var links: [Link] = [], nodes: [NetNode] = [], steps: [DiagnosisStep] = []
        let source = Hop(type: .pod, id: "default/client")
        for index in 0..<count {
            let parent = index == 0 ? nil : (index - 1) / 3
            let from = parent.map { Hop(type: .node, id: "node-\($0)") } ?? source
            let to = Hop(type: .node, id: "node-\(index)")
            var link = Link(type: .veth, source: from, destination: to, action: .forward, packet: packet)
            link.id = index
            link.parent = parent
            links.append(link)
            nodes.append(NetNode(type: .node, id: to.id, suspicions: [Suspicion(level: .warning, message: "warning \(index)")]))
            steps.append(DiagnosisStep(number: index + 1, processedLink: parent, actor: from, addedLinks: [index], addedNodes: [to]))
        }
        fullPath = PacketPath(nodes: nodes, links: links)
        allSteps = steps
    }

    var steps: [DiagnosisStep] { Array(allSteps.prefix(taken)) }
    var verdict: Verdict? { taken == allSteps.count ? .reachable : nil }
    var path: PacketPath {
        let shown = Set(allSteps.prefix(taken).flatMap(\.addedLinks))
        return PacketPath(nodes: fullPath.nodes, links: fullPath.links.filter { shown.contains($0.id) })
    }

    mutating func step() -> DiagnosisStep? {
        guard taken < allSteps.count else { return nil }
        taken += 1
        return allSteps[taken - 1]
    }
}

/// Child processes measured with wait4: wall time, exit status and peak memory.
enum ChildProcess {
    struct Result {
        var seconds: Double
        var status: Int32
        /// Peak resident set size, in bytes.
        var maxRSS: Int
    }

    /// Runs `arguments` (looked up in PATH) with standard output and error sent to /dev/null.
    /// `maxRSS` is wait4's, which counts this process's memory too (Linux keeps the parent's
    /// high-water mark across the child's exec): see ``runReportingPeak(_:)``.
    static func run(_ arguments: [String], environment: [String] = []) throws -> Result {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let clock = ContinuousClock()
        let start = clock.now
        var environmentStrings: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) }
        var inherited = environ
        while let entry = inherited.pointee {
            environmentStrings.append(strdup(entry))
            inherited += 1
        }
        environmentStrings.append(nil)
        defer { environmentStrings.forEach { free($0) } }
        guard posix_spawnp(&pid, arguments[0], &actions, nil, argv, environmentStrings) == 0 else {
            throw ValidationError("cannot run \(arguments[0])")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let (seconds, attoseconds) = (clock.now - start).components
        return Result(seconds: Double(seconds) + Double(attoseconds) / 1e18, status: (status >> 8) & 0xff,
                      maxRSS: Int(usage.ru_maxrss) * 1024)
    }

    /// Runs a Skoop command that reports its own peak memory (``PeakMemory``): the figure is
    /// then the child's alone, whatever this process holds.
    static func runReportingPeak(_ arguments: [String]) throws -> Result {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-peak-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var result = try run(arguments, environment: ["\(PeakMemory.environmentKey)=\(file)"])
        if let text = try? String(contentsOfFile: file, encoding: .utf8), let bytes = Int(text) { result.maxRSS = bytes }
        return result
    }

    /// The time `cat` takes to read `files` to /dev/null (in argument-list-sized batches).
    static func cat(_ files: [String]) throws -> Double {
        var total = 0.0
        var start = 0
        while start < files.count {
            let end = min(files.count, start + 5_000)
            total += try run(["cat"] + files[start..<end]).seconds
            start = end
        }
        return total
    }
}
