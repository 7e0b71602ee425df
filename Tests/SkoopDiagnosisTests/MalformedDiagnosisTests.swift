import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTestSupport

/// Hostile topologies in otherwise valid snapshots: the diagnosis ends, within its limits, with a
/// suspicion that names the problem — never a hang or an unbounded graph.
@Suite struct MalformedDiagnosisTests {
    static let node1 = "nodes/node1/netns/host/"
    static let node2 = "nodes/node2/netns/host/"

    func diagnose(_ copy: FixtureCopy, _ src: String, _ dst: String, _ port: UInt16) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: .tcp),
                                           collector: CollectorManager(snapshot: copy.path))
        session.diagnostor.run()
        return session.report
    }

    @Test func podCIDRRoutedBackAndForthBetweenNodesIsAFatalRoutingLoop() throws {
        let copy = try FixtureCopy()
        // node2 sends its own pod CIDR back to node1, which sends it to node2 again.
        try copy.edit(Self.node2 + "ip-route.json") { routes in
            let local = #"{"dst":"10.244.2.0/24","dev":"cni0","protocol":"kernel","scope":"link","prefsrc":"10.244.2.1","flags":[]}"#
            #expect(routes.contains(local))
            return routes.replacingOccurrences(of: local, with: #"{"dst":"10.244.2.0/24","gateway":"192.168.56.11","dev":"ens4","flags":[]}"#)
        }
        let report = try diagnose(copy, "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let fatal = report.path.allSuspicions.map(\.suspicion).filter { $0.level == .fatal }
        #expect(fatal.contains { $0.message.contains("Routing loop") }, "\(fatal)")
        #expect(report.path.links.count < 40)
    }

    /// Node1's iptables with the web service's two endpoints replaced by `count` generated ones.
    static func serviceWithBackends(_ count: Int, iptables: String) -> String {
        var lines = iptables.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let service = "KUBE-SVC-4N57TFCL4MD7ZTDA"
        lines.removeAll { $0.contains("-A \(service) -m comment --comment \"default/web:http -> ") }
        guard let declare = lines.firstIndex(of: ":\(service) - [0:0]"),
              let commit = lines[declare...].firstIndex(of: "COMMIT") else { return iptables }
        var rules: [String] = []
        for index in 0..<count {
            let chain = "KUBE-SEP-GEN\(index)"
            let backend = index % 2 == 0 ? "10.244.1.2" : "10.244.2.2"
            let remaining = count - index
            let probability = remaining == 1 ? "" : " -m statistic --mode random --probability \(1.0 / Double(remaining))"
            rules.append("-A \(service) -m comment --comment \"default/web:http -> gen \(index)\"\(probability) -j \(chain)")
            rules.append("-A \(chain) -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination \(backend):8080")
        }
        lines.insert(contentsOf: rules, at: commit)
        lines.insert(contentsOf: (0..<count).map { ":KUBE-SEP-GEN\($0) - [0:0]" }, at: declare + 1)
        return lines.joined(separator: "\n")
    }

    @Test func aServiceWithFiveThousandBackendsEndsWithinTheLinkLimit() throws {
        let copy = try FixtureCopy()
        try copy.edit(Self.node1 + "iptables.txt") { Self.serviceWithBackends(5000, iptables: $0) }
        try copy.edit("k8s/endpointslices.json") { slices in
            let endpoints = (0..<5000).map { #"{"addresses":["10.245.\#($0 / 250).\#($0 % 250 + 1)"],"conditions":{"ready":true}}"# }
            return slices.replacingOccurrences(of: #""endpoints": ["#, with: #""endpoints": ["# + endpoints.joined(separator: ",") + ",")
        }
        let report = try diagnose(copy, "default/client", "svc/default/web", 80)
        #expect(report.verdict != nil)
        let limits = DiagnosisLimits()
        // The limit is checked per step, and one step may add a whole fan-out: bounded by limit + width.
        #expect(report.path.links.count <= limits.linkLimit + 5000 + 16)
        #expect(report.path.allSuspicions.contains { $0.suspicion.message.contains("limit of \(limits.linkLimit) links") })
        let dnat = report.path.links.filter { $0.action == .service }
        #expect(dnat.count > 1000, "the fan-out is followed, not cut at the first branches")
        #expect(Set(dnat.map(\.packet.dst.description)) == ["10.244.1.2", "10.244.2.2"])
    }

    @Test func aClusterIPThatDNATsToItselfEnds() throws {
        let copy = try FixtureCopy()
        try copy.edit(Self.node1 + "iptables.txt") { rules in
            rules.replacingOccurrences(of: "--to-destination 10.244.1.2:8080", with: "--to-destination 10.96.0.10:80")
                .replacingOccurrences(of: "--to-destination 10.244.2.2:8080", with: "--to-destination 10.96.0.10:80")
        }
        let report = try diagnose(copy, "default/client", "svc/default/web", 80)
        #expect(report.verdict != nil)
        #expect(report.path.links.count < 100)
        // The DNATed packet still goes to 10.96.0.10 and leaves by the default route: nobody owns a
        // ClusterIP outside kube-proxy's rules, so it is lost.
        #expect(report.verdict == .unreachable)
        #expect(report.path.allSuspicions.contains { $0.suspicion.level == .fatal && $0.suspicion.message.contains("ClusterIP 10.96.0.10") })
    }

    @Test func jumpCyclesBetweenChainsAreWarningsAndThePacketStillPasses() throws {
        let copy = try FixtureCopy()
        try copy.write(Self.node1 + "iptables.txt", try Fixtures.data("malformed/iptables/jump-cycle.txt"))
        let report = try diagnose(copy, "default/client", "default/web-1", 8080)
        // The kernel refuses such a ruleset (ELOOP), so the walk is marked uncertain; the rest is still simulated.
        #expect(report.verdict == .unknown)
        let hops = report.path.links.map { "\($0.source.id)>\($0.destination?.id ?? "end")" }
        #expect(hops == ["default/client>node1", "node1>node2", "node2>default/web-1", "default/web-1>node2",
                         "node2>node1", "node1>default/client", "default/client>end"])
        let cycles = report.path.allSuspicions.map(\.suspicion.message).filter { $0.hasPrefix("jump cycle") }
        #expect(cycles.count == 3)
        #expect(cycles.contains { $0.contains("FORWARD -> CYCLE-A -> CYCLE-B -> CYCLE-A") })
    }
}
