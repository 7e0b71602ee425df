import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector

/// Assertions about infrastructure between nodes (cloud networks, routers), per provider.
public protocol InfraShim: Sendable {
    /// Where the infrastructure delivers a packet that left a node towards `gateway`
    /// (nil when the packet was sent on-link to its destination).
    func nextHop(for packet: Packet, gateway: IPAddress?, network: Network) -> Hop
    /// What the shim says about the infrastructure on this path.
    func suspicions(for packet: Packet) -> [Suspicion]
}

/// The generic shim: the underlay delivers every packet to whoever owns its destination.
/// It asserts nothing about the network between nodes, and says so once.
public struct GenericInfraShim: InfraShim {
    /// Makes the shim.
    public init() {}

    public func nextHop(for packet: Packet, gateway: IPAddress?, network: Network) -> Hop {
        network.owner(ofUnderlayAddress: packet.dst)
    }

    public func suspicions(for packet: Packet) -> [Suspicion] {
        [Suspicion(level: .info,
                   message: "The network between nodes is not simulated: it is assumed to deliver packets to whoever owns their destination.")]
    }
}

/// A CNI plugin: names its devices and checks what it should have installed.
public protocol Plugin: Sendable {
    /// "flannel", "calico", "bridge", ...
    var name: String { get }
    /// The mode ("vxlan", "host-gw", "bgp", "ipip", ...), when known.
    var mode: String? { get }
}

extension Plugin {
    /// Whether the CNI enforces NetworkPolicy: calico does, flannel and a plain bridge don't;
    /// nil when unknown.
    public var enforcesNetworkPolicy: Bool? {
        switch name {
        case "calico", "cilium", "antrea", "weave", "canal": true
        case "flannel", "bridge", "kubenet": false
        default: nil
        }
    }
}

extension Plugin {
    /// Whether the network between nodes routes pod CIDRs (kubenet-style cloud routes).
    /// Flannel and Calico route pod traffic on the nodes themselves (tunnels or node-to-node
    /// routes): a router on the underlay has no route for pod addresses.
    public var underlayRoutesPodAddresses: Bool {
        switch name {
        case "flannel", "calico": false
        default: true
        }
    }
}

/// A plugin known only by name: generic Linux simulation applies.
public struct GenericPlugin: Plugin {
    public var name: String
    public var mode: String?

    /// Makes a plugin description.
    public init(name: String, mode: String?) {
        self.name = name
        self.mode = mode
    }
}

/// A cluster's container network: everything a diagnosis needs (plugin, infra shim, data).
public struct Network: Sendable {
    /// The snapshot's data.
    public let collector: CollectorManager
    /// The CNI plugin.
    public let plugin: any Plugin
    /// kube-proxy's mode ("iptables", "ipvs", "nftables" or "unknown").
    public let proxyMode: String
    /// The infrastructure shim.
    public let infraShim: any InfraShim
    /// The configuration.
    public let context: DiagnosisContext
    /// The pod network (--cluster-cidr, else snapshot.json, else kube-proxy's clusterCIDR).
    public let clusterCIDRs: [IPPrefix]

    /// Makes a network.
    public init(collector: CollectorManager, plugin: any Plugin, proxyMode: String, infraShim: any InfraShim,
                context: DiagnosisContext, clusterCIDRs: [IPPrefix] = []) {
        self.clusterCIDRs = clusterCIDRs
        self.collector = collector
        self.plugin = plugin
        self.proxyMode = proxyMode
        self.infraShim = infraShim
        self.context = context
    }

    /// The Kubernetes objects.
    public var cluster: ClusterState { collector.cluster }

    /// The hop of whatever owns `address` on the underlay: a node, a pod reached through its
    /// node's pod CIDR, or an external host.
    public func owner(ofUnderlayAddress address: IPAddress) -> Hop {
        if let node = cluster.ipCache.node(ip: address) { return Hop(type: .node, id: node.name) }
        if let node = collectedNode(owning: address) { return Hop(type: .node, id: node) }
        if let node = cluster.node(owningPodAddress: address) {
            return Hop(type: .node, id: node.name)
        }
        return Hop(type: .external, id: address.description)
    }

    /// The collected node whose host netns holds `address`.
    public func collectedNode(owning address: IPAddress) -> String? {
        collector.collectedNodes.first { node in
            collector.addressing(node: node, id: "host")?.owns(address) == true
        }
    }

