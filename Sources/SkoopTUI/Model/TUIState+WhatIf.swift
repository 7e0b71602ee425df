import SkoopModel
import SkoopDiagnosis

/// A flow diagnosed on this snapshot and another (`:diff DIR`).
public struct DiffView: Sendable {
    /// Both diagnoses, the parting hop and what differs there.
    public var flow: FlowDiff
    /// The other snapshot, as the user named it.
    public var snapshot: String
}

extension TUIState {
    // MARK: what-if

    /// Whether `begin(query:edits:driver:baseline:)` needs an unedited driver for `query` (the
    /// unedited diagnosis is run once per query and kept for comparisons).
    public func needsBaseline(for query: TUIQuery) -> Bool {
        baseline?.query != query
    }

    /// Shows `query` diagnosed on the state `edits` leave (`driver` walks it), run to its end and
    /// compared with the unedited diagnosis (`baseline`, when `needsBaseline(for:)`). With no
    /// edits, `driver` is the unedited diagnosis, stepped as usual. The rules browser stays open
    /// on the same hop, so that `x` shows its effect where it was pressed.
    public mutating func begin(query: TUIQuery, edits: [WhatIfEdit], driver: any DiagnosisDriver,
                               baseline: (any DiagnosisDriver)?) {
        if var baseline {
            baseline.finish()
            self.baseline = WhatIfBaseline(query: query, path: baseline.path, verdict: baseline.verdict)
        }
        let previous = self.edits
        let sameQuery = self.query == query
        let reopen = sameQuery && screen == .rules ? rules : nil
        let listing = sameQuery && screen == .edits
        self.edits = edits
        begin(query: query, driver: driver)
        if !edits.isEmpty || !previous.isEmpty { runToEnd() }
        if !edits.isEmpty, let base = self.baseline, base.query == query {
            whatIf = WhatIfSummary.compare(before: base.path, verdictBefore: base.verdict, after: path, verdictAfter: verdict)
            // The marks of new branches widen the tree.
            let selected = selectedRow
            rebuildTree()
            select(selected ?? .root)
        }
        if let reopen { reopenRules(like: reopen) }
        if listing { screen = .edits }
        guard sameQuery, previous != edits else { return }
        let change: String
        if edits.count > previous.count, let added = edits.last {
            change = "applied to Skoop's copy: \(added)"
        } else if let removed = previous.first(where: { !edits.contains($0) }) {
            change = "undone: \(removed)"
        } else {
            change = "edits changed"
        }
        let outcome = whatIf.map { "verdict \($0.verdictLine); branches: \($0.gone.count) gone, \($0.new.count) new (:edits lists them, u undoes)" }
            ?? "no edits left: the diagnosis as collected (verdict \(verdict?.rawValue ?? "running"))"
        post("\(change) — \(outcome)")
    }

    /// Keeps edits made before any diagnosis (from `--what-if` or `:policy`); they apply to the next one.
    public mutating func keepEdits(_ edits: [WhatIfEdit]) {
        self.edits = edits
        post("\(edits.count) edit(s) kept: they apply to the next diagnosis (:edits lists them)")
    }

    /// The rules browser again on the hop `old` showed, with its view and cursor.
    private mutating func reopenRules(like old: RulesBrowser) {
        guard let position = rows.firstIndex(where: { $0.key.flatMap(hop(of:)) == old.hop }) else {
            post("\(hopLabel(old.hop)) is no longer on the path")
            return
        }
        tree.selection = position
        openRules()
        if old.showRuleset { toggleRuleset() }
        guard var browser = rules else { return }
        browser.cursor.selection = min(old.cursor.selection, max(0, browser.rows.count - 1))
        rules = browser
    }

    /// The hop `:route`, `:sysctl` and `:link` change: the rules browser's, else the selected row's.
    var editHop: Hop? {
        guard query != nil else { return nil }
        if screen == .rules, let rules { return rules.hop }
        return selectedRow.flatMap(hop(of:))
    }

    /// A what-if command typed in command mode.
    mutating func request(_ command: WhatIfCommandEdit) -> [Effect] {
        switch command {
        case .addPolicy(let file): return [.makeEdit(.addPolicy(file: file))]
        case .removePolicy(let name): return [.makeEdit(.removePolicy(name))]
        default: break
        }
        guard let hop = editHop else {
            post("no hop selected: :route, :sysctl and :link change the netns of the selected hop of a diagnosis", isError: true)
            return []
        }
        switch command {
        case .route(let add, let spec): return [.makeEdit(add ? .addRoute(hop: hop, spec: spec) : .deleteRoute(hop: hop, spec: spec))]
        case .sysctl(let key, let value): return [.makeEdit(.sysctl(hop: hop, key: key, value: value))]
        case .link(let name, let up): return [.makeEdit(.link(hop: hop, name: name, up: up))]
        case .addPolicy, .removePolicy: return []
        }
    }

