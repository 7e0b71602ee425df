import SkoopDiagnosis
import SkoopModel
import SkoopCollector

/// One lab to verify: a scenario, healthy or with one fault.
public struct LabVerifyCase: Hashable, Sendable, CustomStringConvertible {
    /// The scenario.
    public var scenario: LabScenario
    /// The fault, nil for the healthy lab.
    public var fault: LabFault?
    /// kube-proxy's mode.
    public var proxyMode: LabProxyMode = .iptables
    /// The address families of the lab.
    public var ipFamily: LabIPFamily

    /// Makes a case; without a family, the mode's default (`defaultFamily`).
    public init(scenario: LabScenario, fault: LabFault? = nil, proxyMode: LabProxyMode = .iptables, ipFamily: LabIPFamily? = nil) {
        self.scenario = scenario
        self.fault = fault
        self.proxyMode = proxyMode
        self.ipFamily = ipFamily ?? Self.defaultFamily(proxyMode)
    }

    /// Dual-stack in either mode: the IPv4 side stays verified, the IPv6 side is added (in
    /// nftables mode through kube-proxy's `ip6 kube-proxy` table).
    public static func defaultFamily(_ mode: LabProxyMode) -> LabIPFamily { .dual }

    public var description: String {
        scenario.rawValue + (fault.map { "+\($0.rawValue)" } ?? "") + (proxyMode == .iptables ? "" : "@\(proxyMode.rawValue)")
            + (ipFamily == Self.defaultFamily(proxyMode) ? "" : "/\(ipFamily.rawValue)")
    }

    /// Every scenario healthy, then with every fault that applies to it.
    public static var all: [LabVerifyCase] {
        LabScenario.allCases.flatMap { scenario in
            [LabVerifyCase(scenario: scenario)]
                + LabFault.allCases.filter { $0.applies(to: scenario) }.map { LabVerifyCase(scenario: scenario, fault: $0) }
        }
    }

    /// The quick default: flannel-vxlan healthy, a few faults, and calico-bgp healthy.
    public static var quick: [LabVerifyCase] {
        [LabVerifyCase(scenario: .flannelVXLAN),
         LabVerifyCase(scenario: .flannelVXLAN, fault: .forwardDrop),
         LabVerifyCase(scenario: .flannelVXLAN, fault: .podEth0Down),
         LabVerifyCase(scenario: .flannelVXLAN, fault: .vxlanFDBMissing),
         LabVerifyCase(scenario: .calicoBGP)]
    }

    /// The cases chosen by the CLI flags: explicit scenarios and faults narrow `--all` (or the
    /// quick set when neither is given). A fault with no scenario runs in every scenario it applies to.
    public static func selection(all: Bool, scenarios: [LabScenario], faults: [LabFault]) -> [LabVerifyCase] {
        if scenarios.isEmpty && faults.isEmpty { return all ? LabVerifyCase.all : quick }
        let chosenScenarios = scenarios.isEmpty ? LabScenario.allCases : scenarios
        var cases: [LabVerifyCase] = []
        for scenario in chosenScenarios {
            if faults.isEmpty || all { cases.append(LabVerifyCase(scenario: scenario)) }
            let chosenFaults = faults.isEmpty ? (all ? LabFault.allCases : []) : faults
            cases += chosenFaults.filter { $0.applies(to: scenario) }.map { LabVerifyCase(scenario: scenario, fault: $0) }
        }
        return cases
    }
}

/// One flow checked in every lab: the same connection as a Skoop query and as a real probe.
public struct LabVerifyFlow: Hashable, Sendable {
    /// A short name for reports ("pod->pod across nodes").
    public var name: String
    /// The real probe.
    public var probe: LabFlow
    /// The Skoop query.
    public var query: DiagnosisQuery
    /// Whether the destination is a service with several backends: compared per backend.
    public var loadBalanced: Bool
    /// Whether the lab's objects refuse the flow on purpose (a source outside
    /// loadBalancerSourceRanges): the kernel must fail it, and the suspicions that say why are
    /// its explanation, not false alarms.
    public var refusedByDesign: Bool = false
    /// Whether backends are compared per entry node ("node1>10.244.2.2"): a LoadBalancer IP the
    /// router spreads over the nodes, each of which may reach a backend differently.
    public var perEntryNode: Bool = false
    /// Whether one extra probe of it is traced rule by rule (tcp; either backend): the flows through
    /// kube-proxy's NAT (ClusterIP, NodePort); a subset, to keep `--all` within minutes.
    public var traced: Bool = false

