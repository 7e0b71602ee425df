import SkoopDiagnosis
import Foundation
import SkoopModel
import SkoopNetstack
import SkoopCollector

/// What verifying one lab found.
public struct LabCaseResult: Sendable {
    /// The lab.
    public var labCase: LabVerifyCase
    /// Every flow compared.
    public var flows: [FlowComparison]
    /// Whether the fault was localized (nil for a healthy lab).
    public var localized: Bool?
    /// The fault's expected location, for the report.
    public var location: FaultLocation?
    /// Remarks that are neither agreements nor disagreements.
    public var notes: [String]
    /// Why the lab could not be verified, if it could not.
    public var error: String?
    /// Every kernel routing decision compared with Skoop's.
    public var routes: [RouteComparison] = []
    /// Every traced packet pass compared with Skoop's simulated trace.
    public var traces: [TraceComparison] = []
    /// Warning-or-worse suspicions on a lab whose flows should all work (healthy, or a harmless fault).
    public var falseAlarms: [FalseAlarm] = []

    /// Whether every Warning-or-worse suspicion is a false alarm: a healthy lab, or one whose
    /// fault the kernel shows to break nothing.
    public var expectsNoAlarms: Bool { labCase.fault == nil || location?.harmless == true }

    /// One line per disagreement, unlocalized fault, false alarm or error.
    public var problemLines: [String] {
        var lines = flows.filter { !$0.agrees }.map { "\(labCase): disagree: \($0.line)" }
        lines += routes.filter { !$0.agrees }.map { "\(labCase): disagree: \($0.line)" }
        lines += traces.filter { !$0.agrees }.map { "\(labCase): disagree: \($0.line)" }
        lines += falseAlarms.map { "\(labCase): false alarm: \($0.line)" }
        if localized == false, let fault = labCase.fault, let location {
            if location.harmless {
                lines.append("\(labCase): fault \(fault.rawValue) is harmless but a warning names \(location.description)")
            } else {
                let places = ([location.hop?.id ?? "the cluster"] + location.alternatives.map(\.id)).joined(separator: " or ")
                lines.append("\(labCase): fault \(fault.rawValue) not localized: no warning on \(places) naming \(location.description)")
            }
        }
        if let error { lines.append("\(labCase): error: \(error)") }
        return lines
    }
}

/// The labs currently up (state folder and netns prefix), so an interrupt can tear them down.
public final class LabRegistry: Sendable {
    private struct Labs {
        var running: [URL: String] = [:]
        var stopping = false
    }
    private let labs = Locked(Labs())

    /// Makes an empty registry.
    public init() {}

    /// Registers a lab about to be built; false once a teardown has begun (build nothing more).
    func add(_ directory: URL, prefix: String) -> Bool {
        labs.withLock { labs in
            guard !labs.stopping else { return false }
            labs.running[directory] = prefix
            return true
        }
    }

    /// Whether a teardown has begun (results after it are not worth reporting).
    public var isStopping: Bool { labs.withLock { $0.stopping } }

    func remove(_ directory: URL) { _ = labs.withLock { $0.running.removeValue(forKey: directory) } }

    /// Removes every registered lab now, synchronously (for signal handlers): stops new labs,
    /// kills the processes by PID, and deletes every netns named with a registered prefix
    /// (swept a few times: a lab being built may still be adding some).
    public func tearDownNow() {
        let running = labs.withLock { labs in
            labs.stopping = true
            return labs.running
        }
        for directory in running.keys {
            for process in LabController(stateDirectory: directory).currentState()?.processes ?? [] {
                BackgroundProcess.stop(process.pid)
            }
            try? FileManager.default.removeItem(at: directory)
        }
        for _ in 0..<3 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
            for name in names where running.values.contains(where: { name.hasPrefix("\($0)-") }) {
                LabRegistry.run(["ip", "netns", "del", name])
            }
            usleep(100_000)
        }
    }

    /// Runs a tool and waits for it, without Foundation's Process (safe on a signal's queue).
    private static func run(_ argv: [String]) {
        guard let pid = try? BackgroundProcess.spawn(argv) else { return }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}

