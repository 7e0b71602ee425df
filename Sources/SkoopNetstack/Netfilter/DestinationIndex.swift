import SkoopModel

/// A chain prepared for evaluation, with its destination index when it is big.
struct IndexedChain: Sendable {
    let chain: Chain
    /// The chain's rules, fetched once for the walk.
    let rules: [Rule]
    let index: DestinationIndex?

    init(_ chain: Chain, indexed: Bool) {
        self.chain = chain
        rules = chain.rules
        index = indexed ? chain.storage.destinationIndex : nil
    }
}

/// Rules of a big chain (kube-proxy's KUBE-SERVICES) grouped by their `-d ADDR/32`, so a packet
/// only visits the rules that can match its destination plus the rules without such a match.
struct DestinationIndex: Sendable {
    /// Rule positions by host destination.
    let byAddress: [IPAddress: [Int]]
    /// Rules without a positive host destination match, in order.
    let unindexed: [Int]

    init(_ rules: [Rule]) {
        var byAddress: [IPAddress: [Int]] = [:]
        var unindexed: [Int] = []
        for (position, rule) in rules.enumerated() {
            let host = rule.matches.lazy.compactMap { match -> IPAddress? in
                if !match.negated, case .address(.destination, let prefix) = match.kind, prefix.isHost {
                    return prefix.network
                }
                return nil
            }.first
            if let host { byAddress[host, default: []].append(position) } else { unindexed.append(position) }
        }
        self.byAddress = byAddress
        self.unindexed = unindexed
    }

    /// The positions worth visiting for `destination`, in rule order.
    func candidates(for destination: IPAddress) -> [Int] {
        let direct = byAddress[destination] ?? []
        var merged: [Int] = []
        merged.reserveCapacity(direct.count + unindexed.count)
        var i = 0
        var j = 0
        while i < direct.count || j < unindexed.count {
            if j == unindexed.count || (i < direct.count && direct[i] < unindexed[j]) {
                merged.append(direct[i])
                i += 1
            } else {
                merged.append(unindexed[j])
                j += 1
            }
        }
        return merged
    }
}

/// Finds the next rule to visit at or after a position, through the index when there is one.
struct RuleCursor {
    let count: Int
    let candidates: [Int]?

    init(_ chain: IndexedChain, destination: IPAddress) {
        count = chain.rules.count
        candidates = chain.index?.candidates(for: destination)
    }

    /// The first rule position >= `position` that may match, or nil at the end.
    func next(from position: Int) -> Int? {
        guard let candidates else { return position < count ? position : nil }
        var low = 0
        var high = candidates.count
        while low < high {
            let middle = (low + high) / 2
            if candidates[middle] < position { low = middle + 1 } else { high = middle }
        }
        return low < candidates.count ? candidates[low] : nil
    }
}
