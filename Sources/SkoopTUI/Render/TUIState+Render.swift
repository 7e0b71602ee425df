import SkoopModel

extension TUIState {
    /// Draws the current screen into a grid of `size`.
    public func render(size: Size) -> CellGrid {
        var grid = CellGrid(size: size)
        grid.asciiOnly = glyphs.asciiOnly
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
        case .edits: drawEdits(into: &grid)
        case .diff: drawDiff(into: &grid)
        case .matrix: drawMatrix(into: &grid)
        }
        drawStatus(into: &grid)
        if showHelp { drawHelp(into: &grid) }
        return grid
    }

    // MARK: header and status

    private func drawHeader(into grid: inout CellGrid) {
        let bar = CellStyle(.title, bold: true, reverse: true)
        grid.fill(row: 0, style: bar)
        let (text, verdictText) = headerText(width: grid.size.columns)
        var used = grid.put(text, row: 0, column: 0, style: bar)
        if let verdictText, let shownVerdict {
            used += grid.put(" \(glyphs.vertical) ", row: 0, column: used, style: bar)
            grid.put(verdictText, row: 0, column: used, style: CellStyle(Self.verdictRole(shownVerdict), bold: true, reverse: true))
        }
        guard query != nil else { return }
        grid.put(levelLine(width: grid.size.columns - 1), row: 1, column: 1)
    }

    /// The title bar's text and verdict for a width: what matters most (verdict, step, query)
    /// stays; the product name and snapshot title go first, then the words, then the query's middle.
    func headerText(width: Int) -> (text: String, verdict: String?) {
        let separator = " \(glyphs.vertical) "
        let verdictText = headerVerdictText()
        guard let query else { return (" " + ["Skoop", title].joined(separator: separator), nil) }
        let queryText = query.text(arrow: glyphs.arrow)
        let more = verdict == nil ? "+" : ""
        let longStep = "step \(stepIndex)/\(steps.count)" + more
        let shortStep = "\(stepIndex)/\(steps.count)" + more
        let verdictWidth = verdictText.map { TextLayout.width(of: separator) + $0.count } ?? 0
        let candidates: [[String]] = [
            ["Skoop", title, queryText, longStep], ["Skoop", queryText, longStep], [queryText, longStep], [queryText, shortStep],
        ]
        for parts in candidates {
            let text = " " + parts.joined(separator: separator)
            if TextLayout.width(of: text) + verdictWidth <= width { return (text, verdictText) }
        }
        let room = width - verdictWidth - TextLayout.width(of: " " + separator + shortStep)
        return (" " + Self.shortened(queryText, to: room, ellipsis: glyphs.text("…")) + separator + shortStep, verdictText)
    }

    /// A text cut in the middle to `width` columns (both ends say most about a query).
    static func shortened(_ text: String, to width: Int, ellipsis: String) -> String {
        guard text.count > width else { return text }
        guard width > ellipsis.count + 1 else { return String(text.prefix(max(0, width))) }
        let keep = width - ellipsis.count
        return String(text.prefix(keep - keep / 2)) + ellipsis + String(text.suffix(keep / 2))
    }

    /// The suspicion counts per level and the filter; without the level words when narrow.
    func levelLine(width: Int) -> StyledLine {
        let hidden = SuspicionLevel.allCases.filter { $0 < minimumLevel }.map { levelCounts[$0.rawValue] }.reduce(0, +)
        func line(words: Bool) -> StyledLine {
            var line: StyledLine = []
            for level in SuspicionLevel.allCases.reversed() where level >= minimumLevel {
                let count = levelCounts[level.rawValue]
                let label = words ? glyphs.label(level) : glyphs.levels[level.rawValue]
                line.append(Span(label + " \(count)", CellStyle(GlyphSet.role(level), bold: count > 0)))
                line.append(Span(words ? "  " : " "))
            }
            line.append(Span((words ? "filter: " : "") + (minimumLevel == .info ? "all" : "\(minimumLevel.name)+"), CellStyle(.dim)))
            if hidden > 0 { line.append(Span(" (\(hidden) hidden)", CellStyle(.dim))) }
            let assumed = shownAssumptions.count
            if assumed > 0 { line.append(Span(words ? "  assumes \(assumed) (s)" : " A\(assumed)", CellStyle(.accent, bold: true))) }
            if let note = whatIfNote { line.append(words ? note : Span(" W\(edits.count)", note.style)) }
            return line
        }
        let full = line(words: true)
        return TextLayout.width(of: full) <= width ? full : line(words: false)
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
        if let prompt {
            // The label stays; of a long answer the end stays in view, where the typing happens.
            let used = grid.put(prompt.label, row: row, column: 0, style: CellStyle(.accent, bold: true))
            let answer: StyledLine = [Span(prompt.text), Span("_", CellStyle(.dim))]
            let overflow = max(0, TextLayout.width(of: answer) - (grid.size.columns - used))
            let typed = grid.put(TextLayout.dropping(overflow, from: answer), row: row, column: used)
            let keys = "  enter writes, esc cancels"
            if used + typed + keys.count <= grid.size.columns {
                grid.put(keys, row: row, column: used + typed, style: CellStyle(.dim))
            }
            return
        }
        if let commandLine {
            let overflow = max(0, commandLine.count + 1 - grid.size.columns)
            grid.put(TextLayout.dropping(overflow, from: [Span(":" + commandLine)]), row: row, column: 0)
            return
        }
        if let search {
            grid.put("/" + search.query, row: row, column: 0, style: CellStyle(.accent, bold: true))
            grid.put("  \(search.matches) match(es)", row: row, column: search.query.count + 1, style: CellStyle(.dim))
            return
        }
        if let message {
            // A long message wraps upwards over the screen (up to a third of it) until the next key.
            let style = CellStyle(message.isError ? .error : .accent, bold: message.isError)
            var lines = message.wraps ? TextLayout.wrap([Span(message.text, style)], width: grid.size.columns, indent: 2)
                                      : [[Span(message.text, style)]]
            let most = max(1, grid.size.rows / 3)
            if lines.count > most { lines = Array(lines.suffix(most)) }
            for (offset, line) in lines.enumerated() {
                let target = row - lines.count + 1 + offset
                grid.fill(row: target, style: .plain)
                grid.put(line, row: target, column: 0)
            }
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
        let layout = mainLayout(for: grid.size)
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
            grid.put(TextLayout.dropping(treeShift, from: line), row: row, column: area.column, width: area.width)
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
        let lines = shownDetailLines(width: detail.width - 1)
        let first = max(0, min(detailTop, lines.count - detail.height))
        for offset in 0..<detail.height where first + offset < lines.count {
            let line = wrapDetail ? lines[first + offset] : TextLayout.dropping(detailShift, from: lines[first + offset])
            grid.put(line, row: detail.row + offset, column: detail.column + 1, width: detail.width - 1)
        }
    }

    /// The detail pane's lines at a width: wrapped (the default), or whole for sideways scrolling.
    func shownDetailLines(width: Int) -> [StyledLine] {
        guard let key = selectedRow else { return [] }
        let lines = detailLines(for: key, includeTitle: true)
        guard wrapDetail else { return lines }
        return lines.flatMap { line in
            // Continuation lines hang under the text, past a short dim label ("  packet "); a
            // long one (a rule's table/chain) gets the same indent, so the text keeps its width.
            let label = line.first.map { $0.style.foreground == .dim ? TextLayout.width(of: $0.text) : 2 } ?? 2
            return TextLayout.wrap(line, width: width, indent: min(label, 9))
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
            switch key {
            case .root:
                line.append(Span(hopLabel(hop), CellStyle(.normal, bold: true)))
                line += badge(for: hop)
            case .served(let id):
                // The serve, an event of its own; the reply it sends is the row below.
                line.append(Span(glyphs.served, CellStyle(.served, bold: true)))
                line.append(Span(" at " + hopLabel(hop)))
                if let link = link(id), link.probability < 1 {
                    line.append(Span(" p=" + Self.percent(link.probability), CellStyle(.dim)))
                }
                line += badge(for: hop)
            case .link(let id):
                guard let link = link(id) else { return line }
                switch link.action {
                case .drop:
                    line.append(Span(glyphs.dropped, CellStyle(.dropped, bold: true)))
                    line.append(Span(" at " + hopLabel(hop)))
                case .serve where link.isTerminal:
                    line.append(Span(glyphs.served, CellStyle(.served, bold: true)))
                    line.append(Span(" at " + hopLabel(hop)))
                default:
                    line.append(Span("[\(link.type.rawValue)] ", CellStyle(.dim)))
                    line.append(Span(hopLabel(hop)))
                }
                if (link.direction == .reply || link.action == .serve) && !link.isTerminal {
                    line.append(Span(" reply", CellStyle(.dim)))
                }
                if let nat = Self.natKind(from: link.packetIn, to: link.packet.encap ?? link.packet) {
                    line.append(Span(" " + nat, CellStyle(.accent)))
                }
                if link.probability < 1 { line.append(Span(" p=" + Self.percent(link.probability), CellStyle(.dim))) }
                line += badge(for: hop)
                if whatIf?.newLeaves.contains(id) == true, shownVerdict != nil {
                    line.append(Span("  + new", CellStyle(.served, bold: true)))
                }
                if !link.isTerminal, visibleChildren(of: id).isEmpty {
                    let finished = shownVerdict != nil
                    line.append(Span("  " + (finished ? glyphs.unknown : glyphs.pending),
                                     CellStyle(finished ? .unknown : .dim)))
                }
            }
            return line
        }
    }

    private func badge(for hop: Hop) -> StyledLine {
        guard let worst = shownSuspicions(of: hop).map(\.level).max() else { return [] }
        return [Span("  " + glyphs.label(worst), CellStyle(GlyphSet.role(worst), bold: worst >= .critical))]
    }
}
