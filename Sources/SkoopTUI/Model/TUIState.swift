import SkoopModel
import SkoopDiagnosis

/// The whole TUI as a value: what is shown, what is selected, and the diagnosis being stepped.
/// Keys go in through `handle(_:)` (which returns effects for the caller to perform); frames come
/// out of `render(size:)`. Nothing here touches a terminal.
public struct TUIState {
    /// The snapshot's name, shown in the header.
    public let title: String
    /// Queries the start screen offers.
    public var suggestions: [SuggestedQuery]
    /// Names `:diag` completes with tab (pods, services, nodes).
    public var completionNames: [String]
    /// Unicode or ASCII glyphs.
    public let glyphs: GlyphSet
    let rulesetProvider: RulesetProvider?

    /// The query being diagnosed.
    public internal(set) var query: TUIQuery?
    var driver: (any DiagnosisDriver)?
    /// The graph so far (as the driver reported it).
    public internal(set) var path = PacketPath()
    /// The steps taken so far.
    public internal(set) var steps: [DiagnosisStep] = []
    /// The verdict, once the driver has finished.
    public internal(set) var verdict: Verdict?
    /// How many steps are shown (replay: links added after this step are hidden).
    public internal(set) var stepIndex = 0
    var index = PathIndex()
    var history = StepHistory()

    /// The screen shown.
    public internal(set) var screen: Screen
    /// Suspicions below this level are hidden everywhere.
    public internal(set) var minimumLevel = SuspicionLevel.info
    /// Tree rows whose details are shown inline.
    public internal(set) var expanded: Set<RowKey> = []
    /// The focused pane of the main screen.
    public internal(set) var focus = Pane.tree
    /// Whether the help overlay is open.
    public internal(set) var showHelp = false
    /// The `:` command line being typed, if any.
    public internal(set) var commandLine: String?
    /// The status-line message until the next key.
    public internal(set) var message: StatusMessage?
    /// The last size the caller reported.
    public internal(set) var size = Size(columns: 80, rows: 24)
    /// Whether the detail pane wraps long lines (`w`); when off, `<`/`>` scroll it sideways.
    public internal(set) var wrapDetail = true
    /// The tree's share of the main screen in percent (`[`/`]`); nil sizes it to its content (`=`).
    public internal(set) var splitPercent: Int?
    /// A one-line prompt being edited (the export path), if any.
    public internal(set) var prompt: Prompt?
    /// Where `e` offers to write its report.
    public var exportPath: String

    var search: SearchState?
    var rows: [TreeRow] = []
    var tree = ListCursor()
    var detailTop = 0
    var visibleHops: [Hop] = []
    var levelCounts = [0, 0, 0, 0]
    var suspicionRows: [(hop: Hop?, suspicion: Suspicion)] = []
    var suspicionCursor = ListCursor()
    var startCursor = ListCursor()
    var rules: RulesBrowser?
    /// Columns scrolled sideways: the tree, the detail pane, the list screens.
    var treeShift = 0
    var detailShift = 0
    var listShift = 0
    /// The widest hop row of the tree, for the automatic split.
    var treeContentWidth = 0
    /// The first line of the help overlay shown (it scrolls on small terminals).
    var helpTop = 0
    /// The last search typed, for n/N in the rules browser.
    var lastSearch: String?

    /// What-if edits to Skoop's copy of the snapshot, in the order they apply (never to a cluster).
    public internal(set) var edits: [WhatIfEdit]
    /// The diagnosis before and after the edits, when there are edits and a diagnosis.
    public internal(set) var whatIf: WhatIfSummary?
    var baseline: WhatIfBaseline?
    var editsCursor = ListCursor()
    /// The snapshot diff shown by `:diff`.
    public internal(set) var diff: DiffView?
    var diffTop = 0
    /// The reachability matrix (`M`, `:matrix`), as the caller built it.
    public internal(set) var matrixView: MatrixView?
    /// The query opened from a matrix cell: esc on its diagnosis goes back to the matrix.
    var matrixOrigin: TUIQuery?