    /// The collected netns a hop stands for: a pod's netns, a node's host netns, or NODE/NETNS.
    public func netns(of hop: Hop) -> NetNSInfo? {
        switch hop.type {
        case .node:
            return try? collector.netns(node: hop.id, id: "host")
        case .pod:
            let parts = hop.id.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, let pod = cluster.pod(namespace: parts[0], name: parts[1]),
                  let node = pod.nodeName, let address = pod.podIPs.first,
                  let id = collector.netns(node: node, owning: address) else { return nil }
            return try? collector.netns(node: node, id: id)
        case .generic:
            let parts = hop.id.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { return nil }
            return try? collector.netns(node: parts[0], id: parts[1])
        case .external, .infra:
            return nil
        }
    }

    /// The hop of a pod, or its node for host-network pods.
    public func hop(of pod: Pod) -> Hop {
        if pod.hostNetwork, let node = pod.nodeName { return Hop(type: .node, id: node) }
        return Hop(type: .pod, id: pod.qualifiedName)
    }
}

/// Detects the network from the snapshot (the seed's Provider).
public protocol Provider: Sendable {
    /// Builds the network of the snapshot.
    func network(collector: CollectorManager, context: DiagnosisContext) -> Network
}

/// The generic provider: CNI and kube-proxy mode from flags, snapshot.json, ConfigMaps, interfaces.
public struct GenericProvider: Provider {
    /// Makes the provider.
    public init() {}

    public func network(collector: CollectorManager, context: DiagnosisContext) -> Network {
        let hints = collector.cluster.networkHints()
        let cni = context.networkPlugin ?? collector.hints.cni ?? detectCNI(collector, hints: hints)
        let mode = collector.hints.mode ?? detectMode(cni: cni, collector, hints: hints)
        let proxy = context.proxyMode ?? collector.hints.kubeProxyMode ?? hints.kubeProxy.map { GenericProvider.name(of: $0.mode) } ?? "iptables"
        let cidrs = context.clusterCIDR.map { [$0] }
            ?? collector.hints.clusterCIDR.flatMap { IPPrefix($0) }.map { [$0] }
            ?? hints.kubeProxy?.clusterCIDRs ?? []
        return Network(collector: collector, plugin: GenericPlugin(name: cni, mode: mode), proxyMode: proxy,
                       infraShim: GenericInfraShim(), context: context, clusterCIDRs: cidrs)
    }

    /// The mode as kube-proxy's configuration spells it.
    static func name(of mode: KubeProxyConfig.Mode) -> String {
        switch mode {
        case .iptables: "iptables"
        case .ipvs: "ipvs"
        case .nftables: "nftables"
        case .other(let name): name
        }
    }

    /// Guesses the CNI from ConfigMaps, then from the first node's interfaces.
    func detectCNI(_ collector: CollectorManager, hints: NetworkHints) -> String {
        if hints.flannel != nil { return "flannel" }
        if hints.calico != nil { return "calico" }
        guard let host = firstHost(collector) else { return "unknown" }
        let names = host.interfaces.map(\.name)
        if names.contains(where: { $0.hasPrefix("flannel") }) { return "flannel" }
        if names.contains(where: { $0.hasPrefix("cali") || $0 == "tunl0" || $0 == "vxlan.calico" }) { return "calico" }
        if host.interfaces.contains(where: { $0.kind == "bridge" }) { return "bridge" }
        return "unknown"
    }

    /// The CNI's mode, as a real cluster shows it. Flannel: net-conf.json's Backend.Type, else
    /// vxlan when the node has flannel.1, else host-gw. Calico: the node's tunnel devices decide
    /// (vxlan.calico: vxlan; tunl0 up: ipip; neither: BGP without encapsulation), since the IP
    /// pools (CRDs) choose the encapsulation and calico_backend does not; without a collected
    /// node, calico_backend "vxlan" says vxlan. nil for other CNIs or when nothing tells.
    func detectMode(cni: String, _ collector: CollectorManager, hints: NetworkHints) -> String? {
        switch cni {
        case "flannel":
            if let type = hints.flannel?.backendType { return type.lowercased() }
            guard let host = firstHost(collector) else { return nil }
            return host.interfaces.contains { $0.name == "flannel.1" && $0.vxlan != nil } ? "vxlan" : "host-gw"
        case "calico":
            guard let host = firstHost(collector) else {
                return hints.calico?.backend?.lowercased() == "vxlan" ? "vxlan" : nil
            }
            if host.interfaces.contains(where: { $0.name == "vxlan.calico" && $0.vxlan != nil }) { return "vxlan" }
            if host.interfaces.contains(where: { $0.name == "tunl0" && $0.isUp }) { return "ipip" }
            return "bgp"
        default:
            return nil
        }
    }

    /// The host netns of the first collected node, if it can be read.
    private func firstHost(_ collector: CollectorManager) -> NetNSInfo? {
        guard let node = collector.collectedNodes.first else { return nil }
        return try? collector.netns(node: node, id: "host")
    }
}
