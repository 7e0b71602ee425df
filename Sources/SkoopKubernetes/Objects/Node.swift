import SkoopModel

/// A Kubernetes node (the fields Skoop reads).
public struct Node: Hashable, Sendable {
    /// One of the node's addresses as reported in its status.
    public struct Address: Hashable, Sendable {
        /// "InternalIP", "ExternalIP", "Hostname", "InternalDNS" or "ExternalDNS".
        public var type: String
        /// The address text.
        public var address: String
        /// The address as an IP, for the IP types.
        public var ip: IPAddress? { IPAddress(address) }
    }

    /// A taint that repels pods.
    public struct Taint: Hashable, Sendable {
        /// The taint key.
        public var key: String
        /// The taint value, when given.
        public var value: String?
        /// NoSchedule, PreferNoSchedule or NoExecute.
        public var effect: String
    }

    /// Name, labels and annotations.
    public var metadata: ObjectMeta
    /// The pod CIDRs (spec.podCIDRs, or spec.podCIDR when that is all there is).
    public var podCIDRs: [IPPrefix]
    /// Status addresses in the order reported.
    public var addresses: [Address]
    /// Status conditions (Ready, MemoryPressure, ...).
    public var conditions: [ObjectCondition]
    /// Taints.
    public var taints: [Taint]
    /// True when the node is cordoned.
    public var unschedulable: Bool

    /// The node's name.
    public var name: String { metadata.name }
    /// InternalIP addresses.
    public var internalIPs: [IPAddress] { addresses.filter { $0.type == "InternalIP" }.compactMap(\.ip) }
    /// ExternalIP addresses.
    public var externalIPs: [IPAddress] { addresses.filter { $0.type == "ExternalIP" }.compactMap(\.ip) }
    /// Every IP address the node reports, internal first.
    public var ipAddresses: [IPAddress] { internalIPs + externalIPs }
    /// The Hostname address, when reported.
    public var hostname: String? { addresses.first { $0.type == "Hostname" }?.address }
    /// The Ready condition's state; nil when the node reports none.
    public var isReady: Bool? { conditions.first { $0.type == "Ready" }?.isTrue }
    /// flannel's per-node backend type annotation (e.g. "vxlan", "host-gw").
    public var flannelBackendType: String? { metadata.annotations["flannel.alpha.coreos.com/backend-type"] }
    /// flannel's per-node public-ip annotation: the address tunnels are sent to.
    public var flannelPublicIP: IPAddress? {
        metadata.annotations["flannel.alpha.coreos.com/public-ip"].flatMap { IPAddress($0) }
    }

    /// The first internal (else external) address of `family`.
    public func primaryIP(family: AddressFamily = .inet) -> IPAddress? {
        ipAddresses.first { $0.family == family }
    }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        let spec = json["spec"]
        var cidrs = try spec["podCIDRs"].list { node throws(InputError) in try node.prefix() }
        if cidrs.isEmpty, !spec["podCIDR"].isAbsent { cidrs = [try spec["podCIDR"].prefix()] }
        podCIDRs = cidrs
        unschedulable = try spec["unschedulable"].optionalBool() ?? false
        taints = try spec["taints"].list { node throws(InputError) in
            Taint(key: try node["key"].string(), value: try node["value"].optionalString(),
                  effect: try node["effect"].optionalString() ?? "")
        }
        let status = json["status"]
        addresses = try status["addresses"].list { node throws(InputError) in
            let address = Address(type: try node["type"].string(), address: try node["address"].string())
            if address.type.hasSuffix("IP"), address.ip == nil { throw node["address"].error("an IPv4 or IPv6 address") }
            return address
        }
        conditions = try status["conditions"].list(ObjectCondition.init(json:))
    }
}
