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
    /// Which CNI.
    var kind: CNIKind { get }
    /// The mode ("vxlan", "host-gw", "bgp", "ipip", ...), when known.
    var mode: String? { get }
}

extension Plugin {
    /// The CNI's name as users write it.
    public var name: String { kind.description }
    /// Whether the CNI enforces NetworkPolicy; nil when unknown.
    public var enforcesNetworkPolicy: Bool? { kind.enforcesNetworkPolicy }
    /// Whether the network between nodes routes pod CIDRs.
    public var underlayRoutesPodAddresses: Bool { kind.underlayRoutesPodAddresses }
}

/// A plugin known only by its kind: generic Linux simulation applies.
public struct GenericPlugin: Plugin {
    public var kind: CNIKind
    public var mode: String?

    /// Makes a plugin description.
    public init(kind: CNIKind, mode: String?) {
        self.kind = kind
        self.mode = mode
    }
}

/// A cluster's container network: everything a diagnosis needs (plugin, infra shim, data).
public struct Network: Sendable {
    /// The snapshot's data.
    public let collector: any NodeDataProvider
    /// The CNI plugin.
    public let plugin: any Plugin
    /// kube-proxy's mode.
    public let proxyMode: ProxyMode
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
    /// The node where the flow, coming from outside the cluster, enters it (--via-node).
    public var entryNode: String?
    /// The source address a source node uses instead of its primary one (--src-ip).
    public var sourceAddressOverride: IPAddress?

    /// Makes a network; the service network is found from the snapshot unless given.
    public init(collector: any NodeDataProvider, plugin: any Plugin, proxyMode: ProxyMode, infraShim: any InfraShim,
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
        if let range = podRange(holding: address) { return Hop(type: .node, id: range.node.name) }
        return Hop(type: .external, id: address.description)
    }

    /// The interface of `node`'s host netns where a packet from the underlay for `packet.dst`
    /// arrives: the one holding that address, else the node's first global address's.
    public func ingressInterface(of node: String, for packet: Packet) -> String? {
        guard let host = try? collector.netns(node: node, id: "host") else { return nil }
        return host.addresses.first(where: { $0.local == packet.dst })?.interface
            ?? cluster.node(named: node)?.primaryIP(family: packet.dst.family).flatMap { ip in
                host.addresses.first { $0.local == ip }?.interface
            }
            ?? host.addresses.first(where: { $0.family == packet.dst.family && $0.scope == .global })?.interface
    }

    /// The collected node whose host netns holds `address`.
    public func collectedNode(owning address: IPAddress) -> String? {
        collector.collectedNodes.first { node in
            collector.addressing(node: node, id: "host")?.owns(address) == true
        }
    }

    /// The collected router or gateway (`skoop collect --infra`) whose netns holds `address`.
    public func infraDevice(owning address: IPAddress) -> String? {
        collector.infraDevices.first { device in
            collector.addressing(node: InfraDevice.key(device), id: "host")?.owns(address) == true
        }
    }

    /// The collected router or gateway with an interface on `address`'s subnet (an external
    /// host there would use it as its gateway), and that interface; nil when none is on-link.
    public func infraDevice(onLinkWith address: IPAddress) -> (device: String, interface: String)? {
        for device in collector.infraDevices {
            guard let addressing = collector.addressing(node: InfraDevice.key(device), id: "host") else { continue }
            if let on = addressing.addresses.first(where: { $0.local != address && $0.subnet?.contains(address) == true }) {
                return (device, on.interface)
            }
        }
        return nil
    }

    /// The collected netns a hop stands for: a pod's netns, a node's host netns, or NODE/NETNS.
    public func netns(of hop: Hop) -> NetNSInfo? {
        switch hop.identity {
        case .node(let node):
            return try? collector.netns(node: node, id: "host")
        case .pod(let namespace, let name):
            guard let pod = cluster.pod(namespace: namespace, name: name),
                  let node = pod.nodeName, let address = pod.podIPs.first,
                  let id = collector.netns(node: node, owning: address) else { return nil }
            return try? collector.netns(node: node, id: id)
        case .netns(let node, let netns):
            return try? collector.netns(node: node, id: netns)
        case .infraDevice(let name):
            return try? collector.netns(node: InfraDevice.key(name), id: "host")
        case .router, .network, .address, .other:
            return nil
        }
    }

