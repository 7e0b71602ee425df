/// A rectangle of the screen.
struct Rect: Hashable {
    var row: Int
    var column: Int
    var width: Int
    var height: Int
}

/// Where the main screen's panes go for a size: side by side when wide, stacked otherwise.
struct MainLayout {
    /// The smallest size the TUI draws in.
    static let minimum = Size(columns: 20, rows: 8)
    /// Rows above the body (header) and below it (status line).
    static let headerRows = 2
    static let statusRows = 1

    var tree: Rect
    var detail: Rect?
    /// Where the separator goes, if there is a detail pane.
    var separator: Rect?
    var sideBySide: Bool

    init(size: Size) {
        let top = MainLayout.headerRows
        let body = max(1, size.rows - MainLayout.headerRows - MainLayout.statusRows)
        if size.columns >= 100 {
            let treeWidth = size.columns * 11 / 20
            tree = Rect(row: top, column: 0, width: treeWidth, height: body)
            separator = Rect(row: top, column: treeWidth, width: 1, height: body)
            detail = Rect(row: top, column: treeWidth + 1, width: size.columns - treeWidth - 1, height: body)
            sideBySide = true
        } else if body >= 6 {
            let treeHeight = body * 3 / 5
            tree = Rect(row: top, column: 0, width: size.columns, height: treeHeight)
            separator = Rect(row: top + treeHeight, column: 0, width: size.columns, height: 1)
            detail = Rect(row: top + treeHeight + 1, column: 0, width: size.columns, height: body - treeHeight - 1)
            sideBySide = false
        } else {
            tree = Rect(row: top, column: 0, width: size.columns, height: body)
            separator = nil
            detail = nil
            sideBySide = false
        }
    }
}
