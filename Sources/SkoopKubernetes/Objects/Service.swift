import SkoopModel

/// A Kubernetes service (the fields Skoop reads).
public struct Service: Hashable, Sendable {
    /// How the service is exposed.
    public enum ServiceType: String, Hashable, Sendable {
        case clusterIP = "ClusterIP"
        case nodePort = "NodePort"
        case loadBalancer = "LoadBalancer"
        case externalName = "ExternalName"
    }

    /// Which endpoints traffic may go to: all of them, or only the receiving node's.
    public enum TrafficPolicy: String, Hashable, Sendable {
        case cluster = "Cluster"
        case local = "Local"
    }

    /// One port mapping of the service.
    public struct Port: Hashable, Sendable {
        /// The port's name; EndpointSlice ports carry the same name.
        public var name: String?
        /// The service port.
        public var port: UInt16
        /// The backend port: a number, or a name resolved through each pod's container ports.
        public var targetPort: IntOrString
        /// The node port, for NodePort and LoadBalancer services.
        public var nodePort: UInt16?
        /// The protocol.
        public var `protocol`: KubeProtocol
    }

    /// Namespace, name and labels.
    public var metadata: ObjectMeta
    /// The service type (ClusterIP when unset).
    public var type: ServiceType
    /// Cluster IPs (spec.clusterIPs, else spec.clusterIP), without "None" for headless services.
    public var clusterIPs: [IPAddress]
    /// True for a headless service (clusterIP "None").
    public var isHeadless: Bool
    /// Port mappings.
    public var ports: [Port]
    /// The pod selector; nil when the service has none (its endpoints are managed by hand).
    public var selector: [String: String]?
    /// spec.externalIPs.
    public var externalIPs: [IPAddress]
    /// status.loadBalancer.ingress IPs.
    public var loadBalancerIngressIPs: [IPAddress]
    /// status.loadBalancer.ingress hostnames (for load balancers known by name only).
    public var loadBalancerIngressHostnames: [String]
    /// spec.loadBalancerSourceRanges: the clients a load balancer admits (all when empty).
    public var loadBalancerSourceRanges: [IPPrefix]
    /// spec.externalTrafficPolicy, when set.
    public var externalTrafficPolicy: TrafficPolicy?
    /// spec.internalTrafficPolicy, when set.
    public var internalTrafficPolicy: TrafficPolicy?
    /// True when sessionAffinity is ClientIP.
    public var sessionAffinityClientIP: Bool
    /// The ClientIP affinity timeout in seconds, when set.
    public var sessionAffinityTimeoutSeconds: Int?
    /// spec.ipFamilies.
    public var ipFamilies: [AddressFamily]
    /// spec.externalName, for ExternalName services.
    public var externalName: String?

    /// The namespace.
    public var namespace: String { metadata.namespace }
    /// The name.
    public var name: String { metadata.name }
    /// "NAMESPACE/NAME".
    public var qualifiedName: String { metadata.qualifiedName }
    /// The first cluster IP of `family`.
    public func clusterIP(family: AddressFamily = .inet) -> IPAddress? { clusterIPs.first { $0.family == family } }

    /// The port mapping serving `port`/`protocol` on the cluster IP.
    public func port(_ port: UInt16, protocol: KubeProtocol) -> Port? {
        ports.first { $0.port == port && $0.protocol == `protocol` }
    }

    /// The port mapping serving node port `nodePort`/`protocol`.
    public func port(nodePort: UInt16, protocol: KubeProtocol) -> Port? {
        ports.first { $0.nodePort == nodePort && $0.protocol == `protocol` }
    }

    /// True when the load balancer source ranges admit `source` (no ranges admit everyone).
    public func admitsLoadBalancerSource(_ source: IPAddress) -> Bool {
        loadBalancerSourceRanges.isEmpty || loadBalancerSourceRanges.contains { $0.contains(source) }
    }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        let spec = json["spec"]
        if let text = try spec["type"].optionalString() {
            guard let value = ServiceType(rawValue: text) else {
                throw spec["type"].error("ClusterIP, NodePort, LoadBalancer or ExternalName")
            }
            type = value
        } else {
            type = .clusterIP
        }
        var texts = try spec["clusterIPs"].strings()
        if texts.isEmpty, let single = try spec["clusterIP"].optionalString() { texts = [single] }
        isHeadless = texts.contains("None")
        clusterIPs = try Service.addresses(texts.filter { $0 != "None" && !$0.isEmpty }, at: spec["clusterIPs"])
        ports = try spec["ports"].list { node throws(InputError) in
            guard let number = try node["port"].optionalPort() else { throw node["port"].error("a port number (0-65535)") }
            return Port(name: try node["name"].optionalString(), port: number,
                        targetPort: try IntOrString.decode(node["targetPort"]) ?? .int(Int(number)),
                        nodePort: try node["nodePort"].optionalPort(),
                        protocol: try KubeProtocol.decode(node["protocol"]))
        }
        selector = spec["selector"].isAbsent ? nil : try spec["selector"].stringMap()
        externalIPs = try Service.addresses(try spec["externalIPs"].strings(), at: spec["externalIPs"])
        let ingress = json["status"]["loadBalancer"]["ingress"]
        loadBalancerIngressIPs = try ingress.list { node throws(InputError) in try node["ip"].optionalIP() }.compactMap { $0 }
        loadBalancerIngressHostnames = try ingress.list { node throws(InputError) in
            try node["hostname"].optionalString()
        }.compactMap { $0 }
        loadBalancerSourceRanges = try spec["loadBalancerSourceRanges"].list { node throws(InputError) in try node.prefix() }
        externalTrafficPolicy = try Service.trafficPolicy(spec["externalTrafficPolicy"])
        internalTrafficPolicy = try Service.trafficPolicy(spec["internalTrafficPolicy"])
        sessionAffinityClientIP = try spec["sessionAffinity"].optionalString() == "ClientIP"
        sessionAffinityTimeoutSeconds = try spec["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"].optionalInt()
        ipFamilies = try spec["ipFamilies"].strings().compactMap { $0 == "IPv6" ? .inet6 : ($0 == "IPv4" ? .inet : nil) }
        externalName = try spec["externalName"].optionalString()
    }

    private static func addresses(_ texts: [String], at json: JSONNode) throws(InputError) -> [IPAddress] {
        var result: [IPAddress] = []
        for text in texts {
            guard let address = IPAddress(text) else { throw json.error("IPv4 or IPv6 addresses") }
            result.append(address)
        }
        return result
    }

    private static func trafficPolicy(_ json: JSONNode) throws(InputError) -> TrafficPolicy? {
        guard let text = try json.optionalString() else { return nil }
        // Older API servers wrote "Cluster"/"Local"; tolerate the legacy "Global" as Cluster.
        if text == "Global" { return .cluster }
        guard let policy = TrafficPolicy(rawValue: text) else { throw json.error("Cluster or Local") }
        return policy
    }
}
