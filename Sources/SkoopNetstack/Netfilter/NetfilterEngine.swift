import SkoopModel

/// Simulates netfilter over a syntax-independent ruleset: tables in kernel priority order,
/// chains, jumps, policies, NAT rewrites, marks, and probabilistic or uncertain branches.
public struct NetfilterEngine: Sendable {
    /// Tuning knobs.
    public struct Options: Hashable, Sendable {
        /// Chains with at least this many rules are dispatched through a destination-address
        /// index; nil walks every chain linearly.
        public var indexThreshold: Int?
        /// The deepest chain nesting followed before giving up with a warning.
        public var maxDepth: Int

        /// Makes options.
        public init(indexThreshold: Int? = 64, maxDepth: Int = 64) {
            self.indexThreshold = indexThreshold
            self.maxDepth = maxDepth
        }
    }

    /// The ruleset simulated.
    public let ruleset: Ruleset
    /// The ipsets the set match consults.
    public let ipsets: IPSetCollection
    /// The options in force.
    public let options: Options

    /// Prepares an engine. Chains are decoded and indexed when a walk first reaches them, once
    /// for every engine over the same parsed ruleset.
    public init(ruleset: Ruleset, ipsets: IPSetCollection = IPSetCollection(), options: Options = Options()) {
        self.ruleset = ruleset
        self.ipsets = ipsets
        self.options = options
    }

    /// The chain `name` of `table`, ready to walk (with its destination index when it is big).
    func indexedChain(_ table: String, _ name: String) -> IndexedChain? {
        guard let chain = ruleset.table(table)?.chain(name) else { return nil }
        return IndexedChain(chain, indexed: options.indexThreshold.map { chain.ruleCount >= $0 } ?? false)
    }

    /// Runs one hook: every table registered there, in priority order. Returns every possible
    /// outcome (several when statistic, recent or unsupported matches branch).
    public func traverse(hook: Hook, packet: PacketContext) -> [NetfilterOutcome] {
        var walks = [Walk(context: packet)]
        var finished: [NetfilterOutcome] = []
        for (tableName, _) in hook.tables {
            guard ruleset.table(tableName)?.chain(hook.rawValue) != nil else { continue }
            var next: [Walk] = []
            for walk in walks {
                if tableName == "nat" && !walk.context.natConsulted(at: hook) {
                    next.append(replayConnectionNAT(walk, hook: hook))
                    continue
                }
                let (accepted, ended) = runBaseChain(of: tableName, hook: hook, walk)
                next += accepted
                finished += ended
            }
            if tableName == "nat" {
                for i in next.indices { next[i].context.natBindings.insert(.bound(at: hook)) }
            }
            walks = next
        }
        return walks.map { $0.outcome(.accept) } + finished
    }

    /// Walks the built-in chain `hook` of table `tableName` and applies its policy: the branches
    /// that go on to the next table, and those that ended (dropped, rejected). Nothing when the
    /// table has no such chain.
    func runBaseChain(of tableName: String, hook: Hook, _ walk: Walk) -> (accepted: [Walk], finished: [NetfilterOutcome]) {
        guard let base = indexedChain(tableName, hook.rawValue) else { return ([walk], []) }
        var accepted: [Walk] = []
        var finished: [NetfilterOutcome] = []
        let scope = Scope(hook: hook, table: tableName)
        for (result, exit) in walkChain(base, scope: scope, from: 0, walk, stack: [hook.rawValue]) {
            switch exit {
            case .verdict(.accept):
                accepted.append(result)
            case .verdict(let verdict):
                finished.append(result.outcome(verdict))
            case .returned, .fellOff:
                var after = result
                let policy = base.chain.policy ?? .accept
                let name = policy == .drop ? "DROP" : "ACCEPT"
                after.trace.append(NetfilterTraceEntry(
                    hook: hook.rawValue, table: tableName, chain: hook.rawValue, rule: "-P \(hook.rawValue) \(name)",
                    matched: true, verdict: "POLICY \(name)"))
                if policy == .drop { finished.append(after.outcome(.drop)) } else { accepted.append(after) }
            }
        }
        return (accepted, finished)
    }

    /// Runs several hooks in sequence, feeding each accepted outcome to the next hook;
    /// `between` lets the caller route the packet between hooks (set the out interface, ...).
    public func traverse(hooks: [Hook], packet: PacketContext,
                         between: (Hook, PacketContext) -> PacketContext = { $1 }) -> [NetfilterOutcome] {
        NetfilterOutcome.inSequence(hooks: hooks, packet: packet, between: between) { traverse(hook: $0, packet: $1) }
    }
}

extension NetfilterEngine {
    /// A later packet skips the nat table; conntrack replays the connection's recorded NAT.
    func replayConnectionNAT(_ walk: Walk, hook: Hook) -> Walk {
        var walk = walk
        let context = walk.context
        var note = context.untracked ? "nat table not consulted: connection untracked"
            : context.natBindings.contains(.bound(at: hook)) && context.isFirstPacket && context.direction == .original
            ? "nat table not consulted: the connection's \(NATBindings.bound(at: hook) == .destination ? "destination" : "source") binding is already set up"
            : "nat table not consulted: not the first packet of a tracked connection"
        if let nat = walk.context.connectionNAT, !walk.context.untracked {
            let before = walk.context.packet.description
            if hook == .prerouting || hook == .output {
                if let address = nat.destination { walk.context.packet.dst = address }
                if let port = nat.destinationPort { walk.context.packet.dport = port }
            } else {
                if let address = nat.source { walk.context.packet.src = address }
                if let port = nat.sourcePort { walk.context.packet.sport = port }
            }
            let after = walk.context.packet.description
            if after != before { note += "; conntrack applied the connection's NAT: \(before) -> \(after)" }
        }
        walk.trace.append(NetfilterTraceEntry(hook: hook.rawValue, table: "nat", chain: hook.rawValue, rule: "",
                                              matched: false, verdict: "SKIP", note: note))
        return walk
    }
}

/// Where a chain walk happens.
struct Scope {
    let hook: Hook
    let table: String
}

/// One branch of a traversal in progress.
struct Walk {
    var context: PacketContext
    var probability: Double = 1
    var flags: NetfilterOutcomeFlags = []
    var warnings: [String] = []
    var trace: [NetfilterTraceEntry] = []

    func outcome(_ verdict: NetfilterVerdict) -> NetfilterOutcome {
        NetfilterOutcome(verdict: verdict, context: context, probability: probability, flags: flags,
                         warnings: warnings, trace: trace)
    }

    mutating func warn(_ message: String) {
        if !warnings.contains(message) { warnings.append(message) }
    }
}

/// How a chain walk ended.
enum ChainExit {
    /// A verdict that ends the table (accept) or the whole traversal (drop, reject).
    case verdict(NetfilterVerdict)
    /// A RETURN rule (or a goto'd chain that returned).
    case returned
    /// The end of the chain.
    case fellOff
}

extension PacketContext {
    /// NAT tables see only the first packet of a tracked connection, once per binding.
    func natConsulted(at hook: Hook) -> Bool {
        isFirstPacket && direction == .original && !untracked && !natBindings.contains(.bound(at: hook))
    }
}