/// `skoop lab verify`: builds each lab, diagnoses its flows on its snapshot, sends the same flows
/// for real, and compares; checks that each fault is localized on the faulty hop.
public struct LabVerifier: Sendable {
    /// Runs the tools.
    public var runner: any ToolRunner
    /// Where state folders and snapshots go while a lab is verified.
    public var workDirectory: URL
    /// Where to keep each lab's snapshot (nil: deleted after use).
    public var keepSnapshots: URL?
    /// How many tries a load-balanced flow gets at first (more when a backend Skoop predicts was not seen).
    public var tries: Int
    /// The iptables backend of the labs.
    public var backend: IptablesBackend
    /// Labs currently up.
    public let registry: LabRegistry

    /// Makes a verifier.
    public init(runner: any ToolRunner = SubprocessToolRunner(), workDirectory: URL, keepSnapshots: URL? = nil,
                tries: Int = 8, backend: IptablesBackend = .nft, registry: LabRegistry = LabRegistry()) {
        self.runner = runner
        self.workDirectory = workDirectory
        self.keepSnapshots = keepSnapshots
        self.tries = tries
        self.backend = backend
        self.registry = registry
    }

    /// How many labs `lab verify` runs at once. 4 on 2 cores: a lab mostly waits on probes and
    /// tools (about 60% CPU at 2 jobs); measured 22-27% less wall time than 2 for 21 labs, with
    /// the same agreement.
    public static let defaultJobs = 4

