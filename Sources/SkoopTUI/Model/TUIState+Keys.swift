import SkoopModel

extension TUIState {
    /// Handles one key; returns what the caller must do (quit, copy, export, start a diagnosis).
    public mutating func handle(_ key: Key) -> [Effect] {
        if key == .resize { return [] }
        if showHelp {
            handleHelp(key)
            return []
        }
        if prompt != nil { return handlePrompt(key) }
        if commandLine != nil { return handleCommandLine(key) }
        if search != nil {
            handleSearch(key)
            return []
        }
        message = nil
        if case .click(let row, _) = key {
            click(row: row)
            return []
        }
        guard let command = KeyTable.command(for: key, on: screen) else {
            if case .char(let character) = key { post("no binding for \(character) — ? shows the keys") }
            return []
        }
        return perform(command)
    }

    /// Performs a command (what a key binding names) on the current screen.
    public mutating func perform(_ command: Command) -> [Effect] {
        switch command {
        case .quit: return [.quit]
        case .help: openHelp()
        case .commandMode: commandLine = ""
        case .search: startSearch()
        case .stepForward: stepForward()
        case .stepBack: setStep(max(stepIndex - 1, steps.isEmpty ? 0 : 1))
        case .runToEnd: runToEnd()
        case .firstStep: setStep(min(1, steps.count))
        case .lastStep: setStep(steps.count)
        case .moveUp: move(by: -1)
        case .moveDown: move(by: 1)
        case .pageUp: move(by: -max(1, pageHeight - 1))
        case .pageDown: move(by: max(1, pageHeight - 1))
        case .moveHome: move(by: -Int.max / 2)
        case .moveEnd: move(by: Int.max / 2)
        case .expand: toggleExpanded()
        case .collapse: collapseOrParent()
        case .cyclePane: focus = focus == .tree ? .detail : .tree
        case .back: back()
        case .openRules: openRules()
        case .openRuleset:
            openRules()
            if screen == .rules { toggleRuleset() }
        case .toggleRuleset: toggleRuleset()
        case .nextMatch: findMatch(forward: true)
        case .previousMatch: findMatch(forward: false)
        case .toggleWrap:
            wrapDetail.toggle()
            detailShift = 0
            post("detail pane: " + (wrapDetail ? "long lines wrap" : "long lines cut; < and > scroll sideways"))
        case .scrollLeft: scrollSideways(by: -Self.sidewaysStep)
        case .scrollRight: scrollSideways(by: Self.sidewaysStep)
        case .narrowTree: resizeSplit(by: -Self.splitStep)
        case .widenTree: resizeSplit(by: Self.splitStep)
        case .autoSplit:
            splitPercent = nil
            post("tree sized to fit")
        case .openSuspicions:
            screen = .suspicions
            suspicionCursor = ListCursor()
        case .activate: return activate()
        case .cycleFilter:
            setMinimumLevel(SuspicionLevel(rawValue: (minimumLevel.rawValue + 1) % 4) ?? .info)
        case .setFilter(let level): setMinimumLevel(level)
        case .copy:
            guard let text = copyText() else {
                post("nothing selected to copy", isError: true)
                return []
            }
            return [.copy(text)]
        case .export:
            guard query != nil else {
                post("no diagnosis to export", isError: true)
                return []
            }
            prompt = Prompt(label: "export report to: ", text: exportPath, purpose: .exportPath)
        case .toggleRule: return toggleRule()
        case .undo: return undo()
        case .openMatrix: return openMatrix()
        case .moveLeft: if screen == .matrix { moveMatrix(rows: 0, columns: -1) }
        case .moveRight: if screen == .matrix { moveMatrix(rows: 0, columns: 1) }
        }
        return []
    }

    /// Columns one `<` or `>` scrolls.
    static let sidewaysStep = 8
    /// Percent one `[` or `]` moves the split.
    static let splitStep = 5

    mutating func scrollSideways(by delta: Int) {
        func shifted(_ value: Int) -> Int { max(0, min(10_000, value + delta)) }
        switch screen {
        case .main:
            if focus == .tree {
                treeShift = shifted(treeShift)
            } else if wrapDetail {
                post("the detail pane wraps its lines: w turns wrapping off to scroll it sideways")
            } else {
                detailShift = shifted(detailShift)
            }
        case .start, .rules, .suspicions, .edits, .diff:
            listShift = shifted(listShift)
        case .matrix:
            moveMatrix(rows: 0, columns: delta < 0 ? -matrixPageColumns : matrixPageColumns)
        }
    }

