import SkoopKubernetes

/// A CNI plugin, as a type: what the diagnosis knows about each one lives here, not in string
/// comparisons spread over the code.
public enum CNIKind: Hashable, Sendable, CustomStringConvertible {
    case flannel, calico, bridge, kubenet, cilium, antrea, weave, canal, kubeRouter
    /// Not detected.
    case unknown
    /// Named by the user or the snapshot, but not one Skoop knows.
    case other(String)

    /// The kind a name stands for ("flannel", "kube-router", ...; case-insensitive).
    public init(name: String) {
        switch name.lowercased() {
        case "flannel": self = .flannel
        case "calico": self = .calico
        case "bridge": self = .bridge
        case "kubenet": self = .kubenet
        case "cilium": self = .cilium
        case "antrea": self = .antrea
        case "weave": self = .weave
        case "canal": self = .canal
        case "kube-router", "kuberouter": self = .kubeRouter
        case "", "unknown": self = .unknown
        case let other: self = .other(other)
        }
    }

    /// The name as users write it.
    public var description: String {
        switch self {
        case .flannel: "flannel"
        case .calico: "calico"
        case .bridge: "bridge"
        case .kubenet: "kubenet"
        case .cilium: "cilium"
        case .antrea: "antrea"
        case .weave: "weave"
        case .canal: "canal"
        case .kubeRouter: "kube-router"
        case .unknown: "unknown"
        case .other(let name): name
        }
    }

    /// Whether the CNI enforces NetworkPolicy; nil when unknown.
    public var enforcesNetworkPolicy: Bool? {
        switch self {
        case .calico, .cilium, .antrea, .weave, .canal, .kubeRouter: true
        case .flannel, .bridge, .kubenet: false
        case .unknown, .other: nil
        }
    }

    /// Whether the network between nodes routes pod CIDRs (kubenet-style cloud routes).
    /// Flannel and Calico route pod traffic on the nodes themselves (tunnels or node-to-node
    /// routes): a router on the underlay has no route for pod addresses.
    public var underlayRoutesPodAddresses: Bool {
        switch self {
        case .flannel, .calico: false
        default: true
        }
    }
}

/// kube-proxy's mode, as a type.
public enum ProxyMode: Hashable, Sendable, CustomStringConvertible {
    case iptables, ipvs, nftables
    /// A mode Skoop does not simulate (e.g. "kernelspace").
    case other(String)

    /// The mode a name stands for (case-insensitive; empty is iptables, kube-proxy's Linux default).
    public init(name: String) {
        switch name.lowercased() {
        case "", "iptables": self = .iptables
        case "ipvs": self = .ipvs
        case "nftables": self = .nftables
        case let other: self = .other(other)
        }
    }

    /// The mode kube-proxy's configuration names.
    public init(_ mode: KubeProxyConfig.Mode) {
        switch mode {
        case .iptables: self = .iptables
        case .ipvs: self = .ipvs
        case .nftables: self = .nftables
        case .other(let name): self = .other(name)
        }
    }

    /// The name as kube-proxy's configuration spells it.
    public var description: String {
        switch self {
        case .iptables: "iptables"
        case .ipvs: "ipvs"
        case .nftables: "nftables"
        case .other(let name): name
        }
    }
}
