import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// Calico routes IPAM blocks (/26 by default), never `spec.podCIDR`: a node's own blocks are
/// `blackhole BLOCK proto bird`, its pods `/32 dev caliXXX`, and another node's blocks
/// `BLOCK via NODE proto bird` (BGP), through tunl0 (IPIP) or vxlan.calico (VXLAN). The blocks in
/// use are where the other nodes' pods are: each pod address must be routed towards its node by a
/// route of the kind the mode installs. Checked once per block, so a cluster of 5,000 pods costs a
/// lookup per block, not per pod.
struct CalicoBlockAssertion {
    /// Calico's default IPAM block size (blockSize of its IPv4 and IPv6 pools), for naming a
    /// block no route reveals.
    static func defaultBlockLength(_ family: AddressFamily) -> Int { family == .inet ? 26 : 122 }

    /// Whether a route's prefix is the size of an IPAM block (IPv4 /16–/31 as pools allow it,
    /// IPv6 /116–/127), not a host route or a whole pool.
    static func isBlockSized(_ prefix: IPPrefix) -> Bool {
        prefix.network.family == .inet ? prefix.length >= 16 && prefix.length < 32 : prefix.length >= 116 && prefix.length < 128
    }

    let plugin: any Plugin
    let cluster: ClusterState
    /// The node being checked.
    let node: String
    /// Its host netns's router.
    let router: Router

    /// True when the node's routes show Calico's block routing (BIRD's or Felix's routes):
    /// only then are blocks checked; a layout that routes whole per-node pod CIDRs without BIRD
    /// is checked per podCIDR as before.
    static func routesBlocks(_ router: Router) -> Bool {
        router.routes.contains { $0.family == .inet && calicoProtocols.contains($0.protocolName ?? "") }
    }

    /// The route protocols of Calico's block routes: BIRD's (12, named bird in iproute2's
    /// rt_protos) and Felix's (80, which it uses for VXLAN and its own BGP-less routes).
    static let calicoProtocols: Set<String> = ["bird", "12", "80"]

    func suspicions() -> [Suspicion] {
        guard let blocks = cluster.calicoBlocks else { return derivedBlockSuspicions() }
        return affineBlockSuspicions(blocks) + strayPodSuspicions(blocks)
    }

    /// Block affinities say which node holds which block: each held block of another node must
    /// be routed towards it, pods or not.
    func affineBlockSuspicions(_ blocks: [CalicoBlock]) -> [Suspicion] {
        let mode = plugin.mode?.lowercased()
        return cluster.podNetworks.filter { $0.node != node }.flatMap { other in
            blocks.held(by: other.node).compactMap { block in
                check(block.cidr, probe: block.cidr.network, owner: other, mode: mode,
                      named: "IPAM block \(block.cidr) (affine to \(other.node))", consequence: "")
            }
        }
    }

    /// Without affinities, the blocks in use are where the other nodes' pods are.
    func derivedBlockSuspicions() -> [Suspicion] {
        var found: [Suspicion] = []
        var settled: [IPPrefix] = []
        let mode = plugin.mode?.lowercased()
        let addressesByNode = cluster.podAddressesByNode()
        for other in cluster.podNetworks where other.node != node {
            for address in addressesByNode[other.node] ?? [] {
                guard !settled.contains(where: { $0.contains(address) }) else { continue }
                let specific = router.lookup(RouteQuery(destination: address), choosingSource: false).route
                    .flatMap { $0.destination.length > 0 ? $0.destination : nil }
                let block = specific.flatMap { Self.isBlockSized($0) ? $0 : nil }
                    ?? IPPrefix(address, length: Self.defaultBlockLength(address.family))!
                settled.append(block)
                let named = specific == block ? "IPAM block \(block)" : "IPAM block holding \(address) (\(block) at Calico's default block size)"
                if let suspicion = check(block, probe: address, owner: other, mode: mode, named: named,
                                         consequence: " its pod at \(address) is unreachable from here.") {
                    found.append(suspicion)
                }
            }
        }
        return found
    }

