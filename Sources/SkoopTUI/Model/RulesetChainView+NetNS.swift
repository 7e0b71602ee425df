import SkoopModel
import SkoopNetstack

extension RulesetChainView {
    /// A netns's whole ruleset as the rules browser lists it: iptables-save's chains, then the
    /// native nft tables (those iptables-nft wrote are already among the former).
    public static func chains(of info: NetNSInfo?) -> [RulesetChainView] {
        guard let info else { return [] }
        let xtables = [info.iptables, info.ip6tables].compactMap { $0 }.flatMap { ruleset in
            ruleset.tables.flatMap { table in
                table.chains.map { chain in
                    RulesetChainView(table: table.name, chain: chain.name, policy: chain.policy.map(policyName),
                                     rules: chain.rules.map {
                                         RulesetRuleView(rule: $0.text, packets: $0.counters?.packets, bytes: $0.counters?.bytes)
                                     })
                }
            }
        }
        let native = (info.nftables?.tables ?? []).filter { !info.nftablesReadElsewhere.contains($0.description) }
        return xtables + native.flatMap(chains(of:))
    }

    /// One nft table's chains in `nft -a list ruleset` terms, each carrying the table's sets.
    static func chains(of table: NftTable) -> [RulesetChainView] {
        let sets = table.sets.values.sorted { $0.name < $1.name }.map { set in
            RulesetSetView(name: set.name, declaration: NftSetText.declaration(set),
                           elements: set.elements.all.map { NftSetText.element($0, kinds: set.keyTypes) })
        }
        return table.chainOrder.compactMap { table.chains[$0] }.map { chain in
            RulesetChainView(table: table.name, chain: chain.name,
                             policy: chain.base.map { $0.policy.description.uppercased() },
                             rules: chain.rules.map { RulesetRuleView(rule: $0.text, handle: $0.handle) },
                             family: table.family.rawValue,
                             hookLine: chain.base.map {
                                 "type \($0.type) hook \($0.hook)" + ($0.device.map { " device \($0)" } ?? "")
                                     + " priority \($0.priority); policy \($0.policy);"
                             },
                             sets: sets)
        }
    }

    static func policyName(_ target: Target) -> String {
        switch target {
        case .accept: "ACCEPT"
        case .drop: "DROP"
        default: "\(target)".uppercased()
        }
    }
}
