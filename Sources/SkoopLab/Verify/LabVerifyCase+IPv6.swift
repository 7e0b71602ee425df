extension LabVerifyCase {
    /// The faults verified again in IPv6-only labs, where no IPv4 flow can localize them: those
    /// whose IPv6 twin Skoop must find by itself, as the kernel breaks it. In flannel-vxlan, the
    /// deleted, blackhole and detouring routes, IPv6 forwarding off, a missing VTEP neighbour
    /// (NDP, not ARP) and a pod whose eth0 went down (its IPv6 address goes with it); a deleted
    /// route and a wrong gateway under Calico BGP (its link-local pod gateway, per-block routes)
    /// and a wrong gateway under flannel host-gw. Link, bridge and rule faults break both
    /// families alike and stay verified in the dual-stack labs only, to keep `--all` within minutes.
    public static var ipv6OnlySubset: [LabVerifyCase] {
        let faults: [(LabScenario, [LabFault])] = [
            (.flannelVXLAN, [.remoteRouteDeleted, .blackholeRoute, .asymmetricReturn, .ipForwardOff, .vxlanNeighMissing, .podEth0Down]),
            (.calicoBGP, [.remoteRouteDeleted, .wrongGateway]),
            (.flannelHostGW, [.wrongGateway]),
        ]
        return faults.flatMap { scenario, faults in
            faults.map { LabVerifyCase(scenario: scenario, fault: $0, ipFamily: .ipv6) }
        }
    }
}
