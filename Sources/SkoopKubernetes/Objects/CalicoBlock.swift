import SkoopModel

/// A Calico IPAM block and the node it is affine to, from a crd.projectcalico.org/v1
/// BlockAffinity (spec.cidr, spec.node, spec.state, spec.deleted) or IPAMBlock (spec.cidr,
/// spec.affinity "host:NODE", spec.deleted). Calico's IPAM hands each node /26 blocks (by
/// default) of its pool and routes them, whatever the Node's spec.podCIDR says.
public struct CalicoBlock: Hashable, Sendable {
    /// The block.
    public var cidr: IPPrefix
    /// The node it is affine to.
    public var node: String
    /// The affinity's state: "confirmed" once the node holds the block ("pending",
    /// "pendingDeletion" while IPAM changes it). IPAMBlocks carry no state: "confirmed".
    public var state: String
    /// True while Calico deletes the block or its affinity.
    public var deleted: Bool

    /// Makes a block.
    public init(cidr: IPPrefix, node: String, state: String = "confirmed", deleted: Bool = false) {
        (self.cidr, self.node, self.state, self.deleted) = (cidr, node, state, deleted)
    }

    /// Whether the node holds the block now: confirmed and not being deleted. Only such
    /// blocks are routed (BIRD and Felix program confirmed affinities).
    public var isHeld: Bool { state == "confirmed" && !deleted }

    /// A BlockAffinity. Its spec.deleted is a string ("false") in the CRD, a bool in older dumps.
    init(affinity json: JSONNode) throws(InputError) {
        let spec = json["spec"], flag = spec["deleted"]
        var deleted = false
        if let bool = flag.value?.bool { deleted = bool } else if !flag.isAbsent { deleted = try flag.string() == "true" }
        self.init(cidr: try spec["cidr"].prefix(), node: try spec["node"].string(),
                  state: try spec["state"].optionalString() ?? "confirmed", deleted: deleted)
    }

    /// An IPAMBlock: affine to a host when spec.affinity is "host:NODE" (nil otherwise: a
    /// borrowed-from or virtual affinity routes no block to a node).
    static func ipamBlock(json: JSONNode) throws(InputError) -> CalicoBlock? {
        let spec = json["spec"]
        guard let affinity = try spec["affinity"].optionalString(), affinity.hasPrefix("host:") else { return nil }
        return CalicoBlock(cidr: try spec["cidr"].prefix(), node: String(affinity.dropFirst(5)),
                           deleted: try spec["deleted"].optionalBool() ?? false)
    }
}

extension CalicoBlock {
    /// The affinities, plus the IPAM blocks' host affinities for blocks no affinity names (an
    /// affinity says what the node holds; a block alone says whom IPAM gave it to).
    public static func merged(affinities: [CalicoBlock], ipamBlocks: [CalicoBlock]) -> [CalicoBlock] {
        let named = Set(affinities.map(\.cidr))
        return affinities + ipamBlocks.filter { !named.contains($0.cidr) }
    }
}

extension ClusterState {
    /// The same state with these Calico blocks (nil: none collected).
    public func with(calicoBlocks blocks: [CalicoBlock]?) -> ClusterState {
        var copy = self
        copy.calicoBlocks = blocks
        return copy
    }
}

extension [CalicoBlock] {
    /// The held block holding `address` (the most specific, should blocks overlap).
    public func block(holding address: IPAddress) -> CalicoBlock? {
        filter { $0.isHeld && $0.cidr.contains(address) }.max { $0.cidr.length < $1.cidr.length }
    }

    /// The held blocks of `node`.
    public func held(by node: String) -> [CalicoBlock] { filter { $0.isHeld && $0.node == node } }
}
