import SkoopModel

extension TUIState {
    /// Draws a selectable list into rows `first..<last`; returns nothing.
    private func drawList(_ lines: [StyledLine], cursor: ListCursor, into grid: inout CellGrid, from first: Int, to last: Int) {
        let height = max(0, last - first)
        let top = cursor.visibleTop(height: height, count: lines.count)
        for offset in 0..<height where top + offset < lines.count {
            let row = first + offset
            grid.put(TextLayout.dropping(listShift, from: lines[top + offset]), row: row, column: 1, width: grid.size.columns - 1)
            if top + offset == cursor.selection {
                grid.restyle(row: row) { $0.reverse = true }
            }
        }
    }

    func drawStart(into grid: inout CellGrid) {
        grid.put("Pick a query and press enter, or type :diag SRC DST PORT [PROTO]", row: 2, column: 1,
                 style: CellStyle(.accent, bold: true))
        if let query {
            grid.put("esc: back to " + query.text(arrow: glyphs.arrow), row: 3, column: 1, style: CellStyle(.dim))
        }
        if suggestions.isEmpty {
            grid.put("(no suggested queries for this snapshot)", row: 4, column: 1, style: CellStyle(.dim))
            return
        }
        let lines: [StyledLine] = suggestions.map { suggestion in
            [Span(suggestion.query.description, CellStyle(.normal, bold: true)), Span("  " + suggestion.title, CellStyle(.dim))]
        }
        drawList(lines, cursor: startCursor, into: &grid, from: 4, to: grid.size.rows - 1)
    }

    func drawRules(into grid: inout CellGrid) {
        guard let rules else { return }
        var title = (rules.showRuleset ? "Ruleset of " : "Netfilter trace at ") + hopLabel(rules.hop)
        for chain in rules.chainStack { title += " \(glyphs.arrow) \(chain.chain)" }
        if let open = rules.openSet { title += " \(glyphs.arrow) @\(open.set.name)" }
        grid.put(title, row: 2, column: 1, style: CellStyle(.title, bold: true, underline: true))
        let lines = rules.rows.map(ruleLine)
        // Below the list, the selected row in full, wrapped: long rules are cut in the list.
        var full: [StyledLine] = []
        if rules.rows.indices.contains(rules.cursor.selection) {
            full = TextLayout.wrap([Span(rules.text(of: rules.rows[rules.cursor.selection]))], width: grid.size.columns - 2, indent: 4)
        }
        let listEnd = drawPanel(full, into: &grid, listStart: 3)
        drawList(lines, cursor: rules.cursor, into: &grid, from: 3, to: listEnd)
    }

    /// Draws lines under a separator at the bottom of the screen (above the status line), as
    /// many as fit in half of the list's rows; returns the row where the list above must end.
    private func drawPanel(_ lines: [StyledLine], into grid: inout CellGrid, listStart: Int) -> Int {
        let statusRow = grid.size.rows - 1
        let available = statusRow - listStart
        guard !lines.isEmpty, available >= 4 else { return statusRow }
        let shown = min(lines.count, available / 2)
        let separatorRow = statusRow - shown - 1
        grid.put(String(repeating: glyphs.horizontal, count: grid.size.columns), row: separatorRow, column: 0, style: CellStyle(.dim))
        for (offset, line) in lines.prefix(shown).enumerated() {
            grid.put(line, row: separatorRow + 1 + offset, column: 1, width: grid.size.columns - 1)
        }
        return separatorRow
    }