    /// The flows of the standard lab topology: each in every family the lab has (IPv6 flows are
    /// named "IPv6 ..." and query with --ip-family 6).
    public static func standard(for topology: LabTopology) -> [LabVerifyFlow] {
        var flows = topology.ipFamily.families.flatMap { standard(for: topology, family: $0) }
        if topology.fault == .rpFilterLocal, let node1 = topology.node("node1") {
            // Traffic for a local address of node1 (its VTEP's), arriving through the tunnel.
            let address = node1.vtepAddress(topology.scenario)
            flows.append(LabVerifyFlow(name: "pod->node address",
                                       probe: LabFlow(source: "client2", destination: address, proto: .icmp),
                                       query: DiagnosisQuery(src: "default/client2", dst: address, dport: 0, proto: .icmp),
                                       loadBalanced: false))
        }
        if topology.fault == .serviceNoEndpoints {
            // Nothing to balance: kube-proxy rejects every connection.
            for index in flows.indices { flows[index].loadBalanced = false }
        }
        return flows
    }

    /// The standard flows in one family.
    static func standard(for topology: LabTopology, family: AddressFamily) -> [LabVerifyFlow] {
        let v6 = family == .inet6
        func address(_ ipv4: String) -> String { v6 ? LabIPv6.address(ipv4) : ipv4 }
        func flow(_ name: String, _ source: String, _ querySource: String, _ destination: String, _ queryDestination: String,
                  _ port: Int?, _ proto: TransportProtocol = .tcp, loadBalanced: Bool = false) -> LabVerifyFlow {
            let named = { (text: String) in text.contains("/") ? text : address(text) }
            return LabVerifyFlow(name: (v6 ? "IPv6 " : "") + name,
                                 probe: LabFlow(source: source, destination: address(destination), port: port, proto: proto),
                                 query: DiagnosisQuery(src: named(querySource), dst: named(queryDestination), dport: UInt16(port ?? 0),
                                                       proto: proto, ipFamily: v6 ? .inet6 : nil),
                                 loadBalanced: loadBalanced)
        }
        let node1 = topology.node("node1")?.ip ?? "192.168.56.11"
        var flows = [
            flow("pod->pod same node", "client", "default/client", "10.244.1.2", "default/web-0", 8080),
            flow("pod->pod same node (node2)", "client2", "default/client2", "10.244.2.2", "default/web-1", 8080),
            flow("pod->pod across nodes", "client", "default/client", "10.244.2.2", "default/web-1", 8080),
            flow("pod->ClusterIP", "client", "default/client", "10.96.0.10", "svc/default/web", 80, loadBalanced: true),
            flow("pod->same-node ClusterIP", "client", "default/client", "10.96.0.11", "svc/default/web-0", 80),
            flow("node->pod", "node1", "node/node1", "10.244.2.2", "default/web-1", 8080),
            flow("ext->NodePort", "ext", LabTopology.externalIP, node1, "node/node1", 30080, loadBalanced: true),
            flow("pod->external", "client", "default/client", LabTopology.externalIP, LabTopology.externalIP, nil, .icmp),
            flow("pod->own service", "web-0", "default/web-0", "10.96.0.11", "svc/default/web-0", 80),
            // From outside through the router: the LoadBalancer IP it spreads over the nodes (from
            // an admitted source and from one loadBalancerSourceRanges leaves out) and an externalIP.
            flow("ext->LoadBalancer", "ext", LabTopology.externalIP, LabTopology.loadBalancerIP, LabTopology.loadBalancerIP, 80,
                 loadBalanced: true),
            flow("ext->externalIP", "ext", LabTopology.externalIP, LabTopology.serviceExternalIP, LabTopology.serviceExternalIP, 80,
                 loadBalanced: true),
        ]
        var blocked = flow("ext->LoadBalancer (blocked source)", "ext", LabTopology.blockedExternalIP,
                           LabTopology.loadBalancerIP, LabTopology.loadBalancerIP, 80)
        blocked.probe.sourceAddress = address(LabTopology.blockedExternalIP)
        if v6 {
            // IPv6 source selection prefers the external host's newest address (the blocked one):
            // its other flows name their source.
            for index in flows.indices where flows[index].probe.source == "ext" {
                flows[index].probe.sourceAddress = address(LabTopology.externalIP)
            }
        }
        blocked.refusedByDesign = true
        for index in flows.indices where flows[index].name.hasSuffix("ext->LoadBalancer") { flows[index].perEntryNode = true }
        flows.append(blocked)
        for index in flows.indices where flows[index].name.hasSuffix("pod->ClusterIP") || flows[index].name.hasSuffix("ext->NodePort") {
            flows[index].traced = true
        }
        return flows
    }
}

