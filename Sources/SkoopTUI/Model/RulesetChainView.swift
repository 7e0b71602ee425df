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
    /// The nftables family of a native nft chain (ip, ip6, inet, ...); nil for iptables chains.
    public var family: String?
    /// A native nft base chain's hook line: "type filter hook forward priority 0; policy accept;".
    public var hookLine: String?
    /// The named sets and maps of a native nft chain's table, which its rules can look up.
    public var sets: [RulesetSetView]

    /// Makes a chain view.
    public init(table: String, chain: String, policy: String? = nil, rules: [RulesetRuleView], family: String? = nil,
                hookLine: String? = nil, sets: [RulesetSetView] = []) {
        self.table = table
        self.chain = chain
        self.policy = policy
        self.rules = rules
        self.family = family
        self.hookLine = hookLine
        self.sets = sets
    }
}

/// A named nft set or map with its elements, as `nft list set` prints them.
public struct RulesetSetView: Hashable, Sendable {
    /// Its name.
    public var name: String
    /// "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict }".
    public var declaration: String
    /// The elements, a map's with their data: "10.96.0.10 . tcp . 80 : goto service-...".
    public var elements: [String]

    /// Makes a set view.
    public init(name: String, declaration: String, elements: [String]) {
        self.name = name
        self.declaration = declaration
        self.elements = elements
    }

    /// True when `element` (the text of one element, data included) has the key `key`.
    public static func element(_ element: String, hasKey key: String) -> Bool {
        element == key || element.hasPrefix(key + " : ")
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
    /// The handle of a native nft rule.
    public var handle: Int?

    /// Makes a rule view.
    public init(rule: String, packets: UInt64? = nil, bytes: UInt64? = nil, handle: Int? = nil) {
        self.rule = rule
        self.packets = packets
        self.bytes = bytes
        self.handle = handle
    }

    /// The chain a `-j`/`-g` target (or an nft `jump`/`goto`) names, when the rule jumps.
    public var jumpTarget: String? { handle == nil ? RulesetRuleView.jumpTarget(of: rule) : RulesetRuleView.nftJumpTarget(of: rule) }

    /// The chain an nft rule's own `jump X`/`goto X` names (not one inside a verdict map).
    public static func nftJumpTarget(of rule: String) -> String? {
        var depth = 0
        var previous: Substring = ""
        for word in rule.split(separator: " ") {
            if depth == 0, previous == "jump" || previous == "goto" { return String(word) }
            depth += word.filter { $0 == "{" }.count - word.filter { $0 == "}" }.count
            previous = word
        }
        return nil
    }

    /// The named sets and maps an nft rule looks up (`@name`), in order.
    public static func setReferences(of rule: String) -> [String] {
        var names: [String] = []
        for word in rule.split(separator: " ") where word.hasPrefix("@") {
            let name = String(word.dropFirst().prefix { $0 != "," && $0 != "}" && $0 != ";" })
            if !name.isEmpty, !names.contains(name) { names.append(name) }
        }
        return names
    }

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
