import Testing
import SkoopModel
import SkoopCollector
import SkoopNetstack
@testable import SkoopDiagnosis
import SkoopTestSupport

/// A route to one node's pods through a third node: lab snapshots with the asymmetric-return
/// fault (Tests/Lab/capture-verify-fixtures.sh, without ground-truth/ and infra/), where node2
/// routes node1's pods via node3's underlay address (bridge) or node3's VTEP (calico-vxlan), in
/// both families. node3 forwards them on, so nothing fails outright: the CNI route check names it.
@Suite struct DetourRouteTests {
    /// PluginAssertion's suspicions for `node` of the fixture, after `edit` of node2's routes.
    func suspicions(_ fixture: String, node: String, routes edit: (String) -> String = { $0 }) throws -> [Suspicion] {
        let copy = try FixtureCopy(fixture)
        try copy.edit("nodes/node2/netns/host/ip-route.json", edit)
        return try withExtendedLifetime(copy) {
            let collector = try CollectorManager(snapshot: copy.path)
            let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
            return PluginAssertion(plugin: network.plugin, cluster: collector.cluster, node: node,
                                   router: NetNSSimulator(info: try collector.netns(node: node, id: "host")).router).suspicions()
        }
    }

    @Test("bridge CNI: node2's routes to node1's pod CIDRs via node3's addresses are named, route and next hop")
    func bridgeRouteViaAnotherNode() throws {
        let found = try suspicions("lab-bridge-asymmetric-return", node: "node2")
        #expect(found.map(\.level) == [.critical, .critical])
        #expect(found.map(\.message) == [
            "The route on node2 to node1's pod CIDR 10.244.1.0/24 goes via 192.168.56.13, node3's address, not the node 192.168.56.11 that owns it.",
            "The route on node2 to node1's pod CIDR fd00:10:244:1::/64 goes via fd00:192:168:56::13, node3's address, not the node fd00:192:168:56::11 that owns it.",
        ])
        #expect(found.first?.evidence?.contains("10.244.1.0/24 via 192.168.56.13") == true, "\(found.first?.evidence ?? "")")
    }

    @Test("bridge CNI: the owner as next hop, or the underlay's router, is no detour")
    func bridgeHealthyRoutesRaiseNothing() throws {
        #expect(try suspicions("lab-bridge-asymmetric-return", node: "node1").isEmpty)
        #expect(try suspicions("lab-bridge-asymmetric-return", node: "node3").isEmpty)
        let direct = try suspicions("lab-bridge-asymmetric-return", node: "node2") {
            $0.replacingOccurrences(of: #""dst":"10.244.1.0/24","gateway":"192.168.56.13""#, with: #""dst":"10.244.1.0/24","gateway":"192.168.56.11""#)
                .replacingOccurrences(of: #""gateway":"fd00:192:168:56::13""#, with: #""gateway":"fd00:192:168:56::11""#)
        }
        #expect(direct.isEmpty)
        // Under a bridge CNI the underlay's routers carry pod CIDRs: a route via one is fine.
        let viaRouter = try suspicions("lab-bridge-asymmetric-return", node: "node2") {
            $0.replacingOccurrences(of: #""dst":"10.244.1.0/24","gateway":"192.168.56.13""#, with: #""dst":"10.244.1.0/24","gateway":"192.168.56.1""#)
        }
        #expect(viaRouter.map(\.message).allSatisfy { !$0.contains("10.244.1.0/24") })
    }

    @Test("calico VXLAN: node2's routes to node1's blocks via node3's VTEP are named, block and next hop")
    func calicoVXLANRouteViaAnotherNodesVTEP() throws {
        let found = try suspicions("lab-calico-vxlan-asymmetric-return", node: "node2")
        #expect(found.map(\.level) == [.critical, .critical])
        #expect(found.map(\.message) == [
            "The route on node2 to node1's IPAM block 10.244.1.0/26 (affine to node1) goes via 10.244.3.192, a VTEP address in node3's block 10.244.3.192/26, not one of node1's.",
            "The route on node2 to node1's IPAM block fd00:10:244:1::/122 (affine to node1) goes via fd00:10:244:3::192, a VTEP address in node3's block fd00:10:244:3::180/122, not one of node1's.",
        ])
        #expect(found.first?.evidence?.contains("10.244.1.0/26 via 10.244.3.192") == true, "\(found.first?.evidence ?? "")")
    }

    @Test("calico VXLAN: routes via the owner's own VTEP raise nothing")
    func calicoVXLANHealthyRoutesRaiseNothing() throws {
        #expect(try suspicions("lab-calico-vxlan-asymmetric-return", node: "node1").isEmpty)
        #expect(try suspicions("lab-calico-vxlan-asymmetric-return", node: "node3").isEmpty)
        let direct = try suspicions("lab-calico-vxlan-asymmetric-return", node: "node2") {
            $0.replacingOccurrences(of: #""gateway":"10.244.3.192","dev":"vxlan.calico","flags""#, with: #""gateway":"10.244.1.192","dev":"vxlan.calico","flags""#)
                .replacingOccurrences(of: #""gateway":"fd00:10:244:3::192","dev":"vxlan.calico","metric":1024,"flags":["onlink"],"pref":"medium"}"#,
                                      with: #""gateway":"fd00:10:244:1::192","dev":"vxlan.calico","metric":1024,"flags":["onlink"],"pref":"medium"}"#)
        }
        #expect(direct.isEmpty)
    }
}
