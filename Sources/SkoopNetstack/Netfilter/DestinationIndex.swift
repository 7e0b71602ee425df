import SkoopModel

/// A chain prepared for evaluation, with its destination index when it is big. An indexed
/// chain of a scanned dump decodes only the rules a walk visits (kube-proxy's KUBE-SERVICES
/// holds a rule per Service port; a packet meets those of its destination).
struct IndexedChain: Sendable {
    let chain: Chain
    /// How many rules the chain has.
    let count: Int
    let index: DestinationIndex?
    /// The chain's rules, fetched once for the walk; nil when they are decoded one by one.
    private let rules: [Rule]?

    init(_ chain: Chain, indexed: Bool) {
        self.chain = chain
        count = chain.ruleCount
        index = indexed ? chain.storage.destinationIndex : nil
        rules = indexed && chain.storage.decodesRulesApart ? nil : chain.rules
    }

    /// Rule `position`.
    func rule(at position: Int) -> Rule { rules?[position] ?? chain.storage.rule(at: position) }
}

/// Rules of a big chain (kube-proxy's KUBE-SERVICES) grouped by their `-d ADDR/32`, so a packet
/// only visits the rules that can match its destination plus the rules without such a match.
struct DestinationIndex: Sendable {
    /// Rule positions by host destination.
    let byAddress: [IPAddress: [Int]]
    /// Rules without a positive host destination match, in order.
    let unindexed: [Int]

    init(_ rules: [Rule]) {
        self.init(hosts: rules.map(Self.host(of:)))
    }

    /// The index of rules whose host destinations (``host(of:)``) are `hosts`, in rule order.
    init(hosts: [IPAddress?]) {
        var byAddress: [IPAddress: [Int]] = [:]
        var unindexed: [Int] = []
        for (position, host) in hosts.enumerated() {
            if let host { byAddress[host, default: []].append(position) } else { unindexed.append(position) }
        }
        self.byAddress = byAddress
        self.unindexed = unindexed
    }

    /// The address of the rule's first positive host destination match; nil when it has none.
    /// A line that could not be decoded counts by its leading `-d` (``LeadingDestination``): it
    /// cannot match another destination, whatever else it holds.
    static func host(of rule: Rule) -> IPAddress? {
        if rule.isUnreadable {
            var text = rule.text
            return text.withUTF8 { LeadingDestination.host(in: $0, 0..<$0.count) }
        }
        return rule.matches.lazy.compactMap { match -> IPAddress? in
            if !match.negated, case .address(.destination, let prefix) = match.kind, prefix.isHost {
                return prefix.network
            }
            return nil
        }.first
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
        count = chain.count
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

/// The host destination a rule line starts with, read from its bytes: `[p:b] -A CHAIN -d ADDR/32 ...`
/// (kube-proxy writes every Service rule so). `-d` right after the chain name is the rule's first
/// match, positive, and iptables takes one `-d` a rule, so a rule decoded from such a line has
/// that host destination and no other: a destination index is built without decoding it.
enum LeadingDestination {
    /// The address; nil when the line does not start so (decode the rule to know).
    static func host(in bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> IPAddress? {
        var position = line.lowerBound
        let end = line.upperBound
        func word() -> Range<Int>? {
            let start = position
            while position < end, bytes[position] != UInt8(ascii: " ") { position += 1 }
            guard position > start, position < end else { return nil }
            defer { position += 1 }
            return start..<position
        }
        func isWord(_ range: Range<Int>, _ text: StaticString) -> Bool {
            range.count == text.utf8CodeUnitCount && zip(bytes[range], UnsafeBufferPointer(start: text.utf8Start, count: range.count)).allSatisfy(==)
        }
        guard var first = word() else { return nil }
        if bytes[first.lowerBound] == UInt8(ascii: "[") {
            guard let next = word() else { return nil }
            first = next
        }
        guard isWord(first, "-A"), word() != nil, let flag = word(), isWord(flag, "-d"), let value = word() else { return nil }
        let text = Substring(decoding: UnsafeBufferPointer(rebasing: bytes[value]), as: UTF8.self)
        guard let prefix = IPPrefix(text), prefix.isHost else { return nil }
        return prefix.network
    }
}
