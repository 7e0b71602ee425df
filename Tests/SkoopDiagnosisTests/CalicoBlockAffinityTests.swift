import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopNetstack
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Calico's block affinities (k8s/blockaffinities.json, k8s/ipamblocks.json) as the source of
/// truth for which node holds which IPAM block. The snapshot is lab-calico-bgp's with node1's
/// host netns replaced by the calico-blocks captures and the nodes' spec.podCIDR moved to
/// 10.99.x (Calico ignores it); the affinity lists are constructed here.
@Suite struct CalicoBlockAffinityTests {
    /// A BlockAffinity as calico-ipam writes it.
    static func affinity(_ cidr: String, _ node: String, state: String = "confirmed", deleted: String = "false") -> String {
        let name = node + "-" + cidr.replacingOccurrences(of: ".", with: "-").replacingOccurrences(of: "/", with: "-")
        return #"{"apiVersion":"crd.projectcalico.org/v1","kind":"BlockAffinity","metadata":{"name":"\#(name)","resourceVersion":"7"},"spec":{"cidr":"\#(cidr)","deleted":"\#(deleted)","node":"\#(node)","state":"\#(state)"}}"#
    }

    static func list(_ items: [String]) -> String { #"{"apiVersion":"v1","kind":"List","items":[\#(items.joined(separator: ","))]}"# }

    static let labAffinities = [affinity("10.244.1.0/26", "node1"), affinity("10.244.2.0/26", "node2")]

    /// The network and its collector, and the copy they read from (removed when released).
    func network(_ capture: String, files: [String: String]) throws -> (Network, CollectorManager, FixtureCopy) {
        let copy = try FixtureCopy("lab-calico-bgp-remote-route-deleted")
        for file in ["ip-link.json", "ip-addr.json", "ip-route.json"] {
            try copy.write("nodes/node1/netns/host/\(file)", Fixtures.data("calico-blocks/\(capture)/\(file)"))
        }
        try copy.edit("k8s/nodes.json") { $0.replacingOccurrences(of: "10.244.", with: "10.99.") }
        for (file, text) in files { try copy.write("k8s/\(file)", text) }
        let collector = try CollectorManager(snapshot: copy.path)
        return (GenericProvider().network(collector: collector, context: DiagnosisContext()), collector, copy)
    }

    func suspicions(_ capture: String, files: [String: String]) throws -> [Suspicion] {
        let (network, collector, copy) = try network(capture, files: files)
        #expect(network.plugin.kind == .calico)
        return try withExtendedLifetime(copy) {
            PluginAssertion(plugin: network.plugin, cluster: collector.cluster, node: "node1",
                            router: NetNSSimulator(info: try collector.netns(node: "node1", id: "host")).router).suspicions()
        }
    }

    @Test func affinitiesMatchingTheRoutesRaiseNothing() throws {
        #expect(try suspicions("node1-healthy", files: ["blockaffinities.json": Self.list(Self.labAffinities)]).isEmpty)
    }

    @Test func aMissingBlockRouteNamesTheBlockAndItsNode() throws {
        let found = try suspicions("node1-remote-block-missing", files: ["blockaffinities.json": Self.list(Self.labAffinities)])
        #expect(found.count == 1)
        let missing = try #require(found.first)
        #expect(missing.level == .critical)
        #expect(missing.message == "node1 has no route of its own to node2's IPAM block 10.244.2.0/26 (affine to node2): only the default route matches.")
        #expect(missing.hint == "calico installs: 10.244.2.0/26 via 192.168.56.12 dev <uplink> proto bird")
    }

    @Test func aBlockWithoutPodsIsStillRoutedWhenItsAffinitySaysSo() throws {
        let affinities = Self.labAffinities + [Self.affinity("10.244.2.64/26", "node2")]
        let found = try suspicions("node1-healthy", files: ["blockaffinities.json": Self.list(affinities)])
        #expect(found.map(\.message) == ["node1 has no route of its own to node2's IPAM block 10.244.2.64/26 (affine to node2): only the default route matches."])
    }

    @Test func pendingOrDeletedAffinitiesAreNotHeld() throws {
        let affinities = Self.labAffinities + [Self.affinity("10.244.2.64/26", "node2", state: "pending"),
                                               Self.affinity("10.244.2.128/26", "node2", deleted: "true")]
        #expect(try suspicions("node1-healthy", files: ["blockaffinities.json": Self.list(affinities)]).isEmpty)
    }

    @Test func aPodOutsideItsNodesBlocksIsAWarning() throws {
        let affinities = [Self.affinity("10.244.1.64/26", "node1"), Self.affinity("10.244.2.0/26", "node2")]
        let found = try suspicions("node1-healthy", files: ["blockaffinities.json": Self.list(affinities)])
        let strays = found.filter { $0.level == .warning }
        #expect(strays.count == 2)
        #expect(strays.first?.message == "The pod at 10.244.1.2 on node1 is outside every IPAM block affine to node1 (10.244.1.64/26).")
    }

    @Test func ipamBlocksGiveTheAffinityWhenNoBlockAffinityIsCollected() throws {
        let block = #"{"apiVersion":"crd.projectcalico.org/v1","kind":"IPAMBlock","metadata":{"name":"10-244-2-64-26"},"spec":{"affinity":"host:node2","allocations":[],"attributes":[],"cidr":"10.244.2.64/26","deleted":false,"strictAffinity":false,"unallocated":[]}}"#
        let found = try suspicions("node1-healthy", files: ["blockaffinities.json": Self.list(Self.labAffinities),
                                                            "ipamblocks.json": Self.list([block])])
        #expect(found.map(\.message) == ["node1 has no route of its own to node2's IPAM block 10.244.2.64/26 (affine to node2): only the default route matches."])
    }

    @Test func podAddressesBelongToTheNodeHoldingTheirBlockNotItsPodCIDR() throws {
        let (withBlocks, _, blocksCopy) = try network("node1-healthy", files: ["blockaffinities.json": Self.list(Self.labAffinities)])
        // An address of node2's block that no pod holds: the affinity still says whose it is.
        #expect(withBlocks.owner(ofUnderlayAddress: IPAddress("10.244.2.40")!) == Hop(type: .node, id: "node2"))
        #expect(withBlocks.owner(ofUnderlayAddress: IPAddress("10.99.2.1")!).type == .external, "spec.podCIDR is not Calico's")
        let (derived, _, derivedCopy) = try network("node1-healthy", files: [:])
        #expect(derived.owner(ofUnderlayAddress: IPAddress("10.244.2.2")!) == Hop(type: .node, id: "node2"))
        withExtendedLifetime((blocksCopy, derivedCopy)) {}
    }
}
