import SkoopModel
import SkoopDiagnosis

extension TUIState {
    /// The matrix screen: a title and legend, column headers, the rows in view (a glyph and a
    /// colour per cell), and the selected cell in words under a separator.
    func drawMatrix(into grid: inout CellGrid) {
        guard let view = matrixView else { return }
        let matrix = view.matrix
        let layout = MatrixLayout(size: grid.size, view: view)
        let top = view.rows.visibleTop(height: layout.gridRows, count: view.rowCount)
        let left = view.columns.visibleTop(height: layout.gridColumns, count: view.columnCount)
        let shownRows = min(layout.gridRows, view.rowCount - top)
        let shownColumns = min(layout.gridColumns, view.columnCount - left)
        let pods = matrix.classes.reduce(0) { $0 + $1.members.count }
        let title = "Reachability \(view.request): \(pods) pods in \(matrix.classes.count) classes, \(matrix.services.count) services"
        grid.put(title, row: 2, column: 1, style: CellStyle(.title, bold: true, underline: true), width: grid.size.columns - 1)
        var legend: StyledLine = [Span("rows: sources, columns: destinations  ", CellStyle(.dim))]
        for result in [MatrixCell.Result.allowed, .denied, .partial, .unknown, .loopback] {
            let word = result == .loopback ? "itself only" : result.rawValue
            legend.append(Span(glyphs.matrixGlyph(result), CellStyle(GlyphSet.matrixRole(result), bold: true)))
            legend.append(Span(" \(word)  "))
        }
        grid.put(legend, row: 3, column: 1, width: grid.size.columns - 1)

        let gridTop = MatrixLayout.headerRow + 1
        let firstCellColumn = 1 + layout.rowHeaderWidth
        for offset in 0..<max(0, shownColumns) {
            let column = left + offset
            let selected = column == view.columns.selection
            grid.put(view.columnHeader(column), row: MatrixLayout.headerRow, column: firstCellColumn + offset * layout.cellWidth,
                     style: CellStyle(column < matrix.classes.count ? .accent : .key, bold: true, reverse: selected))
        }
        for rowOffset in 0..<max(0, shownRows) {
            let row = top + rowOffset
            let screenRow = gridTop + rowOffset
            let selectedRow = row == view.rows.selection
            let header = Self.column(MatrixView.classText(matrix.classes[row]), layout.rowHeaderWidth)
            grid.put(header, row: screenRow, column: 1, style: CellStyle(.accent, bold: selectedRow, reverse: selectedRow),
                     width: layout.rowHeaderWidth - 1)
            for columnOffset in 0..<max(0, shownColumns) {
                let column = left + columnOffset
                guard let cell = view.cell(row: row, column: column) else { continue }
                let selected = selectedRow && column == view.columns.selection
                let glyph = glyphs.matrixGlyph(cell.result)
                let style = CellStyle(GlyphSet.matrixRole(cell.result), bold: cell.result != .loopback, reverse: selected)
                grid.put(selected ? "[" + glyph + "]" : " " + glyph + " ", row: screenRow,
                         column: firstCellColumn + columnOffset * layout.cellWidth - 1, style: style)
            }
        }
        guard let panelRow = layout.panelRow else { return }
        grid.put(String(repeating: glyphs.horizontal, count: grid.size.columns), row: panelRow, column: 0, style: CellStyle(.dim))
        if shownRows < view.rowCount || shownColumns < view.columnCount {
            // What is in view, on the separator: the grid has no room for scroll bars.
            grid.put(" rows \(top + 1)-\(top + shownRows) of \(view.rowCount), columns \(left + 1)-\(left + shownColumns) of \(view.columnCount) ",
                     row: panelRow, column: 2, style: CellStyle(.accent))
        }
        for (offset, line) in matrixCellLines(view, width: grid.size.columns - 2).prefix(MatrixLayout.panelLines).enumerated() {
            grid.put(line, row: panelRow + 1 + offset, column: 1, width: grid.size.columns - 1)
        }
    }

    /// The selected cell in words: the result and where it was decided, the pair diagnosed, the classes.
    func matrixCellLines(_ view: MatrixView, width: Int) -> [StyledLine] {
        guard let cell = view.selectedCell else { return [] }
        let source = view.matrix.classes[view.rows.selection]
        let role = GlyphSet.matrixRole(cell.result)
        var lines: [StyledLine] = []
        var headline: StyledLine = [
            Span(glyphs.matrixGlyph(cell.result) + " " + cell.result.rawValue, CellStyle(role, bold: true)),
            Span("  \(MatrixView.classText(source)) \(glyphs.arrow) \(view.destinationText(view.columns.selection))"),
        ]
        if let hop = cell.decidingHop { headline.append(Span("  at \(hop)", CellStyle(role, bold: true))) }
        lines.append(headline)
        if let reason = cell.reason { lines += TextLayout.wrap([Span(reason)], width: width, indent: 2).prefix(2) }
        if let pair = cell.pair {
            lines.append([Span(cell.reused ? "diagnosed for a cell alike (equivalent nodes) " : "diagnosed ", CellStyle(.dim)), Span("\(pair.source) \(glyphs.arrow) \(pair.destination)"),
                          Span("  enter steps through it, y copies", CellStyle(.dim))])
        } else {
            lines.append([Span("a class of one pod with itself: not diagnosed", CellStyle(.dim))])
        }
        func describe(_ label: String, _ podClass: PodClass) -> StyledLine {
            let labels = podClass.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            var text = "ns \(podClass.namespace), node \(podClass.node ?? "-")"
            if !labels.isEmpty { text += ", \(labels)" }
            if podClass.hostNetwork { text += ", hostNetwork" }
            text += ": " + podClass.members.prefix(6).joined(separator: " ") + (podClass.members.count > 6 ? " …" : "")
            return [Span(label + podClass.id + " ", CellStyle(.dim)), Span(text)]
        }
        lines.append(describe("from ", source))
        if let target = view.destinationClass(view.columns.selection), target.id != source.id {
            lines.append(describe("to ", target))
        }
        return lines
    }
}