    /// The hop of a pod, or its node for host-network pods.
    public func hop(of pod: Pod) -> Hop {
        if pod.hostNetwork, let node = pod.nodeName { return .node(node) }
        return .pod(namespace: pod.namespace, name: pod.name)
    }
}

/// Detects the network from the snapshot (the seed's Provider).
public protocol Provider: Sendable {
    /// Builds the network of the snapshot.
    func network(collector: any NodeDataProvider, context: DiagnosisContext) -> Network
}

/// The generic provider: CNI and kube-proxy mode from flags, snapshot.json, ConfigMaps, interfaces.
public struct GenericProvider: Provider {
    /// Makes the provider.
    public init() {}

    public func network(collector: any NodeDataProvider, context: DiagnosisContext) -> Network {
        let hints = collector.cluster.networkHints()
        let cni = context.networkPlugin ?? collector.hints.cni.map(CNIKind.init(name:)) ?? detectCNI(collector, hints: hints)
        let mode = collector.hints.mode ?? detectMode(cni: cni, collector, hints: hints)
        let proxy = context.proxyMode ?? collector.hints.kubeProxyMode.map(ProxyMode.init(name:))
            ?? hints.kubeProxy.map { ProxyMode($0.mode) } ?? detectProxyMode(collector)
        let cidrs = context.clusterCIDR.map { [$0] }
            ?? collector.hints.clusterCIDR.flatMap { IPPrefix($0) }.map { [$0] }
            ?? hints.kubeProxy?.clusterCIDRs ?? []
        return Network(collector: collector, plugin: GenericPlugin(kind: cni, mode: mode), proxyMode: proxy,
                       infraShim: GenericInfraShim(), context: context, clusterCIDRs: cidrs)
    }

    /// Guesses the CNI from ConfigMaps, then from the first node's interfaces.
    func detectCNI(_ collector: any NodeDataProvider, hints: NetworkHints) -> CNIKind {
        if hints.flannel != nil { return .flannel }
        if hints.calico != nil { return .calico }
        guard let host = firstHost(collector) else { return .unknown }
        let names = host.interfaces.map(\.name)
        if names.contains(where: { $0.hasPrefix("flannel") }) { return .flannel }
        if names.contains(where: { $0.hasPrefix("cali") || $0 == "tunl0" || $0 == "vxlan.calico" }) { return .calico }
        if host.interfaces.contains(where: { $0.kind == "bridge" }) { return .bridge }
        return .unknown
    }

    /// The CNI's mode, as a real cluster shows it. Flannel: net-conf.json's Backend.Type, else
    /// vxlan when the node has flannel.1, else host-gw. Calico: the node's tunnel devices decide
    /// (vxlan.calico: vxlan; tunl0 up: ipip; neither: BGP without encapsulation), since the IP
    /// pools (CRDs) choose the encapsulation and calico_backend does not; without a collected
    /// node, calico_backend "vxlan" says vxlan. nil for other CNIs or when nothing tells.
    func detectMode(cni: CNIKind, _ collector: any NodeDataProvider, hints: NetworkHints) -> String? {
        switch cni {
        case .flannel:
            if let type = hints.flannel?.backendType { return type.lowercased() }
            guard let host = firstHost(collector) else { return nil }
            return host.interfaces.contains { $0.name == "flannel.1" && $0.vxlan != nil } ? "vxlan" : "host-gw"
        case .calico:
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
    private func firstHost(_ collector: any NodeDataProvider) -> NetNSInfo? {
        guard let node = collector.collectedNodes.first else { return nil }
        return try? collector.netns(node: node, id: "host")
    }

    /// Without a ConfigMap: nftables when a node's host netns holds kube-proxy's own nft table
    /// (`ip kube-proxy` or `ip6 kube-proxy`), else iptables.
    func detectProxyMode(_ collector: any NodeDataProvider) -> ProxyMode {
        for node in collector.collectedNodes.prefix(3) {
            guard let host = try? collector.netns(node: node, id: "host") else { continue }
            if host.nftables?.tables.contains(where: { $0.name == "kube-proxy" && ($0.family == .ip || $0.family == .ip6) }) == true {
                return .nftables
            }
        }
        return .iptables
    }
}
