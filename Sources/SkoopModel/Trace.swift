/// One routing decision, shaped like `ip route get`'s answer plus how it was reached.
public struct RouteDecision: Hashable, Sendable, Codable {
    /// The packet's destination.
    public var destination: String
    /// The policy rule that led to the table, as `ip rule` prints it.
    public var rule: String?
    /// The table the route came from.
    public var table: String
    /// The route, as `ip route` prints it; nil when no route matched.
    public var route: String?
    /// The outcome: "unicast", "local", "blackhole", "unreachable", "prohibit", "no route", ...
    public var outcome: String
    /// Outgoing interface.
    public var outInterface: String?
    /// Gateway, when the route has one.
    public var gateway: String?
    /// Preferred source address.
    public var preferredSource: String?

    /// Makes a decision record.
    public init(destination: String, rule: String? = nil, table: String, route: String?, outcome: String,
                outInterface: String? = nil, gateway: String? = nil, preferredSource: String? = nil) {
        self.destination = destination
        self.rule = rule
        self.table = table
        self.route = route
        self.outcome = outcome
        self.outInterface = outInterface
        self.gateway = gateway
        self.preferredSource = preferredSource
    }
}

/// One rule evaluation in a netfilter trace, in the spirit of `xtables-monitor --trace`.
public struct NetfilterTraceEntry: Hashable, Sendable, Codable {
    /// PREROUTING, INPUT, FORWARD, OUTPUT or POSTROUTING.
    public var hook: String
    /// raw, mangle, nat, filter or security.
    public var table: String
    /// The chain being walked.
    public var chain: String
    /// The rule as `iptables-save` prints it; for a policy, "-P CHAIN POLICY".
    public var rule: String
    /// Whether every match of the rule held.
    public var matched: Bool
    /// The outcome: "ACCEPT", "DROP", "JUMP", "GOTO", "RETURN", "DNAT", "CONTINUE", "POLICY ACCEPT", ...
    public var verdict: String
    /// A remark from the simulator (an assumption, an unsupported match).
    public var note: String?
    /// The nftables family of a native nft rule (ip, ip6, inet, ...); nil for iptables rules.
    public var family: String?
    /// The nft rule handle of a native nft rule; nil for iptables rules and policies.
    public var handle: Int?
    /// The set and map lookups of a native nft rule, in evaluation order; nil when it looked
    /// nothing up (and in JSON written before lookups were recorded).
    public var lookups: [NetfilterSetLookup]?

    /// Makes an entry.
    public init(hook: String, table: String, chain: String, rule: String, matched: Bool, verdict: String,
                note: String? = nil) {
        self.hook = hook
        self.table = table
        self.chain = chain
        self.rule = rule
        self.matched = matched
        self.verdict = verdict
        self.note = note
    }
}

/// One lookup of an nft rule in a set or map: which set, the packet's key, and the element hit.
public struct NetfilterSetLookup: Hashable, Sendable, Codable {
    /// The named set or map ("service-ips"); nil for an anonymous set written in the rule.
    public var set: String?
    /// The key the packet presented, as nft prints elements: "10.96.0.10 . tcp . 80".
    public var key: String
    /// The element the key fell in, as nft lists it (without a map's data); nil on a miss.
    public var element: String?

    /// Makes a lookup record.
    public init(set: String?, key: String, element: String?) {
        self.set = set
        self.key = key
        self.element = element
    }
}
