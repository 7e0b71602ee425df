import SkoopModel
import SkoopDiagnosis

extension TUIState {
    // MARK: edits screen

    func drawEdits(into grid: inout CellGrid) {
        let title = "What-if: \(edits.count) edit(s) to Skoop's copy of the snapshot — nothing is applied to a cluster"
        grid.put(title, row: 2, column: 1, style: CellStyle(.title, bold: true, underline: true), width: grid.size.columns - 2)
        let lines = editsLines()
        let height = max(0, grid.size.rows - 1 - 3)
        let top = editsCursor.visibleTop(height: height, count: lines.count)
        for offset in 0..<height where top + offset < lines.count {
            grid.put(TextLayout.dropping(listShift, from: lines[top + offset]), row: 3 + offset, column: 1,
                     width: grid.size.columns - 1)
            if top + offset == editsCursor.selection { grid.restyle(row: 3 + offset) { $0.reverse = true } }
        }
    }

    // MARK: diff screen

    /// The rows of one side of the diff: the path as a tree, the parting hop and the branches
    /// only this side has marked.
    func diffRows(_ path: PacketPath, parting: Hop?, onlyHere: Set<Int>, onlyMark: Span) -> [StyledLine] {
        var children: [Int: [Link]] = [:]
        for link in path.links { children[link.parent ?? PathIndex.rootParent, default: []].append(link) }
        guard let root = path.links.first?.source else { return [[Span("(no path)", CellStyle(.dim))]] }
        let partMark = Span("  \(glyphs.text("◀")) paths part here", CellStyle(.warning, bold: true))
        var marked = false
        func markIfParting(_ hop: Hop, _ line: inout StyledLine) {
            guard !marked, hop == parting else { return }
            marked = true
            line.append(partMark)
        }
        var first: StyledLine = [Span(hopLabel(root), CellStyle(.normal, bold: true))]
        markIfParting(root, &first)
        var rows = [first]
        var stack: [(link: Link, prefix: String, last: Bool)] = (children[PathIndex.rootParent] ?? []).reversed().enumerated()
            .map { ($0.element, "", $0.offset == 0) }
        while let (link, prefix, last) = stack.popLast(), rows.count < 2_000 {
            var line: StyledLine = [Span(prefix + (last ? glyphs.corner : glyphs.tee), CellStyle(.dim))]
            let hop = link.isTerminal ? link.source : (link.destination ?? link.source)
            switch link.action {
            case .drop:
                line += [Span(glyphs.dropped, CellStyle(.dropped, bold: true)), Span(" at " + hopLabel(hop))]
            case .serve where link.isTerminal:
                line += [Span(glyphs.served, CellStyle(.served, bold: true)), Span(" at " + hopLabel(hop))]
            default:
                line += [Span("[\(link.type.rawValue)] ", CellStyle(.dim)), Span(hopLabel(hop))]
                if link.direction == .reply || link.action == .serve { line.append(Span(" reply", CellStyle(.dim))) }
            }
            if onlyHere.contains(link.id) { line.append(onlyMark) }
            markIfParting(hop, &line)
            rows.append(line)
            let kids = link.isTerminal ? [] : children[link.id] ?? []
            let childPrefix = prefix + (last ? "  " : glyphs.pipe)
            for (position, kid) in kids.enumerated().reversed() {
                stack.append((kid, childPrefix, position == kids.count - 1))
            }
        }
        return rows
    }

    /// Both sides' rows: this snapshot (before), the other (after).
    func diffSides() -> (before: [StyledLine], after: [StyledLine]) {
        guard let diff else { return ([], []) }
        let flow = diff.flow
        let onlyBefore = WhatIfSummary.compare(before: flow.after.path, verdictBefore: nil, after: flow.before.path, verdictAfter: nil)
        let onlyAfter = WhatIfSummary.compare(before: flow.before.path, verdictBefore: nil, after: flow.after.path, verdictAfter: nil)
        return (diffRows(flow.before.path, parting: flow.partingHop, onlyHere: onlyBefore.newLeaves,
                         onlyMark: Span("  - only here", CellStyle(.dropped, bold: true))),
                diffRows(flow.after.path, parting: flow.partingHop, onlyHere: onlyAfter.newLeaves,
                         onlyMark: Span("  + only here", CellStyle(.served, bold: true))))
    }

