import SkoopModel

/// What each step showed, so that stepping back shows it again: a later step may add suspicions
/// to a node already on screen (and the verdict comes with the last step only).
struct StepHistory {
    private struct Entry {
        var step: Int
        var suspicions: [Suspicion]
    }

    /// Per hop, its suspicions each time they changed, in step order.
    private var nodes: [Hop: [Entry]] = [:]
    private var cluster: [Entry] = []
    /// Where each hop's node is in the driver's path (found again when it moves).
    private var position: [Hop: Int] = [:]

    /// Records the suspicions of every node of `path` as they are after `step`.
    /// - Complexity: O(nodes): unchanged arrays share their storage, so comparing them is O(1).
    mutating func record(_ path: PacketPath, afterStep step: Int) {
        position = [:]
        for (index, node) in path.nodes.enumerated() {
            position[node.hop] = index
            record(node, afterStep: step)
        }
        if (cluster.last?.suspicions ?? []) != path.clusterSuspicions {
            cluster.append(Entry(step: step, suspicions: path.clusterSuspicions))
        }
    }

    /// Records the suspicions of the hops a step touched (its actor, the nodes it added): a step
    /// changes no other node's, and running a thousand steps at once stays linear.
    mutating func record(_ path: PacketPath, afterStep step: Int, only hops: [Hop]) {
        for hop in hops {
            if position[hop].map({ !path.nodes.indices.contains($0) || path.nodes[$0].hop != hop }) ?? true {
                // A node the positions do not know yet (or a driver that reordered its nodes).
                position = Dictionary(path.nodes.enumerated().map { ($1.hop, $0) }, uniquingKeysWith: { first, _ in first })
            }
            if let index = position[hop] { record(path.nodes[index], afterStep: step) }
        }
        if (cluster.last?.suspicions ?? []) != path.clusterSuspicions {
            cluster.append(Entry(step: step, suspicions: path.clusterSuspicions))
        }
    }

    private mutating func record(_ node: NetNode, afterStep step: Int) {
        if (nodes[node.hop]?.last?.suspicions ?? []) != node.suspicions {
            nodes[node.hop, default: []].append(Entry(step: step, suspicions: node.suspicions))
        }
    }

    /// The suspicions of a hop as step `step` showed them.
    func suspicions(of hop: Hop, atStep step: Int) -> [Suspicion] {
        Self.latest(nodes[hop] ?? [], atStep: step)
    }

    /// The cluster-wide suspicions as step `step` showed them.
    func clusterSuspicions(atStep step: Int) -> [Suspicion] {
        Self.latest(cluster, atStep: step)
    }

    private static func latest(_ entries: [Entry], atStep step: Int) -> [Suspicion] {
        // Binary search for the last entry at or before the step.
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].step <= step { low = middle + 1 } else { high = middle }
        }
        return low == 0 ? [] : entries[low - 1].suspicions
    }
}