    mutating func resizeSplit(by delta: Int) {
        guard screen == .main else { return }
        let layout = mainLayout(for: size)
        guard layout.detail != nil else {
            post("no detail pane at this size", isError: true)
            return
        }
        let current = splitPercent ?? (layout.sideBySide ? layout.tree.width * 100 / max(1, size.columns - 1)
                                                          : layout.tree.height * 100 / max(1, layout.tree.height + (layout.detail?.height ?? 0)))
        let range = MainLayout.splitRange
        splitPercent = min(max(current + delta, range.lowerBound), range.upperBound)
        post("tree: \(splitPercent ?? 0)% of the screen (= sizes it to fit)")
        tree.reveal(height: mainLayout(for: size).tree.height)
    }

    var pageHeight: Int {
        switch screen {
        case .main: focus == .tree ? mainLayout(for: size).tree.height : mainLayout(for: size).detail?.height ?? 1
        case .matrix: matrixView.map { MatrixLayout(size: size, view: $0).gridRows } ?? 1
        default: max(1, size.rows - 4)
        }
    }

    mutating func move(by delta: Int) {
        switch screen {
        case .start:
            startCursor.move(by: delta, count: suggestions.count)
        case .main:
            if focus == .tree {
                moveTree(by: delta)
            } else {
                detailTop = max(0, detailTop + max(-1_000_000, min(1_000_000, delta)))
            }
        case .rules:
            guard var browser = rules else { return }
            browser.cursor.move(by: delta, count: browser.rows.count)
            // Headings are not rules: step past them, the way the move went (or back when at the end).
            let direction = delta < 0 ? -1 : 1
            for step in [direction, -direction] {
                var position = browser.cursor.selection
                while browser.rows.indices.contains(position), case .heading = browser.rows[position] { position += step }
                if browser.rows.indices.contains(position) {
                    browser.cursor.selection = position
                    break
                }
            }
            rules = browser
        case .suspicions:
            suspicionCursor.move(by: delta, count: suspicionRows.count)
        case .edits:
            editsCursor.move(by: delta, count: editsLines().count)
        case .diff:
            diffTop = max(0, min(diffTop + max(-1_000_000, min(1_000_000, delta)), diffRowCount - 1))
        case .matrix:
            moveMatrix(rows: delta, columns: 0)
        }
    }

    mutating func setMinimumLevel(_ level: SuspicionLevel) {
        minimumLevel = level
        let selected = selectedRow
        rebuildTree()
        select(selected ?? .root)
        suspicionCursor.move(by: 0, count: suspicionRows.count)
        post("showing suspicions: " + (level == .info ? "all levels" : "\(level.name) and worse"))
    }

    mutating func toggleExpanded() {
        guard let key = selectedRow else { return }
        if expanded.contains(key) { expanded.remove(key) } else { expanded.insert(key) }
        rebuildTree()
        select(key)
    }

    mutating func collapseOrParent() {
        guard let key = selectedRow else { return }
        if expanded.contains(key) {
            expanded.remove(key)
            rebuildTree()
            select(key)
            return
        }
        let parent: RowKey
        switch key {
        case .root: return
        case .served(let id): parent = link(id)?.parent.map { .link($0) } ?? .root
        case .link(let id):
            guard let link = link(id) else { return }
            parent = isServeWithReply(link) ? .served(id) : link.parent.map { .link($0) } ?? .root
        }
        select(parent)
        tree.reveal(height: mainLayout(for: size).tree.height)
    }

    mutating func back() {
        switch screen {
        case .start:
            if query != nil { screen = .main }
        case .main:
            if focus == .detail {
                focus = .tree
            } else if matrixView != nil, let matrixOrigin, matrixOrigin == query {
                screen = .matrix
            } else {
                // The picker: another suggested query, or :diag; esc there comes back here.
                screen = .start
            }
        case .rules:
            if var browser = rules, browser.openSet != nil {
                closeSet(&browser)
                rules = browser
            } else if var browser = rules, !browser.chainStack.isEmpty {
                browser.chainStack.removeLast()
                browser.rebuild(provider: rulesetProvider)
                rules = browser
            } else {
                rules = nil
                screen = .main
            }
        case .suspicions, .edits, .diff, .matrix:
            screen = query == nil ? .start : .main
        }
    }

