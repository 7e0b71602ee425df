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
    /// The bounds of the tree's share of the body, in percent, automatic or set with [ and ].
    static let splitRange = 20...80

    var tree: Rect
    var detail: Rect?
    /// Where the separator goes, if there is a detail pane.
    var separator: Rect?
    var sideBySide: Bool

    /// - Parameters:
    ///   - split: the tree's share of the body in percent; nil sizes the tree to its content
    ///     (`treeExtent`: its widest row side by side, its row count stacked), within 25-55%.
    ///   - treeExtent: what the tree needs, in columns (side by side) or rows (stacked).
    init(size: Size, split: Int? = nil, treeExtent: (columns: Int, rows: Int) = (0, 0)) {
        let top = MainLayout.headerRows
        let body = max(1, size.rows - MainLayout.headerRows - MainLayout.statusRows)
        if size.columns >= 100 {
            let treeWidth = MainLayout.share(of: size.columns - 1, percent: split, wanted: treeExtent.columns + 1,
                                             automatic: 25...55)
            tree = Rect(row: top, column: 0, width: treeWidth, height: body)
            separator = Rect(row: top, column: treeWidth, width: 1, height: body)
            detail = Rect(row: top, column: treeWidth + 1, width: size.columns - treeWidth - 1, height: body)
            sideBySide = true
        } else if body >= 6 {
            let treeHeight = MainLayout.share(of: body - 1, percent: split, wanted: treeExtent.rows, automatic: 30...60)
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

    /// The tree's part of `total`: `percent` of it when set, else what it wants within `automatic` percent.
    private static func share(of total: Int, percent: Int?, wanted: Int, automatic: ClosedRange<Int>) -> Int {
        let part: Int
        if let percent {
            part = total * min(max(percent, splitRange.lowerBound), splitRange.upperBound) / 100
        } else {
            part = min(max(wanted, total * automatic.lowerBound / 100), total * automatic.upperBound / 100)
        }
        return min(max(1, part), max(1, total - 1))
    }
}
