import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector

/// Why a hop can't be simulated.
public struct NodeUnavailable: Error, CustomStringConvertible, Sendable {
    /// The reason, for the user.
    public var description: String
}

/// What the diagnoses of one snapshot under one context can share: each netns's simulator and
/// checks depend only on the netns, the cluster and the plugin, never on the query (the
/// NetNodeActions, which hold the query's intended destinations, stay per manager).
public final class SharedNetstacks: Sendable {
    fileprivate let simulators = Locked<[String: NetNSSimulator]>([:])
    fileprivate let assertionResults = Locked<[String: [Suspicion]]>([:])

    /// An empty cache.
    public init() {}
}

/// Creates the NetNodeAction of each hop from the snapshot, lazily, and caches it.
public final class SnapshotNetNodeManager: NetNodeManager {
    /// The network being diagnosed.
    public let network: Network
    private let cache = Locked<[Hop: any NetNodeAction]>([:])
    private let shared: SharedNetstacks
    private var simulators: Locked<[String: NetNSSimulator]> { shared.simulators }
    private var assertionResults: Locked<[String: [Suspicion]]> { shared.assertionResults }

    /// Makes a manager over `network`; `shared` lets several diagnoses of the same snapshot and
    /// context build each netns's simulator and checks once.
    public init(network: Network, shared: SharedNetstacks = SharedNetstacks()) {
        self.network = network
        self.shared = shared
    }

    /// Builds what a walk will need from `node`'s host netns (its simulator and checks) ahead
    /// of the walk; a failure is left for the walk to meet and report.
    @Sendable func warmHost(_ node: String) {
        guard let host = try? action(for: Hop(type: .node, id: node)) as? LinuxNetNode else { return }
        _ = host.assertions()
    }

    /// The checks of netns `netns` on `node`, made once: they depend only on the netns and the
    /// cluster, and the plugin check alone routes to every node's pod CIDR.
    func assertions(node: String, netns: String, _ make: () -> [Suspicion]) -> [Suspicion] {
        let key = "\(node)/\(netns)"
        if let cached = assertionResults.withLock({ $0[key] }) { return cached }
        let made = make()
        assertionResults.withLock { $0[key] = made }
        return made
    }

    public func action(for hop: Hop) throws -> any NetNodeAction {
        if let cached = cache.withLock({ $0[hop] }) { return cached }
        let action = try makeAction(for: hop)
        cache.withLock { $0[hop] = action }
        return action
    }

    private func makeAction(for hop: Hop) throws -> any NetNodeAction {
        switch (hop.type, hop.identity) {
        case (.pod, let identity):
            guard case .pod(let namespace, let name) = identity, let pod = network.cluster.pod(namespace: namespace, name: name) else {
                throw NodeUnavailable(description: "pod \(hop.id) is not in k8s/pods.json")
            }
            guard let nodeName = pod.nodeName else {
                throw NodeUnavailable(description: "pod \(hop.id) is not scheduled on a node")
            }
            guard let address = pod.podIPs.first else {
                throw NodeUnavailable(description: "pod \(hop.id) has no IP address yet")
            }
            guard network.collector.collectedNodes.contains(nodeName) else {
                throw NodeUnavailable(description: "no data for node \(nodeName) (pod \(hop.id) runs there): it was not collected")
            }
            try network.collector.prepare(node: nodeName)  // a live node is collected here, or says why not
            guard let netnsID = network.collector.netns(node: nodeName, owning: address) else {
                throw NodeUnavailable(description: "no netns on node \(nodeName) holds \(address), the address of pod \(hop.id)")
            }
            return LinuxNetNode(hop: hop, node: nodeName, netnsID: netnsID, simulator: try simulator(node: nodeName, netns: netnsID),
                                network: network, manager: self, pod: pod)
        case (.node, _):
            guard network.collector.collectedNodes.contains(hop.id) else {
                throw NodeUnavailable(description: "no data for node \(hop.id): it was not collected")
            }
            try network.collector.prepare(node: hop.id)
            return LinuxNetNode(hop: hop, node: hop.id, netnsID: "host", simulator: try simulator(node: hop.id, netns: "host"),
                                network: network, manager: self, pod: nil)
        case (.generic, .netns(let node, let netns)) where network.collector.netnsIDs(node: node).contains(netns):
            // A collected netns no pod claims (e.g. a pod missing from pods.json).
            return LinuxNetNode(hop: hop, node: node, netnsID: netns, simulator: try simulator(node: node, netns: netns),
                                network: network, manager: self, pod: nil)
        case (.generic, _), (.external, _):
            return ExternalNode(hop: hop, network: network)
        case (.infra, .infraDevice(let device)):
            // A collected router: its routes, policy rules, netfilter and sysctls decide, as a node's do.
            guard network.collector.infraDevices.contains(device) else {
                throw NodeUnavailable(description: "no data for infrastructure device \(device): it was not collected (skoop collect --infra \(device))")
            }
            let key = InfraDevice.key(device)
            return LinuxNetNode(hop: hop, node: key, netnsID: "host", simulator: try simulator(node: key, netns: "host"),
                                network: network, manager: self, pod: nil)
        case (.infra, _):
            return InfraNode(hop: hop, network: network)
        }
    }

    /// The simulator of one netns, built once.
    public func simulator(node: String, netns: String) throws -> NetNSSimulator {
        let key = "\(node)/\(netns)"
        if let cached = simulators.withLock({ $0[key] }) { return cached }
        let info = try network.collector.netns(node: node, id: netns)
        let simulator = NetNSSimulator(info: info)
        simulators.withLock { $0[key] = simulator }
        return simulator
    }

    /// The hop that a netns of `node` stands for: its pod, or the node itself for "host".
    func hop(node: String, netns: String) -> Hop {
        if netns == "host" { return InfraDevice.name(ofKey: node).map(Hop.infraDevice) ?? Hop(type: .node, id: node) }
        if let info = try? network.collector.netns(node: node, id: netns) {
            for address in info.routableAddresses {
                if let pod = network.cluster.ipCache.pod(ip: address) { return network.hop(of: pod) }
            }
        }
        return .netns(node: node, netns: netns)
    }
}
