import Foundation
import Testing
import SkoopModel
import SkoopKubernetes
@testable import SkoopCollector
@testable import SkoopLab

/// The lab's Calico scenarios route IPAM blocks the way Calico does, and say so in BlockAffinities.
@Suite("Lab plans: Calico's IPAM blocks")
struct LabCalicoBlockTests {
    func plan(_ scenario: LabScenario, _ fault: LabFault? = nil) -> LabPlan {
        LabPlanner(topology: LabTopology(scenario: scenario, fault: fault), prefix: "t").plan()
    }

    func routes(_ plan: LabPlan, on node: String) -> [[String]] {
        plan.commands.map(\.argv).filter { $0.starts(with: ["ip", "-n", "t-\(node)", "route"]) }.map { Array($0.dropFirst(4)) }
    }

    @Test("BGP: the node's blocks blackholed by BIRD, the other node's blocks via it, no pod CIDR route")
    func bgpBlocks() {
        let node1 = routes(plan(.calicoBGP), on: "node1")
        #expect(node1.contains(["add", "blackhole", "10.244.1.0/26", "proto", "bird"]))
        #expect(node1.contains(["add", "blackhole", "10.244.1.192/26", "proto", "bird"]))
        #expect(node1.contains(["add", "10.244.2.0/26", "via", "192.168.56.12", "dev", "ens4", "proto", "bird"]))
        #expect(node1.contains(["add", "10.244.2.192/26", "via", "192.168.56.12", "dev", "ens4", "proto", "bird"]))
        #expect(!node1.contains { $0.contains { $0.hasSuffix("/24") } })
    }

    @Test("VXLAN: Felix's routes (protocol 80) through vxlan.calico via the VTEP, whose address is in the second block")
    func vxlanBlocks() {
        let node1 = routes(plan(.calicoVXLAN), on: "node1")
        #expect(node1.contains(["add", "blackhole", "10.244.1.0/26", "proto", "80"]))
        #expect(node1.contains(["add", "10.244.2.0/26", "via", "10.244.2.192", "dev", "vxlan.calico", "onlink", "proto", "80"]))
        #expect(node1.contains(["add", "10.244.2.192/26", "via", "10.244.2.192", "dev", "vxlan.calico", "onlink", "proto", "80"]))
    }

    @Test("route faults act on the block holding the pods")
    func faultsTakeTheBlock() {
        #expect(routes(plan(.calicoBGP, .remoteRouteDeleted), on: "node1").contains(["del", "10.244.2.0/26"]))
        #expect(routes(plan(.calicoBGP, .wrongGateway), on: "node1")
            .contains(["replace", "10.244.2.0/26", "via", "192.168.56.99", "dev", "ens4"]))
        #expect(routes(plan(.calicoVXLAN, .asymmetricReturn), on: "node2")
            .contains(["replace", "10.244.1.0/26", "via", "10.244.3.192", "dev", "vxlan.calico", "onlink"]))
        #expect(routes(plan(.flannelHostGW, .remoteRouteDeleted), on: "node1").contains(["del", "10.244.2.0/24"]))
    }

    @Test("BlockAffinities name each node's blocks; the Nodes' spec.podCIDR is elsewhere, as Calico ignores it")
    func affinities() throws {
        let files = LabKubernetesObjects.files(for: LabTopology(scenario: .calicoBGP))
        let data = try LabKubernetesObjects.data(try #require(files["blockaffinities.json"]))
        let cluster = try ClusterState.decode(KubernetesDocuments.with(affinities: data))
        let blocks = try #require(cluster.calicoBlocks)
        #expect(blocks.map { "\($0.node) \($0.cidr)" } == ["node1 10.244.1.0/26", "node1 10.244.1.192/26",
                                                            "node2 10.244.2.0/26", "node2 10.244.2.192/26"])
        #expect(blocks.allSatisfy { $0.isHeld })
        let nodes = try #require(files["nodes.json"]?["items"] as? [[String: Any]])
        let podCIDRs = nodes.compactMap { ($0["spec"] as? [String: Any])?["podCIDR"] as? String }
        #expect(podCIDRs == ["10.244.101.0/24", "10.244.102.0/24"])
        let flannel = LabKubernetesObjects.files(for: LabTopology(scenario: .flannelVXLAN))
        #expect(flannel["blockaffinities.json"] == nil)
    }
}

extension KubernetesDocuments {
    /// Only a blockaffinities.json.
    static func with(affinities data: Data) -> KubernetesDocuments {
        var documents = KubernetesDocuments()
        documents.calicoBlockAffinities = SourceData(data: data, source: "k8s/blockaffinities.json")
        return documents
    }
}
