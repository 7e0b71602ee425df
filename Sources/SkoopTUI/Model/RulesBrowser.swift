import SkoopModel

/// The rules browser of one hop: its netfilter trace, or the whole ruleset of its netns.
struct RulesBrowser {
    /// A chain opened from a JUMP.
    struct ChainRef: Hashable {
        var table: String
        var chain: String
    }

    enum Row: Hashable {
        case heading(String)
        case entry(NetfilterTraceEntry)
        case chain(RulesetChainView)
        case rule(RulesetRuleView, table: String, matched: Bool)
    }

    var hop: Hop
    var links: [Link]
    var showRuleset = false
    var chainStack: [ChainRef] = []
    var rows: [Row] = []
    var cursor = ListCursor()

    /// Rule texts the trace matched, to highlight them in the whole ruleset.
    private var matchedRules: Set<String> {
        Set(links.flatMap(\.netfilter).filter(\.matched).map(\.rule))
    }

    mutating func rebuild(provider: RulesetProvider?) {
        rows = []
        cursor = ListCursor()
        if showRuleset {
            let chains = provider?(hop) ?? []
            if chains.isEmpty { rows.append(.heading("no ruleset available for this hop")) }
            let matched = matchedRules
            for chain in chains {
                rows.append(.chain(chain))
                rows += chain.rules.map { .rule($0, table: chain.table, matched: matched.contains($0.rule)) }
            }
        } else if let top = chainStack.last {
            let entries = links.flatMap(\.netfilter).filter { $0.chain == top.chain && $0.table == top.table }
            if !entries.isEmpty {
                rows.append(.heading("chain \(top.chain) (\(top.table)) as this packet walked it"))
                rows += entries.map(Row.entry)
            } else if let chain = provider?(hop).first(where: { $0.chain == top.chain && $0.table == top.table }) {
                rows.append(.heading("chain \(top.chain) (\(top.table)) is not in the trace; its rules:"))
                rows += chain.rules.map { .rule($0, table: chain.table, matched: false) }
            } else {
                rows.append(.heading("chain \(top.chain) (\(top.table)) was not evaluated for this packet"))
            }
        } else {
            for link in links {
                if links.count > 1 || link.netfilter.isEmpty {
                    let target = link.destination.map { "\($0.type.rawValue) \($0.id)" } ?? link.action.rawValue
                    let suffix = link.netfilter.isEmpty ? ": no rules evaluated" : ""
                    rows.append(.heading("link #\(link.id) \(link.action.rawValue) → \(target)\(suffix)"))
                }
                rows += link.netfilter.map(Row.entry)
            }
            if links.isEmpty { rows.append(.heading("this hop has not sent the packet on (yet)")) }
        }
        if let first = rows.firstIndex(where: { if case .heading = $0 { false } else { true } }) {
            cursor.selection = first
        }
    }

    /// The plain text of a row (search, copy).
    func text(of row: Row) -> String {
        switch row {
        case .heading(let text): text
        case .entry(let entry):
            "\(entry.hook) \(entry.table) \(entry.chain): \(entry.rule) → \(entry.verdict)"
                + (entry.matched ? " (matched)" : "") + (entry.note.map { " — \($0)" } ?? "")
        case .chain(let chain): "*\(chain.table) :\(chain.chain) \(chain.policy ?? "-")"
        case .rule(let rule, _, _): rule.rule
        }
    }
}

extension TUIState {
    mutating func openRules() {
        guard screen == .main, let key = selectedRow, let hop = hop(of: key) else { return }
        var browser = RulesBrowser(hop: hop, links: departures(of: key))
        browser.rebuild(provider: rulesetProvider)
        rules = browser
        screen = .rules
    }

    mutating func toggleRuleset() {
        guard var browser = rules else { return }
        browser.showRuleset.toggle()
        browser.chainStack = []
        browser.rebuild(provider: rulesetProvider)
        rules = browser
        if browser.showRuleset, rulesetProvider == nil { post("no ruleset provider: showing nothing", isError: true) }
    }

    mutating func openJump() {
        guard var browser = rules, browser.rows.indices.contains(browser.cursor.selection) else { return }
        switch browser.rows[browser.cursor.selection] {
        case .entry(let entry):
            guard let target = RulesetRuleView.jumpTarget(of: entry.rule) else {
                post("this rule jumps nowhere: it is shown in full below")
                return
            }
            let jumps = ["JUMP", "GOTO"].contains(entry.verdict.uppercased())
            guard jumps || !RulesetRuleView.builtinTargets.contains(target) else {
                post("-j \(target) is a built-in target, not a chain: the rule is shown in full below")
                return
            }
            browser.chainStack.append(.init(table: entry.table, chain: target))
            browser.rebuild(provider: rulesetProvider)
        case .rule(let rule, let table, _):
            guard let target = rule.jumpTarget else {
                post("this rule jumps nowhere: it is shown in full below")
                return
            }
            guard let position = browser.rows.firstIndex(where: {
                      if case .chain(let chain) = $0 { chain.chain == target && chain.table == table } else { false }
                  }) else {
                post(RulesetRuleView.builtinTargets.contains(target)
                     ? "-j \(target) is a built-in target, not a chain: the rule is shown in full below"
                     : "no chain \(target) in this ruleset", isError: !RulesetRuleView.builtinTargets.contains(target))
                return
            }
            browser.cursor.selection = position
        default:
            return
        }
        rules = browser
    }

    mutating func jumpToSuspicion() {
        guard suspicionRows.indices.contains(suspicionCursor.selection) else { return }
        guard let hop = suspicionRows[suspicionCursor.selection].hop else {
            post("a cluster-wide suspicion: no hop to show")
            return
        }
        guard let position = rows.firstIndex(where: { $0.key.flatMap(self.hop(of:)) == hop }) else { return }
        tree.selection = position
        focus = .tree
        detailTop = 0
        screen = .main
        tree.reveal(height: mainLayout(for: size).tree.height)
    }
}