/// Where a fault is, as Skoop should report it: the hop carrying the suspicion and the words
/// (interface, route, rule, sysctl) that name the broken object. A harmless fault (one the
/// kernel shows to break nothing) is "localized" when no Warning-or-worse suspicion names it.
public struct FaultLocation: Hashable, Sendable {
    /// The faulty hop, nil when the fault is a cluster object (a service).
    public var hop: Hop?
    /// Each entry is one way to name the faulty object: every word of it must appear in the same
    /// suspicion's message or evidence (e.g. "blackhole" and the route's destination), so a
    /// generic message ("MTU", "eth0") no longer counts on its own. Any entry suffices.
    public var names: [[String]]
    /// Other places a suspicion may name the fault from (the other end of a detour, ...).
    public var alternatives: [Hop]
    /// Whether the kernel shows the fault breaks nothing (the flows still work).
    public var harmless: Bool = false

    /// Makes a location.
    public init(hop: Hop?, names: [[String]], alternatives: [Hop] = [], harmless: Bool = false) {
        self.hop = hop
        self.names = names
        self.alternatives = alternatives
        self.harmless = harmless
    }

    /// The names, as a report shows them ("blackhole + 10.244.2.2 or ...").
    public var description: String {
        names.map { $0.joined(separator: " + ") }.joined(separator: " or ")
    }

    /// Where `fault` was applied in `topology`.
    public static func of(_ fault: LabFault, in topology: LabTopology) -> FaultLocation {
        let node1 = Hop(type: .node, id: "node1"), node2 = Hop(type: .node, id: "node2")
        let web1 = Hop(type: .pod, id: "default/web-1")
        let web1Veth = topology.pod("web-1")?.hostVeth(topology.scenario) ?? "web-1's veth"
        let web0Veth = topology.pod("web-0")?.hostVeth(topology.scenario) ?? "web-0's veth"
        let device = topology.scenario == .calicoVXLAN ? "vxlan.calico" : "flannel.1"
        // What the CNI routes to node2's pods (Calico: the block holding them) and node1's, per family.
        let remoteCIDR = topology.node("node2")?.podRoutes(topology.scenario).first ?? "10.244.2.0/24"
        let node1CIDR = topology.node("node1")?.podRoutes(topology.scenario).first ?? "10.244.1.0/24"
        let remoteCIDR6 = topology.node("node2")?.podRoutes6(topology.scenario).first ?? LabIPv6.prefix("10.244.2.0/24")
        let node1CIDR6 = topology.node("node1")?.podRoutes6(topology.scenario).first ?? LabIPv6.prefix("10.244.1.0/24")
        let web1IPv6 = LabIPv6.address("10.244.2.2")
        switch fault {
        // IPv6-only: the down link lost web-1's address, so its netns is no longer known as the pod:
        // node2's bridge lookup names the netns, or (no bridge) the netns itself is the hop.
        case .podEth0Down:
            let web1Netns = Hop.netns(node: "node2", netns: topology.pod("web-1")?.netnsID ?? "pod-web-1")
            return FaultLocation(hop: web1, names: [["eth0 is down"]], alternatives: [node2, web1Netns])
        case .hostVethDown: return FaultLocation(hop: node2, names: [[web1Veth, "down"]])
        case .bridgeDown: return FaultLocation(hop: node2, names: [["cni0 is down"]])
        case .vethDetached: return FaultLocation(hop: node2, names: [[web1Veth, "not attached"]])
        case .remoteRouteDeleted, .routeViaGateway:
            // route-via-gateway: traffic still flows (the router routes pod CIDRs), but node1
            // lacks the route its CNI installs.
            // (IPv6 names: the IPv6-only lab has no IPv4 flow to name the IPv4 route.)
            return FaultLocation(hop: node1, names: [remoteCIDR, remoteCIDR6].flatMap { cidr in
                [["no route for \(cidr)"], ["no route of its own", cidr], ["No usable route", cidr]]
            })
        case .blackholeRoute: return FaultLocation(hop: node1, names: [["blackhole", "10.244.2.2"], ["blackhole", web1IPv6]])
        case .wrongGateway: return FaultLocation(hop: node1, names: [["192.168.56.99"], [LabIPv6.address("192.168.56.99")]])
        case .ipForwardOff: return FaultLocation(hop: node2, names: [["net.ipv4.ip_forward"], ["net.ipv6.conf.all.forwarding"]])
        case .forwardDrop: return FaultLocation(hop: node2, names: [["lab fault: forward-drop"]])
        case .podReject: return FaultLocation(hop: web1, names: [["lab fault: pod-reject"]])
        case .noListener: return FaultLocation(hop: web1, names: [["Nothing listens on 10.244.2.2:8080"],
                                                                  ["Nothing listens on [\(web1IPv6)]:8080"]])
        case .serviceNoEndpoints: return FaultLocation(hop: nil, names: [["default/web has no ready endpoint"]])
        case .vxlanFDBMissing: return FaultLocation(hop: node1, names: [["FDB entry on \(device)"]])
        case .vxlanNeighMissing:
            return FaultLocation(hop: node1, names: [["neighbour entry for the VTEP 10.244.2.", device],
                                                     ["neighbour entry for the VTEP fd00:10:244:2:", device]])
        case .mtuMismatch: return FaultLocation(hop: node1, names: [["MTU 1500", device]])
        case .bridgeNFOff: return FaultLocation(hop: node1, names: [["bridge-nf-call-iptables"]])
        case .hairpinOff: return FaultLocation(hop: node1, names: [[web0Veth, "hairpin"]])
        case .asymmetricReturn:
            // node2's route to node1's pods detours through node3, whose conntrack never saw the
            // request: the route on node2, or the INVALID drop on node3, names it.
            let detour = topology.node("node3").map { topology.scenario.usesVXLAN ? $0.vtepAddress(topology.scenario) : $0.ip }
            let detour6 = detour.map(LabIPv6.address)
            return FaultLocation(hop: node2, names: [[node1CIDR, detour ?? "node3"], [node1CIDR6, detour6 ?? "node3"], ["INVALID"]],
                                 alternatives: [Hop(type: .node, id: "node3")])
        case .markCrossing: return FaultLocation(hop: node2, names: [["lab fault: mark-crossing"]], harmless: true)
        case .rpFilterLocal: return FaultLocation(hop: node1, names: [["rp_filter"]])
        }
    }

