import SkoopModel
import SkoopKubernetes

/// The range a node's pods take their addresses from, the way the CNI allocates them: Calico's
/// IPAM blocks (it ignores spec.podCIDR), every other CNI's node pod CIDR.
struct PodRange {
    /// The node the range belongs to.
    let node: Node
    /// The range.
    let prefix: IPPrefix
    /// How it is named in suspicions: "pod CIDR", "IPAM block", "default-size IPAM block".
    let kind: String

    /// "the IPAM block of node2".
    var described: String { "the \(kind) of \(node.name)" }
}

extension Network {
    /// The range holding `address` and its node. Calico: the block a BlockAffinity gives a node,
    /// or without affinities the block (at Calico's default size) of the pod holding the
    /// address; nil for an address no block or pod explains, never spec.podCIDR.
    func podRange(holding address: IPAddress) -> PodRange? {
        guard plugin.kind == .calico else {
            guard let node = cluster.node(owningPodAddress: address),
                  let cidr = node.podCIDRs.first(where: { $0.contains(address) }) else { return nil }
            return PodRange(node: node, prefix: cidr, kind: "pod CIDR")
        }
        if let blocks = cluster.calicoBlocks {
            guard let block = blocks.block(holding: address), let node = cluster.node(named: block.node) else { return nil }
            return PodRange(node: node, prefix: block.cidr, kind: "IPAM block")
        }
        guard let pod = cluster.ipCache.pod(ip: address), let node = cluster.node(of: pod),
              let block = IPPrefix(address, length: CalicoBlockAssertion.defaultBlockLength(address.family)) else {
            return nil
        }
        // No affinity says how big the block is: Calico's default size, and the name says so.
        return PodRange(node: node, prefix: block, kind: "default-size IPAM block")
    }
}
