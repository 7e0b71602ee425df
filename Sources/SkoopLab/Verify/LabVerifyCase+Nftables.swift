import SkoopDiagnosis
import SkoopCollector

extension LabVerifyCase {
    /// Every case of `all` again with kube-proxy in nftables mode: each scenario healthy and with
    /// each fault, in the mode's default family.
    public static var allNftables: [LabVerifyCase] {
        all.map { LabVerifyCase(scenario: $0.scenario, fault: $0.fault, proxyMode: .nftables) }
    }

    /// The cases for the CLI's flags: `selection(all:scenarios:faults:)` in each proxy mode asked
    /// for (none: iptables, and with a bare `--all` every case in both modes, and the IPv6-only
    /// labs of `ipv6OnlySubset`).
    /// `ipFamily` overrides every case's family (nil: each mode's default).
    public static func selection(all: Bool, scenarios: [LabScenario], faults: [LabFault],
                                 proxyModes: [LabProxyMode], ipFamily: LabIPFamily? = nil) -> [LabVerifyCase] {
        let base = selection(all: all, scenarios: scenarios, faults: faults)
        let cases = proxyModes.isEmpty
            ? (all && scenarios.isEmpty && faults.isEmpty ? base + allNftables + ipv6OnlySubset : base)
            : proxyModes.flatMap { mode in base.map { LabVerifyCase(scenario: $0.scenario, fault: $0.fault, proxyMode: mode) } }
        guard let ipFamily else { return cases }
        return cases.map { LabVerifyCase(scenario: $0.scenario, fault: $0.fault, proxyMode: $0.proxyMode, ipFamily: ipFamily) }
    }
}
