import ArgumentParser
import Foundation
import SkoopCollector
import SkoopLab
import SkoopDiagnosis

/// `skoop lab`: real mini-clusters from network namespaces.
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Build, tear down and verify lab clusters made of network namespaces.",
        subcommands: [LabUpCommand.self, LabDownCommand.self, LabListCommand.self, LabVerifyCommand.self,
                      LabSynthCommand.self])
}

extension LabScenario: ExpressibleByArgument {}
extension LabFault: ExpressibleByArgument {}
extension IptablesBackend: ExpressibleByArgument {}
extension LabProxyMode: ExpressibleByArgument {}
extension LabIPFamily: ExpressibleByArgument {}

/// `skoop lab up SCENARIO [--fault F] [--iptables legacy|nft] [--proxy iptables|nftables] [--output SNAP]`.
struct LabUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Build a lab cluster (tearing down a running one first). Needs root.")

    @Argument(help: "The scenario (see `skoop lab list`).")
    var scenario: LabScenario

    @Option(help: "One fault to build in (see `skoop lab list`).")
    var fault: LabFault?

    @Option(help: "The iptables backend for kube-proxy's rules.")
    var iptables: IptablesBackend = .nft

    @Option(help: "kube-proxy's mode: its iptables rules, or its nftables tables `ip kube-proxy` and, with IPv6, `ip6 kube-proxy` (the CNI's rules stay iptables).")
    var proxy: LabProxyMode = .iptables

    @Option(help: "The address families of pods, nodes and services: ipv4, ipv6 (pods and services IPv6 only; nodes keep their IPv4 underlay too) or dual (dual-stack Services, ip6tables rules of kube-proxy).")
    var ipFamily: LabIPFamily = .ipv4

    @Option(help: "Write a complete snapshot of the lab to this directory.")
    var output: String?

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError(LabError.notRoot.description) }
        let controller = LabController()
        let state: LabState
        do {
            state = try await controller.up(LabTopology(scenario: scenario, fault: fault, backend: iptables, proxyMode: proxy,
                                                        ipFamily: ipFamily),
                                            prefix: "skoop\(getpid())")
        } catch let error as LabError {
            throw ValidationError(error.description)
        }
        print("lab \(scenario.rawValue)\(fault.map { " with fault \($0.rawValue)" } ?? "")\(proxy == .nftables ? ", kube-proxy in nftables mode" : "")\(ipFamily == .ipv4 ? "" : ", \(ipFamily.rawValue)"): \(state.netns.count) netns, \(state.processes.count) listeners, netns prefix \(state.prefix)-")
        if let output {
            try await controller.writeSnapshot(of: state, to: URL(fileURLWithPath: output, isDirectory: true))
            print("snapshot written to \(output)")
        }
    }
}

/// `skoop lab down`.
struct LabDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Remove the running lab.")

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError(LabError.notRoot.description) }
        if let state = try await LabController().down() {
            print("removed \(state.netns.count) netns and \(state.processes.count) processes")
        } else {
            print("no lab is running")
        }
    }
}

/// `skoop lab list`.
struct LabListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List scenarios and faults.")

    func run() async throws {
        print("scenarios:")
        for scenario in LabScenario.allCases { print("  \(scenario.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\(scenario.summary)") }
        print("faults:")
        for fault in LabFault.allCases {
            let scope = fault.scenarios.count == LabScenario.allCases.count ? "all" : fault.scenarios.map(\.rawValue).joined(separator: ", ")
            let family = fault.ipv4OnlyReason.map { " (IPv4 only: \($0))" } ?? ""
            print("  \(fault.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\(fault.summary) [\(scope)]\(family)")
        }
    }
}