    /// Verifies `cases`, `parallelism` labs at a time (each in its own netns set), reporting each
    /// result as it completes; returns them in the order given.
    public func verify(_ cases: [LabVerifyCase], prefix: String, parallelism: Int = 1,
                       progress: @Sendable (LabCaseResult) -> Void = { _ in }) async -> [LabCaseResult] {
        var results = [LabCaseResult?](repeating: nil, count: cases.count)
        await withTaskGroup(of: (Int, LabCaseResult).self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, await verify(cases[index], prefix: "\(prefix)c\(index)")) }
            }
            while next < min(max(parallelism, 1), cases.count) { start() }
            while let (index, result) = await group.next() {
                progress(result)
                results[index] = result
                if next < cases.count { start() }
            }
        }
        return results.compactMap { $0 }
    }

    /// Verifies one lab; it is always torn down.
    public func verify(_ labCase: LabVerifyCase, prefix: String) async -> LabCaseResult {
        let topology = LabTopology(scenario: labCase.scenario, fault: labCase.fault, backend: backend,
                                  proxyMode: labCase.proxyMode, ipFamily: labCase.ipFamily)
        var result = LabCaseResult(labCase: labCase, flows: [], localized: nil,
                                   location: labCase.fault.map { FaultLocation.of($0, in: topology) }, notes: [], error: nil)
        let stateDirectory = workDirectory.appendingPathComponent("\(prefix)-state", isDirectory: true)
        let snapshot = (keepSnapshots ?? workDirectory).appendingPathComponent(labCase.description, isDirectory: true)
        let controller = LabController(runner: runner, stateDirectory: stateDirectory)
        guard registry.add(stateDirectory, prefix: prefix) else {
            result.error = "interrupted before the lab was built"
            return result
        }
        defer { registry.remove(stateDirectory) }
        do {
            let state = try await controller.up(topology, prefix: prefix)
            do {
                // Before the snapshot: Skoop then simulates the ruleset the kernel runs, TRACE rules included.
                await GroundTruth(state: state, runner: runner).installTraceRules()
                try await controller.writeSnapshot(of: state, to: snapshot)
                try await compare(state: state, snapshot: snapshot, into: &result)
            } catch {
                result.error = "\(error)"
            }
            await controller.remove(state)
        } catch {
            result.error = "\(error)"
            if let state = controller.currentState() { await controller.remove(state) }
        }
        try? FileManager.default.removeItem(at: stateDirectory)
        if keepSnapshots == nil { try? FileManager.default.removeItem(at: snapshot) }
        return result
    }

    /// Diagnoses and probes every flow of the lab, then checks the fault's localization.
    func compare(state: LabState, snapshot: URL, into result: inout LabCaseResult) async throws {
        let collector = try CollectorManager(snapshot: snapshot.path)
        let flows = LabVerifyFlow.standard(for: state.topology)
        var reports: [DiagnosisReport] = []
        for flow in flows {
            var session = try DiagnosisSession(query: flow.query, collector: collector)
            session.diagnostor.run()
            reports.append(session.report)
        }
        let truth = GroundTruth(state: state, runner: runner)
        // Source ports stay unique across every round: a stale conntrack entry of an earlier try
        // with the same port would name the wrong node and backend.
        var usedPorts = Set<Int>()
        var probes = await probeAll(flows, truth: truth, usedPorts: &usedPorts, tries: { flows[$0].loadBalanced ? tries : 1 })
        for (index, flow) in flows.enumerated() where flow.loadBalanced {
            // A backend Skoop predicts but the random split never picked: try harder before judging.
            let predicted = FlowComparison.backendOutcomes(reports[index], perEntryNode: flow.perEntryNode)
            // A load balancer's entry node is the router's ECMP hash of the ports: more rounds to see every node.
            for _ in 0..<(flow.perEntryNode ? 3 : 1) {
                if FlowComparison.unseen(predicted, observed: FlowComparison.observedOutcomes(flow, probes: probes[index])).isEmpty { break }
                probes[index] += await probeAll([flow], truth: truth, usedPorts: &usedPorts, tries: { _ in tries * 2 })[0]
            }
        }
        for (index, flow) in flows.enumerated() {
            result.flows.append(flow.loadBalanced
                ? FlowComparison.perBackend(flow, report: reports[index], probes: probes[index])
                : FlowComparison.single(flow, report: reports[index], probe: probes[index][0]))
        }
        for (index, flow) in flows.enumerated() where flow.traced && truth.canTrace(flow.probe.family) && flow.probe.proto == .tcp {
            let traced = await truth.probe(flow.probe, trace: true)
            probes[index].append(traced)
            if keepSnapshots != nil { Self.keepTrace(traced, flow: flow, in: snapshot) }
            result.traces += TraceComparator.compare(flow: flow.name, probe: traced, report: reports[index])
            for (node, text) in traced.traceText.sorted(by: { $0.key < $1.key }) {
                guard let failure = GroundTruth.traceFailure(text) else { continue }
                result.notes.append("\(result.labCase): \(flow.name): the trace at \(node) is not compared: \(failure); a routing loop floods it")
            }
        }
        if result.expectsNoAlarms {
            for (index, flow) in flows.enumerated() where !flow.refusedByDesign {
                result.falseAlarms += FalseAlarm.found(in: reports[index], flow: flow)
            }
        }
        result.routes = compareRoutes(flows, probes: probes, reports: reports, collector: collector, topology: state.topology)
        if let location = result.location {
            result.localized = location.isLocalized(in: reports)
        }
        if state.topology.fault == .mtuMismatch {
            result.notes.append("the DF 1472-byte ping that mtu-mismatch breaks is not compared: a Skoop query has no packet size; the MTU warning is its localization")
        }
    }

    /// Keeps a traced probe as recorded input next to the snapshot: `ground-truth/trace-FLOW-NODE.txt`
    /// (xtables-monitor's output; with the legacy backend, the NFLOG capture rendered the same way) and `ground-truth/trace-FLOW.json` (backend and tuples).
    static func keepTrace(_ probe: ProbeResult, flow: LabVerifyFlow, in snapshot: URL) {
        let folder = snapshot.appendingPathComponent("ground-truth", isDirectory: true)
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let slug = flow.name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        for (node, text) in probe.traceText {
            try? text.write(to: folder.appendingPathComponent("trace-\(slug)-\(node).txt"), atomically: true, encoding: .utf8)
        }
        let record: [String: Any] = ["backend": probe.backendIP ?? "", "succeeded": probe.succeeded,
                                     "tuples": probe.tuples.map { ["src": $0.src, "dst": $0.dst, "sport": $0.sport, "dport": $0.dport] }]
        if let data = try? JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys]) {
            try? data.write(to: folder.appendingPathComponent("trace-\(slug).json"))
        }
    }

    /// Compares every distinct kernel routing step of each flow's probes with Skoop's answer on the
    /// snapshot of the same netns (netns outside the snapshot, the external host's and the router's,
    /// are not compared).
    func compareRoutes(_ flows: [LabVerifyFlow], probes: [[ProbeResult]], reports: [DiagnosisReport],
                       collector: CollectorManager, topology: LabTopology) -> [RouteComparison] {
        var simulators: [String: NetNSSimulator] = [:]
        var comparisons: [RouteComparison] = []
        for (index, flow) in flows.enumerated() {
            var seen = Set<[String]>()
            for step in probes[index].flatMap(\.routes) where seen.insert([step.netnsID] + step.query).inserted {
                guard let (node, netns, hop) = Self.snapshotLocation(step.netnsID, in: topology) else { continue }
                if simulators[step.netnsID] == nil, let info = try? collector.netns(node: node, id: netns) {
                    simulators[step.netnsID] = NetNSSimulator(info: info)
                }
                guard let simulator = simulators[step.netnsID] else { continue }
                let decisions = reports[index].path.links.filter { $0.source == hop && $0.direction == .request }.flatMap(\.routes)
                comparisons.append(RouteComparison.compare(step, flow: flow.name, simulator: simulator, pathDecisions: decisions))
            }
        }
        return comparisons
    }

    /// Where a lab netns is in the snapshot (node folder, netns folder) and its hop; nil for the
    /// netns the snapshot does not hold.
    static func snapshotLocation(_ netnsID: String, in topology: LabTopology) -> (String, String, Hop)? {
        if let node = topology.node(netnsID) { return (node.name, "host", Hop(type: .node, id: node.name)) }
        if let pod = topology.pods.first(where: { $0.netnsID == netnsID }) {
            return (pod.node, pod.netnsID, Hop(type: .pod, id: "\(pod.namespace)/\(pod.name)"))
        }
        return nil
    }

    /// Probes each flow `tries(index)` times, concurrently, each try from its own source port.
    /// Starts are staggered: the listeners accept concurrently, but dozens of probe processes
    /// started at once on a loaded machine would eat into each one's 2-second timeout.
    func probeAll(_ flows: [LabVerifyFlow], truth: GroundTruth, usedPorts ports: inout Set<Int>,
                  tries: (Int) -> Int) async -> [[ProbeResult]] {
        var results = [[ProbeResult]](repeating: [], count: flows.count)
        await withTaskGroup(of: (Int, ProbeResult).self) { group in
            var started = 0
            for (index, flow) in flows.enumerated() {
                for _ in 0..<tries(index) {
                    var port = Int.random(in: 20_000...59_999)
                    while !ports.insert(port).inserted { port = Int.random(in: 20_000...59_999) }
                    let delay = started * 40
                    started += 1
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(delay))
                        return (index, await truth.probe(flow.probe, sourcePort: port))
                    }
                }
            }
            for await (index, probe) in group { results[index].append(probe) }
        }
        return results
    }
}