    /// Makes the state of a TUI with no diagnosis yet (the start screen).
    public init(title: String, suggestions: [SuggestedQuery] = [], completionNames: [String] = [],
                rulesetProvider: RulesetProvider? = nil, glyphs: GlyphSet = .unicode,
                exportPath: String = "skoop-report.txt", edits: [WhatIfEdit] = []) {
        self.title = title
        self.edits = edits
        self.exportPath = exportPath
        self.suggestions = suggestions
        self.completionNames = completionNames
        self.rulesetProvider = rulesetProvider
        self.glyphs = glyphs
        screen = .start
    }

    /// Starts showing a diagnosis: resets the view and takes the first step.
    public mutating func begin(query: TUIQuery, driver: any DiagnosisDriver) {
        self.query = query
        self.driver = driver
        history = StepHistory()
        screen = .main
        expanded = []
        tree = ListCursor()
        detailTop = 0
        treeShift = 0
        detailShift = 0
        rules = nil
        focus = .tree
        whatIf = nil
        syncFromDriver()
        stepIndex = steps.count
        if stepIndex == 0 { advanceDriver() } else { afterStepChange() }
    }

    /// Shows a message on the status line (e.g. the result of an effect).
    public mutating func post(_ text: String, isError: Bool = false, wraps: Bool = true) {
        message = StatusMessage(text: TerminalSafe.strip(text), isError: isError, wraps: wraps)
    }

    /// Records the terminal size, so paging and scrolling know the viewport.
    public mutating func resize(to size: Size) {
        self.size = size
        tree.reveal(height: mainLayout(for: size).tree.height)
    }

    /// Where the main screen's panes go at a size, with the current split.
    func mainLayout(for size: Size) -> MainLayout {
        MainLayout(size: size, split: splitPercent, treeExtent: (treeContentWidth, rows.count))
    }

    /// The hop rows of the tree as plain text, for tests and export.
    public var treeText: [String] {
        rows.map { row in plainText(of: treeLine(row, selected: false)) }
    }

    /// The position of the selected row in `treeText`.
    public var selectedTreeIndex: Int { tree.selection }

    /// The selected tree row.
    public var selectedRow: RowKey? {
        rows.indices.contains(tree.selection) ? rows[tree.selection].key : nil
    }

    /// The number of suspicions per level among the shown hops (hidden levels count 0).
    public var shownLevelCounts: [SuspicionLevel: Int] {
        var counts: [SuspicionLevel: Int] = [:]
        for level in SuspicionLevel.allCases where level >= minimumLevel {
            counts[level] = levelCounts[level.rawValue]
        }
        return counts
    }

    // MARK: stepping

    mutating func syncFromDriver() {
        guard let driver else { return }
        path = driver.path
        steps = driver.steps
        verdict = driver.verdict
        index = PathIndex(path: path, steps: steps)
        history.record(path, afterStep: steps.count)
    }

    /// Asks the driver for one more step; false when it has none.
    @discardableResult
    mutating func advanceDriver() -> Bool {
        guard verdict == nil, driver?.step() != nil else {
            syncFromDriver()
            afterStepChange()
            return false
        }
        syncFromDriver()
        stepIndex = steps.count
        afterStepChange(followNewest: true)
        return true
    }

    mutating func stepForward() {
        if stepIndex < steps.count {
            stepIndex += 1
            afterStepChange(followNewest: true)
        } else if !advanceDriver() {
            post("last step" + (verdict.map { " — verdict: \($0.rawValue)" } ?? ""))
        }
    }

    mutating func runToEnd() {
        var guardCount = 0
        while verdict == nil, guardCount < 1_000_000, let step = driver?.step() {
            guardCount += 1
            // Each step is recorded, so stepping back later shows what it showed: a step changes
            // the suspicions of the node that acted (and brings new nodes with theirs).
            if let driver {
                history.record(driver.path, afterStep: step.number, only: step.addedNodes + [step.actor])
            }
            if driver?.verdict != nil { break }
        }
        syncFromDriver()
        stepIndex = steps.count
        afterStepChange(followNewest: true)
    }