    var diffRowCount: Int {
        let sides = diffSides()
        return max(1, max(sides.before.count, sides.after.count))
    }

    /// The panel under the panes: where the paths part and what differs there.
    func diffPanelLines(width: Int) -> [StyledLine] {
        guard let flow = diff?.flow else { return [] }
        let (gone, new) = PathBranch.changes(before: PathBranch.branches(of: flow.before.path),
                                             after: PathBranch.branches(of: flow.after.path))
        guard !gone.isEmpty || !new.isEmpty else {
            return [[Span("both snapshots give the same paths", CellStyle(.dim))]]
        }
        var lines: [StyledLine] = [[Span("paths part at ", CellStyle(.dim)),
                                    Span(flow.partingHop.map(hopLabel) ?? "the source", CellStyle(.warning, bold: true)),
                                    Span(flow.changes.isEmpty ? ": no collected difference there (the change is elsewhere on the path)"
                                                              : "; what changed:", CellStyle(.dim))]]
        for change in flow.changes {
            lines += TextLayout.wrap([Span("  " + change)], width: width, indent: 4)
        }
        return lines
    }

    func drawDiff(into grid: inout CellGrid) {
        guard let diff else { return }
        let flow = diff.flow
        let width = grid.size.columns
        let panel = diffPanelLines(width: width - 2)
        let statusRow = grid.size.rows - 1
        let shownPanel = min(panel.count, max(0, (statusRow - 4) / 2))
        let bodyEnd = shownPanel > 0 ? statusRow - shownPanel - 1 : statusRow
        if shownPanel > 0 {
            grid.put(String(repeating: glyphs.horizontal, count: width), row: bodyEnd, column: 0, style: CellStyle(.dim))
            for (offset, line) in panel.prefix(shownPanel).enumerated() {
                grid.put(line, row: bodyEnd + 1 + offset, column: 1, width: width - 1)
            }
        }
        let half = (width - 1) / 2
        let sides = diffSides()
        for (column, label, verdict, rows) in [(0, "this snapshot", flow.before.verdict, sides.before),
                                               (half + 1, diff.snapshot, flow.after.verdict, sides.after)] {
            let paneWidth = column == 0 ? half : width - half - 1
            // The verdict always shows; a long snapshot path gives way from its start.
            let verdictText = (verdict?.rawValue ?? "unknown").uppercased()
            let room = max(4, paneWidth - 2 - verdictText.count)
            let shown = label.count <= room ? label : glyphs.text("…") + String(label.suffix(room - 1))
            let title: StyledLine = [Span(shown + " ", CellStyle(.title, bold: true, underline: true)),
                                     Span(verdictText, CellStyle(verdict.map(Self.verdictRole) ?? .unknown, bold: true))]
            grid.put(title, row: 2, column: column + 1, width: paneWidth - 1)
            for offset in 0..<max(0, bodyEnd - 3) where diffTop + offset < rows.count {
                grid.put(TextLayout.dropping(listShift, from: rows[diffTop + offset]), row: 3 + offset, column: column + 1,
                         width: paneWidth - 1)
            }
        }
        for row in 2..<bodyEnd { grid.put(glyphs.vertical, row: row, column: half, style: CellStyle(.dim)) }
    }

    // MARK: main screen marks

    /// The what-if note of the level line: how many edits, and where to see them.
    var whatIfNote: Span? {
        guard !edits.isEmpty else { return nil }
        let changed = whatIf.map { " -\($0.gone.count) +\($0.new.count) branches" } ?? ""
        return Span("  what-if: \(edits.count) edit(s)\(changed) (:edits)", CellStyle(.warning, bold: true))
    }

    /// The header's verdict: "PARTIAL → REACHABLE" under edits that changed it.
    func headerVerdictText() -> String? {
        guard let shownVerdict else { return nil }
        guard let whatIf, let before = whatIf.verdictBefore, before != shownVerdict else {
            return shownVerdict.rawValue.uppercased() + (whatIf == nil ? "" : " (WHAT-IF)")
        }
        return "\(before.rawValue.uppercased()) \(glyphs.arrow) \(shownVerdict.rawValue.uppercased())"
    }
}