    private func ruleLine(_ row: RulesBrowser.Row) -> StyledLine {
        let marker = glyphs == .ascii ? "*" : "●"
        switch row {
        case .heading(let text):
            return [Span(text, CellStyle(.accent, bold: true))]
        case .entry(let entry) where entry.family != nil:
            // Native nft: the way `nft monitor trace` reports it, the hook in front.
            let style = entry.matched ? CellStyle(.matched, bold: true) : CellStyle(.dim)
            var line: StyledLine = [Span((entry.matched ? marker : " ") + " ", style), Span(Self.column(entry.hook, 11), style),
                                    Span(RulesBrowser.monitorLine(entry), style)]
            if let note = entry.note { line.append(Span("  (\(note))", CellStyle(.warning))) }
            return line
        case .entry(let entry):
            let style = entry.matched ? CellStyle(.matched, bold: true) : CellStyle(.dim)
            var line: StyledLine = [
                Span((entry.matched ? marker : " ") + " ", style),
                Span(Self.column(entry.hook, 11) + Self.column(entry.table, 7) + Self.column(entry.chain, 18), style),
                Span(Self.column(entry.verdict, 14), CellStyle(entry.matched ? Self.verdictRole(entry.verdict) : .dim, bold: entry.matched)),
                Span(entry.rule, entry.matched ? CellStyle(.matched, bold: true) : .plain),
            ]
            if let note = entry.note { line.append(Span("  (\(note))", CellStyle(.warning))) }
            return line
        case .chain(let chain) where chain.family != nil:
            return [Span("  chain \(chain.chain)", CellStyle(.accent, bold: true)),
                    Span(chain.hookLine.map { " { \($0) }" } ?? "", CellStyle(.dim))]
        case .chain(let chain):
            return [Span("*\(chain.table) :\(chain.chain) \(chain.policy ?? "-")", CellStyle(.accent, bold: true))]
        case .set(let set, _, _):
            return [Span("  " + set.declaration, CellStyle(.accent)), Span(" (\(set.elements.count) elements)", CellStyle(.dim))]
        case .element(let text, let matched):
            let style = matched ? CellStyle(.matched, bold: true) : CellStyle.plain
            return [Span((matched ? marker : " ") + " ", style), Span(text, style)]
        case .rule(let rule, let table, let matched):
            let counters = rule.packets.map { "[\($0):\(rule.bytes ?? 0)] " } ?? ""
            if let hop = rules?.hop, let chain = RulesBrowser.chain(ofRule: rule.rule),
               edits.contains(where: { $0.disables(rule: rule.rule, table: table, chain: chain, at: hop) }) {
                return [Span("x ", CellStyle(.dropped, bold: true)), Span("disabled (what-if) ", CellStyle(.dropped, bold: true)),
                        Span(rule.rule, CellStyle(.dim))]
            }
            let style = matched ? CellStyle(.matched, bold: true) : CellStyle.plain
            var line: StyledLine = [Span((matched ? marker : " ") + " ", style), Span(counters, CellStyle(.dim)),
                                    Span((rule.handle == nil ? "" : "    ") + rule.rule, style)]
            if let handle = rule.handle { line.append(Span(" # handle \(handle)", CellStyle(.dim))) }
            return line
        }
    }

    static func column(_ text: String, _ width: Int) -> String {
        text.count >= width ? String(text.prefix(width - 1)) + " " : text + String(repeating: " ", count: width - text.count)
    }

    func drawSuspicions(into grid: inout CellGrid) {
        let filter = minimumLevel == .info ? "all levels" : "\(minimumLevel.name) and worse"
        grid.put("Suspicions (\(filter)): \(suspicionRows.count)", row: 2, column: 1, style: CellStyle(.title, bold: true, underline: true))
        let lines: [StyledLine] = suspicionRows.map { row in
            [Span(Self.column(glyphs.label(row.suspicion.level), 9), CellStyle(GlyphSet.role(row.suspicion.level), bold: true)),
             Span(Self.column(row.hop.map(hopLabel) ?? "cluster", 24)),
             Span(row.suspicion.message)]
        }
        var full: [StyledLine] = []
        if suspicionRows.indices.contains(suspicionCursor.selection) {
            let selected = suspicionRows[suspicionCursor.selection].suspicion
            let width = grid.size.columns - 2
            full += TextLayout.wrap([Span(selected.message)], width: width, indent: 2)
            full += TextLayout.wrap([Span("evidence ", CellStyle(.dim)), Span(selected.evidence ?? "-")], width: width, indent: 9)
            full += TextLayout.wrap([Span("hint     ", CellStyle(.dim)), Span(selected.hint ?? "-", CellStyle(.accent))],
                                    width: width, indent: 9)
            if let fix = selected.fix {
                full.append([Span("fix (y copies this NetworkPolicy):", CellStyle(.accent, bold: true))])
                for line in fix.split(separator: "\n", omittingEmptySubsequences: false) {
                    full += TextLayout.wrap([Span(String(line))], width: width, indent: 2)
                }
            }
        }
        if !shownAssumptions.isEmpty {
            let width = grid.size.columns - 2
            full.append([Span("assumptions (the verdict rests on them unproven):", CellStyle(.accent, bold: true))])
            for assumption in shownAssumptions {
                full += TextLayout.wrap([Span("\(assumption.node.map(hopLabel) ?? "flow"): ", CellStyle(.dim)), Span(assumption.text)],
                                        width: width, indent: 2)
            }
        }
        let listEnd = drawPanel(full, into: &grid, listStart: 3)
        drawList(lines, cursor: suspicionCursor, into: &grid, from: 3, to: listEnd)
    }

    // MARK: help

