/// What a NetNode is.
public enum NetNodeType: String, Sendable, Hashable, Codable, CaseIterable {
    /// A Kubernetes pod with its own netns.
    case pod
    /// A Kubernetes node (its host netns).
    case node
    /// Something outside the cluster.
    case external
    /// Anything else the walk reached (e.g. an address no object owns, inside the cluster CIDR).
    case generic
    /// A piece of infrastructure between nodes (a router, a cloud network).
    case infra
}

/// The address of a NetNode in the graph: enough to find or create it.
public struct Hop: Hashable, Sendable, Codable, CustomStringConvertible {
    /// What kind of node.
    public var type: NetNodeType
    /// Its identifier: "NAMESPACE/POD" for pods, the node name for nodes, an address otherwise.
    public var id: String

    /// Makes a hop.
    public init(type: NetNodeType, id: String) {
        self.type = type
        self.id = id
    }

    public var description: String { "\(type.rawValue):\(id)" }
}
