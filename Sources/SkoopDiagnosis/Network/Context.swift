import SkoopModel

/// Typed runtime configuration of a diagnosis (the seed's Context, without a string map).
public struct DiagnosisContext: Hashable, Sendable {
    /// The CNI plugin, overriding detection.
    public var networkPlugin: CNIKind?
    /// kube-proxy's mode, overriding detection.
    public var proxyMode: ProxyMode?
    /// The pod network, overriding detection.
    public var clusterCIDR: IPPrefix?
    /// Bounds on the walk.
    public var limits: DiagnosisLimits
    /// The source port the simulated client uses.
    public var sourcePort: UInt16

    /// Makes a context; every field defaults to "detect from the snapshot".
    public init(networkPlugin: CNIKind? = nil, proxyMode: ProxyMode? = nil, clusterCIDR: IPPrefix? = nil,
                limits: DiagnosisLimits = DiagnosisLimits(), sourcePort: UInt16 = 40000) {
        self.networkPlugin = networkPlugin
        self.proxyMode = proxyMode
        self.clusterCIDR = clusterCIDR
        self.limits = limits
        self.sourcePort = sourcePort
    }
}