    mutating func setStep(_ newIndex: Int) {
        stepIndex = min(max(0, newIndex), steps.count)
        afterStepChange(followNewest: true)
    }

    mutating func afterStepChange(followNewest: Bool = false) {
        let previous = selectedRow
        rebuildTree()
        if followNewest, stepIndex > 0, let newest = steps[stepIndex - 1].addedLinks.first,
           let position = rows.firstIndex(where: { $0.key == .link(newest) }) {
            tree.selection = position
        } else {
            select(previous ?? .root)
        }
        detailTop = 0
        tree.reveal(height: mainLayout(for: size).tree.height)
    }

    // MARK: lookups

    func isVisible(_ id: Int) -> Bool {
        if let step = index.stepOfLink[id] { return step <= stepIndex }
        return stepIndex >= steps.count && stepIndex > 0
    }

    func visibleChildren(of parent: Int) -> [Int] {
        (index.children[parent] ?? []).filter(isVisible)
    }

    var rootHop: Hop? { steps.first?.actor ?? path.links.first?.source }

    var newestLinks: Set<Int> {
        stepIndex > 0 && stepIndex <= steps.count ? Set(steps[stepIndex - 1].addedLinks) : []
    }

    func link(_ id: Int) -> Link? { index.link(id, in: path) }

    func node(_ hop: Hop) -> NetNode? { index.node(hop, in: path) }

    /// The hop a row names: the root, a link's destination, or where a branch ended.
    func hop(of key: RowKey) -> Hop? {
        switch key {
        case .root: return rootHop
        case .link(let id):
            guard let link = link(id) else { return nil }
            return link.isTerminal ? link.source : (link.destination ?? link.source)
        case .served(let id):
            return link(id)?.source
        }
    }

    /// Whether a link is a serve that sends the reply on (shown as two rows: the serve, the reply).
    func isServeWithReply(_ link: Link) -> Bool {
        link.action == .serve && !link.isTerminal
    }

    /// The link that brought the packet to the row's hop.
    func arrival(of key: RowKey) -> Link? {
        switch key {
        case .root: return nil
        case .served(let id): return link(id)?.parent.flatMap(self.link)
        case .link(let id):
            guard let link = link(id) else { return nil }
            return link.isTerminal ? link.parent.flatMap(self.link) : link
        }
    }

    /// The links the row's hop produced (for a branch end, just that link).
    func departures(of key: RowKey) -> [Link] {
        switch key {
        case .root: return visibleChildren(of: PathIndex.rootParent).compactMap(link)
        case .link(let id):
            guard let link = link(id) else { return [] }
            return link.isTerminal ? [link] : visibleChildren(of: id).compactMap(self.link)
        case .served(let id):
            return link(id).map { [$0] } ?? []
        }
    }

    /// The suspicions of a hop as the shown step had them.
    func suspicions(of hop: Hop) -> [Suspicion] {
        history.suspicions(of: hop, atStep: stepIndex)
    }

    /// The suspicions of a hop at or above the minimum level.
    func shownSuspicions(of hop: Hop) -> [Suspicion] {
        suspicions(of: hop).filter { $0.level >= minimumLevel }
    }

    /// The verdict, when the last step is shown (an earlier step had none yet).
    var shownVerdict: Verdict? {
        stepIndex == steps.count ? verdict : nil
    }

    // MARK: tree

