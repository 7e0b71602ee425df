import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// A collected underlay router (`skoop collect --infra router`) simulated as a Linux netns, on the
/// calico-bgp lab whose node1 lost its route to node2's pods while the router routes pod CIDRs
/// (route-via-gateway, captured by Tests/Lab/capture-verify-fixtures.sh; the kernel delivered
/// every flow diagnosed here as reachable, and refused the blocked source).
@Suite struct InfraDeviceTests {
    static let fixture = "lab-calico-bgp-route-via-gateway"
    static let router = Hop.infraDevice("router")

    func diagnose(_ snapshot: URL, _ src: String, _ dst: String, _ port: UInt16) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: snapshot.path)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: .tcp), collector: collector)
        session.diagnostor.run()
        return session.report
    }

    /// A copy of the fixture, edited by `edit`, removed after `body`.
    func withCopy<T>(_ edit: (URL) throws -> Void, _ body: (URL) throws -> T) throws -> T {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-infra-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.url(Self.fixture), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try edit(copy)
        return try body(copy)
    }

    @Test func inspectListsTheRouterApartFromTheNodes() throws {
        let summary = try SnapshotSummary(collector: CollectorManager(snapshot: Fixtures.url(Self.fixture).path)).text()
        #expect(summary.hasPrefix("Snapshot: 2 node(s)"))
        #expect(summary.contains("\ninfra router: 1 netns\n"))
        #expect(!summary.contains("nodes/router") && !summary.contains("infra:router"))
    }

    @Test func theCollectedRouterCarriesPodTrafficANodeLostItsRouteFor() throws {
        let report = try diagnose(Fixtures.url(Self.fixture), "default/client", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        // node1 hands the packet to the router, whose own route for 10.244.2.0/24 takes it to node2.
        let toRouter = try #require(report.path.links.first { $0.source == .node("node1") && $0.destination == Self.router })
        #expect(toRouter.destinationAttributes["if"] == "ens4" && !toRouter.isUncertain)
        let atRouter = try #require(report.path.links.first { $0.source == Self.router && $0.direction == .request })
        #expect(atRouter.destination == .node("node2"))
        #expect(atRouter.routes.contains { $0.route?.hasPrefix("10.244.2.0/24 via 192.168.56.12") == true })
        // Nothing about the router is assumed any more; node1's missing CNI route is still named.
        #expect(!report.path.assumptions.contains { $0.text.contains("192.168.56.1") })
        let node1 = (report.path.node(.node("node1"))?.suspicions ?? []).filter { $0.level >= .warning }
        #expect(node1.contains { $0.message.contains("10.244.2.0/24") || ($0.evidence ?? "").contains("10.244.2.0/24") })
        #expect(!report.suspicions().contains { $0.node == Self.router && $0.suspicion.level >= .warning })
    }

    @Test func withoutTheRouterTheSameSnapshotIsUnknownAndNamesTheGateway() throws {
        let report = try withCopy({ try FileManager.default.removeItem(at: $0.appendingPathComponent("infra")) }) {
            try diagnose($0, "default/client", "default/web-1", 8080)
        }
        #expect(report.verdict == .unknown)
        let node1 = report.path.node(.node("node1"))?.suspicions ?? []
        #expect(node1.contains { $0.level == .critical && $0.message.contains("no route for 10.244.2.0/26") && $0.message.contains("192.168.56.1") })
        #expect(report.path.assumptions.contains { $0.text.contains("gateway 192.168.56.1 was not collected") })
    }

    @Test func aRouterWithoutThePodRouteDropsAndIsBlamed() throws {
        let route = "infra/router/netns/host/ip-route.json"
        let report = try withCopy({ copy in
            let file = copy.appendingPathComponent(route)
            let routes = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [[String: Any]] ?? []
            let kept = routes.filter { ($0["dst"] as? String) != "10.244.2.0/24" }
            #expect(kept.count == routes.count - 1)
            try JSONSerialization.data(withJSONObject: kept).write(to: file)
        }) { try diagnose($0, "default/client", "default/web-1", 8080) }
        #expect(report.verdict == .unreachable)
        let drop = try #require(report.path.links.first { $0.source == Self.router && $0.action == .drop })
        #expect(drop.packet.dst.description == "10.244.2.2")
        #expect(report.suspicions().contains { $0.node == Self.router && $0.suspicion.level >= .warning })
    }

    @Test func loadBalancerTrafficFromOutsideFollowsTheRoutersECMPToEveryNode() throws {
        let snapshot = Fixtures.url(Self.fixture)
        let allowed = try diagnose(snapshot, LabTopology.externalIP, LabTopology.loadBalancerIP, 80)
        #expect(allowed.verdict == .reachable)
        let entries = Set(allowed.path.links.filter { $0.source == Self.router && $0.direction == .request }.compactMap(\.destination))
        #expect(entries == [.node("node1"), .node("node2")])
        #expect(allowed.path.links.contains { $0.source == Hop(type: .external, id: LabTopology.externalIP) && $0.destination == Self.router })
        // kube-proxy's KUBE-FW chain admits only loadBalancerSourceRanges; KUBE-PROXY-FIREWALL drops the rest.
        let blocked = try diagnose(snapshot, LabTopology.blockedExternalIP, LabTopology.loadBalancerIP, 80)
        #expect(blocked.verdict == .unreachable)
        let drops = blocked.path.links.filter { $0.action == .drop }
        #expect(!drops.isEmpty && drops.allSatisfy { drop in drop.netfilter.contains { $0.chain == "KUBE-PROXY-FIREWALL" && $0.matched } })
        let external = try diagnose(snapshot, LabTopology.externalIP, LabTopology.serviceExternalIP, 80)
        #expect(external.verdict == .reachable)
        #expect(Set(external.path.links.filter { $0.source == Self.router && $0.direction == .request }.compactMap(\.destination)) == [.node("node2")])
    }
}
