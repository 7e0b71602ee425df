import SkoopModel
/// One command of a lab plan: an argument array, optional standard input.
public struct LabCommand: Hashable, Sendable, Codable {
    /// The tool and its arguments.
    public var argv: [String]
    /// Standard input (iptables-restore text).
    public var input: String?

    /// Makes a command.
    public init(_ argv: [String], input: String? = nil) {
        self.argv = argv
        self.input = input
    }
}

/// A long-running process of the lab (a listener), started in a netns.
public struct LabListener: Hashable, Sendable, Codable {
    /// The netns id (without the lab prefix).
    public var netnsID: String
    /// The command, run as `nsenter --net=/run/netns/NETNS argv...`.
    public var argv: [String]
}

/// Everything `lab up` does, as values: the netns to create, the commands, the listeners.
public struct LabPlan: Hashable, Sendable {
    /// The netns names (with prefix), in creation order.
    public var netns: [String]
    /// The commands, in order.
    public var commands: [LabCommand]
    /// The listeners to start after the commands.
    public var listeners: [LabListener]
}

/// Turns a topology into a plan. Pure: no I/O.
public struct LabPlanner: Sendable {
    /// The topology to build.
    public var topology: LabTopology
    /// The prefix of every netns name ("PREFIX-node1").
    public var prefix: String

    /// Makes a planner.
    public init(topology: LabTopology, prefix: String) {
        self.topology = topology
        self.prefix = prefix
    }

    /// The real netns name of a lab id.
    public func netns(_ id: String) -> String { "\(prefix)-\(id)" }

    private var scenario: LabScenario { topology.scenario }
    private var fault: LabFault? { topology.fault }
    private var hasIPv4: Bool { topology.ipFamily.hasIPv4 }
    private var hasIPv6: Bool { topology.ipFamily.hasIPv6 }
    func ip(_ id: String, _ args: String...) -> LabCommand { ip(id, args) }
    func ip(_ id: String, _ args: [String]) -> LabCommand { LabCommand(["ip", "-n", netns(id)] + args) }
    func exec(_ id: String, _ args: [String], input: String? = nil) -> LabCommand {
        LabCommand(["ip", "netns", "exec", netns(id)] + args, input: input)
    }
    func sysctl(_ id: String, _ settings: String...) -> LabCommand { exec(id, ["sysctl", "-qw"] + settings) }

