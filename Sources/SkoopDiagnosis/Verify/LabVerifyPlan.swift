import SkoopModel
import SkoopCollector

/// One lab to verify: a scenario, healthy or with one fault.
public struct LabVerifyCase: Hashable, Sendable, CustomStringConvertible {
    /// The scenario.
    public var scenario: LabScenario
    /// The fault, nil for the healthy lab.
    public var fault: LabFault?

    /// Makes a case.
    public init(scenario: LabScenario, fault: LabFault? = nil) {
        self.scenario = scenario
        self.fault = fault
    }

    public var description: String { scenario.rawValue + (fault.map { "+\($0.rawValue)" } ?? "") }

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
    /// Whether one extra probe of it is traced rule by rule (nft backend, tcp): the flows through
    /// kube-proxy's NAT (ClusterIP, NodePort); a subset, to keep `--all` within minutes.
    public var traced: Bool = false

    /// The flows of the standard lab topology.
    public static func standard(for topology: LabTopology) -> [LabVerifyFlow] {
        func flow(_ name: String, _ source: String, _ querySource: String, _ destination: String, _ queryDestination: String,
                  _ port: Int?, _ proto: TransportProtocol = .tcp, loadBalanced: Bool = false) -> LabVerifyFlow {
            LabVerifyFlow(name: name, probe: LabFlow(source: source, destination: destination, port: port, proto: proto),
                          query: DiagnosisQuery(src: querySource, dst: queryDestination, dport: UInt16(port ?? 0), proto: proto),
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
        ]
        for index in flows.indices where ["pod->ClusterIP", "ext->NodePort"].contains(flows[index].name) {
            flows[index].traced = true
        }
        if topology.fault == .serviceNoEndpoints {
            // Nothing to balance: kube-proxy rejects every connection.
            for index in flows.indices { flows[index].loadBalanced = false }
        }
        return flows
    }
}

/// Where a fault is, as Skoop should report it: the hop carrying the suspicion and the words
/// (interface, route, rule, sysctl) that name the broken object.
public struct FaultLocation: Hashable, Sendable {
    /// The faulty hop, nil when the fault is a cluster object (a service).
    public var hop: Hop?
    /// Any of these in a suspicion's message or evidence names the faulty object.
    public var keywords: [String]

    /// Where `fault` was applied in `topology`.
    public static func of(_ fault: LabFault, in topology: LabTopology) -> FaultLocation {
        let node1 = Hop(type: .node, id: "node1"), node2 = Hop(type: .node, id: "node2")
        let web1 = Hop(type: .pod, id: "default/web-1")
        let web1Veth = topology.pod("web-1")?.hostVeth(topology.scenario) ?? "web-1's veth"
        let web0Veth = topology.pod("web-0")?.hostVeth(topology.scenario) ?? "web-0's veth"
        let device = topology.scenario == .calicoVXLAN ? "vxlan.calico" : "flannel.1"
        switch fault {
        case .podEth0Down: return FaultLocation(hop: web1, keywords: ["eth0"])
        case .hostVethDown: return FaultLocation(hop: node2, keywords: [web1Veth])
        case .bridgeDown: return FaultLocation(hop: node2, keywords: ["cni0"])
        case .vethDetached: return FaultLocation(hop: node2, keywords: [web1Veth])
        case .remoteRouteDeleted: return FaultLocation(hop: node1, keywords: ["no route for 10.244.2.0/24"])
        case .blackholeRoute: return FaultLocation(hop: node1, keywords: ["blackhole"])
        case .wrongGateway: return FaultLocation(hop: node1, keywords: ["192.168.56.99"])
        case .ipForwardOff: return FaultLocation(hop: node2, keywords: ["ip_forward"])
        case .forwardDrop: return FaultLocation(hop: node2, keywords: ["lab fault: forward-drop"])
        case .podReject: return FaultLocation(hop: web1, keywords: ["lab fault: pod-reject"])
        case .noListener: return FaultLocation(hop: web1, keywords: ["Nothing listens on 10.244.2.2:8080"])
        case .serviceNoEndpoints: return FaultLocation(hop: nil, keywords: ["default/web has no ready endpoint"])
        case .vxlanFDBMissing: return FaultLocation(hop: node1, keywords: ["FDB entry on \(device)"])
        case .vxlanNeighMissing: return FaultLocation(hop: node1, keywords: ["neighbour entry for the VTEP"])
        case .mtuMismatch: return FaultLocation(hop: node1, keywords: ["MTU"])
        case .bridgeNFOff: return FaultLocation(hop: node1, keywords: ["bridge-nf-call-iptables"])
        case .hairpinOff: return FaultLocation(hop: node1, keywords: [web0Veth])
        }
    }

    /// Whether `reports` localize the fault: a suspicion of at least Warning, on the faulty hop
    /// (or cluster-wide for a cluster object), whose message or evidence names it.
    public func isLocalized(in reports: [DiagnosisReport]) -> Bool {
        reports.contains { report in
            let candidates: [Suspicion]
            if let hop {
                candidates = report.path.node(hop)?.suspicions ?? []
            } else {
                candidates = report.path.clusterSuspicions
            }
            return candidates.contains { suspicion in
                suspicion.level >= .warning && keywords.contains { keyword in
                    suspicion.message.contains(keyword) || suspicion.evidence?.contains(keyword) == true
                }
            }
        }
    }
}