    /// What is wrong with this node's route to `owner`'s block (probed at `probe`), if anything.
    private func check(_ block: IPPrefix, probe: IPAddress, owner other: NodePodNetwork, mode: String?,
                       named: String, consequence: String) -> Suspicion? {
        let result = router.lookup(RouteQuery(destination: probe), choosingSource: false)
        // The next hop is the owner's address of the block's family (a dual-stack node has two).
        let remote = probe.family == other.remoteIP.family ? other.remoteIP
            : cluster.node(named: other.node)?.internalIPs.first { $0.family == probe.family } ?? other.remoteIP
        let hint = "calico installs: \(expectedRoute(to: block, remote: remote, mode: mode))"
        guard result.outcome == .unicast, let branch = result.branches.first else {
            return Suspicion(
                level: .fatal,
                message: "No usable route on \(node) to \(other.node)'s \(named) (\(result.outcome.rawValue))" + (consequence.isEmpty ? "." : ";" + consequence),
                evidence: result.decision.route ?? "ip route get \(probe): \(result.outcome.rawValue)", hint: hint)
        }
        if result.route.map({ $0.destination.length == 0 }) ?? true {
            return Suspicion(level: .critical,
                             message: "\(node) has no route of its own to \(other.node)'s \(named): only the default route matches.",
                             evidence: result.decision.route, hint: hint)
        }
        if let problem = mismatch(branch, remote: remote, mode: mode) ?? detour(branch, owner: other.node, mode: mode) {
            return Suspicion(level: .critical, message: "The route on \(node) to \(other.node)'s \(named) \(problem).",
                             evidence: result.decision.route, hint: hint)
        }
        return nil
    }

    /// This node's pods whose addresses lie outside every block affine to it: Calico's IPAM
    /// never hands those out, and other nodes route them by their blocks, elsewhere or nowhere.
    func strayPodSuspicions(_ blocks: [CalicoBlock]) -> [Suspicion] {
        let own = blocks.held(by: node)
        return (cluster.podAddressesByNode()[node] ?? []).filter { address in !own.contains { $0.cidr.contains(address) } }.map { address in
            let elsewhere = blocks.block(holding: address).map { " It lies in \($0.node)'s block \($0.cidr): other nodes route it there." } ?? ""
            return Suspicion(
                level: .warning,
                message: "The pod at \(address) on \(node) is outside every IPAM block affine to \(node) (\(own.map(\.cidr.description).joined(separator: ", ")))." + elsewhere,
                evidence: "BlockAffinities of \(node): \(own.isEmpty ? "none" : own.map(\.cidr.description).joined(separator: ", "))",
                hint: "Calico IPAM allocates a node's pods from its own blocks; check calicoctl ipam check and how the address was assigned.")
        }
    }

    /// The route Calico installs for a remote block, as `ip route` takes it.
    func expectedRoute(to block: IPPrefix, remote: IPAddress, mode: String?) -> String {
        switch mode {
        case "ipip"?: "\(block) via \(remote) dev tunl0 proto bird onlink"
        case "vxlan"?: "\(block) via <\(remote)'s VTEP address> dev vxlan.calico onlink"
        default: "\(block) via \(remote) dev <uplink> proto bird"
        }
    }

    /// A VXLAN next hop that is another node's VTEP (an address in a block affine to that node):
    /// the traffic detours through it.
    func detour(_ branch: RouteBranch, owner: String, mode: String?) -> String? {
        guard mode == "vxlan", let gateway = branch.gateway, let block = cluster.calicoBlocks?.block(holding: gateway),
              block.node != owner else { return nil }
        return "goes via \(gateway), a VTEP address in \(block.node)'s block \(block.cidr), not one of \(owner)'s"
    }

    /// What is wrong with the next hop for Calico's mode, if anything.
    func mismatch(_ branch: RouteBranch, remote: IPAddress, mode: String?) -> String? {
        let device = branch.oif.flatMap { name in router.interfaces.first { $0.name == name } }
        switch mode {
        case "vxlan"?:
            if device?.vxlan == nil { return "leaves through \(branch.oif ?? "?"), not vxlan.calico" }
        case "ipip"?:
            if device?.kind != "ipip" { return "leaves through \(branch.oif ?? "?"), not tunl0" }
            if branch.gateway != remote { return "goes via \(branch.gateway?.description ?? "no gateway"), not the node \(remote)" }
        default:
            // BGP: the next hop is the owning node; a tunnel device is the other modes' (kept quiet).
            if let gateway = branch.gateway, gateway != remote, device?.vxlan == nil, device?.kind != "ipip" {
                return "goes via \(gateway), not the node \(remote) that owns it"
            }
            if branch.gateway == nil, device?.vxlan == nil, device?.kind != "ipip" {
                return "leaves through \(branch.oif ?? "?") without a gateway, not via the node \(remote)"
            }
        }
        return nil
    }
}
