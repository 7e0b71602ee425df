import SkoopModel

extension TUIState {
    /// Draws the current screen into a grid of `size`.
    public func render(size: Size) -> CellGrid {
        var grid = CellGrid(size: size)
        guard size.columns >= MainLayout.minimum.columns, size.rows >= MainLayout.minimum.rows else {
            // Two short lines so the message survives even a 10x5 terminal.
            grid.put("too small:", row: 0, column: 0, style: CellStyle(.error, bold: true))
            grid.put("need \(MainLayout.minimum.columns)x\(MainLayout.minimum.rows)", row: 1, column: 0,
                     style: CellStyle(.error, bold: true))
            return grid
        }
        drawHeader(into: &grid)
        switch screen {
        case .start: drawStart(into: &grid)
        case .main: drawMain(into: &grid)
        case .rules: drawRules(into: &grid)
        case .suspicions: drawSuspicions(into: &grid)
        }
        drawStatus(into: &grid)
        if showHelp { drawHelp(into: &grid) }
        return grid
    }

    // MARK: header and status

    private func drawHeader(into grid: inout CellGrid) {
        let bar = CellStyle(.title, bold: true, reverse: true)
        grid.fill(row: 0, style: bar)
        var parts = ["Skoop", title]
        if let query { parts.append(query.description) }
        if query != nil { parts.append("step \(stepIndex)/\(steps.count)" + (verdict == nil ? "+" : "")) }
        var used = grid.put(" " + parts.joined(separator: " │ "), row: 0, column: 0, style: bar)
        if let verdict {
            used += grid.put(" │ ", row: 0, column: used, style: bar)
            grid.put(verdict.rawValue.uppercased(), row: 0, column: used,
                     style: CellStyle(Self.verdictRole(verdict), bold: true, reverse: true))
        }
        guard query != nil else { return }
        var line: StyledLine = []
        for level in SuspicionLevel.allCases.reversed() where level >= minimumLevel {
            let count = levelCounts[level.rawValue]
            line.append(Span(glyphs.label(level) + " \(count)", CellStyle(GlyphSet.role(level), bold: count > 0)))
            line.append(Span("  "))
        }
        let hidden = SuspicionLevel.allCases.filter { $0 < minimumLevel }.map { levelCounts[$0.rawValue] }.reduce(0, +)
        line.append(Span("filter: " + (minimumLevel == .info ? "all" : "\(minimumLevel.name)+"), CellStyle(.dim)))
        if hidden > 0 { line.append(Span(" (\(hidden) hidden)", CellStyle(.dim))) }
        grid.put(line, row: 1, column: 1)
    }

    static func verdictRole(_ verdict: Verdict) -> ColorRole {
        switch verdict {
        case .reachable: .served
        case .unreachable: .dropped
        case .partial: .warning
        case .unknown: .unknown
        }
    }

    private func drawStatus(into grid: inout CellGrid) {
        let row = grid.size.rows - 1
        if let commandLine {
            grid.put(":" + commandLine, row: row, column: 0)
            return
        }
        if let search {
            grid.put("/" + search.query, row: row, column: 0, style: CellStyle(.accent, bold: true))
            grid.put("  \(search.matches) match(es)", row: row, column: search.query.count + 1, style: CellStyle(.dim))
            return
        }
        if let message {
            grid.put(message.text, row: row, column: 0, style: CellStyle(message.isError ? .error : .accent, bold: message.isError))
            return
        }
        grid.put(statusHints(width: grid.size.columns), row: row, column: 0)
    }

    /// The key hints of the current screen's table, as many as fit.
    func statusHints(width: Int) -> StyledLine {
        // "? help" always shows, last; the others in table order, as many as fit before it.
        let shown = KeyTable.bindings(for: screen).filter(\.showInStatus)
        let help = shown.filter { $0.command == .help }
        func length(_ binding: KeyBinding) -> Int { binding.label.count + binding.description.count + 3 }
        var line: StyledLine = []
        var used = help.map(length).reduce(0, +)
        for binding in shown.filter({ $0.command != .help }) + help {
            if binding.command != .help {
                if used + length(binding) > width { continue }
                used += length(binding)
            }
            line.append(Span(binding.label, CellStyle(.key, bold: true)))
            line.append(Span(" " + binding.description + "  ", CellStyle(.dim)))
        }
        return line
    }

    // MARK: main screen

