import SkoopModel

/// Simulates native nftables base chains: rules, verdicts, jumps and gotos, verdict maps, NAT and
/// marks, producing the same outcomes and trace entries as the iptables engine. Which chains run
/// at a hook, and in what order with the xtables tables, is `NetfilterPipeline`'s business.
public struct NftEngine: Sendable {
    /// The ruleset simulated.
    public let ruleset: NftRuleset
    /// Tables left out because their rules are read elsewhere (iptables-nft's tables, read
    /// through iptables-save), as "family name".
    public let excludedTables: Set<String>
    /// The deepest chain nesting followed before giving up with a warning.
    public let maxDepth: Int

    /// Prepares an engine over `ruleset`, leaving out `excludedTables` ("ip filter", ...).
    public init(ruleset: NftRuleset, excludedTables: Set<String> = [], maxDepth: Int = 64) {
        self.ruleset = ruleset
        self.excludedTables = excludedTables
        self.maxDepth = maxDepth
        // Found once: kube-proxy's table holds 110,000 chains and a handful of base chains.
        placedBaseChains = ruleset.tables.enumerated().filter { !excludedTables.contains($0.element.description) }.map { position, table in
            (family: table.family, chains: table.baseChains.compactMap { chain in
                guard let base = chain.base, let hook = base.ipHook else { return nil }
                return (hook, BaseChain(table: position, chain: chain.name, priority: base.priority, isNAT: base.type == "nat"))
            })
        }
        linkChains = ruleset.tables.enumerated().filter { !excludedTables.contains($0.element.description) }.flatMap { position, table in
            table.baseChains.compactMap { chain in
                guard let base = chain.base, let place = LinkChain.Place(family: table.family, base: base) else { return nil }
                return LinkChain(chain: BaseChain(table: position, chain: chain.name, priority: base.priority, isNAT: false), place: place)
            }
        }
    }

    /// Per table not excluded: its family and its base chains at IP hooks, in file order.
    private let placedBaseChains: [(family: NftFamily, chains: [(hook: Hook, chain: BaseChain)])]

    /// A base chain at an IP hook.
    public struct BaseChain: Sendable {
        /// Its table's position in the ruleset.
        public let table: Int
        /// Its name.
        public let chain: String
        /// Its priority.
        public let priority: Int
        /// True for a nat-type chain (run inside the kernel's nat hook, first packets only).
        public let isNAT: Bool
    }

    /// The base chains registered at `hook` for packets of `family`, in file order.
    public func baseChains(at hook: Hook, family: AddressFamily) -> [BaseChain] {
        placedBaseChains.filter { $0.family.seesIP(family) }.flatMap { table in
            table.chains.filter { $0.hook == hook }.map(\.chain)
        }
    }

    /// Bridge-family and netdev (or inet ingress) base chains, in file order.
    public let linkChains: [LinkChain]

    /// Base chains Skoop cannot place on a packet's path (arp family, a netdev chain on several
    /// devices or none, an unknown hook): "family table/chain (hook)".
    public var unplacedBaseChains: [String] {
        ruleset.tables.filter { !excludedTables.contains($0.description) }.flatMap { table in
            table.baseChains.compactMap { chain in
                guard let base = chain.base, base.ipHook == nil || !(table.family.seesIP(.inet) || table.family.seesIP(.inet6)),
                      LinkChain.Place(family: table.family, base: base) == nil else {
                    return nil
                }
                return "\(table.family.rawValue) \(table.name)/\(chain.name) (\(base.hook))"
            }
        }
    }

    /// Walks base chain `base` at `hook` and applies its policy: the branches that go on to the
    /// next chain of the hook, and those that ended (dropped, rejected).
    /// `hookName` names a link-layer hook in the trace (INGRESS, EGRESS).
    func run(_ base: BaseChain, hook: Hook, hookName: String? = nil, _ walk: Walk) -> (accepted: [Walk], finished: [NetfilterOutcome]) {
        let table = ruleset.tables[base.table]
        guard let chain = table.chains[base.chain], let policy = chain.base?.policy else { return ([walk], []) }
        let scope = NftScope(hook: hook, table: table, hookName: hookName ?? hook.rawValue)
        var accepted: [Walk] = []
        var finished: [NetfilterOutcome] = []
        for (result, exit) in walkRules(of: chain, scope: scope, walk, stack: [chain.name]) {
            switch exit {
            case .verdict(.accept):
                accepted.append(result)
            case .verdict(let verdict):
                finished.append(result.outcome(verdict))
            case .returned, .fellOff:
                var after = result
                let name = policy == .drop ? "DROP" : "ACCEPT"
                after.trace.append(scope.entry(chain: chain.name, rule: "policy \(policy)", handle: nil, matched: true,
                                               verdict: "POLICY \(name)"))
                if policy == .drop { finished.append(after.outcome(.drop)) } else { accepted.append(after) }
            }
        }
        return (accepted, finished)
    }

