import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport
@testable import SkoopLab

/// Diagnoses on lab snapshots where `skoop lab verify` once found Skoop disagreeing with the
/// kernel (captured by Tests/Lab/capture-verify-fixtures.sh; each verdict here is the kernel's).
@Suite struct LabVerifyFixtureTests {
    func diagnose(_ fixture: String, _ src: String, _ dst: String, _ port: UInt16,
                  _ proto: TransportProtocol = .tcp) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: Fixtures.url(fixture).path)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: proto), collector: collector)
        session.diagnostor.run()
        return session.report
    }

    /// The suspicions of `hop` at Warning or above.
    func warnings(_ report: DiagnosisReport, _ hop: Hop) -> [Suspicion] {
        (report.path.node(hop)?.suspicions ?? []).filter { $0.level >= .warning }
    }

    @Test func vxlanReplyIsReverseNATedAfterDecapsulation() throws {
        let report = try diagnose("lab-flannel-vxlan", "default/client", "svc/default/web", 80)
        #expect(report.verdict == .reachable)
        #expect(FlowComparison.backendOutcomes(report) == ["10.244.1.2": true, "10.244.2.2": true])
        let delivered = report.path.links.filter(\.isTerminal)
        #expect(delivered.allSatisfy { $0.packet.src.description == "10.96.0.10" && $0.packet.sport == 80 })
        // The healthy lab raises no MTU warning: pods and flannel.1 both use 1450.
        #expect(!warnings(report, Hop(type: .node, id: "node1")).contains { $0.message.contains("MTU") })
    }

    @Test func podVethsLargerThanTheTunnelAreWarnedOnTheNode() throws {
        let report = try diagnose("lab-flannel-vxlan-mtu-mismatch", "default/client", "default/web-1", 8080)
        #expect(report.verdict == .reachable)  // small packets still pass
        let mtu = try #require(warnings(report, Hop(type: .node, id: "node1")).first { $0.message.contains("MTU") })
        #expect(mtu.message.contains("flannel.1's MTU 1450"))
        #expect(mtu.evidence?.contains("mtu 1500") == true)
    }

    @Test func aGatewayNobodyOwnsIsUnreachableAndNamed() throws {
        let report = try diagnose("lab-flannel-hostgw-wrong-gateway", "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let node1 = warnings(report, Hop(type: .node, id: "node1"))
        #expect(node1.contains { $0.level == .fatal && $0.message.contains("No known host owns the gateway 192.168.56.99") })
        // The service still works through its same-node backend.
        let service = try diagnose("lab-flannel-hostgw-wrong-gateway", "default/client", "svc/default/web", 80)
        #expect(service.verdict == .partial)
        #expect(FlowComparison.backendOutcomes(service) == ["10.244.1.2": true, "10.244.2.2": false])
        // The default gateway is known: pod to external still works.
        let external = try diagnose("lab-flannel-hostgw-wrong-gateway", "default/client", LabTopology.externalIP, 0, .icmp)
        #expect(external.verdict == .reachable)
    }

    @Test func withoutBrNetfilterTheSameNodeServiceReplyIsNotReversedAndTheNodeIsBlamed() throws {
        let report = try diagnose("lab-flannel-hostgw-bridge-nf-off", "default/client", "svc/default/web-0", 80)
        #expect(report.verdict == .unreachable)
        let node1 = warnings(report, Hop(type: .node, id: "node1"))
        let bypass = try #require(node1.first { $0.message.contains("bridge-nf-call-iptables is 0") })
        #expect(bypass.message.contains("10.96.0.11:80 -> 10.244.1.2:8080"))
        let direct = try diagnose("lab-flannel-hostgw-bridge-nf-off", "default/client", "default/web-0", 8080)
        #expect(direct.verdict == .reachable)
    }

    @Test func withoutTheRemotePodRouteTheUncollectedGatewayDecidesSoTheVerdictIsUnknown() throws {
        // Without infra/ (a recapture adds the router: it is set aside), whether the router
        // 192.168.56.1 routes pod CIDRs is unknown. The capture has no BlockAffinities: the missing
        // range is named as web-1's block at Calico's default size, not as spec.podCIDR.
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-noinfra-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.url("lab-calico-bgp-remote-route-deleted"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        try? FileManager.default.removeItem(at: copy.appendingPathComponent("infra"))
        let collector = try CollectorManager(snapshot: copy.path)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, proto: .tcp),
                                           collector: collector)
        session.diagnostor.run()
        let report = session.report
        #expect(report.verdict == .unknown)
        let node1 = warnings(report, Hop(type: .node, id: "node1"))
        #expect(node1.contains { $0.level == .critical && $0.message.contains("node1 has no route for 10.244.2.0/26 (the default-size IPAM block of node2)") })
        #expect(!node1.contains { $0.level == .fatal })
        #expect(report.path.assumptions.contains { $0.node == Hop(type: .node, id: "node1") && $0.text.contains("192.168.56.1") && $0.text.contains("10.244.2.0/26") })
        #expect(report.path.links.contains { $0.destination == .router(IPAddress("192.168.56.1")!) && $0.isUncertain })
        // Proxy ARP on the cali* veth answers for 169.254.1.1: same-node traffic works.
        let local = try diagnose("lab-calico-bgp-remote-route-deleted", "default/client", "default/web-0", 8080)
        #expect(local.verdict == .reachable)
    }

    @Test func aDownCalicoHostVethLosesItsRouteAndIsNamed() throws {
        let report = try diagnose("lab-calico-bgp-host-veth-down", "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let veth = try #require(LabTopology(scenario: .calicoBGP).pod("web-1")?.hostVeth(.calicoBGP))
        let node2 = warnings(report, Hop(type: .node, id: "node2"))
        #expect(node2.contains { $0.message.contains("pod address of node2 itself") && $0.message.contains("host-side veth \(veth) is down") })
        // No routing loop through the router any more.
        #expect(!report.suspicions().contains { $0.suspicion.message.contains("Routing loop") })
    }

    @Test func aDetachedVethIsNamedWhenTheBridgeHasNoPortToThePod() throws {
        let report = try diagnose("lab-bridge-veth-detached", "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let veth = try #require(LabTopology(scenario: .bridge).pod("web-1")?.hostVeth(.bridge))
        let node2 = warnings(report, Hop(type: .node, id: "node2"))
        #expect(node2.contains { $0.message.contains("host-side veth \(veth) is not attached to bridge cni0") })
    }

    @Test func everyLocalizationKeywordIsFoundInItsFixture() throws {
        let cases: [(String, LabScenario, LabFault, String, String, UInt16)] = [
            ("lab-flannel-vxlan-mtu-mismatch", .flannelVXLAN, .mtuMismatch, "default/client", "default/web-1", 8080),
            ("lab-flannel-hostgw-wrong-gateway", .flannelHostGW, .wrongGateway, "default/client", "default/web-1", 8080),
            ("lab-flannel-hostgw-bridge-nf-off", .flannelHostGW, .bridgeNFOff, "default/client", "svc/default/web-0", 80),
            ("lab-calico-bgp-remote-route-deleted", .calicoBGP, .remoteRouteDeleted, "default/client", "default/web-1", 8080),
            ("lab-calico-bgp-host-veth-down", .calicoBGP, .hostVethDown, "default/client", "default/web-1", 8080),
            ("lab-bridge-veth-detached", .bridge, .vethDetached, "default/client", "default/web-1", 8080),
        ]
        for (fixture, scenario, fault, src, dst, port) in cases {
            let location = FaultLocation.of(fault, in: LabTopology(scenario: scenario, fault: fault))
            #expect(location.isLocalized(in: [try diagnose(fixture, src, dst, port)]), "\(fixture)")
            // The same words are not on the healthy lab's node.
            #expect(!location.isLocalized(in: [try diagnose("lab-flannel-vxlan", src, dst, port)]), "\(fixture) vs healthy")
        }
    }
}