    mutating func activate() -> [Effect] {
        switch screen {
        case .start:
            guard suggestions.indices.contains(startCursor.selection) else {
                post("no suggested query — type :diag SRC DST PORT", isError: true)
                return []
            }
            return [.startDiagnosis(suggestions[startCursor.selection].query)]
        case .main:
            toggleExpanded()
        case .rules:
            openJump()
        case .suspicions:
            jumpToSuspicion()
        case .matrix:
            return activateMatrixCell()
        case .edits, .diff:
            break
        }
        return []
    }

    mutating func click(row: Int) {
        guard screen == .main else { return }
        let layout = mainLayout(for: size)
        let offset = row - layout.tree.row
        guard offset >= 0, offset < layout.tree.height else { return }
        let position = tree.visibleTop(height: layout.tree.height, count: rows.count) + offset
        guard rows.indices.contains(position), rows[position].key != nil else { return }
        tree.selection = position
        focus = .tree
        detailTop = 0
    }

    // MARK: command line

    mutating func handleCommandLine(_ key: Key) -> [Effect] {
        guard var line = commandLine else { return [] }
        switch key {
        case .escape:
            commandLine = nil
            return []
        case .backspace:
            if line.isEmpty { commandLine = nil; return [] }
            line.removeLast()
        case .tab:
            let completion = TUICommand.complete(line, names: completionNames)
            line = completion.line
            if completion.candidates.count > 1 {
                post(completion.candidates.prefix(8).joined(separator: " "))
            }
        case .enter:
            commandLine = nil
            return run(line)
        case .char(let character):
            line.append(character)
        default:
            break
        }
        commandLine = line
        return []
    }

    mutating func handlePrompt(_ key: Key) -> [Effect] {
        guard var current = prompt else { return [] }
        switch key {
        case .escape:
            prompt = nil
            post("export cancelled")
            return []
        case .enter:
            prompt = nil
            let path = String(String(current.text.drop(while: { $0 == " " }).reversed()).drop(while: { $0 == " " }).reversed())
            guard !path.isEmpty else {
                post("no file name given: nothing written", isError: true)
                return []
            }
            switch current.purpose {
            case .exportPath:
                exportPath = path
                return [.export(path: path, report: exportReport())]
            }
        case .backspace:
            if !current.text.isEmpty { current.text.removeLast() }
        case .char(let character):
            current.text.append(character)
        default:
            break
        }
        prompt = current
        return []
    }

    // MARK: help

    mutating func openHelp() {
        showHelp = true
        helpTop = 0
    }

    /// Keys scroll a help overlay taller than the screen; any other key closes it.
    mutating func handleHelp(_ key: Key) {
        let hidden = max(0, helpLines().count - helpBodyHeight(size))
        let page = max(1, helpBodyHeight(size) - 1)
        switch key {
        case .down, .char("j"): helpTop += 1
        case .up, .char("k"): helpTop -= 1
        case .pageDown, .char(" "): helpTop += page
        case .pageUp: helpTop -= page
        case .home: helpTop = 0
        case .end: helpTop = hidden
        default:
            showHelp = false
            helpTop = 0
            return
        }
        helpTop = min(max(0, helpTop), hidden)
    }

    mutating func run(_ line: String) -> [Effect] {
        do {
            switch try TUICommand.parse(line) {
            case .quit: return [.quit]
            case .help: openHelp()
            case .diagnose(let query): return [.startDiagnosis(query)]
            case .edit(let edit): return request(edit)
            case .edits: openEdits()
            case .undo: return undo()
            case .save(let path): return write(edits: false, to: path)
            case .exportEdits(let path): return write(edits: true, to: path)
            case .diff(let snapshot): return openDiff(snapshot)
            case .matrix(let request): return [.openMatrix(request)]
            }
        } catch {
            post(error.message, isError: true)
        }
        return []
    }
}