    /// `x` in the rules browser: disables the selected rule, or re-enables it when an edit disabled it.
    mutating func toggleRule() -> [Effect] {
        guard let browser = rules, browser.rows.indices.contains(browser.cursor.selection) else { return [] }
        let table: String, chain: String, text: String
        switch browser.rows[browser.cursor.selection] {
        case .entry(let entry):
            guard entry.family == nil else {
                post("only iptables rules can be disabled (this is a native nft rule)", isError: true)
                return []
            }
            (table, chain, text) = (entry.table, entry.chain, entry.rule)
        case .rule(let rule, _, _) where rule.handle != nil:
            post("only iptables rules can be disabled (this is a native nft rule)", isError: true)
            return []
        case .rule(let rule, let ruleTable, _):
            (table, chain, text) = (ruleTable, RulesBrowser.chain(ofRule: rule.rule) ?? "", rule.rule)
        case .set, .element:
            post("only iptables rules can be disabled (this is an nft set)", isError: true)
            return []
        case .heading, .chain:
            post("select a rule to disable or re-enable", isError: true)
            return []
        }
        guard text.hasPrefix("-A "), !chain.isEmpty else {
            post("a chain policy is not a rule: only -A rules can be disabled", isError: true)
            return []
        }
        if let position = edits.firstIndex(where: { $0.disables(rule: text, table: table, chain: chain, at: browser.hop) }) {
            var remaining = edits
            remaining.remove(at: position)
            return [.rediagnose(edits: remaining)]
        }
        return [.makeEdit(.disableRule(hop: browser.hop, table: table, chain: chain, rule: text))]
    }

    /// `u` / `:undo`.
    mutating func undo() -> [Effect] {
        guard !edits.isEmpty else {
            post("no what-if edits to undo", isError: true)
            return []
        }
        guard query != nil else {
            let removed = edits.removeLast()
            post("undone: \(removed)")
            return []
        }
        return [.rediagnose(edits: Array(edits.dropLast()))]
    }

    /// `:save FILE` and `:export FILE`.
    mutating func write(edits asCommands: Bool, to path: String) -> [Effect] {
        guard !edits.isEmpty else {
            post("no what-if edits to \(asCommands ? "export" : "save")", isError: true)
            return []
        }
        return asCommands
            ? [.write(path: path, text: WhatIfEdit.shellScript(edits), what: "\(edits.count) edit(s) as shell commands (Skoop ran none of them)")]
            : [.write(path: path, text: WhatIfEditsFile.yaml(edits), what: "\(edits.count) edit(s) (skoop diagnose|tui --what-if \(path))")]
    }

    /// `:edits`.
    mutating func openEdits() {
        screen = .edits
        editsCursor = ListCursor()
    }

    /// The lines of the edits screen.
    func editsLines() -> [StyledLine] {
        let dim = CellStyle(.dim)
        let heading = CellStyle(.accent, bold: true)
        var lines: [StyledLine] = []
        if let whatIf {
            lines.append([Span("verdict ", dim),
                          Span(whatIf.verdictLine, CellStyle(whatIf.verdictAfter.map(Self.verdictRole) ?? .normal, bold: true))])
            if whatIf.gone.isEmpty && whatIf.new.isEmpty {
                lines.append([Span("no branch changed", dim)])
            }
            lines += whatIf.gone.map { [Span("- ", CellStyle(.dropped, bold: true)), Span($0.description)] }
            lines += whatIf.new.map { [Span("+ ", CellStyle(.served, bold: true)), Span($0.description)] }
        } else if !edits.isEmpty {
            lines.append([Span("no diagnosis yet: the edits apply to the next one", dim)])
        }
        if edits.isEmpty {
            lines.append([Span("no edits: x in the rules browser, or :route, :sysctl, :link, :policy", dim)])
            return lines
        }
        lines.append([Span("edits (u undoes the last; :save FILE, :export FILE):", heading)])
        for (number, edit) in edits.enumerated() {
            lines.append([Span("\(number + 1). ", heading), Span(edit.description)])
            lines.append([Span("   $ ", dim), Span(edit.shellCommand, CellStyle(.accent))])
        }
        return lines
    }

    // MARK: diff

    /// `:diff DIR`.
    mutating func openDiff(_ snapshot: String) -> [Effect] {
        guard let query else {
            post("no diagnosis to compare: :diag SRC DST PORT first", isError: true)
            return []
        }
        return [.openDiff(snapshot: snapshot, query: query)]
    }

    /// Shows a snapshot diff of the current query (this snapshot before, `snapshot` after).
    public mutating func showDiff(_ flow: FlowDiff, snapshot: String) {
        diff = DiffView(flow: flow, snapshot: snapshot)
        diffTop = 0
        listShift = 0
        screen = .diff
        let old = flow.before.verdict?.rawValue ?? "unknown"
        let new = flow.after.verdict?.rawValue ?? "unknown"
        post(old == new ? "verdict \(new) in both snapshots" : "verdict \(old) here, \(new) in \(snapshot)")
    }
}

extension RulesBrowser {
    /// The chain of an `-A CHAIN ...` rule.
    static func chain(ofRule text: String) -> String? {
        let words = text.split(separator: " ", maxSplits: 2)
        return words.count >= 2 && words[0] == "-A" ? String(words[1]) : nil
    }
}