    /// The whole plan.
    public func plan() -> LabPlan {
        var commands: [LabCommand] = []
        for id in topology.netnsIDs {
            commands.append(LabCommand(["ip", "netns", "add", netns(id)]))
            commands.append(ip(id, "link", "set", "lo", "up"))
            commands.append(sysctl(id, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"))
        }
        commands += underlayCommands()
        for node in topology.nodes { commands += nodeCommands(node) }
        for pod in topology.pods { commands += podCommands(pod) }
        for node in topology.nodes { commands += iptablesCommands(node) }
        commands += faultCommands()
        if hasIPv6 { commands += ipv6FaultCommands() }
        // One listener per family and port (the IPv6 one dual-stack, as nc -6 is).
        let families: [AddressFamily] = (hasIPv4 ? [.inet] : []) + (hasIPv6 ? [.inet6] : [])
        let listeners = topology.pods.flatMap { pod in
            pod.tcpPorts.flatMap { port in families.map { LabListener.tcp(netnsID: pod.netnsID, family: $0, port: port) } }
        }
        return LabPlan(netns: topology.netnsIDs.map(netns), commands: commands, listeners: listeners)
    }

    private func underlayCommands() -> [LabCommand] {
        var commands = [ip("underlay", "link", "add", "br0", "type", "bridge"), ip("underlay", "link", "set", "br0", "up")]
        for id in topology.nodes.map(\.name) + ["router"] {
            commands += [ip("underlay", "link", "add", "to-\(id)", "type", "veth", "peer", "name", "ens4", "netns", netns(id)),
                         ip("underlay", "link", "set", "to-\(id)", "master", "br0", "up"),
                         ip(id, "link", "set", "ens4", "up")]
        }
        commands += [
            ip("router", "addr", "add", "\(LabTopology.routerIP)/24", "dev", "ens4"),
            ip("router", "link", "add", "ens5", "type", "veth", "peer", "name", "eth0", "netns", netns("ext")),
            ip("router", "addr", "add", "\(LabTopology.routerExternalIP)/24", "dev", "ens5"),
            ip("router", "link", "set", "ens5", "up"),
            // ECMP by addresses, protocol and ports (a custom hash, policy 3): a load balancer's
            // connections reach every node, and a retransmitted SYN the same one (policy 1 reuses
            // the sender's socket hash, which TCP re-randomizes on a retransmission).
            sysctl("router", "net.ipv4.ip_forward=1", "net.ipv4.fib_multipath_hash_policy=3",
                   "net.ipv4.fib_multipath_hash_fields=0x0037"),
            ip("ext", "addr", "add", "\(LabTopology.externalIP)/24", "dev", "eth0"),
            ip("ext", "addr", "add", "\(LabTopology.blockedExternalIP)/24", "dev", "eth0"),
            ip("ext", "link", "set", "eth0", "up"),
            ip("ext", "route", "add", "default", "via", LabTopology.routerExternalIP),
        ]
        if hasIPv6 {
            commands += [
                ip("router", "addr", "add", "\(LabIPv6.address(LabTopology.routerIP))/64", "dev", "ens4"),
                ip("router", "addr", "add", "\(LabIPv6.address(LabTopology.routerExternalIP))/64", "dev", "ens5"),
                sysctl("router", "net.ipv6.conf.all.forwarding=1", "net.ipv6.fib_multipath_hash_policy=3",
                       "net.ipv6.fib_multipath_hash_fields=0x0037"),
                ip("ext", "addr", "add", "\(LabIPv6.address(LabTopology.externalIP))/64", "dev", "eth0"),
                ip("ext", "addr", "add", "\(LabIPv6.address(LabTopology.blockedExternalIP))/64", "dev", "eth0"),
                ip("ext", "-6", "route", "add", "default", "via", LabIPv6.address(LabTopology.routerExternalIP)),
            ]
        }
        if scenario == .bridge || fault == .routeViaGateway {
            // kubenet relies on the cloud's routes: the router knows every pod CIDR.
            commands += topology.nodes.flatMap { node in node.podRoutes(scenario).map { ip("router", "route", "add", $0, "via", node.ip) } }
            if hasIPv6 { commands += topology.nodes.flatMap { node in node.podRoutes6(scenario).map { ip("router", "route", "add", $0, "via", node.ip6) } } }
        }
        // The cloud's load balancer, as routes: the LoadBalancer IP spread over every node
        // (ECMP, destination unchanged), the externalIP to node2.
        commands.append(ip("router", ["route", "add", "\(LabTopology.loadBalancerIP)/32"]
                           + topology.nodes.flatMap { ["nexthop", "via", $0.ip, "dev", "ens4"] }))
        if let node2 = topology.node("node2") {
            commands.append(ip("router", "route", "add", "\(LabTopology.serviceExternalIP)/32", "via", node2.ip, "dev", "ens4"))
        }
        if hasIPv6 {
            commands.append(ip("router", ["route", "add", "\(LabIPv6.address(LabTopology.loadBalancerIP))/128"]
                               + topology.nodes.flatMap { ["nexthop", "via", $0.ip6, "dev", "ens4"] }))
            if let node2 = topology.node("node2") {
                commands.append(ip("router", "route", "add", "\(LabIPv6.address(LabTopology.serviceExternalIP))/128",
                                   "via", node2.ip6, "dev", "ens4"))
            }
        }
        return commands
    }

    private func nodeCommands(_ node: LabNode) -> [LabCommand] {
        let id = node.name
        var commands = [
            ip(id, "addr", "add", "\(node.ip)/24", "dev", "ens4"),
            ip(id, "route", "add", "default", "via", LabTopology.routerIP, "dev", "ens4"),
            sysctl(id, "net.ipv4.ip_forward=1"),
        ]
        if hasIPv6 {
            commands += [ip(id, "addr", "add", "\(node.ip6)/64", "dev", "ens4"),
                         ip(id, "-6", "route", "add", "default", "via", LabIPv6.address(LabTopology.routerIP), "dev", "ens4"),
                         sysctl(id, "net.ipv6.conf.all.forwarding=1")]
        }
        if scenario.usesBridge {
            commands += [ip(id, "link", "add", "cni0", "type", "bridge"),
                         ip(id, "addr", "add", "\(node.bridgeGateway)/24", "dev", "cni0"),
                         ip(id, "link", "set", "cni0", "up"),
                         sysctl(id, "net.bridge.bridge-nf-call-iptables=\(fault == .bridgeNFOff && id == "node1" ? 0 : 1)",
                                "net.bridge.bridge-nf-call-ip6tables=\(fault == .bridgeNFOff && id == "node1" && hasIPv6 ? 0 : 1)")]
            if hasIPv6 { commands.append(ip(id, "addr", "add", "\(node.bridgeGateway6)/64", "dev", "cni0")) }
        }
        if scenario.usesVXLAN {
            let (vni, port) = scenario == .flannelVXLAN ? ("1", "8472") : ("4096", "4789")
            commands += [
                ip(id, "link", "add", vxlanDevice, "type", "vxlan", "id", vni, "local", node.ip, "dev", "ens4",
                   "dstport", port, "nolearning"),
                ip(id, "link", "set", vxlanDevice, "address", node.vtepMAC, "mtu", "1450", "up"),
                ip(id, "addr", "add", "\(node.vtepAddress(scenario))/32", "dev", vxlanDevice),
            ]
            if hasIPv6 { commands.append(ip(id, "addr", "add", "\(node.vtepAddress6(scenario))/128", "dev", vxlanDevice)) }
        }
        if scenario.usesCalicoVeths {
            // The node's own blocks: BIRD (BGP) or Felix (VXLAN, protocol 80) blackholes them, so an
            // unallocated address of a local block goes nowhere; its pods' /32 routes are more specific.
            commands += node.calicoBlocks.map { ip(id, "route", "add", "blackhole", $0, "proto", calicoRouteProtocol) }
            if hasIPv6 { commands += node.calicoBlocks6.map { ip(id, "route", "add", "blackhole", $0, "proto", calicoRouteProtocol) } }
        }
        for other in topology.otherNodes(than: id) { commands += remoteCommands(node, other) }
        return commands
    }

    /// What the CNI installs on `node` to reach `other`'s pods.
    private func remoteCommands(_ node: LabNode, _ other: LabNode) -> [LabCommand] {
        let id = node.name
        var commands: [LabCommand] = []
        switch scenario {
        case .flannelHostGW:
            commands.append(ip(id, "route", "add", other.podCIDR, "via", other.ip, "dev", "ens4"))
            if hasIPv6 { commands.append(ip(id, "route", "add", other.podCIDR6, "via", other.ip6, "dev", "ens4")) }
        case .calicoBGP:
            commands += other.calicoBlocks.map { ip(id, "route", "add", $0, "via", other.ip, "dev", "ens4", "proto", calicoRouteProtocol) }
            if hasIPv6 {
                commands += other.calicoBlocks6.map { ip(id, "route", "add", $0, "via", other.ip6, "dev", "ens4", "proto", calicoRouteProtocol) }
            }
        case .flannelVXLAN, .calicoVXLAN:
            let device = vxlanDevice
            let calico = scenario == .calicoVXLAN ? ["proto", calicoRouteProtocol] : []
            commands += other.podRoutes(scenario).map {
                ip(id, ["route", "add", $0, "via", other.vtepAddress(scenario), "dev", device, "onlink"] + calico)
            }
            let broken = id == "node1" && other.name == "node2"
            if !(broken && fault == .vxlanNeighMissing) {
                commands.append(ip(id, "neigh", "add", other.vtepAddress(scenario), "lladdr", other.vtepMAC,
                                   "dev", device, "nud", "permanent"))
            }
            // IPv6 inside the same tunnel: the v6 VTEP address shares the node's VTEP MAC, so
            // the one FDB entry carries both families.
            if hasIPv6 {
                commands += other.podRoutes6(scenario).map {
                    ip(id, ["route", "add", $0, "via", other.vtepAddress6(scenario), "dev", device, "onlink"] + calico)
                }
                if !(broken && fault == .vxlanNeighMissing) {
                    commands.append(ip(id, "neigh", "add", other.vtepAddress6(scenario), "lladdr", other.vtepMAC,
                                       "dev", device, "nud", "permanent"))
                }
            }
            if !(broken && fault == .vxlanFDBMissing) {
                commands.append(LabCommand(["bridge", "-n", netns(id), "fdb", "append", other.vtepMAC, "dev", device,
                                            "dst", other.ip]))
            }
        case .bridge:
            break
        }
        return commands
    }

    /// The protocol of Calico's block routes: BIRD's under BGP, Felix's (80) under VXLAN.
    private var calicoRouteProtocol: String { scenario == .calicoVXLAN ? "80" : "bird" }

    /// The prefix the CNI routes to `node`'s pods (Calico: the block holding them).
    private func podRoute(_ node: String) -> String { topology.node(node)?.podRoutes(scenario).first ?? "" }
    /// The IPv6 route to `node`'s pods (Calico: the IPv6 block holding them).
    func podRoute6(_ node: String) -> String { topology.node(node)?.podRoutes6(scenario).first ?? "" }

    /// pod-reject's rule in web-1's own INPUT chain, for one family (iptables or ip6tables).
    func podReject(family: AddressFamily) -> LabCommand {
        let (tool, reject) = family == .inet ? ("iptables", "icmp-port-unreachable") : ("ip6tables", "icmp6-port-unreachable")
        return exec(topology.pod("web-1")?.netnsID ?? "pod-web-1", ["\(tool)-\(topology.backend.rawValue)-restore"], input: """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            -A INPUT -p tcp -m comment --comment "lab fault: pod-reject" -m tcp --dport 8080 -j REJECT --reject-with \(reject)
            COMMIT

            """)
    }

    /// The VXLAN device of the scenario.
    var vxlanDevice: String { scenario == .calicoVXLAN ? "vxlan.calico" : "flannel.1" }

    private func podCommands(_ pod: LabPod) -> [LabCommand] {
        guard let node = topology.node(pod.node) else { return [] }
        let veth = pod.hostVeth(scenario), podNS = pod.netnsID
        let mtu = String(fault == .mtuMismatch && pod.node == "node1" ? 1500 : scenario.podMTU)
        var commands = [ip(node.name, "link", "add", veth, "mtu", mtu, "type", "veth", "peer", "name", "eth0",
                           "mtu", mtu, "netns", netns(podNS))]
        if scenario.usesCalicoVeths {
            commands += [
                ip(node.name, "link", "set", veth, "address", "ee:ee:ee:ee:ee:ee", "up"),
                sysctl(node.name, "net.ipv4.conf.\(veth).proxy_arp=1", "net.ipv4.neigh.\(veth).proxy_delay=0"),
                ip(podNS, "link", "set", "eth0", "up"),
            ]
            if hasIPv4 {
                commands += [ip(node.name, "route", "add", "\(pod.ip)/32", "dev", veth, "scope", "link"),
                             ip(podNS, "addr", "add", "\(pod.ip)/32", "dev", "eth0"),
                             ip(podNS, "route", "add", "169.254.1.1", "dev", "eth0", "scope", "link"),
                             ip(podNS, "route", "add", "default", "via", "169.254.1.1", "dev", "eth0", "onlink")]
            }
            if let ip6 = pod.ip6 {
                // The host veth's own link-local address (EUI-64 of ee:ee:ee:ee:ee:ee) is the gateway.
                commands += [ip(node.name, "route", "add", "\(ip6)/128", "dev", veth),
                             ip(podNS, "addr", "add", "\(ip6)/128", "dev", "eth0"),
                             ip(podNS, "-6", "route", "add", "default", "via", LabIPv6.calicoGateway, "dev", "eth0")]
            }
        } else {
            commands += [
                ip(node.name, "link", "set", veth, "master", "cni0", "up"),
                ip(podNS, "link", "set", "eth0", "up"),
            ]
            if hasIPv4 {
                commands += [ip(podNS, "addr", "add", "\(pod.ip)/24", "dev", "eth0"),
                             ip(podNS, "route", "add", "default", "via", node.bridgeGateway, "dev", "eth0")]
            }
            if let ip6 = pod.ip6 {
                commands += [ip(podNS, "addr", "add", "\(ip6)/64", "dev", "eth0"),
                             ip(podNS, "-6", "route", "add", "default", "via", node.bridgeGateway6, "dev", "eth0")]
            }
            if !(fault == .hairpinOff && pod.name == "web-0") {
                commands.append(LabCommand(["bridge", "-n", netns(node.name), "link", "set", "dev", veth, "hairpin", "on"]))
            }
        }
        return commands
    }

    private func iptablesCommands(_ node: LabNode) -> [LabCommand] {
        let masqueradeChain: String
        switch scenario {
        case .flannelHostGW, .flannelVXLAN: masqueradeChain = "FLANNEL-POSTRTG"
        case .calicoBGP, .calicoVXLAN: masqueradeChain = "cali-nat-outgoing"
        case .bridge: masqueradeChain = "IP-MASQ"
        }
        let cluster = LabTopology.clusterCIDR
        let masquerade = [
            "-A POSTROUTING -m comment --comment \"\(scenario.cniName) masquerade\" -j \(masqueradeChain)",
            "-A \(masqueradeChain) -s \(cluster) -d \(cluster) -j RETURN",
            "-A \(masqueradeChain) -s \(cluster) ! -d 224.0.0.0/4 -j MASQUERADE --random-fully",
        ]
        var forward: [String] = []
        if fault == .forwardDrop && node.name == "node2", let web1 = topology.pod("web-1") {
            forward.append("-A FORWARD -d \(web1.ip)/32 -p tcp -m comment --comment \"lab fault: forward-drop\" -m tcp --dport 8080 -j DROP")
        }
        if fault == .markCrossing && node.name == "node2" {
            forward.append("-A FORWARD -m mark --mark \(Self.crossingMark) -m comment --comment \"lab fault: mark-crossing\" -j DROP")
        }
        let restore = ["iptables-\(topology.backend.rawValue)-restore"]
        let cluster6 = LabTopology.clusterCIDR6
        // The CNI's IPv6 masquerade: the same shape in ip6tables.
        let masquerade6 = [
            "-A POSTROUTING -m comment --comment \"\(scenario.cniName) masquerade\" -j \(masqueradeChain)",
            "-A \(masqueradeChain) -s \(cluster6) -d \(cluster6) -j RETURN",
            "-A \(masqueradeChain) -s \(cluster6) ! -d ff00::/8 -j MASQUERADE --random-fully",
        ]
        let restore6 = ["ip6tables-\(topology.backend.rawValue)-restore"]
        let services6 = topology.services.compactMap { $0.family(.inet6) }
        if topology.proxyMode == .nftables {
            let cni = KubeProxyRules.cniRestoreText(filterForward: forward, natPostrouting: masquerade, natChains: [masqueradeChain])
            var commands = [exec(node.name, restore, input: cni)]
            if hasIPv4 {
                let nft = KubeProxyNftRules.nftText(services: topology.services, clusterCIDR: cluster,
                                                    serviceCIDR: LabTopology.serviceCIDR, nodeIPs: [node.ip])
                commands.append(exec(node.name, ["nft", "-f", "-"], input: nft))
            }
            if hasIPv6 {
                // kube-proxy's IPv6 proxier: its own `ip6 kube-proxy` table.
                let cni6 = KubeProxyRules.cniRestoreText(filterForward: forward6(node), natPostrouting: masquerade6,
                                                         natChains: [masqueradeChain])
                let nft6 = KubeProxyNftRules.nftText(services: services6, clusterCIDR: cluster6, serviceCIDR: LabIPv6.serviceCIDR,
                                                     nodeIPs: [node.ip6], family: .inet6)
                commands += [exec(node.name, restore6, input: cni6), exec(node.name, ["nft", "-f", "-"], input: nft6)]
            }
            return commands
        }
        // IPv6-only: kube-proxy has no IPv4 service to write (the CNI's IPv4 rules stay).
        let text = KubeProxyRules.restoreText(services: hasIPv4 ? topology.services : [], clusterCIDR: cluster,
                                              extraFilterForward: forward, extraNatPostrouting: masquerade,
                                              extraNatChains: [masqueradeChain])
        var commands = [exec(node.name, restore, input: text)]
        if hasIPv6 {
            // kube-proxy's IPv6 proxier beside the CNI's IPv6 masquerade.
            let text6 = KubeProxyRules.restoreText(services: services6, clusterCIDR: cluster6, extraFilterForward: forward6(node),
                                                   extraNatPostrouting: masquerade6, extraNatChains: [masqueradeChain],
                                                   family: .inet6)
            commands.append(exec(node.name, restore6, input: text6))
        }
        return commands
    }

    /// The fault rules in node's ip6tables FORWARD: forward-drop's drop of web-1's IPv6 address
    /// (the other faults' rules are IPv4 only: see `LabFault.ipv4OnlyReason`).
    private func forward6(_ node: LabNode) -> [String] {
        guard fault == .forwardDrop && node.name == "node2", let web1 = topology.pod("web-1")?.ip6 else { return [] }
        return ["-A FORWARD -d \(web1)/128 -p tcp -m comment --comment \"lab fault: forward-drop\" -m tcp --dport 8080 -j DROP"]
    }

    /// The mark node1 sets and node2 drops in the mark-crossing fault (not one kube-proxy uses:
    /// KUBE-POSTROUTING clears 0x4000 itself before a packet leaves).
    static let crossingMark = "0x1000/0x1000"

    private func faultCommands() -> [LabCommand] {
        guard let fault, let web1 = topology.pod("web-1") else { return [] }
        let veth = web1.hostVeth(scenario)
        switch fault {
        case .podEth0Down: return [ip(web1.netnsID, "link", "set", "eth0", "down")]
        case .hostVethDown: return [ip("node2", "link", "set", veth, "down")]
        case .bridgeDown: return [ip("node2", "link", "set", "cni0", "down")]
        case .vethDetached: return [ip("node2", "link", "set", veth, "nomaster")]
        case .remoteRouteDeleted, .routeViaGateway: return [ip("node1", "route", "del", podRoute("node2"))]
        case .blackholeRoute: return [ip("node1", "route", "add", "blackhole", "\(web1.ip)/32")]
        case .wrongGateway: return [ip("node1", "route", "replace", podRoute("node2"), "via", Self.wrongGateway, "dev", "ens4")]
        case .ipForwardOff: return [sysctl("node2", "net.ipv4.ip_forward=0")]
        case .podReject: return [podReject(family: .inet)]
        case .asymmetricReturn:
            // node2's replies to node1's pods go to node3 (its underlay address or VTEP), which
            // forwards them on to node1 with its own CNI route.
            guard let detour = topology.node("node3") else { return [] }
            if scenario.usesVXLAN {
                return [ip("node2", "route", "replace", podRoute("node1"), "via", detour.vtepAddress(scenario),
                           "dev", vxlanDevice, "onlink")]
            }
            return [ip("node2", "route", "replace", podRoute("node1"), "via", detour.ip, "dev", "ens4")]
        case .markCrossing:
            return [exec("node1", ["iptables-\(topology.backend.rawValue)-restore"], input: """
                *mangle
                :PREROUTING ACCEPT [0:0]
                :INPUT ACCEPT [0:0]
                :FORWARD ACCEPT [0:0]
                :OUTPUT ACCEPT [0:0]
                :POSTROUTING ACCEPT [0:0]
                -A PREROUTING -m comment --comment "lab fault: mark-crossing" -j MARK --set-xmark \(Self.crossingMark)
                COMMIT

                """)]
        case .rpFilterLocal:
            // Strict reverse-path filtering on node1, and a direct route back to client2 over the
            // underlay: client2's packets to node1's VTEP address arrive through the tunnel, but
            // the reverse route leaves through ens4. (Without rp_filter both ways would work.)
            guard let node2 = topology.node("node2"), let client2 = topology.pod("client2") else { return [] }
            return [ip("node1", "route", "add", "\(client2.ip)/32", "via", node2.ip, "dev", "ens4"),
                    sysctl("node1", "net.ipv4.conf.all.rp_filter=1")]
        case .forwardDrop, .noListener, .serviceNoEndpoints, .vxlanFDBMissing, .vxlanNeighMissing, .mtuMismatch,
             .bridgeNFOff, .hairpinOff:
            return []  // built into the topology or the node setup above
        }
    }
}
