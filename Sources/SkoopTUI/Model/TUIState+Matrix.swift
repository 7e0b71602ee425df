import SkoopModel
import SkoopDiagnosis

/// A reachability matrix being browsed: the matrix (built by the caller, never here), the cell
/// selected and the part of the grid in view.
public struct MatrixView: Sendable {
    /// The matrix as the caller built it.
    public var matrix: ReachabilityMatrix
    /// What was asked for (port, protocol, namespaces).
    public var request: MatrixRequest
    /// The selected source class and the first row in view.
    var rows = ListCursor()
    /// The selected destination and the first column in view.
    var columns = ListCursor()

    /// Sources: one row per class.
    public var rowCount: Int { matrix.classes.count }
    /// Destinations: the classes, then the Services.
    public var columnCount: Int { matrix.classes.count + matrix.services.count }

    /// The selected row and column.
    public var selection: (row: Int, column: Int) { (rows.selection, columns.selection) }

    /// The cell at a row and column.
    public func cell(row: Int, column: Int) -> MatrixCell? {
        guard row >= 0, row < rowCount, column >= 0, column < columnCount,
              matrix.cells.count == rowCount * columnCount else { return nil }
        return matrix.cells[row * columnCount + column]
    }

    /// The selected cell.
    public var selectedCell: MatrixCell? { cell(row: rows.selection, column: columns.selection) }

    /// The class a destination column names, if it is a class.
    func destinationClass(_ column: Int) -> PodClass? {
        matrix.classes.indices.contains(column) ? matrix.classes[column] : nil
    }

    /// A column's header: the class id, or "s1", "s2", ... for Services (as `skoop matrix` prints them).
    func columnHeader(_ column: Int) -> String {
        column < matrix.classes.count ? matrix.classes[column].id : "s\(column - matrix.classes.count + 1)"
    }

    /// A destination in words: the class's representative and size, or the Service.
    func destinationText(_ column: Int) -> String {
        if let target = destinationClass(column) { return MatrixView.classText(target) }
        let index = column - matrix.classes.count
        return matrix.services.indices.contains(index) ? "svc/\(matrix.services[index])" : "-"
    }

    /// "c3 default/web-0" and "+N" for the class's other members.
    static func classText(_ podClass: PodClass) -> String {
        podClass.id + " " + podClass.representative + (podClass.members.count > 1 ? " +\(podClass.members.count - 1)" : "")
    }
}

/// Where the matrix screen draws: headers, the visible grid and the detail panel.
struct MatrixLayout {
    /// The row of the column headers; the grid starts below it.
    static let headerRow = 4
    /// Lines of the selected cell's detail under the grid (fewer on small terminals).
    static let panelLines = 5

    var rowHeaderWidth: Int
    var cellWidth: Int
    var gridRows: Int
    var gridColumns: Int
    /// The separator above the detail panel (nil: no room for it).
    var panelRow: Int?

    init(size: Size, view: MatrixView) {
        let headers = (0..<view.columnCount).map { view.columnHeader($0).count }
        cellWidth = max(3, (headers.max() ?? 0) + 1)
        let longestRow = view.matrix.classes.map { TextLayout.width(of: MatrixView.classText($0)) }.max() ?? 0
        rowHeaderWidth = max(4, min(longestRow + 2, size.columns / 3))
        let statusRow = size.rows - 1
        let room = statusRow - Self.headerRow - 1
        let panel = room >= 8 ? Self.panelLines : 0
        panelRow = panel > 0 ? statusRow - panel - 1 : nil
        gridRows = max(1, (panelRow ?? statusRow) - Self.headerRow - 1)
        gridColumns = max(1, (size.columns - 1 - rowHeaderWidth) / cellWidth)
    }
}

extension GlyphSet {
    /// A matrix cell's glyph: a shape per result, so that colour is never the only signal.
    public func matrixGlyph(_ result: MatrixCell.Result) -> String {
        switch result {
        case .allowed: asciiOnly ? "+" : "✔"
        case .denied: asciiOnly ? "x" : "✖"
        case .partial: asciiOnly ? "~" : "◐"
        case .unknown: "?"
        case .loopback: asciiOnly ? "." : "·"
        }
    }

