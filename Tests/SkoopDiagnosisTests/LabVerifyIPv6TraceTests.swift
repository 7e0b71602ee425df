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
    let recorded = RecordedTraceLab(lab: "lab-flannel-vxlan-nftables-dual-traced",
                               topology: LabTopology(scenario: .flannelVXLAN, proxyMode: .nftables, ipFamily: .dual))

    func flow(_ name: String) throws -> LabVerifyFlow { try recorded.flow(name) }
    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport { try recorded.report(flow) }

    func tracedProbe(_ flow: LabVerifyFlow, edit: @escaping (String) -> String = { $0 }) throws -> ProbeResult {
        try recorded.tracedProbe(flow, edit: { text, _ in edit(text) }, read: recorded.nftMonitorLines)
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
        let collector = try CollectorManager(snapshot: Fixtures.url(recorded.lab).path)
        let ruleset = try #require(try collector.netns(node: "node1", id: "host").nftables)
        let table = try #require(ruleset.table(.ip6, "kube-proxy"))
        #expect(ruleset.table(.ip, "kube-proxy") != nil)
        #expect(table.chains.keys.contains { $0.hasPrefix("endpoint-") && $0.hasSuffix("__fd00.10.244.2..2/8080") })
    }
}
