import Testing
import SkoopModel
import SkoopCollector
import SkoopNetstack
@testable import SkoopDiagnosis
import SkoopTestSupport

/// The CNI's expected routes, checked on lab captures (healthy and faulty).
@Suite struct PluginAssertionTests {
    func suspicions(_ fixture: String, node: String) throws -> [Suspicion] {
        let collector = try CollectorManager(snapshot: Fixtures.url(fixture).path)
        let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
        return PluginAssertion(plugin: network.plugin, cluster: collector.cluster, node: node,
                               router: NetNSSimulator(info: try collector.netns(node: node, id: "host")).router).suspicions()
    }

    @Test func healthyFlannelVXLANNodesHaveTheExpectedRoutes() throws {
        #expect(try suspicions("lab-flannel-vxlan", node: "node1").isEmpty)
        #expect(try suspicions("lab-flannel-vxlan", node: "node2").isEmpty)
    }

    @Test func aWrongGatewayIsNamedWithTheRouteFlannelInstalls() throws {
        let found = try suspicions("lab-flannel-hostgw-wrong-gateway", node: "node1")
        let wrong = try #require(found.first)
        #expect(wrong.level == .critical)
        #expect(wrong.message.contains("goes via 192.168.56.99, not the node 192.168.56.12"))
        #expect(wrong.hint?.contains("10.244.2.0/24 via 192.168.56.12") == true)
    }

    @Test func aDeletedCalicoRouteLeavesOnlyTheDefault() throws {
        let found = try suspicions("lab-calico-bgp-remote-route-deleted", node: "node1")
        #expect(found.contains { $0.message.contains("no route of its own to node2's pod CIDR 10.244.2.0/24") })
        #expect(try suspicions("lab-calico-bgp-remote-route-deleted", node: "node2").isEmpty)
    }
}