    mutating func rebuildTree() {
        rows = []
        visibleHops = []
        defer {
            treeContentWidth = rows.reduce(0) { widest, row in
                row.key == nil ? widest : max(widest, TextLayout.width(of: treeLine(row, selected: false)))
            }
        }
        guard stepIndex > 0, let rootHop else {
            recount()
            return
        }
        var seen: Set<Hop> = [rootHop]
        visibleHops = [rootHop]
        appendHopRow(.root, prefix: "", childPrefix: "", hasChildren: true)
        let maxDepth = 24
        var stack: [(id: Int, ancestors: String, last: Bool, depth: Int)] = []
        let roots = visibleChildren(of: PathIndex.rootParent)
        for (position, id) in roots.enumerated().reversed() {
            stack.append((id, "", position == roots.count - 1, 1))
        }
        while let (id, ancestors, last, depth) = stack.popLast() {
            guard let link = link(id) else { continue }
            for hop in [link.source, link.destination].compactMap({ $0 }) where !seen.contains(hop) {
                seen.insert(hop)
                visibleHops.append(hop)
            }
            let kids = link.isTerminal ? [] : visibleChildren(of: id)
            var ancestors = ancestors
            var last = last
            if isServeWithReply(link) {
                // The serve is a row of its own; the reply it sends hangs under it.
                appendHopRow(.served(id), prefix: ancestors + (last ? glyphs.corner : glyphs.tee),
                             childPrefix: ancestors + (last ? "  " : glyphs.pipe), hasChildren: true)
                if depth < maxDepth { ancestors += last ? "  " : glyphs.pipe }
                last = true
            }
            let childAncestors = depth >= maxDepth ? ancestors : ancestors + (last ? "  " : glyphs.pipe)
            appendHopRow(.link(id), prefix: ancestors + (last ? glyphs.corner : glyphs.tee),
                         childPrefix: childAncestors, hasChildren: !kids.isEmpty)
            for (position, kid) in kids.enumerated().reversed() {
                stack.append((kid, childAncestors, position == kids.count - 1, depth + 1))
            }
        }
        recount()
    }

    private mutating func appendHopRow(_ key: RowKey, prefix: String, childPrefix: String, hasChildren: Bool) {
        rows.append(TreeRow(kind: .hop(key), prefix: prefix))
        guard expanded.contains(key) else { return }
        let indent = childPrefix + (hasChildren ? glyphs.pipe : "  ") + "  "
        for line in detailLines(for: key, includeTitle: false) {
            rows.append(TreeRow(kind: .detail(line), prefix: indent))
        }
    }

    private mutating func recount() {
        levelCounts = [0, 0, 0, 0]
        suspicionRows = history.clusterSuspicions(atStep: stepIndex).map { (hop: nil, suspicion: $0) }
        for hop in visibleHops {
            for suspicion in suspicions(of: hop) {
                suspicionRows.append((hop: hop, suspicion: suspicion))
            }
        }
        for row in suspicionRows { levelCounts[row.suspicion.level.rawValue] += 1 }
        // Worst first; equal levels keep graph order (sorted(by:) is not stable on its own).
        suspicionRows = suspicionRows.enumerated().filter { $0.element.suspicion.level >= minimumLevel }
            .sorted { ($0.element.suspicion.level, $1.offset) > ($1.element.suspicion.level, $0.offset) }
            .map(\.element)
    }

    /// Selects a hop row by key (the nearest hop row when it is gone).
    mutating func select(_ key: RowKey) {
        if let position = rows.firstIndex(where: { $0.key == key }) {
            tree.selection = position
        } else {
            tree.selection = min(tree.selection, max(0, rows.count - 1))
            while tree.selection > 0, rows[tree.selection].key == nil { tree.selection -= 1 }
        }
    }

    /// Moves the tree selection over hop rows only.
    mutating func moveTree(by delta: Int) {
        guard !rows.isEmpty else { return }
        var position = tree.selection
        var remaining = abs(delta)
        let direction = delta < 0 ? -1 : 1
        var candidate = position
        while remaining > 0 {
            candidate += direction
            guard rows.indices.contains(candidate) else { break }
            if rows[candidate].key != nil {
                position = candidate
                remaining -= 1
            }
        }
        tree.selection = position
        detailTop = 0
        tree.reveal(height: mainLayout(for: size).tree.height)
    }
}
