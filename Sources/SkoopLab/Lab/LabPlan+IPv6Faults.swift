extension LabFault {
    /// Why the fault breaks only IPv4 in a dual-stack lab, nil when it breaks both families (a
    /// link or bridge fault does by itself; a route, rule or sysctl fault gets its IPv6 twin).
    public var ipv4OnlyReason: String? {
        switch self {
        case .markCrossing: "harmless by design; its mark rules are written in iptables only"
        case .rpFilterLocal: "rp_filter is an IPv4 sysctl (IPv6 has no reverse-path sysctl, only ip6tables' rpfilter match)"
        default: nil
        }
    }
}

extension LabPlanner {
    /// The IPv6 twins of the faults' route, rule and sysctl changes (link and bridge faults, the
    /// VXLAN ones, bridge-nf-off, forward-drop and the topology's faults are built in elsewhere).
    func ipv6FaultCommands() -> [LabCommand] {
        guard let fault = topology.fault, fault.ipv4OnlyReason == nil, let web1 = topology.pod("web-1"),
              let web1IPv6 = web1.ip6, let node2 = topology.node("node2") else { return [] }
        switch fault {
        case .remoteRouteDeleted, .routeViaGateway: return [ip("node1", "route", "del", podRoute6(node2.name))]
        case .blackholeRoute: return [ip("node1", "route", "add", "blackhole", "\(web1IPv6)/128")]
        case .wrongGateway:
            return [ip("node1", "route", "replace", podRoute6(node2.name), "via", LabIPv6.address(Self.wrongGateway), "dev", "ens4")]
        case .ipForwardOff: return [sysctl("node2", "net.ipv6.conf.all.forwarding=0")]
        case .podReject: return [podReject(family: .inet6)]
        case .asymmetricReturn:
            guard let detour = topology.node("node3"), let node1 = topology.node("node1") else { return [] }
            if topology.scenario.usesVXLAN {
                return [ip("node2", "route", "replace", podRoute6(node1.name), "via", detour.vtepAddress6(topology.scenario),
                           "dev", vxlanDevice, "onlink")]
            }
            return [ip("node2", "route", "replace", podRoute6(node1.name), "via", detour.ip6, "dev", "ens4")]
        case .podEth0Down, .hostVethDown, .bridgeDown, .vethDetached, .forwardDrop, .noListener, .serviceNoEndpoints,
             .vxlanFDBMissing, .vxlanNeighMissing, .mtuMismatch, .bridgeNFOff, .hairpinOff, .markCrossing, .rpFilterLocal:
            return []
        }
    }

    /// wrong-gateway's gateway: an underlay address nobody has.
    static let wrongGateway = "192.168.56.99"
}
