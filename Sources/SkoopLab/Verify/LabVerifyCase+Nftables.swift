import SkoopDiagnosis
import SkoopCollector

extension LabVerifyCase {
    /// The faults verified again with kube-proxy in nftables mode, besides every healthy scenario:
    /// those whose flows the kube-proxy rules decide or that sit beside them on a hook.
    /// service-no-endpoints (the reject through no-endpoint-services) in every scenario; in
    /// flannel-vxlan, forward-drop (an iptables FORWARD drop beside nft's filter-forward),
    /// hairpin-off (a pod reaching itself through its service: masquerade), bridge-nf-off (DNAT
    /// to a same-node backend across a bridge) and mark-crossing (a mark beside kube-proxy's
    /// masquerade mark). The other faults break routes, links and sysctls, which do not depend
    /// on the proxy mode; asymmetric-return is left out because it is kube-proxy's iptables
    /// INVALID drop, which nftables mode does not install.
    public static var nftablesSubset: [LabVerifyCase] {
        let everywhere: [LabFault] = [.serviceNoEndpoints]
        let inFlannelVXLAN: [LabFault] = [.forwardDrop, .hairpinOff, .bridgeNFOff, .markCrossing]
        return LabScenario.allCases.flatMap { scenario in
            [LabVerifyCase(scenario: scenario, proxyMode: .nftables)]
                + everywhere.filter { $0.applies(to: scenario) }.map { LabVerifyCase(scenario: scenario, fault: $0, proxyMode: .nftables) }
                + (scenario == .flannelVXLAN ? inFlannelVXLAN : []).map { LabVerifyCase(scenario: scenario, fault: $0, proxyMode: .nftables) }
        }
    }

    /// The cases for the CLI's flags: `selection(all:scenarios:faults:)` in each proxy mode asked
    /// for (none: iptables, and with `--all` also the nftables subset); with nftables asked for
    /// explicitly, the same selection in nftables mode (`--all`: the whole set, not the subset).
    /// `ipFamily` overrides every case's family (nil: each mode's default).
    public static func selection(all: Bool, scenarios: [LabScenario], faults: [LabFault],
                                 proxyModes: [LabProxyMode], ipFamily: LabIPFamily? = nil) -> [LabVerifyCase] {
        let base = selection(all: all, scenarios: scenarios, faults: faults)
        let cases = proxyModes.isEmpty
            ? (all && scenarios.isEmpty && faults.isEmpty ? base + nftablesSubset + ipv6OnlySubset : base)
            : proxyModes.flatMap { mode in base.map { LabVerifyCase(scenario: $0.scenario, fault: $0.fault, proxyMode: mode) } }
        guard let ipFamily else { return cases }
        return cases.map { LabVerifyCase(scenario: $0.scenario, fault: $0.fault, proxyMode: $0.proxyMode, ipFamily: ipFamily) }
    }
}
