import SkoopModel

/// Packet and byte counters as `iptables-save -c` prints them (`[packets:bytes]`).
public struct Counters: Hashable, Sendable {
    /// Packets counted.
    public var packets: UInt64
    /// Bytes counted.
    public var bytes: UInt64

    /// Makes counters.
    public init(packets: UInt64, bytes: UInt64) {
        self.packets = packets
        self.bytes = bytes
    }
}

/// Which `*-save` tool produced a dump; they differ in header comments and some spellings.
public enum IPTablesDialect: String, Hashable, Sendable {
    case legacy
    case nft
    case unknown
}

/// A whole netfilter ruleset, independent of the syntax it was read from.
public struct Ruleset: Hashable, Sendable {
    /// inet for iptables, inet6 for ip6tables.
    public var family: AddressFamily
    /// The tool that produced the dump.
    public var dialect: IPTablesDialect
    /// The tables, in the order they appeared.
    public var tables: [Table]

    /// Makes a ruleset.
    public init(family: AddressFamily = .inet, dialect: IPTablesDialect = .unknown, tables: [Table] = []) {
        self.family = family
        self.dialect = dialect
        self.tables = tables
    }

    /// The table called `name` (raw, mangle, nat, filter, security).
    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    /// Decodes every rule now (a scanned dump decodes chains on first use): throws for the
    /// earliest malformed line; returns what a full read notes (options Skoop does not model,
    /// jumps to chains the table does not declare), by line. Done once per parsed dump.
    public func validate(source: String) throws(InputError) -> [RulesetWarning] {
        var warnings: [RulesetWarning] = []
        for table in tables {
            var firstError: InputError?
            var notes: [RulesetWarning] = []
            var jumps: [RulesetWarning] = []
            for outcome in ChainDecoding.decodeStrictly(table) {
                switch outcome {
                case .success(let found):
                    notes += found.notes
                    jumps += found.missingJumps
                case .failure(let error):
                    // Chains are grouped, the dump is not: report the earliest bad line.
                    if (error.line ?? 0) < (firstError?.line ?? Int.max) { firstError = error }
                }
            }
            if var firstError {
                firstError.source = source
                throw firstError
            }
            // In dump order, as a reader going line by line meets them; then the jumps, chain by chain.
            warnings += notes.enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
            warnings += jumps
        }
        for index in warnings.indices { warnings[index].source = source }
        return warnings
    }
}

/// One table (`*nat`) with its chains.
public struct Table: Hashable, Sendable {
    /// raw, mangle, nat, filter or security.
    public var name: String
    /// The chains, built-in and user-defined, in declaration order.
    public var chains: [Chain] {
        didSet { directory = ChainDirectory() }
    }
    /// Chain positions by name, shared by copies (kube-proxy declares 100,000 chains).
    private var directory: ChainDirectory

    /// Makes a table.
    public init(name: String, chains: [Chain] = []) {
        self.name = name
        self.chains = chains
        self.directory = ChainDirectory()
    }

    /// A table whose chain positions are already known (the scanner's index into the dump).
    init(name: String, chains: [Chain], index: ChainNameIndex, dump: ScannedDump) {
        self.name = name
        self.chains = chains
        self.directory = ChainDirectory(index: index, dump: dump)
    }

    /// The chain called `name`.
    public func chain(_ name: String) -> Chain? { directory.position(of: name, in: chains).map { chains[$0] } }

    /// Chain lookups for one thread making many of them.
    func chainFinder() -> ChainFinder { directory.finder(for: chains) }

    public static func == (lhs: Table, rhs: Table) -> Bool { lhs.name == rhs.name && lhs.chains == rhs.chains }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(chains)
    }
}

/// A chain with its policy (built-in chains only) and rules.
public struct Chain: Hashable, Sendable {
    /// The chain name.
    public var name: String
    /// The policy of a built-in chain; nil for user-defined chains (`-` in the dump).
    public var policy: Target?
    /// The chain's policy counters.
    public var counters: Counters?
    /// The rules' storage: decoded on first use when the chain was scanned, shared by copies.
    var storage: ChainRules

    /// Makes a chain.
    public init(name: String, policy: Target? = nil, counters: Counters? = nil, rules: [Rule] = []) {
        self.name = name
        self.policy = policy
        self.counters = counters
        self.storage = ChainRules(decoded: rules)
    }

    /// A chain whose rules are decoded from the dump when first asked for.
    init(name: String, policy: Target?, counters: Counters?, storage: ChainRules) {
        self.name = name
        self.policy = policy
        self.counters = counters
        self.storage = storage
    }

    /// The rules, in order (decoded on first use for scanned dumps).
    public var rules: [Rule] {
        get { storage.rules }
        set { storage = ChainRules(decoded: newValue) }
    }

    /// How many rules the chain has, without decoding them.
    public var ruleCount: Int { storage.count }

    /// True for chains with a policy (PREROUTING, INPUT, ...).
    public var isBuiltin: Bool { policy != nil }

    public static func == (lhs: Chain, rhs: Chain) -> Bool {
        lhs.name == rhs.name && lhs.policy == rhs.policy && lhs.counters == rhs.counters && lhs.rules == rhs.rules
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(policy)
        hasher.combine(counters)
        hasher.combine(ruleCount)
    }
}

/// One rule: all matches must hold for the target to apply.
public struct Rule: Hashable, Sendable {
    /// The matches, in the order they were written.
    public var matches: [Match]
    /// What happens when every match holds.
    public var target: Target
    /// The rule's counters, when the dump had them.
    public var counters: Counters?
    /// The original `-A CHAIN ...` text, without counters.
    public var text: String
    /// The 1-based line of the dump.
    public var line: Int

    /// Makes a rule.
    public init(matches: [Match], target: Target, counters: Counters? = nil, text: String, line: Int) {
        self.matches = matches
        self.target = target
        self.counters = counters
        self.text = text
        self.line = line
    }

    /// True when a match or the target could not be understood.
    public var hasUnsupportedParts: Bool {
        if case .unsupported = target { return true }
        return matches.contains { if case .unsupported = $0.kind { true } else { false } }
    }
}

/// Something a parse could read but that deserves attention (a jump to a missing chain).
public struct RulesetWarning: Hashable, Sendable, CustomStringConvertible {
    /// Where it was found.
    public var source: String
    /// The 1-based line.
    public var line: Int
    /// What is wrong.
    public var message: String

    /// Makes a warning.
    public init(source: String, line: Int, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String { "\(source):\(line): \(message)" }
}
