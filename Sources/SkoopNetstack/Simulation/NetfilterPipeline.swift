import SkoopModel

/// Everything a netns registers at the IP hooks, in the kernel's order: the xtables tables at
/// their fixed priorities and native nft base chains at theirs. Nat chains of both kinds run
/// inside the kernel's one nat hook (priority -100 for PREROUTING/OUTPUT, 100 for INPUT/
/// POSTROUTING), ordered by their own priorities, only for a connection's first packet, and
/// only until one of them sets up the binding (nf_nat_inet_fn). At equal priorities the kernel
/// runs the later registration first (nf_hook_entries_grow inserts before equal priorities):
/// legacy xtables tables are kept first among equals (registered at boot); iptables-nft's
/// tables are nft tables, ordered with the native ones by creation (`nft list ruleset` lists tables in creation order; measured in the nftables lab:
/// kube-proxy's nat-prerouting, loaded after iptables-nft's nat table, runs before its PREROUTING).
public struct NetfilterPipeline: Sendable {
    /// The iptables (or ip6tables) engine, when rules were collected.
    public let xtables: NetfilterEngine?
    /// The native nftables engine.
    public let nftables: NftEngine
    /// The packets' family.
    public let family: AddressFamily

    /// Makes a pipeline for packets of `family`.
    public init(xtables: NetfilterEngine?, nftables: NftEngine, family: AddressFamily) {
        self.xtables = xtables
        self.nftables = nftables
        self.family = family
    }

    /// One thing run at a hook.
    enum Stage {
        case xtables(String)
        case nft(NftEngine.BaseChain)
        /// The nat hook: its members in priority order.
        case nat([NATMember])
        /// A bridge or netdev chain, with the interfaces its hook sees.
        case link(NftEngine.LinkChain, inInterface: String?, outInterface: String?)
    }

    enum NATMember {
        case xtables
        case nft(NftEngine.BaseChain)
    }

    /// The stages at IP hook `hook`, lowest priority first.
    func ipStages(at hook: Hook) -> [Stage] {
        var stages: [(Int, Int, Stage)] = []
        var natMembers: [(Int, Int, NATMember)] = []
        // Among equal priorities: legacy tables first, then the latest-created nft table's chains.
        let nftFamily = family == .inet6 ? "ip6" : "ip"
        let tablePositions = Dictionary(nftables.ruleset.tables.enumerated().map { ($1.description, $0) },
                                        uniquingKeysWith: { first, _ in first })
        var legacyOrder = Int.min
        for (table, priority) in hook.tables where xtables?.ruleset.table(table)?.chain(hook.rawValue) != nil {
            let order: Int
            if let position = tablePositions["\(nftFamily) \(table)"], nftables.excludedTables.contains("\(nftFamily) \(table)") {
                order = -position * 10_000
            } else {
                legacyOrder += 1
                order = legacyOrder
            }
            if table == "nat" { natMembers.append((priority, order, .xtables)) } else { stages.append((priority, order, .xtables(table))) }
        }
        for chain in nftables.baseChains(at: hook, family: family) {
            let table = nftables.ruleset.tables[chain.table]
            let order = -chain.table * 10_000 - (table.chainOrder.firstIndex(of: chain.chain) ?? 0)
            if chain.isNAT { natMembers.append((chain.priority, order, .nft(chain))) } else { stages.append((chain.priority, order, .nft(chain))) }
        }
        if !natMembers.isEmpty {
            let natPriority = hook == .prerouting || hook == .output ? -100 : 100
            stages.append((natPriority, Int.min, .nat(natMembers.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2))))
        }
        // The nat hook registered at boot with iptable_nat / nf_nat: before equal-priority chains.
        return stages.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// Runs one hook: every stage in order, with the bridge and netdev chains `link` places
    /// around it (nil: the IP hook alone). Returns every possible outcome.
    public func traverse(hook: Hook, packet: PacketContext, link: LinkPath? = nil) -> [NetfilterOutcome] {
        var walks = [Walk(context: packet)]
        var finished: [NetfilterOutcome] = []
        var warned = false
        for stage in link.map({ stages(at: hook, link: $0) }) ?? ipStages(at: hook) {
            if case .link(let chain, _, nil) = stage, !warned, let link, link.departureIsBridge, link.departurePort == nil,
               chain.place == .bridge(.output) || chain.place == .bridge(.postrouting) {
                // Which port of the bridge the frame leaves through is unknown here: oifname can't be matched.
                warned = true
                for index in walks.indices {
                    walks[index].flags.insert(.uncertain)
                    walks[index].warn("the port of bridge \(link.departure ?? "") the packet leaves through is unknown: bridge chains run without it")
                }
            }
            var next: [Walk] = []
            for walk in walks {
                let (accepted, ended) = run(stage, hook: hook, walk)
                next += accepted
                finished += ended
            }
            walks = next
        }
        return walks.map { $0.outcome(.accept) } + finished
    }

    func run(_ stage: Stage, hook: Hook, _ walk: Walk) -> (accepted: [Walk], finished: [NetfilterOutcome]) {
        switch stage {
        case .xtables(let table):
            return xtables?.runBaseChain(of: table, hook: hook, walk) ?? ([walk], [])
        case .nft(let chain):
            return nftables.run(chain, hook: hook, walk)
        case .link(let chain, let inInterface, let outInterface):
            return nftables.run(chain, inInterface: inInterface, outInterface: outInterface, walk)
        case .nat(let members):
            guard walk.context.natConsulted(at: hook) else {
                return ([(xtables ?? NetfilterPipeline.replayer).replayConnectionNAT(walk, hook: hook)], [])
            }
            let manip: ConntrackState = hook == .prerouting || hook == .output ? .dnat : .snat
            var pending = [walk]
            var bound: [Walk] = []
            var finished: [NetfilterOutcome] = []
            for member in members {
                var next: [Walk] = []
                for current in pending {
                    let hadBinding = current.context.natStatus.contains(manip)
                    let (accepted, ended) = switch member {
                    case .xtables: xtables?.runBaseChain(of: "nat", hook: hook, current) ?? ([current], [])
                    case .nft(let chain): nftables.run(chain, hook: hook, current)
                    }
                    finished += ended
                    for result in accepted {
                        // The first chain that translates sets up the binding; the rest are skipped.
                        if !hadBinding && result.context.natStatus.contains(manip) { bound.append(result) } else { next.append(result) }
                    }
                }
                pending = next
            }
            var accepted = bound + pending
            for index in accepted.indices { accepted[index].context.natBindings.insert(.bound(at: hook)) }
            return (accepted, finished)
        }
    }

    /// Replays a connection's NAT when no xtables engine exists to do it.
    private static let replayer = NetfilterEngine(ruleset: Ruleset())

    /// Runs several hooks in sequence, feeding each accepted outcome to the next hook.
    public func traverse(hooks: [Hook], packet: PacketContext, link: LinkPath? = nil,
                         between: (Hook, PacketContext) -> PacketContext = { $1 }) -> [NetfilterOutcome] {
        NetfilterOutcome.inSequence(hooks: hooks, packet: packet, between: between) { traverse(hook: $0, packet: $1, link: link) }
    }
}
