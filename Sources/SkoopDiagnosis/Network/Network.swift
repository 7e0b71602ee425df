import Foundation
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
    /// What delivering `packet` from the infrastructure hop `hop` to `next` rests on unproven.
    func assumptions(for packet: Packet, at hop: Hop, next: Hop) -> [String]
}

/// The generic shim: the underlay delivers every packet to whoever owns its destination.
/// It asserts nothing about the network between nodes, and says so once.
public struct GenericInfraShim: InfraShim {
    /// Makes the shim.
    public init() {}

    public func nextHop(for packet: Packet, gateway: IPAddress?, network: Network) -> Hop {
        network.owner(ofUnderlayAddress: packet.dst)
    }

    public func suspicions(for packet: Packet) -> [Suspicion] { [] }

    public func assumptions(for packet: Packet, at hop: Hop, next: Hop) -> [String] {
        ["this gateway was not collected: that it delivers packets for \(packet.dst) to \(next.id) is assumed (collect it with skoop collect --infra)."]
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
    /// The service network (snapshot.json, kubeadm's configuration, or the ClusterIPs' common
    /// prefix), when any of them tells.
    public let serviceNetwork: ServiceNetwork?
    /// The hops where serving the flow counts (the named pod or node, a Service's backends);
    /// nil when any host that accepts the packet is the destination (an address no object owns).
    public var intendedDestinations: Set<Hop>?

    /// Makes a network; the service network is found from the snapshot unless given.
    public init(collector: CollectorManager, plugin: any Plugin, proxyMode: String, infraShim: any InfraShim,
                context: DiagnosisContext, clusterCIDRs: [IPPrefix] = [], serviceNetwork: ServiceNetwork? = nil) {
        self.clusterCIDRs = clusterCIDRs
        self.serviceNetwork = serviceNetwork ?? collector.cluster.serviceNetwork(
            hint: (collector.hints.serviceCIDR ?? "").split(separator: ",").compactMap { IPPrefix($0.trimmingCharacters(in: .whitespaces)) })
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
        let mode = collector.hints.mode ?? hints.flannel?.backendType.lowercased()
        let proxy = context.proxyMode ?? collector.hints.kubeProxyMode ?? hints.kubeProxy.map { GenericProvider.name(of: $0.mode) }
            ?? detectProxyMode(collector)
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

    /// Without a ConfigMap: nftables when a node's host netns holds kube-proxy's own nft table
    /// (`ip kube-proxy` or `ip6 kube-proxy`), else iptables.
    func detectProxyMode(_ collector: CollectorManager) -> String {
        for node in collector.collectedNodes.prefix(3) {
            guard let host = try? collector.netns(node: node, id: "host") else { continue }
            if host.nftables?.tables.contains(where: { $0.name == "kube-proxy" && ($0.family == .ip || $0.family == .ip6) }) == true {
                return "nftables"
            }
        }
        return "iptables"
    }

    /// Guesses the CNI from ConfigMaps, then from the first node's interfaces.
    func detectCNI(_ collector: CollectorManager, hints: NetworkHints) -> String {
        if hints.flannel != nil { return "flannel" }
        if hints.calico != nil { return "calico" }
        guard let node = collector.collectedNodes.first, let host = try? collector.netns(node: node, id: "host") else {
            return "unknown"
        }
        let names = host.interfaces.map(\.name)
        if names.contains(where: { $0.hasPrefix("flannel") }) { return "flannel" }
        if names.contains(where: { $0.hasPrefix("cali") || $0 == "tunl0" || $0 == "vxlan.calico" }) { return "calico" }
        if host.interfaces.contains(where: { $0.kind == "bridge" }) { return "bridge" }
        return "unknown"
    }
}
