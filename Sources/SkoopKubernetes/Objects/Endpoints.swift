import SkoopModel

/// A core/v1 Endpoints object: the fallback when a cluster has no EndpointSlices.
public struct Endpoints: Hashable, Sendable {
    /// An address of a subset.
    public struct Address: Hashable, Sendable {
        /// The backend address.
        public var ip: IPAddress
        /// The node it runs on.
        public var nodeName: String?
        /// The backing object.
        public var targetRef: ObjectReference?

        init(json: JSONNode) throws(InputError) {
            guard let ip = try json["ip"].optionalIP() else { throw json["ip"].error("an IPv4 or IPv6 address") }
            self.ip = ip
            nodeName = try json["nodeName"].optionalString()
            targetRef = json["targetRef"].isAbsent ? nil : try ObjectReference(json: json["targetRef"])
        }
    }

    /// A set of addresses sharing the same ports.
    public struct Subset: Hashable, Sendable {
        /// Ready addresses.
        public var addresses: [Address]
        /// Addresses that are not ready.
        public var notReadyAddresses: [Address]
        /// The ports.
        public var ports: [EndpointPort]
    }

    /// Namespace and name (equal to the service's).
    public var metadata: ObjectMeta
    /// The subsets.
    public var subsets: [Subset]

    /// The same backends in the EndpointSlice model: ready addresses are ready and serving.
    public var serviceEndpoints: [ServiceEndpoint] {
        subsets.flatMap { subset in
            subset.addresses.map { Endpoints.endpoint($0, ready: true, ports: subset.ports) }
                + subset.notReadyAddresses.map { Endpoints.endpoint($0, ready: false, ports: subset.ports) }
        }
    }

    private static func endpoint(_ address: Address, ready: Bool, ports: [EndpointPort]) -> ServiceEndpoint {
        ServiceEndpoint(ip: address.ip, ready: ready, serving: ready, terminating: false,
                        nodeName: address.nodeName, targetRef: address.targetRef, ports: ports)
    }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        subsets = try json["subsets"].list { node throws(InputError) in
            Subset(addresses: try node["addresses"].list(Address.init(json:)),
                   notReadyAddresses: try node["notReadyAddresses"].list(Address.init(json:)),
                   ports: try node["ports"].list(EndpointPort.init(json:)))
        }
    }
}
