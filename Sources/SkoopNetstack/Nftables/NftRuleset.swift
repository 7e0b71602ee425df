import SkoopModel

/// An nftables address family: which packets a table's chains see.
public enum NftFamily: String, Hashable, Sendable, CaseIterable {
    case ip, ip6, inet, bridge, arp, netdev

    /// True when the family's chains see IP packets of `family` at the IP hooks.
    public func seesIP(_ family: AddressFamily) -> Bool {
        switch self {
        case .ip: family == .inet
        case .ip6: family == .inet6
        case .inet: true
        case .bridge, .arp, .netdev: false
        }
    }
}

/// A whole `nft -j list ruleset`, independent of JSON: tables with chains, rules, sets and maps.
public struct NftRuleset: Hashable, Sendable {
    /// The tables, in file order.
    public var tables: [NftTable]
    /// The file read, naming it in errors met when a skimmed file's chain is first decoded
    /// (a ruleset shared by identical files names each file); not part of equality.
    public var source: String?

    /// Makes a ruleset.
    public init(tables: [NftTable] = []) {
        self.tables = tables
    }

    public static func == (lhs: NftRuleset, rhs: NftRuleset) -> Bool { lhs.tables == rhs.tables }
    public func hash(into hasher: inout Hasher) { hasher.combine(tables) }

    /// The table `name` of `family`.
    public func table(_ family: NftFamily, _ name: String) -> NftTable? {
        tables.first { $0.family == family && $0.name == name }
    }

    /// How many rules the ruleset holds.
    public var ruleCount: Int { tables.reduce(0) { $0 + $1.ruleCount } }
}

/// One nft table.
public struct NftTable: Hashable, Sendable, CustomStringConvertible {
    /// Its family.
    public var family: NftFamily
    /// Its name.
    public var name: String
    /// Its chains by name.
    public var chains: [String: NftChain] { didSet { foundBaseChains = nil } }
    /// The chain names in file order.
    public var chainOrder: [String] { didSet { foundBaseChains = nil } }
    /// `baseChains`, found once for a skimmed file (every netns of every node carrying it makes
    /// an engine); nil until then, and again after any change to the chains.
    private var foundBaseChains: [NftChain]?
    /// Its named sets and maps by name.
    public var sets: [String: NftSet]

