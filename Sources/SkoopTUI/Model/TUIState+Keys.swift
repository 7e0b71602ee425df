import SkoopModel

extension TUIState {
    /// Handles one key; returns what the caller must do (quit, copy, export, start a diagnosis).
    public mutating func handle(_ key: Key) -> [Effect] {
        if key == .resize { return [] }
        if showHelp {
            showHelp = false
            return []
        }
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
        case .help: showHelp = true
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
        case .toggleRuleset: toggleRuleset()
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
            return [.export(exportReport())]
        }
        return []
    }

    var pageHeight: Int {
        switch screen {
        case .main: focus == .tree ? MainLayout(size: size).tree.height : MainLayout(size: size).detail?.height ?? 1
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
            let count = rules?.rows.count ?? 0
            rules?.cursor.move(by: delta, count: count)
        case .suspicions:
            suspicionCursor.move(by: delta, count: suspicionRows.count)
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
        guard case .link(let id) = key, let link = link(id) else { return }
        select(link.parent.map { .link($0) } ?? .root)
        tree.reveal(height: MainLayout(size: size).tree.height)
    }

    mutating func back() {
        switch screen {
        case .start, .main:
            if focus == .detail { focus = .tree }
        case .rules:
            if var browser = rules, !browser.chainStack.isEmpty {
                browser.chainStack.removeLast()
                browser.rebuild(provider: rulesetProvider)
                rules = browser
            } else {
                rules = nil
                screen = .main
            }
        case .suspicions:
            screen = .main
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
        }
        return []
    }

    mutating func click(row: Int) {
        guard screen == .main else { return }
        let layout = MainLayout(size: size)
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

    mutating func run(_ line: String) -> [Effect] {
        do {
            switch try TUICommand.parse(line) {
            case .quit: return [.quit]
            case .help: showHelp = true
            case .diagnose(let query): return [.startDiagnosis(query)]
            }
        } catch {
            post(error.message, isError: true)
        }
        return []
    }
}