/// `skoop lab verify [--all] [--scenario S ...] [--fault F ...]`: Skoop against the kernel.
struct LabVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Build labs, diagnose their flows with Skoop, send the same flows for real, and compare. Needs root.",
        discussion: """
            Prints one line per disagreement (a flow's verdict, a routing decision, a traced packet's
            rule hits), unlocalized fault or false alarm, then `routes: R/S, traces: T/U` and last
            `agreement: A/B flows, faults localized: C/D, false alarms: E`.
            A fault is localized when a Warning-or-worse suspicion on the faulty hop names the
            faulty object itself (the interface, route, rule or sysctl). A false alarm is a
            Warning-or-worse suspicion on a healthy lab (or one whose fault the kernel shows to be
            harmless), counted per flow, node and suspicion, each printed as
            `LAB: false alarm: FLOW (QUERY): NODE: LEVEL: MESSAGE`.
            Lab snapshots carry no detection hints (snapshot.json is {"version":1}): the CNI, its
            mode, kube-proxy's mode and the cluster CIDR are detected from the ConfigMaps the lab
            writes as real clusters have them, and from the nodes.
            Routes: every `ip route get` the probes ask the kernel along each flow (in the source
            netns, at the source's node, at the backend's node) against Skoop's router on the
            snapshot of the same netns, and against the decision on the diagnosed path.
            Traces: one extra probe of the pod->ClusterIP and ext->NodePort flows
            (a subset, to keep --all within minutes) is traced on every node (TRACE rules
            in raw PREROUTING/OUTPUT, added before the snapshot is taken); the rule hits of its
            first packet each way (SYN, SYN ACK) at each node, picked out by the connection's
            conntrack tuples, must equal Skoop's simulated trace there (kube-proxy's nft rules by
            table, chain, handle and verdict). The nft backend is traced
            with xtables-monitor --trace in iptables mode and nft monitor trace in nftables mode and
            for IPv6 flows (xtables-monitor 1.8.9 quits on ip6tables rules with -p tcp); the legacy
            backend with nfnetlink_log set inside each node's netns and tcpdump on nflog:0, its rule
            numbers mapped to the saved rules (IPv4 flows only).
            Address families: labs are dual-stack by default in either mode (every flow again in
            IPv6, named "IPv6 ...", its query with --ip-family 6; nftables mode writes kube-proxy's
            `ip6 kube-proxy` table too; faults break both families except mark-crossing and
            rp-filter-local). --all also runs a few faults in IPv6-only labs, where no IPv4 flow
            can localize them (see LabVerifyCase.ipv6OnlySubset).
            Exit status: 0 when everything agrees, every fault is localized and there is no false
            alarm; 1 otherwise; 2 without root.
            """)

    @Flag(help: "Every scenario, healthy and with every fault that applies to it (without --proxy: in both proxy modes).")
    var all = false

    @Option(help: "Only this scenario (repeatable).")
    var scenario: [LabScenario] = []

    @Option(help: "Only this fault (repeatable); with no --scenario, in every scenario it applies to.")
    var fault: [LabFault] = []

    @Option(help: "The iptables backend for kube-proxy's rules.")
    var iptables: IptablesBackend = .nft

    @Option(help: ArgumentHelp("kube-proxy's mode (repeatable). Without it: iptables, and with --all every scenario and fault in both modes. With it: the chosen labs in each mode given."))
    var proxy: [LabProxyMode] = []

    @Option(help: "The labs' address families (ipv4, ipv6, dual). Without it: dual (every flow in IPv4 and IPv6), and with --all also IPv6-only labs of a few faults.")
    var ipFamily: LabIPFamily?

    @Option(help: "How many labs run at once.")
    var jobs: Int = LabVerifier.defaultJobs

    @Option(help: "Keep each lab's snapshot in this directory.")
    var snapshots: String?

    @Flag(help: "Print a line per lab as it finishes (on standard error).")
    var verbose = false

    func run() async throws {
        guard getuid() == 0 else {
            FileHandle.standardError.write(Data("skoop lab verify: \(LabError.notRoot.description); run it as root\n".utf8))
            throw ExitCode(2)
        }
        let cases = LabVerifyCase.selection(all: all, scenarios: scenario, faults: fault, proxyModes: proxy,
                                                 ipFamily: ipFamily)
        guard !cases.isEmpty else { throw ValidationError("no scenario/fault combination applies") }
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-verify-\(getpid())", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let keep = snapshots.map { URL(fileURLWithPath: $0, isDirectory: true) }
        if let keep { try FileManager.default.createDirectory(at: keep, withIntermediateDirectories: true) }
        let registry = LabRegistry()
        let interrupts = Self.tearDownOnInterrupt(registry, work: work)
        defer { interrupts.forEach { $0.cancel() } }
        let verifier = LabVerifier(workDirectory: work, keepSnapshots: keep, backend: iptables, registry: registry)
        let verbose = verbose
        let results = await verifier.verify(cases, prefix: "skv\(getpid())", parallelism: jobs) { result in
            guard !registry.isStopping else { return }
            for line in result.problemLines { print(line) }
            if verbose {
                let agreeing = result.flows.filter(\.agrees).count
                let localized = result.localized.map { $0 ? ", fault localized" : ", fault NOT localized" }
                    ?? ", \(result.falseAlarms.count) false alarm(s)"
                let routes = "\(result.routes.filter(\.agrees).count)/\(result.routes.count) routes"
                let traces = "\(result.traces.filter(\.agrees).count)/\(result.traces.count) traces"
                FileHandle.standardError.write(Data("\(result.labCase): \(agreeing)/\(result.flows.count) flows, \(routes), \(traces) agree\(localized)\n".utf8))
            }
        }
        try? FileManager.default.removeItem(at: work)
        for note in Set(results.flatMap(\.notes)).sorted() { print("note: \(note)") }
        let summary = LabVerifySummary(results)
        print(summary.detailLine)
        print(summary.line)
        if !summary.passed { throw ExitCode(1) }
    }

    /// SIGINT/SIGTERM remove every lab still up, then exit 130.
    static func tearDownOnInterrupt(_ registry: LabRegistry, work: URL) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                registry.tearDownNow()
                try? FileManager.default.removeItem(at: work)
                FileHandle.standardError.write(Data("interrupted: labs removed\n".utf8))
                Foundation.exit(130)
            }
            source.resume()
            return source
        }
    }
}