    /// Walks `chain` from its first rule; jumps and gotos recurse.
    func walkRules(of chain: NftChain, scope: NftScope, _ start: Walk, stack: [String]) -> [(Walk, ChainExit)] {
        let rules: [NftRule]
        switch chain.decodedRules {
        case .success(let decoded): rules = decoded
        case .failure(let error): return [(unreadable(error, start), .fellOff)]
        }
        var results: [(Walk, ChainExit)] = []
        var queue: [(Int, Walk)] = [(0, start)]
        var head = 0
        while head < queue.count {
            let (first, walk) = queue[head]
            head += 1
            var position = first
            var current = walk
            var exited = false
            while position < rules.count {
                let rule = rules[position]
                var continued: Walk?
                for end in evaluate(rule, chain: chain.name, scope: scope, current) {
                    for step in follow(end, scope: scope, stack: stack) {
                        switch step {
                        case .next(let next):
                            if continued == nil { continued = next } else { queue.append((position + 1, next)) }
                        case .exit(let done, let exit):
                            results.append((done, exit))
                        }
                    }
                }
                guard let next = continued else {
                    exited = true
                    break
                }
                current = next
                position += 1
            }
            if !exited { results.append((current, .fellOff)) }
        }
        return results
    }

    /// Where one rule's end leads: on to the next rule, out of the chain, or through a jump.
    func follow(_ end: NftRuleEnd, scope: NftScope, stack: [String]) -> [RuleStep] {
        var walk = end.walk
        guard let verdict = end.verdict else { return [.next(walk)] }
        switch verdict {
        case .accept: return [.exit(walk, .verdict(.accept))]
        case .drop: return [.exit(walk, .verdict(.drop))]
        case .reject(let type): return [.exit(walk, .verdict(.reject(type)))]
        case .continue: return [.next(walk)]
        case .return: return [.exit(walk, .returned)]
        case .jump(let name), .goto(let name):
            let isGoto = if case .goto = verdict { true } else { false }
            guard let target = scope.table.chains[name] else {
                walk.warn("\(scope.table) rule jumps to missing chain \(name): ignored")
                walk.flags.insert(.uncertain)
                return [.next(walk)]
            }
            if stack.contains(name) || stack.count >= maxDepth {
                walk.warn("jump cycle or nesting too deep (\((stack + [name]).joined(separator: " -> "))): jump not followed")
                walk.flags.insert(.uncertain)
                return [.next(walk)]
            }
            return walkRules(of: target, scope: scope, walk, stack: stack + [name]).map { result, exit in
                switch exit {
                case .verdict: .exit(result, exit)
                // Returning from a goto'd chain returns to the caller of the chain that did the goto.
                case .returned, .fellOff: isGoto ? .exit(result, .returned) : .next(result)
                }
            }
        }
    }
}

/// Where an nft chain walk happens.
struct NftScope {
    let hook: Hook
    let table: NftTable
    /// The hook as the trace names it (the IP hook's, or INGRESS/EGRESS).
    var hookName: String

    init(hook: Hook, table: NftTable, hookName: String? = nil) {
        self.hook = hook
        self.table = table
        self.hookName = hookName ?? hook.rawValue
    }

    /// A trace entry for a rule (or policy) of `chain`.
    func entry(chain: String, rule: String, handle: Int?, matched: Bool, verdict: String, note: String? = nil) -> NetfilterTraceEntry {
        var entry = NetfilterTraceEntry(hook: hookName, table: table.name, chain: chain, rule: rule, matched: matched,
                                        verdict: verdict, note: note)
        entry.family = table.family.rawValue
        entry.handle = handle
        return entry
    }
}

/// What ends a rule for one branch: a verdict, or none (the walk goes on with the next rule).
struct NftRuleEnd {
    var walk: Walk
    var verdict: NftEndVerdict?
}

/// A rule's verdict as the chain walk needs it.
enum NftEndVerdict {
    case accept, drop, `continue`, `return`
    case reject(String)
    case jump(String)
    case goto(String)
}
