import SkoopModel

extension TUIState {
    /// Draws a selectable list into rows `first..<last`; returns nothing.
    private func drawList(_ lines: [StyledLine], cursor: ListCursor, into grid: inout CellGrid, from first: Int, to last: Int) {
        let height = max(0, last - first)
        let top = cursor.visibleTop(height: height, count: lines.count)
        for offset in 0..<height where top + offset < lines.count {
            let row = first + offset
            grid.put(lines[top + offset], row: row, column: 1, width: grid.size.columns - 1)
            if top + offset == cursor.selection {
                grid.restyle(row: row) { $0.reverse = true }
            }
        }
    }

    func drawStart(into grid: inout CellGrid) {
        grid.put("Pick a query and press enter, or type :diag SRC DST PORT [PROTO]", row: 2, column: 1,
                 style: CellStyle(.accent, bold: true))
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
        grid.put(title, row: 2, column: 1, style: CellStyle(.title, bold: true, underline: true))
        let lines = rules.rows.map(ruleLine)
        drawList(lines, cursor: rules.cursor, into: &grid, from: 3, to: grid.size.rows - 1)
    }

    private func ruleLine(_ row: RulesBrowser.Row) -> StyledLine {
        let marker = glyphs == .ascii ? "*" : "●"
        switch row {
        case .heading(let text):
            return [Span(text, CellStyle(.accent, bold: true))]
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
        case .chain(let chain):
            return [Span("*\(chain.table) :\(chain.chain) \(chain.policy ?? "-")", CellStyle(.accent, bold: true))]
        case .rule(let rule, _, let matched):
            let counters = rule.packets.map { "[\($0):\(rule.bytes ?? 0)] " } ?? ""
            let style = matched ? CellStyle(.matched, bold: true) : CellStyle.plain
            return [Span((matched ? marker : " ") + " ", style), Span(counters, CellStyle(.dim)), Span(rule.rule, style)]
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
        let detailRows = 3
        let listEnd = grid.size.rows - 1 - detailRows
        drawList(lines, cursor: suspicionCursor, into: &grid, from: 3, to: listEnd)
        guard suspicionRows.indices.contains(suspicionCursor.selection) else { return }
        let selected = suspicionRows[suspicionCursor.selection].suspicion
        grid.put(String(repeating: glyphs.horizontal, count: grid.size.columns), row: listEnd, column: 0, style: CellStyle(.dim))
        grid.put([Span("evidence ", CellStyle(.dim)), Span(selected.evidence ?? "-")], row: listEnd + 1, column: 1)
        grid.put([Span("hint     ", CellStyle(.dim)), Span(selected.hint ?? "-", CellStyle(.accent))], row: listEnd + 2, column: 1)
    }

    // MARK: help

    /// Draws the help overlay: the current screen's key table, in as many columns as needed.
    func drawHelp(into grid: inout CellGrid) {
        let bindings = KeyTable.bindings(for: screen)
        let labelWidth = bindings.map(\.label.count).max() ?? 0
        let descriptionWidth = bindings.map(\.description.count).max() ?? 0
        let cellWidth = labelWidth + 2 + descriptionWidth
        let maxInnerRows = max(1, grid.size.rows - 4)
        let columns = (bindings.count + maxInnerRows - 1) / maxInnerRows
        let perColumn = (bindings.count + columns - 1) / columns
        let width = min(grid.size.columns, columns * cellWidth + (columns - 1) * 3 + 4)
        let height = min(grid.size.rows, perColumn + 3)
        let left = (grid.size.columns - width) / 2
        let top = max(0, (grid.size.rows - height) / 2)
        let frame = CellStyle(.accent, bold: true)
        for row in top..<(top + height) { grid.fill(row: row, column: left, width: width, style: .plain) }
        let horizontal = String(repeating: glyphs.horizontal, count: max(0, width - 2))
        let corners = glyphs == .ascii ? ["+", "+", "+", "+"] : ["┌", "┐", "└", "┘"]
        grid.put(corners[0] + horizontal + corners[1], row: top, column: left, style: frame)
        grid.put(corners[2] + horizontal + corners[3], row: top + height - 1, column: left, style: frame)
        for row in (top + 1)..<(top + height - 1) {
            grid.put(glyphs.vertical, row: row, column: left, style: frame)
            grid.put(glyphs.vertical, row: row, column: left + width - 1, style: frame)
        }
        grid.put(" keys — any key closes ", row: top, column: left + 2, style: frame)
        for (position, binding) in bindings.enumerated() {
            let column = left + 2 + (position / perColumn) * (cellWidth + 3)
            let row = top + 1 + position % perColumn
            grid.put(binding.label, row: row, column: column, style: CellStyle(.key, bold: true))
            grid.put(binding.description, row: row, column: column + labelWidth + 2, width: descriptionWidth)
        }
    }
}
