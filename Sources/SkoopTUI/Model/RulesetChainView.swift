import SkoopModel

/// One chain of a netns's full ruleset, as the rules browser shows it.
public struct RulesetChainView: Hashable, Sendable {
    /// raw, mangle, nat, filter, security.
    public var table: String
    /// The chain name.
    public var chain: String
    /// The policy of a built-in chain ("ACCEPT", "DROP"); nil for user chains.
    public var policy: String?
    /// The rules in order.
    public var rules: [RulesetRuleView]

    /// Makes a chain view.
    public init(table: String, chain: String, policy: String? = nil, rules: [RulesetRuleView]) {
        self.table = table
        self.chain = chain
        self.policy = policy
        self.rules = rules
    }
}

/// One rule with its counters, as `iptables-save -c` prints it.
public struct RulesetRuleView: Hashable, Sendable {
    /// The rule text, e.g. "-A FORWARD -d 10.0.0.1/32 -j DROP".
    public var rule: String
    /// Packet counter, when collected.
    public var packets: UInt64?
    /// Byte counter, when collected.
    public var bytes: UInt64?

    /// Makes a rule view.
    public init(rule: String, packets: UInt64? = nil, bytes: UInt64? = nil) {
        self.rule = rule
        self.packets = packets
        self.bytes = bytes
    }

    /// The chain a `-j`/`-g` target names, when the rule jumps.
    public var jumpTarget: String? { RulesetRuleView.jumpTarget(of: rule) }

    /// Targets netfilter itself provides (and common extensions): a rule with one of them ends
    /// there or changes the packet, it does not open a chain.
    public static let builtinTargets: Set<String> = [
        "ACCEPT", "DROP", "REJECT", "RETURN", "QUEUE", "NFQUEUE", "DNAT", "SNAT", "MASQUERADE", "REDIRECT",
        "NETMAP", "MARK", "CONNMARK", "CONNSECMARK", "SECMARK", "LOG", "NFLOG", "ULOG", "TRACE", "AUDIT",
        "TPROXY", "CT", "NOTRACK", "TCPMSS", "CLASSIFY", "TTL", "HL", "DSCP", "TOS", "SET", "CHECKSUM", "TEE",
        "IDLETIMER", "LED", "SYNPROXY", "HMARK", "CLUSTERIP",
    ]

    /// The word after `-j`, `--jump`, `-g` or `--goto` in a rule's text.
    public static func jumpTarget(of rule: String) -> String? {
        let words = rule.split(separator: " ")
        guard let index = words.firstIndex(where: { ["-j", "--jump", "-g", "--goto"].contains($0) }),
              index + 1 < words.count else { return nil }
        return String(words[index + 1])
    }
}

/// Supplies the full ruleset of the netns behind a hop (nil in the TUI when not available).
public typealias RulesetProvider = (Hop) -> [RulesetChainView]
