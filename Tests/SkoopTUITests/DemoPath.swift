import SkoopModel
import SkoopTUI

/// The hand-built PacketPath behind `DemoDriver`.
enum DemoPath {
    static let client = Hop(type: .pod, id: "default/client")
    static let nodeA = Hop(type: .node, id: "node-a")
    static let nodeB = Hop(type: .node, id: "node-b")
    static let web0 = Hop(type: .pod, id: "default/web-0")
    static let web1Drop = "-A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP"

    static func packet(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16) -> Packet {
        Packet(src: IPAddress(src) ?? .v4(IPv4Address(value: 0)), sport: sport,
               dst: IPAddress(dst) ?? .v4(IPv4Address(value: 0)), dport: dport, proto: .tcp)
    }

    static func entry(_ hook: String, _ table: String, _ chain: String, _ rule: String, _ matched: Bool,
                      _ verdict: String, note: String? = nil) -> NetfilterTraceEntry {
        NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: rule, matched: matched, verdict: verdict, note: note)
    }

    static func serviceTrace(backend: Int) -> [NetfilterTraceEntry] {
        let svc = "-A KUBE-SVC-WEB -m comment --comment \"default/web\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-WEB0"
        let address = backend == 0 ? "10.244.2.7" : "10.244.2.8"
        return [
            entry("PREROUTING", "nat", "PREROUTING", "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", true, "JUMP"),
            entry("PREROUTING", "nat", "KUBE-SERVICES", "-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB", true, "JUMP"),
            entry("PREROUTING", "nat", "KUBE-SVC-WEB", svc, backend == 0, backend == 0 ? "JUMP" : "CONTINUE",
                  note: "random match: both outcomes followed"),
        ] + (backend == 1 ? [entry("PREROUTING", "nat", "KUBE-SVC-WEB", "-A KUBE-SVC-WEB -m comment --comment \"default/web\" -j KUBE-SEP-WEB1", true, "JUMP")] : []) + [
            entry("PREROUTING", "nat", "KUBE-SEP-WEB\(backend)", "-A KUBE-SEP-WEB\(backend) -p tcp -m tcp -j DNAT --to-destination \(address):8080", true, "DNAT"),
            entry("FORWARD", "filter", "FORWARD", "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD", true, "JUMP"),
            entry("FORWARD", "filter", "KUBE-FORWARD", "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP", false, "CONTINUE"),
            entry("FORWARD", "filter", "KUBE-FORWARD", "-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT", false, "CONTINUE"),
            entry("FORWARD", "filter", "FORWARD", "-A FORWARD -s 10.244.0.0/16 -j ACCEPT", true, "ACCEPT"),
            entry("POSTROUTING", "nat", "POSTROUTING", "-A POSTROUTING -j KUBE-POSTROUTING", true, "JUMP"),
            entry("POSTROUTING", "nat", "KUBE-POSTROUTING", "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN", true, "RETURN"),
        ]
    }

    static func make() -> (path: PacketPath, steps: [DiagnosisStep]) {
        let original = packet("10.244.1.5", 40000, "10.96.0.20", 80)
        let toWeb0 = packet("10.244.1.5", 40000, "10.244.2.7", 8080)
        let toWeb1 = packet("10.244.1.5", 40000, "10.244.2.8", 8080)
        let vxlanRoute = RouteDecision(destination: "10.244.2.7", table: "main", route: "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink",
                                       outcome: "unicast", outInterface: "flannel.1", gateway: "10.244.2.0")
        var links = [
            Link(type: .veth, source: client, destination: nodeA, action: .send, packet: original,
                 sourceAttributes: ["if": "eth0", "ip": "10.244.1.5"], destinationAttributes: ["if": "veth1a2b3c"],
                 routes: [RouteDecision(destination: "10.96.0.20", table: "main", route: "default via 10.244.1.1 dev eth0",
                                        outcome: "unicast", outInterface: "eth0", gateway: "10.244.1.1")],
                 netfilter: [entry("OUTPUT", "filter", "OUTPUT", "-P OUTPUT ACCEPT", true, "POLICY ACCEPT")]),
            Link(type: .vxlan, source: nodeA, destination: nodeB, action: .service, packet: toWeb0, packetIn: original,
                 sourceAttributes: ["if": "flannel.1", "ip": "10.244.1.0"], destinationAttributes: ["if": "flannel.1"],
                 routes: [vxlanRoute], netfilter: serviceTrace(backend: 0), probability: 0.5),
            Link(type: .vxlan, source: nodeA, destination: nodeB, action: .service, packet: toWeb1, packetIn: original,
                 sourceAttributes: ["if": "flannel.1", "ip": "10.244.1.0"], destinationAttributes: ["if": "flannel.1"],
                 routes: [vxlanRoute], netfilter: serviceTrace(backend: 1), probability: 0.5),
            Link(type: .veth, source: nodeB, destination: web0, action: .forward, packet: toWeb0,
                 sourceAttributes: ["if": "cni0"], destinationAttributes: ["if": "eth0", "ip": "10.244.2.7"],
                 routes: [RouteDecision(destination: "10.244.2.7", table: "main", route: "10.244.2.0/24 dev cni0 scope link",
                                        outcome: "unicast", outInterface: "cni0")],
                 netfilter: [entry("FORWARD", "filter", "FORWARD", web1Drop, false, "CONTINUE"),
                             entry("FORWARD", "filter", "FORWARD", "-A FORWARD -d 10.244.0.0/16 -j ACCEPT", true, "ACCEPT")]),
            Link(type: .local, source: nodeB, destination: nil, action: .drop, packet: toWeb1,
                 sourceAttributes: ["if": "flannel.1"],
                 netfilter: [entry("FORWARD", "filter", "FORWARD", web1Drop, true, "DROP")]),
            Link(type: .local, source: web0, destination: nil, action: .serve, packet: toWeb0,
                 sourceAttributes: ["socket": "0.0.0.0:8080 LISTEN nginx"],
                 netfilter: [entry("INPUT", "filter", "INPUT", "-P INPUT ACCEPT", true, "POLICY ACCEPT")]),
        ]
        let parents: [Int?] = [nil, 0, 0, 1, 2, 3]
        let levels = [0, 1, 1, 2, 2, 3]
        for index in links.indices {
            links[index].id = index
            links[index].parent = parents[index]
            links[index].level = levels[index]
        }
        let nodes = [
            NetNode(type: .pod, id: client.id, suspicions: [
                Suspicion(level: .info, message: "no NetworkPolicy selects default/client: egress is unrestricted"),
            ]),
            NetNode(type: .node, id: nodeA.id, suspicions: [
                Suspicion(level: .warning, message: "rp_filter is strict on flannel.1: asymmetric replies would be dropped",
                          evidence: "net.ipv4.conf.flannel/1.rp_filter = 1", hint: "set rp_filter to 2 (loose) on flannel.1"),
                Suspicion(level: .info, message: "service default/web has 2 endpoints; kube-proxy picks one at random",
                          evidence: "KUBE-SVC-WEB statistic --probability 0.5"),
            ]),
            NetNode(type: .node, id: nodeB.id, suspicions: [
                Suspicion(level: .fatal, message: "a FORWARD rule drops traffic to backend default/web-1 (10.244.2.8:8080)",
                          evidence: web1Drop, hint: "delete it: iptables -D FORWARD -d 10.244.2.8/32 -p tcp --dport 8080 -j DROP"),
                Suspicion(level: .critical, message: "FORWARD policy is DROP: pod traffic not accepted explicitly is lost",
                          evidence: ":FORWARD DROP", hint: "accept the pod CIDR in FORWARD or set the policy to ACCEPT"),
            ]),
            NetNode(type: .pod, id: web0.id, suspicions: [
                Suspicion(level: .info, message: "nginx listens on 0.0.0.0:8080", evidence: "ss: LISTEN 0.0.0.0:8080 users:((\"nginx\"))"),
            ]),
        ]
        let steps = [
            DiagnosisStep(number: 1, processedLink: nil, actor: client, addedLinks: [0], addedNodes: [client, nodeA]),
            DiagnosisStep(number: 2, processedLink: 0, actor: nodeA, addedLinks: [1, 2], addedNodes: [nodeB]),
            DiagnosisStep(number: 3, processedLink: 1, actor: nodeB, addedLinks: [3], addedNodes: [web0]),
            DiagnosisStep(number: 4, processedLink: 2, actor: nodeB, addedLinks: [4], addedNodes: []),
            DiagnosisStep(number: 5, processedLink: 3, actor: web0, addedLinks: [5], addedNodes: []),
        ]
        let cluster = [Suspicion(level: .warning, message: "service default/web: 1 of 2 endpoints cannot be reached",
                                 evidence: "endpointslice web-abcde", hint: "see node-b's FORWARD chain")]
        return (PacketPath(nodes: nodes, links: links, clusterSuspicions: cluster), steps)
    }

    static func ruleset(for hop: Hop) -> [RulesetChainView] {
        switch hop {
        case nodeB:
            return [
                RulesetChainView(table: "filter", chain: "FORWARD", policy: "DROP", rules: [
                    RulesetRuleView(rule: web1Drop, packets: 17, bytes: 1020),
                    RulesetRuleView(rule: "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD", packets: 3120, bytes: 402_113),
                    RulesetRuleView(rule: "-A FORWARD -d 10.244.0.0/16 -j ACCEPT", packets: 2980, bytes: 380_221),
                ]),
                RulesetChainView(table: "filter", chain: "KUBE-FORWARD", rules: [
                    RulesetRuleView(rule: "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP", packets: 0, bytes: 0),
                    RulesetRuleView(rule: "-A KUBE-FORWARD -m mark --mark 0x4000/0x4000 -j ACCEPT", packets: 0, bytes: 0),
                ]),
            ]
        case nodeA:
            return [
                RulesetChainView(table: "nat", chain: "PREROUTING", policy: "ACCEPT", rules: [
                    RulesetRuleView(rule: "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES", packets: 530, bytes: 31_800),
                ]),
                RulesetChainView(table: "nat", chain: "KUBE-SERVICES", rules: [
                    RulesetRuleView(rule: "-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment \"default/web cluster IP\" -m tcp --dport 80 -j KUBE-SVC-WEB", packets: 40, bytes: 2400),
                ]),
                RulesetChainView(table: "nat", chain: "KUBE-SVC-WEB", rules: [
                    RulesetRuleView(rule: "-A KUBE-SVC-WEB -m comment --comment \"default/web\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-WEB0", packets: 21, bytes: 1260),
                    RulesetRuleView(rule: "-A KUBE-SVC-WEB -m comment --comment \"default/web\" -j KUBE-SEP-WEB1", packets: 19, bytes: 1140),
                ]),
                RulesetChainView(table: "nat", chain: "KUBE-SEP-WEB0", rules: [
                    RulesetRuleView(rule: "-A KUBE-SEP-WEB0 -p tcp -m tcp -j DNAT --to-destination 10.244.2.7:8080", packets: 21, bytes: 1260),
                ]),
                RulesetChainView(table: "nat", chain: "KUBE-SEP-WEB1", rules: [
                    RulesetRuleView(rule: "-A KUBE-SEP-WEB1 -p tcp -m tcp -j DNAT --to-destination 10.244.2.8:8080", packets: 19, bytes: 1140),
                ]),
            ]
        default:
            return []
        }
    }
}