    /// Whether `reports` localize the fault: a suspicion of at least Warning, on the faulty hop
    /// (or its alternative; cluster-wide for a cluster object), naming it. For a harmless fault:
    /// no such suspicion anywhere.
    public func isLocalized(in reports: [DiagnosisReport]) -> Bool {
        let naming = reports.contains { report in
            let candidates: [Suspicion]
            if harmless {
                candidates = report.suspicions(atLeast: .warning).map(\.suspicion)
            } else if let hop {
                candidates = ([hop] + alternatives).flatMap { report.path.node($0)?.suspicions ?? [] }
            } else {
                candidates = report.path.clusterSuspicions
            }
            return candidates.contains { suspicion in suspicion.level >= .warning && names(suspicion) }
        }
        return harmless ? !naming : naming
    }

    /// Whether one of the names is wholly in the suspicion's message or evidence.
    func names(_ suspicion: Suspicion) -> Bool {
        let text = suspicion.message + "\n" + (suspicion.evidence ?? "")
        return names.contains { words in !words.isEmpty && words.allSatisfy { text.contains($0) } }
    }
}

/// A Warning-or-worse suspicion on a lab whose flows all should work: one per flow, node and message.
public struct FalseAlarm: Hashable, Sendable {
    /// The flow's name and query.
    public var flow: String
    /// The hop carrying it ("cluster" for a cluster-wide one).
    public var node: String
    /// Its level.
    public var level: SuspicionLevel
    /// Its message.
    public var message: String

    /// One line for the report.
    public var line: String { "\(flow): \(node): \(level.name): \(message)" }

    /// Every Warning-or-worse suspicion of `report` (the diagnosis of `flow`), each once.
    public static func found(in report: DiagnosisReport, flow: LabVerifyFlow) -> [FalseAlarm] {
        var seen = Set<FalseAlarm>()
        return report.suspicions(atLeast: .warning).compactMap { node, suspicion in
            let alarm = FalseAlarm(flow: "\(flow.name) (\(flow.query))", node: node?.id ?? "cluster",
                                   level: suspicion.level, message: suspicion.message)
            return seen.insert(alarm).inserted ? alarm : nil
        }
    }
}
