import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// What the CNI plugin should have installed on a node, checked against what is there: a route
/// to every other node's pod CIDR, of the kind the plugin and its mode install (flannel: its
/// subnet lease, via the node's public-ip annotation; bridge: spec.podCIDR), or for Calico with
/// BIRD's block routes, a route to every IPAM block other nodes' pods use (CalicoBlockAssertion).
struct PluginAssertion {
    let plugin: any Plugin
    let cluster: ClusterState
    /// The node being checked.
    let node: String
    /// Its host netns's router (the simulator's: built once per netns).
    let router: Router

    func suspicions() -> [Suspicion] {
        guard [.flannel, .calico, .bridge].contains(plugin.kind) else { return [] }
        // Calico's block affinities, or its routes, tell its blocks; spec.podCIDR is Calico's only
        // on layouts that route whole pod CIDRs themselves.
        if plugin.kind == .calico, cluster.calicoBlocks != nil || CalicoBlockAssertion.routesBlocks(router) {
            return CalicoBlockAssertion(plugin: plugin, cluster: cluster, node: node, router: router).suspicions()
        }
        var found: [Suspicion] = []
        var devices = DeviceCache(router: router)
        for other in cluster.podNetworks where other.node != node {
            for cidr in other.cidrs {
                let remoteIP = other.remoteIP(cidr.family)
                let probe = cidr.network  // the first address of the remote pod network
                let result = router.lookup(RouteQuery(destination: probe), choosingSource: false)
                // Worded only for a suspicion: the check runs for every node of the cluster.
                func expected() -> String? { expectedRoute(to: cidr, remote: remoteIP) }
                guard result.outcome == .unicast, let branch = result.branches.first else {
                    found.append(Suspicion(
                        level: .fatal,
                        message: "No usable route on \(node) to \(other.node)'s pod CIDR \(cidr) (\(result.outcome.rawValue)).",
                        evidence: result.decision.route ?? "ip route get \(probe): \(result.outcome.rawValue)",
                        hint: expected().map { "\(plugin.name) installs: ip route add \($0)" }))
                    continue
                }
                // Under a kubenet-like bridge CNI the underlay's routers carry the pod CIDRs:
                // the default route is the normal way there.
                if result.route?.destination.length == 0, !plugin.underlayRoutesPodAddresses {
                    found.append(Suspicion(level: .critical,
                                           message: "\(node) has no route of its own to \(other.node)'s pod CIDR \(cidr): only the default route matches.",
                                           evidence: result.decision.route,
                                           hint: expected().map { "\(plugin.name) (\(plugin.mode ?? "default")) installs: \($0)" }))
                } else if let problem = mismatch(branch: branch, device: devices.device(branch.oif), cidr: cidr, remote: remoteIP) {
                    found.append(Suspicion(level: .critical, message: "The route on \(node) to \(other.node)'s pod CIDR \(cidr) \(problem).",
                                           evidence: result.decision.route,
                                           hint: expected().map { "\(plugin.name) (\(plugin.mode ?? "default")) installs: \($0)" }))
                }
            }
        }
        return found
    }

    /// The route the plugin installs for a remote pod CIDR, as `ip route` takes it.
    func expectedRoute(to cidr: IPPrefix, remote: IPAddress) -> String? {
        switch (plugin.kind, plugin.mode?.lowercased()) {
        case (.flannel, "vxlan"?): return "\(cidr) via \(cidr.network) dev flannel.1 onlink"
        case (.flannel, _): return "\(cidr) via \(remote) dev <uplink>"
        case (.calico, "ipip"?): return "\(cidr) via \(remote) dev tunl0 onlink proto bird"
        case (.calico, "vxlan"?): return "\(cidr) via \(cidr.network) dev vxlan.calico onlink"
        case (.calico, _): return "\(cidr) via \(remote) dev <uplink> proto bird"
        default: return nil
        }
    }

    /// What is wrong with the route's next hop for this plugin, if anything.
    func mismatch(branch: RouteBranch, device: NetInterface?, cidr: IPPrefix, remote: IPAddress) -> String? {
        switch (plugin.kind, plugin.mode?.lowercased()) {
        case (.flannel, "vxlan"?):
            if device?.vxlan == nil { return "leaves through \(branch.oif ?? "?"), not the VXLAN device" }
            if let gateway = branch.gateway, gateway != cidr.network { return "goes via \(gateway), not the remote VTEP \(cidr.network)" }
        case (.calico, "vxlan"?):
            // Calico's VTEP address comes from the remote node's own IPAM block: any address of it.
            if device?.vxlan == nil { return "leaves through \(branch.oif ?? "?"), not the VXLAN device" }
            if let gateway = branch.gateway, !cidr.contains(gateway) {
                return "goes via \(gateway), not a VTEP address of the remote node's pod network \(cidr)"
            }
        case (.calico, "ipip"?):
            if device?.kind != "ipip" { return "leaves through \(branch.oif ?? "?"), not tunl0" }
            if branch.gateway != remote { return "goes via \(branch.gateway?.description ?? "no gateway"), not the node \(remote)" }
        case (.flannel, _), (.calico, _):
            if let gateway = branch.gateway, gateway != remote, device?.vxlan == nil, device?.kind != "ipip" {
                return "goes via \(gateway), not the node \(remote) that owns it"
            }
        case (.bridge, _):
            // The underlay may route pod CIDRs anywhere, but a next hop that is another node detours.
            if let gateway = branch.gateway, gateway != remote, let detour = Self.node(withAddress: gateway, in: cluster) {
                return "goes via \(gateway), \(detour)'s address, not the node \(remote) that owns it"
            }
        default:
            break
        }
        return nil
    }

    /// The cluster node that has `address` (the address other nodes send its pods' traffic to,
    /// or one of its own), if any.
    static func node(withAddress address: IPAddress, in cluster: ClusterState) -> String? {
        cluster.podNetworks.first { $0.remoteIP == address }?.node
            ?? cluster.podNetworks.first { cluster.node(named: $0.node)?.ipAddresses.contains(address) == true }?.node
    }
}

/// The interface a route leaves through, looked up once per name: the routes to 5,000 pod
/// CIDRs mostly leave through the same device.
private struct DeviceCache {
    let router: Router
    private var last: (name: String, device: NetInterface?)?

    init(router: Router) { self.router = router }

    mutating func device(_ name: String?) -> NetInterface? {
        guard let name else { return nil }
        if let last, last.name == name { return last.device }
        let device = router.interfaces.first { $0.name == name }
        last = (name, device)
        return device
    }
}
