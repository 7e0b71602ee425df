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
            guard let target = RulesetRuleView.jumpTarget(of: entry.rule),
                  ["JUMP", "GOTO"].contains(entry.verdict.uppercased()) || entry.matched else {
                post("not a jump to a chain", isError: true)
                return
            }
            browser.chainStack.append(.init(table: entry.table, chain: target))
            browser.rebuild(provider: rulesetProvider)
        case .rule(let rule, let table, _):
            guard let target = rule.jumpTarget,
                  let position = browser.rows.firstIndex(where: {
                      if case .chain(let chain) = $0 { chain.chain == target && chain.table == table } else { false }
                  }) else {
                post("not a jump to a chain in this ruleset", isError: true)
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
        tree.reveal(height: MainLayout(size: size).tree.height)
    }

    // MARK: search

    mutating func startSearch() {
        switch screen {
        case .main: search = SearchState(origin: tree.selection)
        case .rules: search = SearchState(origin: rules?.cursor.selection ?? 0)
        default: post("no search on this screen")
        }
    }

    mutating func handleSearch(_ key: Key) {
        guard var state = search else { return }
        switch key {
        case .escape:
            setSearchSelection(state.origin)
            search = nil
            return
        case .enter:
            search = nil
            post(state.matches == 0 ? "no match for \"\(state.query)\"" : "\(state.matches) match(es) for \"\(state.query)\"")
            return
        case .backspace:
            if state.query.isEmpty {
                search = nil
                return
            }
            state.query.removeLast()
        case .char(let character):
            state.query.append(character)
        default:
            return
        }
        let texts = searchTexts()
        let needle = state.query.lowercased()
        let hits = texts.indices.filter { texts[$0].map { $0.lowercased().contains(needle) } ?? false }
        state.matches = needle.isEmpty ? 0 : hits.count
        search = state
        if needle.isEmpty {
            setSearchSelection(state.origin)
        } else if let hit = hits.first(where: { $0 >= state.origin }) ?? hits.first {
            setSearchSelection(hit)
        }
    }

    /// Searchable text per row of the current list (nil: not selectable).
    private func searchTexts() -> [String?] {
        switch screen {
        case .main: rows.map { $0.key.flatMap(hop(of:)).map(hopLabel) }
        case .rules: rules.map { browser in browser.rows.map { browser.text(of: $0) } } ?? []
        default: []
        }
    }

    private mutating func setSearchSelection(_ position: Int) {
        switch screen {
        case .main:
            tree.selection = position
            tree.reveal(height: MainLayout(size: size).tree.height)
        case .rules:
            rules?.cursor.selection = position
        default:
            break
        }
    }
}
