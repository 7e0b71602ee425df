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

    @Test("a dual-stack node's IPv6 pod CIDR routes are checked too: healthy, then one deleted")
    func ipv6PodCIDRRoutesAreChecked() throws {
        #expect(try suspicions("lab-flannel-vxlan-dual", node: "node1").isEmpty)
        let copy = try FixtureCopy("lab-flannel-vxlan-dual")
        // The route is in both route files (ip-route.json holds every family).
        let route = "{\"dst\":\"fd00:10:244:2::/64\",\"gateway\":\"fd00:10:244:2::\",\"dev\":\"flannel.1\",\"metric\":1024,\"flags\":[\"onlink\"],\"pref\":\"medium\"},"
        for file in ["ip-route.json", "ip-route6.json"] {
            try copy.edit("nodes/node1/netns/host/\(file)") { $0.replacingOccurrences(of: route, with: "") }
        }
        let collector = try CollectorManager(snapshot: copy.path)
        let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
        let found = PluginAssertion(plugin: network.plugin, cluster: collector.cluster, node: "node1",
                                    router: NetNSSimulator(info: try collector.netns(node: "node1", id: "host")).router).suspicions()
        #expect(found.map(\.message) == ["node1 has no route of its own to node2's pod CIDR fd00:10:244:2::/64: only the default route matches."])
        #expect(found.first?.hint?.contains("fd00:10:244:2::/64 via fd00:10:244:2:: dev flannel.1 onlink") == true)
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

    /// lab-calico-bgp's cluster with node1's host netns replaced by a capture routed the way Calico
    /// routes IPAM blocks (Tests/Lab/capture-calico-block-fixtures.sh), and the nodes' spec.podCIDR
    /// moved elsewhere, as on clusters whose Calico pool differs from kubeadm's pod network CIDR.
    func calicoBlockSuspicions(_ capture: String, movePodCIDRs: Bool = true) throws -> [Suspicion] {
        let copy = try FixtureCopy("lab-calico-bgp-remote-route-deleted")
        for file in ["ip-link.json", "ip-addr.json", "ip-route.json"] {
            try copy.write("nodes/node1/netns/host/\(file)", Fixtures.data("calico-blocks/\(capture)/\(file)"))
        }
        if movePodCIDRs {
            try copy.edit("k8s/nodes.json") { $0.replacingOccurrences(of: "10.244.", with: "10.99.") }
        }
        let collector = try CollectorManager(snapshot: copy.path)
        let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
        #expect(network.plugin.kind == .calico)
        return PluginAssertion(plugin: network.plugin, cluster: collector.cluster, node: "node1",
                               router: NetNSSimulator(info: try collector.netns(node: "node1", id: "host")).router).suspicions()
    }

    @Test func calicoBlocksRaiseNoFalseAlarm() throws {
        #expect(try calicoBlockSuspicions("node1-healthy").isEmpty)
        #expect(try calicoBlockSuspicions("node1-healthy", movePodCIDRs: false).isEmpty)
    }

    @Test func aMissingCalicoBlockRouteIsFound() throws {
        let found = try calicoBlockSuspicions("node1-remote-block-missing")
        let missing = try #require(found.first)
        #expect(found.count == 1)
        #expect(missing.level == .critical)
        #expect(missing.message.contains("node1 has no route of its own to node2's IPAM block holding 10.244.2.2 (10.244.2.0/26"))
        #expect(missing.hint == "calico installs: 10.244.2.0/26 via 192.168.56.12 dev <uplink> proto bird")
        #expect(!found.contains { $0.message.contains("10.99.") }, "spec.podCIDR is not Calico's routing")
    }
}
