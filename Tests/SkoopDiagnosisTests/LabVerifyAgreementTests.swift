import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// The route and trace comparisons of `skoop lab verify`, on inputs recorded from a healthy
/// flannel-vxlan lab (nft backend): its snapshot (TRACE rules included, as verify takes it), the
/// xtables-monitor output of one traced probe per flow on each node, and the probe's tuples.
@Suite struct LabVerifyAgreementTests {
    static let lab = "lab-flannel-vxlan-traced"
    let recorded = RecordedTraceLab(lab: Self.lab, topology: LabTopology(scenario: .flannelVXLAN))
    var topology: LabTopology { recorded.topology }

    func flow(_ name: String) throws -> LabVerifyFlow { try recorded.flow(name) }
    func report(_ flow: LabVerifyFlow) throws -> DiagnosisReport { try recorded.report(flow) }

    /// The recorded traced probe of `flow`, read as xtables-monitor prints it.
    func tracedProbe(_ flow: LabVerifyFlow, edit: (String, String) -> String = { text, _ in text }) throws -> ProbeResult {
        try recorded.tracedProbe(flow, edit: edit) { text, node in try XtablesTraceParser.parse(text, source: "trace-\(node).txt") }
    }

    @Test("the recorded ClusterIP trace agrees with Skoop at both nodes, both ways")
    func clusterIPTraceAgrees() throws {
        let flow = try flow("pod->ClusterIP")
        let comparisons = TraceComparator.compare(flow: flow.name, probe: try tracedProbe(flow), report: try report(flow))
        #expect(comparisons.map { "\($0.node) \($0.direction.rawValue)" }
                == ["node1 request", "node1 reply", "node2 request", "node2 reply"])
        #expect(comparisons.allSatisfy { $0.agrees }, "\(comparisons.filter { !$0.agrees }.map(\.line))")
        let node1 = try #require(comparisons.first)
        #expect(node1.kernel.first == TraceStep(table: "raw", chain: "PREROUTING", rule: "-A PREROUTING -p tcp -j TRACE", verdict: "CONTINUE"))
        #expect(node1.kernel.contains { $0.rule.contains("-j DNAT --to-destination 10.244.2.2:8080") && $0.verdict == "ACCEPT" })
        #expect(node1.kernel.contains { $0.chain == "FORWARD" && $0.rule == "-P FORWARD" && $0.verdict == "ACCEPT" })
    }

    @Test("the masqueraded NodePort connection is traced on its second node too, through its new tuple")
    func nodePortTraceFollowsTheMasquerade() throws {
        let flow = try flow("ext->NodePort")
        let probe = try tracedProbe(flow)
        // node1 masqueraded the connection: node2 saw another source and port.
        let masqueraded = try #require(probe.tuples.first { $0.src == "10.244.1.0" })
        #expect(masqueraded.dst == "10.244.2.2" && masqueraded.dport == 8080)
        let comparisons = TraceComparator.compare(flow: flow.name, probe: probe, report: try report(flow))
        #expect(comparisons.count == 4 && comparisons.allSatisfy { $0.agrees }, "\(comparisons.filter { !$0.agrees }.map(\.line))")
        let node2 = try #require(comparisons.first { $0.node == "node2" && $0.direction == .request })
        #expect(node2.kernel.contains { $0.table == "filter" && $0.chain == "FORWARD" })
        let node1 = try #require(comparisons.first { $0.node == "node1" && $0.direction == .request })
        #expect(node1.kernel.contains { $0.rule.contains("MASQUERADE") })
    }

    @Test("a rule hit Skoop would not predict is a disagreement naming the step")
    func tamperedTraceDisagrees() throws {
        let flow = try flow("pod->ClusterIP")
        // The kernel "accepting" in KUBE-FORWARD's RETURN rule's place: replace the first FORWARD policy by DROP on node2.
        let probe = try tracedProbe(flow) { text, node in
            node == "node2" ? text.replacingOccurrences(of: "filter:FORWARD:policy:ACCEPT", with: "filter:FORWARD:policy:DROP") : text
        }
        let comparisons = TraceComparator.compare(flow: flow.name, probe: probe, report: try report(flow))
        let bad = try #require(comparisons.first { !$0.agrees })
        #expect(bad.node == "node2" && bad.direction == .request)
        #expect(bad.line.contains("kernel filter:FORWARD -P FORWARD => DROP, skoop filter:FORWARD -P FORWARD => ACCEPT"))
    }

    @Test("a node the kernel's packet never reached, where Skoop's branch to the same backend goes, disagrees")
    func missingNodeDisagrees() throws {
        let flow = try flow("pod->ClusterIP")
        let probe = try tracedProbe(flow) { text, node in node == "node2" ? "" : text }
        let comparisons = TraceComparator.compare(flow: flow.name, probe: probe, report: try report(flow))
        let missing = comparisons.filter { $0.node == "node2" }
        #expect(missing.count == 2 && missing.allSatisfy { !$0.agrees && $0.kernel.isEmpty })
        #expect(missing[0].line.contains("kernel no packet"))
    }

    @Test("kernel passes: the trace id may change after NAT, retransmissions are separate passes, other connections are ignored")
    func kernelPassGrouping() throws {
        let text = """
        PACKET: 2 aaaa0001 IN=cni0 SRC=10.244.1.3 DST=10.96.0.10 LEN=60 TTL=64 ID=7 DF SPORT=1000 DPORT=80 SYN 
         TRACE: 2 aaaa0001 nat:PREROUTING:rule:0x10:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -j KUBE-SERVICES
        PACKET: 2 bbbb0002 IN=cni0 OUT=flannel.1 SRC=10.244.1.3 DST=10.244.2.2 LEN=60 TTL=63 ID=7 DF SPORT=1000 DPORT=8080 SYN 
         TRACE: 2 bbbb0002 filter:FORWARD:policy:ACCEPT 
        PACKET: 2 cccc0003 IN=cni0 SRC=10.244.1.9 DST=10.96.0.10 LEN=60 TTL=64 ID=1 DF SPORT=2000 DPORT=80 SYN 
         TRACE: 2 cccc0003 filter:FORWARD:policy:DROP 
        PACKET: 2 aaaa0001 IN=cni0 SRC=10.244.1.3 DST=10.96.0.10 LEN=60 TTL=64 ID=7 DF SPORT=1000 DPORT=80 SYN 
         TRACE: 2 aaaa0001 nat:PREROUTING:rule:0x10:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -j KUBE-SERVICES
        """
        let lines = try XtablesTraceParser.parse(text, source: "t")
        #expect(lines[0].packet?.isSYN == true && lines[0].monitorVerdict == "JUMP:KUBE-SERVICES")
        let tuples = [LabTuple(src: "10.244.1.3", dst: "10.96.0.10", sport: 1000, dport: 80),
                      LabTuple(src: "10.244.1.3", dst: "10.244.2.2", sport: 1000, dport: 8080)]
        let passes = TraceComparator.kernelPackets(lines, tuples: tuples, direction: .request)
        #expect(passes.map(\.lines.count) == [2, 1])
        #expect(TraceComparator.kernelSteps(lines, tuples: tuples, direction: .request).map(\.description)
                == ["nat:PREROUTING -A PREROUTING -j KUBE-SERVICES => JUMP:KUBE-SERVICES", "filter:FORWARD -P FORWARD => ACCEPT"])
        #expect(TraceComparator.kernelSteps(lines, tuples: tuples, direction: .reply).isEmpty)
    }

    // MARK: - Routes

    func simulator(_ node: String, _ netns: String = "host") throws -> NetNSSimulator {
        let collector = try CollectorManager(snapshot: Fixtures.url(Self.lab).path)
        return NetNSSimulator(info: try collector.netns(node: node, id: netns))
    }

    @Test("recorded ip route get answers agree with Skoop's router on the same netns")
    func recordedRoutesAgree() throws {
        // Answers of `ip -d -j route get` recorded in this lab.
        let forwarded = LabRouteStep(netnsID: "node1", query: ["10.244.2.2", "from", "10.244.1.3", "iif", "cni0"], decision: GroundTruth.routeDecision(
            #"[{"type":"unicast","dst":"10.244.2.2","from":"10.244.1.3","gateway":"10.244.2.0","dev":"flannel.1","table":"main","flags":[],"cache":[],"iif":"cni0"}]"#))
        let local = LabRouteStep(netnsID: "node1", query: ["192.168.56.11", "from", "172.30.0.10", "iif", "ens4", "mark", "0x4000"], decision: GroundTruth.routeDecision(
            #"[{"type":"local","dst":"192.168.56.11","from":"172.30.0.10","dev":"lo","table":"main","flags":[],"cache":["local"],"iif":"ens4"}]"#))
        let generated = LabRouteStep(netnsID: "pod-client", query: ["10.96.0.10"], decision: GroundTruth.routeDecision(
            #"[{"type":"unicast","dst":"10.96.0.10","gateway":"10.244.1.1","dev":"eth0","table":"main","prefsrc":"10.244.1.3","flags":[],"uid":0,"cache":[]}]"#))
        let node1 = try simulator("node1"), client = try simulator("node1", "pod-client")
        let report = try report(try flow("pod->ClusterIP"))
        let decisions = report.path.links.filter { $0.source == Hop(type: .node, id: "node1") && $0.direction == .request }.flatMap(\.routes)
        let comparisons = [RouteComparison.compare(forwarded, flow: "f", simulator: node1, pathDecisions: decisions),
                           // No custom rules: the kernel keeps local merged into main and says "main".
                           RouteComparison.compare(local, flow: "f", simulator: node1),
                           RouteComparison.compare(generated, flow: "f", simulator: client)]
        #expect(comparisons.allSatisfy { $0.agrees }, "\(comparisons.map(\.line))")
        #expect(comparisons[0].skoop == "unicast via 10.244.2.0 dev flannel.1 table main")
        #expect(comparisons[2].skoop == "unicast via 10.244.1.1 dev eth0 table main src 10.244.1.3")
    }

    @Test("a different gateway, device, source or error is a route disagreement")
    func routeDisagreements() throws {
        let node1 = try simulator("node1")
        var wrong = LabRouteStep(netnsID: "node1", query: ["10.244.2.2", "from", "10.244.1.3", "iif", "cni0"],
                                 decision: RouteDecision(destination: "10.244.2.2", table: "main", route: nil, outcome: "unicast",
                                                         outInterface: "flannel.1", gateway: "192.168.56.99"))
        let comparison = RouteComparison.compare(wrong, flow: "pod->pod", simulator: node1)
        #expect(!comparison.agrees)
        #expect(comparison.line == "pod->pod: route at node1 (ip route get 10.244.2.2 from 10.244.1.3 iif cni0): kernel unicast via 192.168.56.99 dev flannel.1 table main, skoop unicast via 10.244.2.0 dev flannel.1 table main")
        wrong.decision = nil
        wrong.error = "RTNETLINK answers: Invalid argument"
        #expect(RouteComparison.compare(wrong, flow: "f", simulator: node1).kernel == "error: Invalid argument")
        #expect(!RouteComparison.compare(wrong, flow: "f", simulator: node1).agrees)
        // The path's decision is checked too.
        let right = LabRouteStep(netnsID: "node1", query: ["10.244.2.2", "from", "10.244.1.3", "iif", "cni0"],
                                 decision: RouteDecision(destination: "10.244.2.2", table: "main", route: nil, outcome: "unicast",
                                                         outInterface: "flannel.1", gateway: "10.244.2.0"))
        let offPath = RouteDecision(destination: "10.244.2.2", table: "main", route: nil, outcome: "unicast", outInterface: "ens4")
        #expect(RouteComparison.compare(right, flow: "f", simulator: node1).agrees)
        #expect(!RouteComparison.compare(right, flow: "f", simulator: node1, pathDecisions: [offPath]).agrees)
    }

    @Test("route queries parse: destination, from, iif, mark")
    func routeQueryParsing() throws {
        let query = try #require(RouteComparison.routeQuery(["10.0.0.1", "from", "10.0.0.2", "iif", "eth0", "mark", "0x4000"]))
        #expect(query.destination.description == "10.0.0.1" && query.source?.description == "10.0.0.2")
        #expect(query.iif == "eth0" && query.fwmark == 0x4000)
        #expect(RouteComparison.routeQuery(["10.0.0.1", "via", "x"]) == nil)
        #expect(RouteComparison.routeQuery(["nonsense"]) == nil)
    }
}
