import SkoopModel

/// A port of a service's endpoints, matched to the service port by name.
public struct EndpointPort: Hashable, Sendable {
    /// The service port's name ("" and nil both mean the single unnamed port).
    public var name: String?
    /// The backend port; nil means "all ports" (rare).
    public var port: UInt16?
    /// The protocol.
    public var `protocol`: KubeProtocol

    init(json: JSONNode) throws(InputError) {
        name = try json["name"].optionalString()
        port = try json["port"].optionalPort()
        self.protocol = try KubeProtocol.decode(json["protocol"])
    }
}

/// One backend address of a service, from an EndpointSlice or a core Endpoints object.
public struct ServiceEndpoint: Hashable, Sendable {
    /// The backend address.
    public var ip: IPAddress
    /// Ready: the backend receives new connections.
    public var ready: Bool
    /// Serving: the backend passes readiness (even while terminating).
    public var serving: Bool
    /// Terminating: the backend is being deleted.
    public var terminating: Bool
    /// The node the backend runs on.
    public var nodeName: String?
    /// The backing object, usually a Pod.
    public var targetRef: ObjectReference?
    /// The ports this backend serves (its slice's or subset's ports).
    public var ports: [EndpointPort]

    /// The backend port for a service port: matched by name and protocol.
    public func port(for servicePort: Service.Port) -> UInt16? {
        let wanted = servicePort.name ?? ""
        return ports.first { ($0.name ?? "") == wanted && $0.protocol == servicePort.protocol }?.port
    }
}

/// A discovery.k8s.io/v1 EndpointSlice.
public struct EndpointSlice: Hashable, Sendable {
    /// Namespace, name and labels.
    public var metadata: ObjectMeta
    /// IPv4, IPv6 or FQDN.
    public var addressType: String
    /// The endpoints, one per address (FQDN addresses are skipped), each carrying the slice's ports.
    public var endpoints: [ServiceEndpoint]
    /// The slice's ports.
    public var ports: [EndpointPort]

    /// The service this slice belongs to (label kubernetes.io/service-name).
    public var serviceName: String? { metadata.labels["kubernetes.io/service-name"] }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        addressType = try json["addressType"].optionalString() ?? "IPv4"
        let ports = try json["ports"].list(EndpointPort.init(json:))
        self.ports = ports
        let isFQDN = addressType == "FQDN"
        var endpoints: [ServiceEndpoint] = []
        for node in try json["endpoints"].array() {
            let conditions = node["conditions"]
            // The API reads a missing ready as ready, and a missing serving as equal to ready.
            let ready = try conditions["ready"].optionalBool() ?? true
            let serving = try conditions["serving"].optionalBool() ?? ready
            let terminating = try conditions["terminating"].optionalBool() ?? false
            let nodeName = try node["nodeName"].optionalString()
            let targetRef = node["targetRef"].isAbsent ? nil : try ObjectReference(json: node["targetRef"])
            for address in try node["addresses"].array() {
                let text = try address.string()
                guard let ip = IPAddress(text) else {
                    if isFQDN { continue }
                    throw address.error("an IPv4 or IPv6 address")
                }
                endpoints.append(ServiceEndpoint(ip: ip, ready: ready, serving: serving, terminating: terminating,
                                                 nodeName: nodeName, targetRef: targetRef, ports: ports))
            }
        }
        self.endpoints = endpoints
    }
}
