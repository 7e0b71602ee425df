import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// The trace comparison of `skoop lab verify` with kube-proxy in nftables mode, on inputs
/// recorded from a healthy flannel-vxlan lab (`lab verify --scenario flannel-vxlan --proxy
/// nftables --snapshots DIR`): its snapshot and `nft -a monitor trace` of one traced probe per flow.
@Suite struct LabVerifyNftablesAgreementTests {
    let recorded = RecordedTraceLab(lab: "lab-flannel-vxlan-nftables-traced", topology: LabTopology(scenario: .flannelVXLAN, proxyMode: .nftables))
    var topology: LabTopology { recorded.topology }

    func flow(_ name: String) throws -> LabVerifyFlow { try recorded.flow(name) }
    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport { try recorded.report(flow) }

    /// The recorded probe, its monitor text read against the node's collected nft.json and iptables.txt.
    func tracedProbe(_ flow: LabVerifyFlow, edit: @escaping (String) -> String = { $0 }) throws -> ProbeResult {
        try recorded.tracedProbe(flow, edit: { text, _ in edit(text) }, read: recorded.nftMonitorLines)
    }

    @Test("the ClusterIP trace through kube-proxy's nft table agrees with Skoop rule by rule, both ways")
    func clusterIPTraceAgrees() throws {
        let flow = try flow("pod->ClusterIP")
        let comparisons = TraceComparator.compare(flow: flow.name, probe: try tracedProbe(flow), report: try report(flow))
        #expect(comparisons.map { "\($0.node) \($0.direction.rawValue)" } == ["node1 request", "node1 reply"])
        #expect(comparisons.allSatisfy { $0.agrees }, "\(comparisons.filter { !$0.agrees }.map(\.line))")
        let request = try #require(comparisons.first)
        // iptables-nft's rules by their iptables-save line, kube-proxy's by handle; the nat hook
        #expect(request.kernel.first == TraceStep(table: "raw", chain: "PREROUTING", rule: "-A PREROUTING -p tcp -j TRACE", verdict: "CONTINUE"))
        #expect(request.kernel.contains { $0.table == "kube-proxy" && $0.verdict.hasPrefix("GOTO:service-") })
        // runs kube-proxy's chain (created later) before iptables-nft's nat PREROUTING, whose
        // turn never comes: the first chain that translates ends the nat hook.
        #expect(request.kernel.contains { $0.table == "kube-proxy" && $0.chain == "nat-prerouting" })
        #expect(!request.kernel.contains { $0.table == "nat" && $0.chain == "PREROUTING" })
    }

    @Test("the NodePort trace agrees, masquerade included")
    func nodePortTraceAgrees() throws {
        let flow = try flow("ext->NodePort")
        let comparisons = TraceComparator.compare(flow: flow.name, probe: try tracedProbe(flow), report: try report(flow))
        #expect(!comparisons.isEmpty && comparisons.allSatisfy { $0.agrees }, "\(comparisons.filter { !$0.agrees }.map(\.line))")
        #expect(comparisons.contains { $0.kernel.contains { $0.chain == "external-" + KubeProxyNftRules.serviceBase(topology.services[0]) } })
    }

    @Test("a kube-proxy verdict Skoop would not predict is a disagreement naming the step")
    func tamperedTraceDisagrees() throws {
        let flow = try flow("pod->ClusterIP")
        let probe = try tracedProbe(flow) { $0.replacingOccurrences(of: "ip kube-proxy filter-forward policy accept", with: "ip kube-proxy filter-forward policy drop") }
        let comparisons = TraceComparator.compare(flow: flow.name, probe: probe, report: try report(flow))
        let bad = try #require(comparisons.first { !$0.agrees })
        #expect(bad.line.contains("kube-proxy:filter-forward -P filter-forward => DROP"))
    }
}

@Suite struct LabVerifyProxySelectionTests {
    @Test("--all runs every scenario and fault in both proxy modes (nftables dual-stack) and IPv6-only labs of a few faults; --proxy chooses the modes")
    func selection() {
        let all = LabVerifyCase.selection(all: true, scenarios: [], faults: [], proxyModes: [])
        let nft = all.filter { $0.proxyMode == .nftables }
        let ipv6Only = all.filter { $0.ipFamily == .ipv6 }
        #expect(all.count == 2 * LabVerifyCase.all.count + ipv6Only.count)
        #expect(Set(nft.map { "\($0.scenario)+\($0.fault?.rawValue ?? "")" }) == Set(LabVerifyCase.all.map { "\($0.scenario)+\($0.fault?.rawValue ?? "")" }))
        #expect(nft.allSatisfy { $0.ipFamily == .dual }, "nftables-mode labs are dual-stack (the ip6 kube-proxy table)")
        #expect(ipv6Only.map(\.description).contains("flannel-vxlan+pod-eth0-down/ipv6"))
        #expect(ipv6Only.allSatisfy { $0.fault?.applies(to: $0.scenario) == true && $0.fault?.ipv4OnlyReason == nil })
        #expect(nft.contains { $0.fault == .asymmetricReturn })
        #expect(nft.contains { $0.scenario == .bridge && $0.fault == .serviceNoEndpoints })
        #expect(nft.first { $0.fault == .forwardDrop }?.description == "flannel-hostgw+forward-drop@nftables")
        let chosen = LabVerifyCase.selection(all: false, scenarios: [.calicoBGP], faults: [], proxyModes: [.iptables, .nftables])
        #expect(chosen.map(\.description) == ["calico-bgp", "calico-bgp@nftables"])
        #expect(LabVerifyCase.selection(all: false, scenarios: [], faults: [], proxyModes: []) == LabVerifyCase.quick)
    }
}
