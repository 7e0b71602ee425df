import SkoopModel
import SkoopNetstack

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
        /// A named nft set or map of a table in the whole ruleset (enter opens it).
        case set(RulesetSetView, family: String, table: String)
        /// One element of the open set; matched when this packet's lookup hit it.
        case element(String, matched: Bool)
    }

    var hop: Hop
    var links: [Link]
    var showRuleset = false
    var chainStack: [ChainRef] = []
    /// The nft set or map opened from a rule, shown instead of the rules until esc.
    var openSet: OpenSet?
    var rows: [Row] = []
    var cursor = ListCursor()

    /// Rules the trace matched, to highlight them in the whole ruleset: iptables rules by their
    /// text, native nft rules by "family table handle" (texts repeat across chains).
    private var matchedRules: Set<String> {
        Set(links.flatMap(\.netfilter).filter(\.matched).map { entry in
            guard let family = entry.family, let handle = entry.handle else { return entry.rule }
            return Self.nftRuleKey(family: family, table: entry.table, handle: handle)
        })
    }

    static func nftRuleKey(family: String, table: String, handle: Int) -> String { "\(family) \(table) #\(handle)" }

    mutating func rebuild(provider: RulesetProvider?) {
        rows = []
        cursor = ListCursor()
        if let openSet {
            rows = openSet.rows
            cursor.selection = rows.firstIndex { if case .element(_, true) = $0 { true } else { false } }
                ?? rows.firstIndex { if case .element = $0 { true } else { false } } ?? 0
            return
        }
        if showRuleset {
            let chains = provider?(hop) ?? []
            if chains.isEmpty { rows.append(.heading("no ruleset available for this hop")) }
            let matched = matchedRules
            var table: String?
            for chain in chains {
                if let family = chain.family, table != "\(family) \(chain.table)" {
                    // A native nft table: its heading, then its sets and maps, then its chains.
                    table = "\(family) \(chain.table)"
                    rows.append(.heading("table \(family) \(chain.table)"))
                    rows += chain.sets.map { .set($0, family: family, table: chain.table) }
                }
                rows.append(.chain(chain))
                rows += chain.rules.map { rule in
                    guard let family = chain.family, let handle = rule.handle else {
                        return .rule(rule, table: chain.table, matched: matched.contains(rule.rule))
                    }
                    return .rule(rule, table: chain.table, matched: matched.contains(Self.nftRuleKey(family: family, table: chain.table, handle: handle)))
                }
            }
        } else if let top = chainStack.last {
            let entries = links.flatMap(\.netfilter).filter { $0.chain == top.chain && $0.table == top.table }
            if !entries.isEmpty {
                rows.append(.heading("chain \(top.chain) (\(top.table)) as this packet walked it"))
                rows += entries.map(Row.entry)
            } else if let chain = provider?(hop).first(where: { $0.chain == top.chain && $0.table == top.table }) {
                rows.append(.heading("chain \(top.chain) (\(top.table)) is not in the trace; its rules:"))
                // Its chain row: enter on a rule finds the chain's sets through it.
                rows.append(.chain(chain))
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
        case .entry(let entry) where entry.family != nil:
            "\(entry.hook) " + Self.monitorLine(entry) + (entry.note.map { " — \($0)" } ?? "")
                + (entry.lookups ?? []).map { " — " + Self.lookupText($0) }.joined()
        case .entry(let entry):
            "\(entry.hook) \(entry.table) \(entry.chain): \(entry.rule) → \(entry.verdict)"
                + (entry.matched ? " (matched)" : "") + (entry.note.map { " — \($0)" } ?? "")
        case .chain(let chain) where chain.family != nil:
            "chain \(chain.chain)" + (chain.hookLine.map { " { \($0) }" } ?? "")
        case .chain(let chain): "*\(chain.table) :\(chain.chain) \(chain.policy ?? "-")"
        case .rule(let rule, _, _): rule.rule + (rule.handle.map { " # handle \($0)" } ?? "")
        case .set(let set, _, _): "\(set.declaration) (\(set.elements.count) elements)"
        case .element(let text, _): text
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
        if openSetOfRow(&browser) {
            rules = browser
            return
        }
        switch browser.rows[browser.cursor.selection] {
        case .element(let element, _):
            openElementJump(&browser, element: element)
        case .entry(let entry) where entry.family != nil:
            let verdict = entry.matched ? NftTraceText.monitorVerdict(entry).split(separator: " ") : []
            guard verdict.count == 2, verdict[0] == "jump" || verdict[0] == "goto" else {
                post("this rule jumps nowhere: it is shown in full below")
                return
            }
            browser.chainStack.append(.init(table: entry.table, chain: String(verdict[1])))
            browser.rebuild(provider: rulesetProvider)
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
                if !browser.showRuleset, rulesetProvider?(browser.hop).contains(where: { $0.chain == target && $0.table == table }) == true {
                    // A chain shown from the ruleset beside the trace: open the one it jumps to the same way.
                    browser.chainStack.append(.init(table: table, chain: target))
                    browser.rebuild(provider: rulesetProvider)
                    break
                }
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
