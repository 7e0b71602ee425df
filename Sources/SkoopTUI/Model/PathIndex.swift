import SkoopModel

/// Lookups over a PacketPath built once per update, so each frame stays linear or better.
struct PathIndex {
    /// Position in `path.links` of each link id.
    private(set) var linkPosition: [Int: Int] = [:]
    /// Children link ids of each link id (-1 for the links that start the walk), in id order.
    private(set) var children: [Int: [Int]] = [:]
    /// The 1-based step that added each link.
    private(set) var stepOfLink: [Int: Int] = [:]
    /// Position in `path.nodes` of each hop.
    private(set) var nodePosition: [Hop: Int] = [:]

    /// The key of the walk's starting links in `children`.
    static let rootParent = -1

    init() {}

    init(path: PacketPath, steps: [DiagnosisStep]) {
        for (position, link) in path.links.enumerated() {
            linkPosition[link.id] = position
            children[link.parent ?? PathIndex.rootParent, default: []].append(link.id)
        }
        for (position, node) in path.nodes.enumerated() {
            nodePosition[node.hop] = position
        }
        for step in steps {
            for id in step.addedLinks where stepOfLink[id] == nil {
                stepOfLink[id] = step.number
            }
        }
    }

    /// The link with an id.
    /// - Complexity: O(1).
    func link(_ id: Int, in path: PacketPath) -> Link? {
        linkPosition[id].map { path.links[$0] }
    }

    /// The node of a hop.
    /// - Complexity: O(1).
    func node(_ hop: Hop, in path: PacketPath) -> NetNode? {
        nodePosition[hop].map { path.nodes[$0] }
    }
}

/// A row of the path tree: the source hop, or the link that reached a hop.
public enum RowKey: Hashable, Sendable {
    /// The source of the walk.
    case root
    /// The hop a link reached (or, for serve and drop, the end of a branch).
    case link(Int)
    /// The serve at a link's source, when the link carries the reply on (one event per row).
    case served(Int)
}

/// One drawn line of the tree: a hop, or a detail line of an expanded hop.
struct TreeRow {
    enum Kind {
        case hop(RowKey)
        case detail(StyledLine)
    }

    var kind: Kind
    /// Tree lines of the ancestors and the branch glyph.
    var prefix: String

    var key: RowKey? {
        // Not inlined: inlined into searchTexts/jumpToSuspicion it crashes Swift 6.3's optimizer
        // (CopyPropagation ownership error) in release builds.
        @inline(never) get {
            if case .hop(let key) = kind { return key }
            return nil
        }
    }
}