    /// The help overlay's entries: the screen's key table, then how to write a `:` command.
    func helpLines() -> [(label: String, description: String)] {
        let bindings = KeyTable.bindings(for: screen).map { ($0.label, $0.description) }
        if screen == .edits || screen == .diff {
            // The what-if commands in full where there is room for them.
            return bindings + [
                ("", ""),
                ("what-if", "edits Skoop's copy only:"),
                ("", "Skoop never applies"),
                ("", "anything to a cluster"),
            ] + TUICommand.whatIfUsage.map { (":" + $0.verb, $0.help) }
        }
        if screen == .matrix {
            return bindings + [
                ("", ""),
                (":matrix", "[PORT] [tcp|udp] [NS ...]"),
                ("", "a new matrix (default 80 tcp)"),
                ("M", "(main screen) the last one"),
                ("cells", glyphs.text("✔ allowed ✖ denied ◐ partial")),
                ("", glyphs.text("? unknown · itself only")),
            ]
        }
        // The main screen's table fills two columns at 80x24: one line names the rest.
        return bindings + [
            (":edits", "what-if (never a cluster)"),
            (":diag", "SRC DST PORT [PROTO]"),
            ("PROTO", "tcp, udp, icmp (no PORT)"),
            ("SRC, DST", "IP or NAMESPACE/POD or"),
            ("", "svc/NS/NAME or node/NAME"),
            ("tab", "completes words in :diag"),
            (":matrix", "[PORT] [PROTO] [NS...]"),
        ]
    }

    /// Rows of entries the help overlay shows at a size.
    func helpBodyHeight(_ size: Size) -> Int {
        max(1, min(helpLines().count, size.rows - 4))
    }

    /// Draws the help overlay: the current screen's key table in as many columns as fit the
    /// width; when even they do not hold it all, one column that j/k/PgUp/PgDn scroll.
    func drawHelp(into grid: inout CellGrid) {
        let entries = helpLines()
        // The label column fits the key labels; a longer label (a : command) runs into it.
        let labelWidth = KeyTable.bindings(for: screen).map { TextLayout.width(of: $0.label) }.max() ?? 0
        func descriptionOffset(_ label: String) -> Int { max(labelWidth + 2, TextLayout.width(of: label) + 1) }
        let cellWidth = entries.map { descriptionOffset($0.label) + TextLayout.width(of: $0.description) }.max() ?? 0
        let bodyHeight = helpBodyHeight(grid.size)
        let fittingColumns = max(1, (grid.size.columns - 4 + 3) / (cellWidth + 3))
        let neededColumns = (entries.count + bodyHeight - 1) / bodyHeight
        let columns = neededColumns <= fittingColumns ? neededColumns : 1
        let perColumn = columns == 1 ? bodyHeight : (entries.count + columns - 1) / columns
        let scrolls = columns == 1 && entries.count > bodyHeight
        let first = scrolls ? min(max(0, helpTop), entries.count - bodyHeight) : 0
        let width = min(grid.size.columns, columns * cellWidth + (columns - 1) * 3 + 4)
        let height = min(grid.size.rows, perColumn + 2)
        let left = (grid.size.columns - width) / 2
        let top = max(0, (grid.size.rows - height) / 2)
        let frame = CellStyle(.accent, bold: true)
        for row in top..<(top + height) { grid.fill(row: row, column: left, width: width, style: .plain) }
        let horizontal = String(repeating: glyphs.horizontal, count: max(0, width - 2))
        grid.put("┌" + horizontal + "┐", row: top, column: left, style: frame)
        grid.put("└" + horizontal + "┘", row: top + height - 1, column: left, style: frame)
        for row in (top + 1)..<(top + height - 1) {
            grid.put(glyphs.vertical, row: row, column: left, style: frame)
            grid.put(glyphs.vertical, row: row, column: left + width - 1, style: frame)
        }
        let title = scrolls ? " keys \(first + 1)-\(first + bodyHeight) of \(entries.count): j/k scroll, other keys close "
                            : " keys — any key closes "
        grid.put(title, row: top, column: left + 2, style: frame, width: width - 4)
        if scrolls, first + bodyHeight < entries.count {
            grid.put(" more ↓ ", row: top + height - 1, column: left + 2, style: frame, width: width - 4)
        }
        let inner = width - 4
        for (position, entry) in entries.enumerated() {
            let shown = position - first
            guard shown >= 0, shown < perColumn * columns else { continue }
            let column = left + 2 + (shown / perColumn) * (cellWidth + 3)
            let row = top + 1 + shown % perColumn
            guard row < top + height - 1 else { continue }
            let room = columns == 1 ? inner : cellWidth
            grid.put(entry.label, row: row, column: column, style: CellStyle(.key, bold: true), width: room)
            let offset = descriptionOffset(entry.label)
            grid.put(entry.description, row: row, column: column + offset, width: max(0, room - offset))
        }
    }
}