    private func drawMain(into grid: inout CellGrid) {
        let layout = MainLayout(size: grid.size)
        let area = layout.tree
        if rows.isEmpty {
            grid.put("no step yet: n steps, r runs to the end", row: area.row, column: 1, style: CellStyle(.dim))
        }
        let top = tree.visibleTop(height: area.height, count: rows.count)
        let newest = newestLinks
        for offset in 0..<area.height where top + offset < rows.count {
            let position = top + offset
            let row = area.row + offset
            let selected = position == tree.selection
            var line = treeLine(rows[position], selected: selected)
            if case .hop(.link(let id)) = rows[position].kind, newest.contains(id) {
                line = line.map { span in
                    var copy = span
                    if copy.style.foreground == .normal { copy.style.foreground = .newest }
                    copy.style.bold = true
                    return copy
                }
            }
            grid.put(line, row: row, column: area.column, width: area.width)
            if selected {
                let focused = focus == .tree
                grid.restyle(row: row, column: area.column, width: area.width) { style in
                    if focused { style.reverse = true } else { style.underline = true }
                }
            }
        }
        guard let detail = layout.detail, let separator = layout.separator else { return }
        let lineStyle = CellStyle(.dim)
        if layout.sideBySide {
            for row in separator.row..<(separator.row + separator.height) {
                grid.put(glyphs.vertical, row: row, column: separator.column, style: lineStyle)
            }
        } else {
            grid.put(String(repeating: glyphs.horizontal, count: separator.width), row: separator.row, column: 0, style: lineStyle)
            grid.put(" detail (tab) ", row: separator.row, column: 2,
                     style: focus == .detail ? CellStyle(.accent, bold: true) : lineStyle)
        }
        guard let key = selectedRow else { return }
        let lines = detailLines(for: key, includeTitle: true)
        let first = max(0, min(detailTop, lines.count - detail.height))
        for offset in 0..<detail.height where first + offset < lines.count {
            grid.put(lines[first + offset], row: detail.row + offset, column: detail.column + 1, width: detail.width - 1)
        }
    }

    /// The styled text of one tree row.
    func treeLine(_ row: TreeRow, selected: Bool) -> StyledLine {
        var line: StyledLine = [Span(row.prefix, CellStyle(.dim))]
        switch row.kind {
        case .detail(let detail):
            return line + detail
        case .hop(let key):
            line.append(Span((expanded.contains(key) ? glyphs.expanded : glyphs.collapsed) + " ", CellStyle(.dim)))
            guard let hop = hop(of: key) else { return line }
            if case .link(let id) = key, let link = link(id) {
                switch link.action {
                case .drop:
                    line.append(Span(glyphs.dropped, CellStyle(.dropped, bold: true)))
                    line.append(Span(" at " + hopLabel(hop)))
                case .serve where link.isTerminal:
                    line.append(Span(glyphs.served, CellStyle(.served, bold: true)))
                    line.append(Span(" at " + hopLabel(hop)))
                case .serve:
                    // Served by the link's source; the reply sets off towards this hop.
                    line.append(Span(glyphs.served, CellStyle(.served, bold: true)))
                    line.append(Span(", reply ", CellStyle(.dim)))
                    line.append(Span("[\(link.type.rawValue)] ", CellStyle(.dim)))
                    line.append(Span(hopLabel(hop)))
                default:
                    line.append(Span("[\(link.type.rawValue)] ", CellStyle(.dim)))
                    line.append(Span(hopLabel(hop)))
                }
                if link.direction == .reply && !link.isTerminal && link.action != .serve {
                    line.append(Span(" reply", CellStyle(.dim)))
                }
                if let nat = Self.natKind(from: link.packetIn, to: link.packet.encap ?? link.packet) {
                    line.append(Span(" " + nat, CellStyle(.accent)))
                }
                if link.probability < 1 { line.append(Span(" p=" + Self.percent(link.probability), CellStyle(.dim))) }
                line += badge(for: hop)
                if !link.isTerminal, visibleChildren(of: id).isEmpty {
                    let finished = verdict != nil && stepIndex == steps.count
                    line.append(Span("  " + (finished ? glyphs.unknown : glyphs.pending),
                                     CellStyle(finished ? .unknown : .dim)))
                }
            } else {
                line.append(Span(hopLabel(hop), CellStyle(.normal, bold: true)))
                line += badge(for: hop)
            }
            return line
        }
    }

    private func badge(for hop: Hop) -> StyledLine {
        guard let worst = shownSuspicions(of: hop).map(\.level).max() else { return [] }
        return [Span("  " + glyphs.label(worst), CellStyle(GlyphSet.role(worst), bold: worst >= .critical))]
    }
}
