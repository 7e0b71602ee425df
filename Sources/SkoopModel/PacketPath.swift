/// The conclusion of a diagnosis.
public enum Verdict: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every explored branch ends in serve at the intended destination, and the reply returns;
    /// collected state proves every branch.
    case reachable
    /// No branch does, and collected state proves it for every branch.
    case unreachable
    /// Some proven branches do, some proven branches don't.
    case partial
    /// Unsupported rules or missing data on a branch that decides the verdict keep it from concluding.
    case unknown
}

/// The graph a diagnosis builds: NetNodes joined by Links, in the order they were found.
public struct PacketPath: Sendable, Hashable {
    /// The nodes, in the order the walk reached them.
    public var nodes: [NetNode]
    /// The links, indexed by their id.
    public var links: [Link]
    /// Suspicions about the cluster rather than one hop (NetworkPolicy, configuration).
    public var clusterSuspicions: [Suspicion]
    /// What the whole flow rests on unproven, beside what single links rest on.
    public var clusterAssumptions: [Assumption] = []

    /// Makes an empty path.
    public init(nodes: [NetNode] = [], links: [Link] = [], clusterSuspicions: [Suspicion] = []) {
        self.nodes = nodes
        self.links = links
        self.clusterSuspicions = clusterSuspicions
    }

    /// The node with `hop`, if the walk reached it.
    public func node(_ hop: Hop) -> NetNode? {
        nodes.first { $0.type == hop.type && $0.id == hop.id }
    }

    /// Every suspicion in the graph with the node that carries it (nil for the cluster).
    public var allSuspicions: [(node: Hop?, suspicion: Suspicion)] {
        clusterSuspicions.map { (node: nil, suspicion: $0) }
            + nodes.flatMap { node in node.suspicions.map { (node: Optional(node.hop), suspicion: $0) } }
    }

    /// Everything the verdict rests on that collected state does not prove, without repeats:
    /// the flow's own, then each link's (about the link's source), in walk order.
    public var assumptions: [Assumption] {
        var seen: Set<Assumption> = []
        let all = clusterAssumptions + links.flatMap { link in
            link.assumptions.map { Assumption(node: link.source, text: $0) }
        }
        return all.filter { seen.insert($0).inserted }
    }

    /// The links that follow `link` (its children in the walk).
    public func children(of link: Link) -> [Link] {
        links.filter { $0.parent == link.id }
    }
}
