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
    static let lab = "lab-flannel-vxlan-nftables-traced"
    let topology = LabTopology(scenario: .flannelVXLAN, proxyMode: .nftables)

    func flow(_ name: String) throws -> LabVerifyFlow {
        try #require(LabVerifyFlow.standard(for: topology).first { $0.name == name })
    }

    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: Fixtures.url(Self.lab).path)
        var session = try DiagnosisSession(query: flow.query, collector: collector)
        session.diagnostor.run()
        return session.report
    }

    /// The recorded probe, its monitor text read against the node's collected nft.json and iptables.txt.
    func tracedProbe(_ flow: LabVerifyFlow, edit: (String) -> String = { $0 }) throws -> ProbeResult {
        let slug = flow.name.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        let record = try #require(try JSONSerialization.jsonObject(with: Fixtures.data("\(Self.lab)/ground-truth/trace-\(slug).json")) as? [String: Any])
        let tuples = (record["tuples"] as? [[String: Any]] ?? []).compactMap { tuple -> LabTuple? in
            guard let src = tuple["src"] as? String, let dst = tuple["dst"] as? String else { return nil }
            return LabTuple(src: src, dst: dst, sport: tuple["sport"] as? Int ?? 0, dport: tuple["dport"] as? Int ?? 0)
        }
        var trace: [String: [XtablesTraceLine]] = [:]
        for node in ["node1", "node2"] {
            let host = "\(Self.lab)/nodes/\(node)/netns/host"
            let ruleset = try NftJSONParser.parse(Array(try Fixtures.data("\(host)/nft.json")), source: "nft.json")
            let saved = IptablesSaveRules(try Fixtures.text("\(host)/iptables.txt"))
            trace[node] = NftMonitorTraceParser.parse(edit(try Fixtures.text("\(Self.lab)/ground-truth/trace-\(slug)-\(node).txt")),
                                                      ruleset: ruleset, saved: saved)
        }
        return ProbeResult(flow: flow.probe, succeeded: record["succeeded"] as? Bool ?? false, backendPod: nil,
                           backendIP: record["backend"] as? String, routes: [], trace: trace, detail: "", tuples: tuples)
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
    @Test("--all runs every scenario and fault in both proxy modes; --proxy chooses the modes")
    func selection() {
        let all = LabVerifyCase.selection(all: true, scenarios: [], faults: [], proxyModes: [])
        let nft = all.filter { $0.proxyMode == .nftables }
        #expect(all.count == 2 * LabVerifyCase.all.count)
        #expect(Set(nft.map { "\($0.scenario)+\($0.fault?.rawValue ?? "")" }) == Set(LabVerifyCase.all.map { "\($0.scenario)+\($0.fault?.rawValue ?? "")" }))
        #expect(nft.contains { $0.fault == .asymmetricReturn })
        #expect(nft.contains { $0.scenario == .bridge && $0.fault == .serviceNoEndpoints })
        #expect(nft.first { $0.fault == .forwardDrop }?.description == "flannel-hostgw+forward-drop@nftables")
        let chosen = LabVerifyCase.selection(all: false, scenarios: [.calicoBGP], faults: [], proxyModes: [.iptables, .nftables])
        #expect(chosen.map(\.description) == ["calico-bgp", "calico-bgp@nftables"])
        #expect(LabVerifyCase.selection(all: false, scenarios: [], faults: [], proxyModes: []) == LabVerifyCase.quick)
    }
}