/// The last line of `skoop lab verify`, and whether everything agreed.
public struct LabVerifySummary: Hashable, Sendable {
    /// Flows where Skoop agreed with the kernel.
    public var agreeing: Int
    /// Flows compared.
    public var flows: Int
    /// Faults localized.
    public var localized: Int
    /// Faults checked.
    public var faults: Int
    /// Warning-or-worse suspicions on healthy labs (per flow, node and suspicion).
    public var falseAlarms: Int
    /// Labs that could not be verified.
    public var errors: Int
    /// Kernel routing decisions Skoop matched.
    public var routesAgreeing: Int
    /// Kernel routing decisions compared.
    public var routes: Int
    /// Traced packet passes Skoop matched rule for rule.
    public var tracesAgreeing: Int
    /// Traced packet passes compared.
    public var traces: Int

    /// Totals over `results`.
    public init(_ results: [LabCaseResult]) {
        agreeing = results.reduce(0) { $0 + $1.flows.filter(\.agrees).count }
        flows = results.reduce(0) { $0 + $1.flows.count }
        localized = results.filter { $0.localized == true }.count
        faults = results.filter { $0.labCase.fault != nil }.count
        falseAlarms = results.reduce(0) { $0 + $1.falseAlarms.count }
        errors = results.filter { $0.error != nil }.count
        routesAgreeing = results.reduce(0) { $0 + $1.routes.filter(\.agrees).count }
        routes = results.reduce(0) { $0 + $1.routes.count }
        tracesAgreeing = results.reduce(0) { $0 + $1.traces.filter(\.agrees).count }
        traces = results.reduce(0) { $0 + $1.traces.count }
    }

    /// `agreement: A/B flows, faults localized: C/D, false alarms: E`, the contract's last line.
    public var line: String {
        "agreement: \(agreeing)/\(flows) flows, faults localized: \(localized)/\(faults), false alarms: \(falseAlarms)"
    }

    /// The line before it: `routes: R/S, traces: T/U` (routing decisions and traced rule hits).
    public var detailLine: String {
        "routes: \(routesAgreeing)/\(routes), traces: \(tracesAgreeing)/\(traces)"
    }

    /// Whether everything agreed, every fault was localized and no healthy lab raised an alarm.
    public var passed: Bool {
        agreeing == flows && localized == faults && falseAlarms == 0 && routesAgreeing == routes
            && tracesAgreeing == traces && errors == 0 && flows > 0
    }
}
