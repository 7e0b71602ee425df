import SkoopModel
import SkoopNetstack

extension RulesBrowser {
    /// An nft set or map opened from a rule, with what this packet looked up in it.
    struct OpenSet: Hashable {
        var set: RulesetSetView
        var family: String
        var table: String
        /// This packet's lookups in the set (several when the trace looked it up more than once).
        var lookups: [NetfilterSetLookup]
        /// The row to return to on esc.
        var returnSelection: Int

        var rows: [Row] {
            var rows: [Row] = [.heading("\(family) \(table): \(set.declaration), \(set.elements.count) elements")]
            if lookups.isEmpty { rows.append(.heading("this packet's trace looked nothing up here")) }
            for lookup in lookups { rows.append(.heading("this packet looked up " + RulesBrowser.lookupText(lookup))) }
            let hits = Set(lookups.compactMap(\.element))
            rows += set.elements.map { element in
                .element(element, matched: hits.contains { RulesetSetView.element(element, hasKey: $0) })
            }
            return rows
        }
    }

    /// An nft trace entry as `nft monitor trace` reports it, with the rule's handle:
    /// "inet kube-proxy services handle 12: ip daddr . … vmap @service-ips (verdict jump …)".
    static func monitorLine(_ entry: NetfilterTraceEntry) -> String {
        let place = "\(entry.family ?? "") \(entry.table) \(entry.chain)"
        if entry.verdict.hasPrefix("POLICY ") { return "\(place) policy \(entry.verdict.dropFirst(7).lowercased())" }
        let verdict = entry.matched ? "verdict \(NftTraceText.monitorVerdict(entry))" : "no match"
        return "\(place)" + (entry.handle.map { " handle \($0)" } ?? "") + ": \(entry.rule) (\(verdict))"
    }

    /// "@service-ips 10.96.0.10 . tcp . 80: element 10.96.0.10 . tcp . 80" or "...: no element".
    static func lookupText(_ lookup: NetfilterSetLookup) -> String {
        (lookup.set.map { "@\($0) " } ?? "anonymous set ") + lookup.key + ": "
            + (lookup.element.map { "element \($0)" } ?? "no element")
    }

    /// The chain view a row of the whole ruleset belongs to (the nearest chain row above it).
    func chainView(above position: Int) -> RulesetChainView? {
        for index in stride(from: min(position, rows.count - 1), through: 0, by: -1) {
            if case .chain(let chain) = rows[index] { return chain }
        }
        return nil
    }

    /// This packet's lookups in set `name` of a table, over the whole hop's trace (each once:
    /// the branches of a hop repeat them).
    func lookups(ofSet name: String, family: String, table: String, handle: Int? = nil) -> [NetfilterSetLookup] {
        var seen = Set<NetfilterSetLookup>()
        return links.flatMap(\.netfilter)
            .filter { $0.family == family && $0.table == table && (handle == nil || $0.handle == handle) }
            .flatMap { $0.lookups ?? [] }
            .filter { $0.set == name && seen.insert($0).inserted }
    }
}

extension TUIState {
    /// Enter on an nft rule that looks up a named set or map: opens it, the hit highlighted.
    /// Returns false when the row is not such a rule (the caller then follows a jump).
    mutating func openSetOfRow(_ browser: inout RulesBrowser) -> Bool {
        let position = browser.cursor.selection
        let opened: RulesBrowser.OpenSet?
        switch browser.rows[position] {
        case .entry(let entry):
            guard let family = entry.family, let name = RulesetRuleView.setReferences(of: entry.rule).first else { return false }
            let chains = rulesetProvider?(browser.hop) ?? []
            guard let set = chains.first(where: { $0.family == family && $0.table == entry.table })?.sets.first(where: { $0.name == name }) else {
                post("set @\(name) is not in the collected ruleset of \(family) \(entry.table)", isError: true)
                return true
            }
            let lookups = (entry.lookups ?? []).filter { $0.set == name }
            opened = .init(set: set, family: family, table: entry.table, lookups: lookups, returnSelection: position)
        case .rule(let rule, let table, _):
            guard rule.handle != nil, let name = RulesetRuleView.setReferences(of: rule.rule).first,
                  let chain = browser.chainView(above: position), let family = chain.family else { return false }
            guard let set = chain.sets.first(where: { $0.name == name }) else {
                post("set @\(name) is not in the collected ruleset of \(family) \(table)", isError: true)
                return true
            }
            opened = .init(set: set, family: family, table: table,
                           lookups: browser.lookups(ofSet: name, family: family, table: table, handle: rule.handle),
                           returnSelection: position)
        case .set(let set, let family, let table):
            opened = .init(set: set, family: family, table: table,
                           lookups: browser.lookups(ofSet: set.name, family: family, table: table), returnSelection: position)
        default:
            return false
        }
        browser.openSet = opened
        browser.rebuild(provider: rulesetProvider)
        return true
    }

    /// Enter on a verdict map's element: the chain its `jump`/`goto` names.
    mutating func openElementJump(_ browser: inout RulesBrowser, element: String) {
        guard let open = browser.openSet, let data = element.range(of: " : "),
              let target = RulesetRuleView.nftJumpTarget(of: String(element[data.upperBound...])) else {
            post("this element jumps nowhere: it is shown in full below")
            return
        }
        browser.openSet = nil
        if browser.showRuleset {
            // In the whole ruleset the chain is a row of it: select that row, as a jump does.
            browser.rebuild(provider: rulesetProvider)
            guard let position = browser.rows.firstIndex(where: {
                if case .chain(let chain) = $0 { chain.chain == target && chain.table == open.table } else { false }
            }) else {
                post("no chain \(target) in this ruleset", isError: true)
                return
            }
            browser.cursor.selection = position
            return
        }
        browser.chainStack.append(.init(table: open.table, chain: target))
        browser.rebuild(provider: rulesetProvider)
    }

    /// Esc in an open set: back to the row it was opened from.
    mutating func closeSet(_ browser: inout RulesBrowser) {
        guard let open = browser.openSet else { return }
        browser.openSet = nil
        browser.rebuild(provider: rulesetProvider)
        if browser.rows.indices.contains(open.returnSelection) { browser.cursor.selection = open.returnSelection }
    }
}
