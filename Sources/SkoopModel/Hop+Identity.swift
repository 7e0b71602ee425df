/// What a hop's id names, read in one place: pods are "NAMESPACE/POD", a collected netns no pod
/// claims is "NODE/NETNS", an uncollected gateway is "router ADDRESS", a collected router or
/// gateway is "infra/NAME", the outside is "network".
public enum HopIdentity: Hashable, Sendable {
    case pod(namespace: String, name: String)
    case node(String)
    case netns(node: String, netns: String)
    case router(gateway: IPAddress)
    /// A router or gateway collected with `skoop collect --infra NAME`, simulated like a node.
    case infraDevice(String)
    /// The network outside the cluster, where external hosts send from.
    case network
    case address(IPAddress)
    /// An id none of the forms fits.
    case other(String)
}

extension Hop {
    /// A pod's hop.
    public static func pod(namespace: String, name: String) -> Hop { Hop(type: .pod, id: "\(namespace)/\(name)") }
    /// A node's (its host netns).
    public static func node(_ name: String) -> Hop { Hop(type: .node, id: name) }
    /// A collected netns of `node` that no pod claims.
    public static func netns(node: String, netns: String) -> Hop { Hop(type: .generic, id: "\(node)/\(netns)") }
    /// An uncollected router or gateway at `gateway`.
    public static func router(_ gateway: IPAddress) -> Hop { Hop(type: .infra, id: "router \(gateway)") }
    /// A collected router or gateway (`SNAP/infra/NAME/`).
    public static func infraDevice(_ name: String) -> Hop { Hop(type: .infra, id: "infra/\(name)") }
    /// The network outside the cluster.
    public static let network = Hop(type: .infra, id: "network")

    /// The hop's id, read by its type.
    public var identity: HopIdentity {
        func halves() -> (String, String)? {
            guard let slash = id.firstIndex(of: "/") else { return nil }
            let first = String(id[..<slash]), second = String(id[id.index(after: slash)...])
            return first.isEmpty || second.isEmpty ? nil : (first, second)
        }
        switch type {
        case .pod:
            return halves().map { .pod(namespace: $0.0, name: $0.1) } ?? .other(id)
        case .node:
            return .node(id)
        case .generic:
            if let (node, netns) = halves() { return .netns(node: node, netns: netns) }
            return IPAddress(id).map(HopIdentity.address) ?? .other(id)
        case .infra:
            if id == "network" { return .network }
            if id.hasPrefix("infra/"), id.count > "infra/".count { return .infraDevice(String(id.dropFirst("infra/".count))) }
            if id.hasPrefix("router "), let gateway = IPAddress(id.dropFirst("router ".count)) { return .router(gateway: gateway) }
            return .other(id)
        case .external:
            return IPAddress(id).map(HopIdentity.address) ?? .other(id)
        }
    }
}
