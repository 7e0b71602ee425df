/// A lab cluster shape: how pods are wired and how nodes reach each other's pods.
public enum LabScenario: String, CaseIterable, Hashable, Sendable, Codable {
    /// cni0 bridge per node, remote pod CIDR via the remote node IP on the underlay.
    case flannelHostGW = "flannel-hostgw"
    /// cni0 bridge per node, remote pod CIDR through flannel.1 (VXLAN id 1, port 8472).
    case flannelVXLAN = "flannel-vxlan"
    /// Calico style: per-pod cali* host veths, /32 routes, proxy ARP, BGP-like node routes.
    case calicoBGP = "calico-bgp"
    /// Calico style pods with the remote pod CIDR through vxlan.calico (VNI 4096, port 4789).
    case calicoVXLAN = "calico-vxlan"
    /// kubenet-like: cni0 bridge per node, pod CIDRs routed by the router (cloud routes).
    case bridge

    /// One line for `skoop lab list`.
    public var summary: String {
        switch self {
        case .flannelHostGW: "flannel host-gw: cni0 bridges, remote pod CIDR via the other node's IP"
        case .flannelVXLAN: "flannel vxlan: cni0 bridges, flannel.1 VTEPs (VNI 1, port 8472), pod MTU 1450"
        case .calicoBGP: "calico BGP: cali* veths without a bridge, /32 routes, proxy ARP, 169.254.1.1 gateway"
        case .calicoVXLAN: "calico vxlan: cali* veths, remote pod CIDR through vxlan.calico (VNI 4096), MTU 1450"
        case .bridge: "kubenet-like bridge: cni0 bridges, pod CIDRs routed by the underlay router"
        }
    }

    /// Whether pods hang off a cni0 bridge.
    public var usesBridge: Bool { self == .flannelHostGW || self == .flannelVXLAN || self == .bridge }
    /// Whether remote pod CIDRs go through a VXLAN device.
    public var usesVXLAN: Bool { self == .flannelVXLAN || self == .calicoVXLAN }
    /// Whether pods use Calico's per-pod veths.
    public var usesCalicoVeths: Bool { self == .calicoBGP || self == .calicoVXLAN }
    /// The MTU of pod interfaces.
    public var podMTU: Int { usesVXLAN ? 1450 : 1500 }
    /// The CNI's name (in rule comments; detection finds it from the ConfigMaps and nodes).
    public var cniName: String {
        switch self {
        case .flannelHostGW, .flannelVXLAN: "flannel"
        case .calicoBGP, .calicoVXLAN: "calico"
        case .bridge: "bridge"
        }
    }
}

/// One deliberate breakage a lab can be built with.
public enum LabFault: String, CaseIterable, Hashable, Sendable, Codable {
    case podEth0Down = "pod-eth0-down"
    case hostVethDown = "host-veth-down"
    case bridgeDown = "bridge-down"
    case vethDetached = "veth-detached"
    case remoteRouteDeleted = "remote-route-deleted"
    case routeViaGateway = "route-via-gateway"
    case blackholeRoute = "blackhole-route"
    case wrongGateway = "wrong-gateway"
    case ipForwardOff = "ip-forward-off"
    case forwardDrop = "forward-drop"
    case podReject = "pod-reject"
    case noListener = "no-listener"
    case serviceNoEndpoints = "service-no-endpoints"
    case vxlanFDBMissing = "vxlan-fdb-missing"
    case vxlanNeighMissing = "vxlan-neigh-missing"
    case mtuMismatch = "mtu-mismatch"
    case bridgeNFOff = "bridge-nf-off"
    case hairpinOff = "hairpin-off"
    case asymmetricReturn = "asymmetric-return"
    case markCrossing = "mark-crossing"
    case rpFilterLocal = "rp-filter-local"

    /// One line for `skoop lab list`.
    public var summary: String {
        switch self {
        case .podEth0Down: "web-1's eth0 is down inside the pod"
        case .hostVethDown: "web-1's host-side veth is down on node2"
        case .bridgeDown: "node2's cni0 bridge is down"
        case .vethDetached: "web-1's host veth is not attached to node2's cni0"
        case .remoteRouteDeleted: "node1 has no route to node2's pod CIDR"
        case .routeViaGateway:
            "node1 has no route to node2's pod CIDR, but the underlay router routes pod CIDRs: traffic still flows through the router"
        case .blackholeRoute: "node1 blackholes web-1's address (10.244.2.2/32)"
        case .wrongGateway: "node1 routes node2's pod CIDR via a gateway that does not exist"
        case .ipForwardOff: "node2 has net.ipv4.ip_forward=0"
        case .forwardDrop: "node2's filter FORWARD drops traffic to web-1 (one of web's two backends)"
        case .podReject: "web-1 rejects tcp 8080 in its own INPUT chain"
        case .noListener: "nothing listens on web-1's port 8080"
        case .serviceNoEndpoints: "service default/web has no endpoints (kube-proxy REJECTs it)"
        case .vxlanFDBMissing: "node1's VXLAN FDB entry for node2's VTEP is missing"
        case .vxlanNeighMissing: "node1's neighbour entry for node2's VTEP address is missing"
        case .mtuMismatch: "node1's pods use MTU 1500 over a 1450 VXLAN: large DF packets fail"
        case .bridgeNFOff: "node1 has bridge-nf-call-iptables=0: a service with a same-node backend breaks"
        case .hairpinOff: "web-0's bridge port has hairpin off: web-0 cannot reach itself through its service"
        case .asymmetricReturn:
            "node2 routes node1's pod CIDR through a third node, node3: replies detour, and node3's conntrack, which never saw the SYN, finds the SYN-ACK INVALID (kube-proxy drops it)"
        case .markCrossing:
            "node1 marks what it receives 0x1000 and node2's FORWARD drops that mark: harmless, a mark does not survive entering another netns"
        case .rpFilterLocal:
            "node1 has strict rp_filter and routes client2 back over ens4: client2's packets to node1's VTEP address arrive through the tunnel and fail the reverse-path check"
        }
    }

    /// Whether the fault means something in `scenario`.
    public func applies(to scenario: LabScenario) -> Bool {
        switch self {
        case .bridgeDown, .vethDetached, .bridgeNFOff, .hairpinOff: scenario.usesBridge
        case .vxlanFDBMissing, .vxlanNeighMissing, .mtuMismatch, .rpFilterLocal: scenario.usesVXLAN
        case .remoteRouteDeleted, .routeViaGateway: scenario != .bridge
        case .wrongGateway: scenario == .flannelHostGW || scenario == .calicoBGP
        default: true
        }
    }

    /// The scenarios where the fault applies.
    public var scenarios: [LabScenario] { LabScenario.allCases.filter(applies(to:)) }
}