    /// Makes a table.
    public init(family: NftFamily, name: String, chains: [NftChain] = [], sets: [NftSet] = []) {
        self.family = family
        self.name = name
        self.chains = Dictionary(chains.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.chainOrder = chains.map(\.name)
        self.sets = Dictionary(sets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The chains attached to a hook, in file order.
    ///
    /// - Complexity: O(chains) without hashing, then names in file order until every base chain
    ///   is placed: kube-proxy declares its few base chains among its first of 110,000.
    public var baseChains: [NftChain] { foundBaseChains ?? findBaseChains() }

    /// Finds `baseChains` now, for every later use.
    mutating func rememberBaseChains() {
        foundBaseChains = findBaseChains()
    }

    private func findBaseChains() -> [NftChain] {
        var unplaced: [String: NftChain] = [:]
        for chain in chains.values where chain.base != nil { unplaced[chain.name] = chain }
        var ordered: [NftChain] = []
        for name in chainOrder {
            if unplaced.isEmpty { break }
            if let chain = unplaced.removeValue(forKey: name) { ordered.append(chain) }
        }
        return ordered
    }

    /// How many rules the table holds (known without decoding a skimmed file's rules).
    public var ruleCount: Int { chains.values.reduce(0) { $0 + $1.ruleCount } }

    /// True for the tables iptables-nft writes (family ip/ip6 and an xtables table name).
    public var hasXtablesName: Bool {
        (family == .ip || family == .ip6) && ["filter", "nat", "mangle", "raw", "security"].contains(name)
    }

    public var description: String { "\(family.rawValue) \(name)" }

    public static func == (lhs: NftTable, rhs: NftTable) -> Bool {
        lhs.family == rhs.family && lhs.name == rhs.name && lhs.chains == rhs.chains && lhs.chainOrder == rhs.chainOrder
            && lhs.sets == rhs.sets
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(family)
        hasher.combine(name)
        hasher.combine(chains)
        hasher.combine(chainOrder)
        hasher.combine(sets)
    }
}

/// Where a base chain is attached.
public struct NftBaseChain: Hashable, Sendable {
    /// filter, nat or route.
    public var type: String
    /// prerouting, input, forward, output, postrouting, ingress, egress.
    public var hook: String
    /// The priority: lower runs first.
    public var priority: Int
    /// accept or drop.
    public var policy: NftVerdict
    /// The device of a netdev (or inet ingress) chain.
    public var device: String?

    /// Makes a base chain description.
    public init(type: String, hook: String, priority: Int, policy: NftVerdict = .accept, device: String? = nil) {
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.device = device
    }

    /// The IP hook of this chain, nil for ingress/egress hooks.
    public var ipHook: Hook? {
        switch hook {
        case "prerouting": .prerouting
        case "input": .input
        case "forward": .forward
        case "output": .output
        case "postrouting": .postrouting
        default: nil
        }
    }
}

/// One chain and its rules.
public struct NftChain: Hashable, Sendable {
    /// Its name.
    public var name: String
    /// Its handle.
    public var handle: Int
    /// Present for a base chain.
    public var base: NftBaseChain?
    /// Where its rules are: decoded, or in a skimmed file until first asked for.
    var storage: NftChainRules

    /// Makes a chain.
    public init(name: String, handle: Int = 0, base: NftBaseChain? = nil, rules: [NftRule] = []) {
        self.name = name
        self.handle = handle
        self.base = base
        self.storage = .decoded(rules)
    }

    /// Its rules, in order; empty when a skimmed file's rules for it do not decode
    /// (``decodedRules`` says why).
    public var rules: [NftRule] {
        get { (try? storage.decoded.get()) ?? [] }
        _modify {
            // Moved out, so that appending does not copy the array.
            var rules = (try? storage.decoded.get()) ?? []
            storage = .decoded([])
            defer { storage = .decoded(rules) }
            yield &rules
        }
    }

    /// Its rules, or the full decoder's error for the first that does not decode.
    public var decodedRules: Result<[NftRule], InputError> { storage.decoded }

    /// How many rules it holds (known without decoding).
    public var ruleCount: Int {
        switch storage {
        case .decoded(let rules): rules.count
        case .skimmed(let file, let position): file.ruleCount(position)
        }
    }

    public static func == (lhs: NftChain, rhs: NftChain) -> Bool {
        lhs.name == rhs.name && lhs.handle == rhs.handle && lhs.base == rhs.base && lhs.decodedRules == rhs.decodedRules
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(handle)
        hasher.combine(base)
        hasher.combine(rules)
    }

    /// Rules gathered for this chain, after those it has: a chain without rules yet takes the
    /// list as it is, its rules not copied one by one.
    mutating func append(_ more: [NftRule]) {
        if rules.isEmpty { rules = more } else { rules += more }
    }

    /// What a chain declaration adds: its handle when given, its hook when a base chain.
    mutating func update(handle: Int?, base: NftBaseChain?) {
        self.handle = handle ?? self.handle
        if let base { self.base = base }
    }
}

/// One rule: statements evaluated left to right.
public struct NftRule: Hashable, Sendable {
    /// The rule's handle.
    public var handle: Int
    /// Its statements.
    public var statements: [NftStatement]
    /// Its comment, if any.
    public var comment: String?

    /// Makes a rule.
    public init(handle: Int, statements: [NftStatement], comment: String? = nil) {
        self.handle = handle
        self.statements = statements
        self.comment = comment
    }

    /// The rule in `nft list ruleset` syntax.
    public var text: String { NftRuleText.render(self) }
}

/// A named set or map with its elements.
public struct NftSet: Hashable, Sendable {
    /// Its name.
    public var name: String
    /// The key's types (several for a concatenation).
    public var keyTypes: [NftValueKind]
    /// For a map: the data's types (`verdict` for a verdict map).
    public var dataTypes: [NftValueKind]?
    /// Flags: interval, constant, dynamic, timeout.
    public var flags: Set<String>
    /// The elements.
    public var elements: NftElements
    /// Why the elements could not be read (lookups are then uncertain); nil when they were.
    public var unreadable: String?

    /// Makes a set.
    public init(name: String, keyTypes: [NftValueKind], dataTypes: [NftValueKind]? = nil, flags: Set<String> = [],
                elements: [NftElement] = []) {
        self.name = name
        self.keyTypes = keyTypes
        self.dataTypes = dataTypes
        self.flags = flags
        self.elements = NftElements(elements)
    }

    /// True for a set whose elements packets add (session affinity): its content at collection
    /// time says nothing certain about the next connection.
    public var isDynamic: Bool { flags.contains("dynamic") || flags.contains("timeout") }
}

/// A set's elements with an index of the exact keys (kube-proxy's maps hold one per service port).
public struct NftElements: Hashable, Sendable {
    /// Every element, in file order.
    public let all: [NftElement]
    /// Positions of elements whose key parts are all exact values.
    let exact: [[NftRuntime]: Int]
    /// Positions of elements with a prefix or range part.
    let intervals: [Int]

    /// Indexes `elements`.
    public init(_ elements: [NftElement]) {
        all = elements
        var exact: [[NftRuntime]: Int] = [:]
        var intervals: [Int] = []
        for (position, element) in elements.enumerated() {
            if let key = element.exactKey {
                if exact[key] == nil { exact[key] = position }
            } else {
                intervals.append(position)
            }
        }
        self.exact = exact
        self.intervals = intervals
    }

    public static func == (lhs: NftElements, rhs: NftElements) -> Bool { lhs.all == rhs.all }
    public func hash(into hasher: inout Hasher) { hasher.combine(all) }
}

/// One element of a set or map.
public struct NftElement: Hashable, Sendable {
    /// The key, one part per concatenated field.
    public var key: [NftKeyPart]
    /// The data of a map element.
    public var data: NftMapData?

    /// Makes an element.
    public init(key: [NftKeyPart], data: NftMapData? = nil) {
        self.key = key
        self.data = data
    }

    /// The key as plain values, when no part is an interval.
    var exactKey: [NftRuntime]? {
        var values: [NftRuntime] = []
        for part in key {
            guard case .exact(let value) = part else { return nil }
            values.append(value)
        }
        return values
    }
}

/// One part of an element key.
public enum NftKeyPart: Hashable, Sendable {
    case exact(NftRuntime)
    case prefix(IPPrefix)
    case range(NftRuntime, NftRuntime)

    /// True when `value` falls in this part.
    public func contains(_ value: NftRuntime) -> Bool {
        switch self {
        case .exact(let exact): return exact == value
        case .prefix(let prefix):
            if case .address(let address) = value { return prefix.contains(address) }
            return false
        case .range(let low, let high): return low <= value && value <= high
        }
    }
}

/// What a map element maps to.
public enum NftMapData: Hashable, Sendable {
    /// A verdict map's verdict.
    case verdict(NftVerdict)
    /// A data map's values (an address, or address . port).
    case values([NftRuntime])
}

/// A value the evaluator compares: a number, an address or a name (an interface).
public enum NftRuntime: Hashable, Sendable, Comparable, CustomStringConvertible {
    case number(UInt64)
    case address(IPAddress)
    case name(String)

    public static func < (lhs: NftRuntime, rhs: NftRuntime) -> Bool {
        switch (lhs, rhs) {
        case (.number(let a), .number(let b)): a < b
        case (.address(let a), .address(let b)): a < b
        case (.name(let a), .name(let b)): a < b
        default: false
        }
    }

    public var description: String {
        switch self {
        case .number(let value): "\(value)"
        case .address(let address): address.description
        case .name(let name): name
        }
    }
}
