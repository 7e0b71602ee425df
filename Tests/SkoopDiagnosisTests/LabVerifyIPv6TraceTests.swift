import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// The IPv6 side of `skoop lab verify`'s trace comparison, on inputs recorded from a healthy
/// dual-stack flannel-vxlan lab with kube-proxy in nftables mode (`lab verify --scenario
/// flannel-vxlan --proxy nftables --ip-family dual --snapshots DIR`): its snapshot, with the
/// `ip6 kube-proxy` table beside `ip kube-proxy`, and `nft -a monitor trace` of one traced probe
/// per flow and family.
@Suite struct LabVerifyIPv6TraceTests {
    static let lab = "lab-flannel-vxlan-nftables-dual-traced"
    let topology = LabTopology(scenario: .flannelVXLAN, proxyMode: .nftables, ipFamily: .dual)

    func flow(_ name: String) throws -> LabVerifyFlow {
        try #require(LabVerifyFlow.standard(for: topology).first { $0.name == name })
    }

    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: Fixtures.url(Self.lab).path)
        var session = try DiagnosisSession(query: flow.query, collector: collector)
        session.diagnostor.run()
        return session.report
    }

    /// The recorded probe, its monitor text read against the node's collected nft.json,
    /// iptables.txt and ip6tables.txt.
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
            trace[node] = NftMonitorTraceParser.parse(edit(try Fixtures.text("\(Self.lab)/ground-truth/trace-\(slug)-\(node).txt")),
                                                      ruleset: ruleset, saved: IptablesSaveRules(try Fixtures.text("\(host)/iptables.txt")),
                                                      saved6: IptablesSaveRules(try Fixtures.text("\(host)/ip6tables.txt")))
        }
        return ProbeResult(flow: flow.probe, succeeded: record["succeeded"] as? Bool ?? false, backendPod: nil,
                           backendIP: record["backend"] as? String, routes: [], trace: trace, detail: "", tuples: tuples)
    }

    @Test("an IPv6 packet's monitor lines are read: ip6 addresses, ip6tables rules by their ip6tables-save line, no IP id")
    func ipv6LinesAreRead() throws {
        let probe = try tracedProbe(try flow("IPv6 pod->ClusterIP"))
        let lines = try #require(probe.trace["node1"])
        let first = try #require(lines.first)
        #expect(first.packet?.tuple.src == "fd00:10:244:1::3" && first.packet?.tuple.dst == "fd00:10:96::10")
        #expect(first.packet?.ipID == "" && first.packet?.isSYN == true)
        #expect(first.entry.table == "raw" && first.entry.rule == "-A PREROUTING -p tcp -j TRACE")
        #expect(lines.contains { $0.entry.table == "kube-proxy" && $0.entry.chain == "services" && $0.entry.handle != nil })
    }

    @Test("the IPv6 ClusterIP trace through the ip6 kube-proxy table agrees with Skoop rule by rule, both ways",
          arguments: ["IPv6 pod->ClusterIP", "IPv6 ext->NodePort", "pod->ClusterIP"])
    func traceAgrees(_ name: String) throws {
        let flow = try flow(name)
        let comparisons = TraceComparator.compare(flow: flow.name, probe: try tracedProbe(flow), report: try report(flow))
        #expect(comparisons.contains { $0.direction == .request } && comparisons.contains { $0.direction == .reply })
        #expect(comparisons.allSatisfy { $0.agrees }, "\(comparisons.filter { !$0.agrees }.map(\.line))")
        let kernel = comparisons.flatMap(\.kernel)
        #expect(kernel.contains { $0.table == "kube-proxy" && $0.verdict.hasPrefix("GOTO:service-") })
        if name.hasPrefix("IPv6") {
            // The endpoint chain's IPv6 address with its colons made dots, as kube-proxy names it.
            #expect(kernel.contains { $0.table == "kube-proxy" && $0.verdict.contains("__fd00.10.244.") })
        }
    }

    @Test("an ip6 kube-proxy verdict Skoop would not predict is a disagreement naming the step")
    func tamperedTraceDisagrees() throws {
        let flow = try flow("IPv6 pod->ClusterIP")
        let probe = try tracedProbe(flow) {
            $0.replacingOccurrences(of: "ip6 kube-proxy filter-forward policy accept", with: "ip6 kube-proxy filter-forward policy drop")
        }
        let comparisons = TraceComparator.compare(flow: flow.name, probe: probe, report: try report(flow))
        let bad = try #require(comparisons.first { !$0.agrees })
        #expect(bad.line.contains("kube-proxy:filter-forward -P filter-forward => DROP"))
    }

    @Test("the dual-stack nftables lab writes an ip6 kube-proxy table with IPv6 keys, and Skoop reads it")
    func ip6TableIsCollected() throws {
        let collector = try CollectorManager(snapshot: Fixtures.url(Self.lab).path)
        let ruleset = try #require(try collector.netns(node: "node1", id: "host").nftables)
        let table = try #require(ruleset.table(.ip6, "kube-proxy"))
        #expect(ruleset.table(.ip, "kube-proxy") != nil)
        #expect(table.chains.keys.contains { $0.hasPrefix("endpoint-") && $0.hasSuffix("__fd00.10.244.2..2/8080") })
    }
}
