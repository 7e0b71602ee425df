import SkoopModel

/// One branch of a diagnosis, from the source to where it ends: the hops it crossed (request
/// and reply) and how it ended. Two diagnoses are compared branch by branch.
public struct PathBranch: Hashable, Sendable, CustomStringConvertible {
    /// The hops in walk order (a hop repeats when the reply crosses it).
    public var hops: [Hop]
    /// How the last link ended: drop, serve, ...
    public var ending: ActionKind
    /// Request or reply, for the last link.
    public var direction: FlowDirection

    /// Makes a branch.
    public init(hops: [Hop], ending: ActionKind, direction: FlowDirection) {
        self.hops = hops
        self.ending = ending
        self.direction = direction
    }

    /// "default/client → node1 → node2: drop (request)".
    public var description: String {
        hops.map(\.id).joined(separator: " → ") + ": " + endingText
    }

    /// How the branch ended, in words.
    public var endingText: String {
        switch (ending, direction) {
        case (.drop, .request): "dropped (request)"
        case (.drop, .reply): "dropped (reply)"
        case (_, .reply): "reply delivered"
        case (.serve, _): "served"
        case (let action, let direction): "\(action.rawValue) (\(direction.rawValue))"
        }
    }

    /// The branches of `path`: one per link nothing follows, in walk order.
    public static func branches(of path: PacketPath) -> [PathBranch] {
        var byID: [Int: Link] = [:]
        var hasChildren: Set<Int> = []
        for link in path.links {
            byID[link.id] = link
            if let parent = link.parent { hasChildren.insert(parent) }
        }
        return path.links.filter { !hasChildren.contains($0.id) }.map { leaf in
            var chain: [Link] = [leaf]
            var seen: Set<Int> = [leaf.id]
            while let parent = chain.last?.parent, let link = byID[parent], seen.insert(parent).inserted {
                chain.append(link)
            }
            chain.reverse()
            var hops = [chain[0].source]
            for link in chain {
                if hops.last != link.source { hops.append(link.source) }
                if let destination = link.destination, hops.last != destination { hops.append(destination) }
            }
            return PathBranch(hops: hops, ending: leaf.action, direction: leaf.direction)
        }
    }

    /// The branches of `before` that `after` no longer has, and those it gained (as multisets).
    public static func changes(before: [PathBranch], after: [PathBranch]) -> (gone: [PathBranch], new: [PathBranch]) {
        var remaining = after
        var gone: [PathBranch] = []
        for branch in before {
            if let index = remaining.firstIndex(of: branch) { remaining.remove(at: index) } else { gone.append(branch) }
        }
        return (gone, remaining)
    }

    /// The hop where `self` and `other` part: the last hop they share from the start (nil when
    /// they differ from the first hop).
    public func partingHop(from other: PathBranch) -> Hop? {
        var last: Hop?
        for (mine, theirs) in zip(hops, other.hops) {
            guard mine == theirs else { break }
            last = mine
        }
        return last
    }
}
