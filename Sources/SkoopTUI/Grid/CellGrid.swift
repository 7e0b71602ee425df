import SkoopModel

/// An off-screen grid of cells: the view model draws into it, the backend copies it to the terminal.
public struct CellGrid: Sendable {
    /// Its size.
    public let size: Size
    /// The cells, row by row.
    public private(set) var cells: [Cell]
    /// Whether text is written with ASCII arrows, dashes and box lines (an ASCII-only terminal).
    public var asciiOnly = false

    /// Makes a blank grid.
    public init(size: Size) {
        self.size = Size(columns: max(0, size.columns), rows: max(0, size.rows))
        cells = Array(repeating: Cell(), count: self.size.columns * self.size.rows)
    }

    /// The cell at a position (a blank cell outside the grid).
    public subscript(row: Int, column: Int) -> Cell {
        guard contains(row: row, column: column) else { return Cell() }
        return cells[row * size.columns + column]
    }

    private func contains(row: Int, column: Int) -> Bool {
        row >= 0 && row < size.rows && column >= 0 && column < size.columns
    }

    /// Writes text from a position, clipped to `width` columns (default: to the right edge).
    /// Control characters are neutralized here, so nothing from data can reach the terminal raw.
    /// Returns the columns used.
    @discardableResult
    public mutating func put(_ text: String, row: Int, column: Int, style: CellStyle = .plain,
                             width: Int? = nil) -> Int {
        guard row >= 0, row < size.rows, column < size.columns else { return 0 }
        let limit = min(size.columns, column + (width ?? size.columns))
        var x = column
        let safe = TerminalSafe.strip(text)
        for character in asciiOnly ? GlyphSet.asciiText(safe) : safe {
            let cellWidth = Cell.displayWidth(of: character)
            if x + cellWidth > limit { break }
            if x >= 0 {
                cells[row * size.columns + x] = Cell(character: character, style: style)
                if cellWidth == 2 {
                    cells[row * size.columns + x + 1] = Cell(character: " ", style: style, isContinuation: true)
                }
            }
            x += cellWidth
        }
        return x - column
    }

    /// Writes a styled line from a position, clipped to `width` columns; returns the columns used.
    @discardableResult
    public mutating func put(_ line: StyledLine, row: Int, column: Int, width: Int? = nil) -> Int {
        let limit = width ?? (size.columns - column)
        var used = 0
        for span in line where used < limit {
            used += put(span.text, row: row, column: column + used, style: span.style, width: limit - used)
        }
        return used
    }

    /// Fills part of a row with blanks in a style.
    public mutating func fill(row: Int, column: Int = 0, width: Int? = nil, style: CellStyle) {
        guard row >= 0, row < size.rows else { return }
        let end = min(size.columns, column + (width ?? size.columns))
        for x in max(0, column)..<max(max(0, column), end) {
            cells[row * size.columns + x] = Cell(character: " ", style: style)
        }
    }

    /// Changes the style of existing cells in part of a row.
    public mutating func restyle(row: Int, column: Int = 0, width: Int? = nil, _ change: (inout CellStyle) -> Void) {
        guard row >= 0, row < size.rows else { return }
        let end = min(size.columns, column + (width ?? size.columns))
        for x in max(0, column)..<max(max(0, column), end) {
            change(&cells[row * size.columns + x].style)
        }
    }

    /// The text of each row, trailing blanks removed (for tests and plain-text output).
    public var lines: [String] {
        (0..<size.rows).map { row in
            var line = ""
            for column in 0..<size.columns where !self[row, column].isContinuation {
                line.append(self[row, column].character)
            }
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    /// The whole grid as text, one line per row.
    public var text: String { lines.joined(separator: "\n") }
}