    /// The colour role of a matrix cell.
    static func matrixRole(_ result: MatrixCell.Result) -> ColorRole {
        switch result {
        case .allowed: .served
        case .denied: .dropped
        case .partial: .warning
        case .unknown: .unknown
        case .loopback: .dim
        }
    }
}

extension TUIState {
    /// `M`: the matrix built last, or one on the current query's port (80/tcp without one).
    mutating func openMatrix() -> [Effect] {
        if matrixView != nil {
            screen = .matrix
            return []
        }
        return [.openMatrix(defaultMatrixRequest)]
    }

    /// The matrix `M` asks for first: the diagnosed query's port and protocol where they fit.
    var defaultMatrixRequest: MatrixRequest {
        guard let query, query.proto == .tcp || query.proto == .udp, query.port != 0 else { return MatrixRequest(port: 80) }
        return MatrixRequest(port: query.port, proto: query.proto)
    }

    /// Shows a matrix the caller built for `request`.
    public mutating func showMatrix(_ matrix: ReachabilityMatrix, request: MatrixRequest) {
        matrixView = MatrixView(matrix: matrix, request: request)
        screen = .matrix
        let pods = matrix.classes.reduce(0) { $0 + $1.members.count }
        var text = "\(pods) pod(s) in \(matrix.classes.count) class(es), \(matrix.services.count) service(s): "
            + "\(matrix.diagnosed) pair(s) diagnosed; enter steps through a cell"
        if !edits.isEmpty {
            text += " (the snapshot as collected: what-if edits do not apply to the matrix)"
        }
        post(text)
    }

    /// Moves the matrix selection by rows and columns and scrolls it into view.
    mutating func moveMatrix(rows deltaRows: Int, columns deltaColumns: Int) {
        guard var view = matrixView else { return }
        let layout = MatrixLayout(size: size, view: view)
        view.rows.move(by: max(-1_000_000, min(1_000_000, deltaRows)), count: view.rowCount)
        view.columns.move(by: max(-1_000_000, min(1_000_000, deltaColumns)), count: view.columnCount)
        view.rows.reveal(height: layout.gridRows)
        view.columns.reveal(height: layout.gridColumns)
        matrixView = view
    }

    /// Columns one `<` or `>` moves in the matrix: what fits on the screen.
    var matrixPageColumns: Int {
        guard let matrixView else { return 1 }
        return max(1, MatrixLayout(size: size, view: matrixView).gridColumns - 1)
    }

    /// Enter on a cell: its representative pair, diagnosed for stepping (esc comes back here).
    mutating func activateMatrixCell() -> [Effect] {
        guard let view = matrixView, let cell = view.selectedCell else { return [] }
        guard let pair = cell.pair else {
            post("\(cell.source) \(glyphs.arrow) \(cell.destination): a class of one pod with itself is not diagnosed", isError: true)
            return []
        }
        let query = TUIQuery(src: pair.source, dst: pair.destination, port: view.matrix.port, proto: view.matrix.proto)
        matrixOrigin = query
        return [.startDiagnosis(query)]
    }

    /// What `y` copies on the matrix screen: the cell and a command line that diagnoses it.
    func matrixCopyText() -> String? {
        guard let view = matrixView, let cell = view.selectedCell else { return nil }
        var lines = ["\(cell.source) -> \(cell.destination): \(cell.result.rawValue)"
                     + (cell.decidingHop.map { " at \($0)" } ?? "") + (cell.reason.map { ": \($0)" } ?? "")]
        if let pair = cell.pair {
            lines.append("skoop diagnose -s \(pair.source) -d \(pair.destination) -p \(view.matrix.port) --protocol \(view.matrix.proto.rawValue)")
        }
        return lines.map(TerminalSafe.strip).joined(separator: "\n")
    }
}
