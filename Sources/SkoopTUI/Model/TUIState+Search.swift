import SkoopModel

extension TUIState {
    mutating func startSearch() {
        switch screen {
        case .main: search = SearchState(origin: tree.selection)
        case .rules: search = SearchState(origin: rules?.cursor.selection ?? 0)
        default: post("no search on this screen")
        }
    }

    mutating func handleSearch(_ key: Key) {
        guard var state = search else { return }
        switch key {
        case .escape:
            setSearchSelection(state.origin)
            search = nil
            return
        case .enter:
            search = nil
            if !state.query.isEmpty { lastSearch = state.query }
            let more = screen == .rules && state.matches > 1 ? " (n next, N previous)" : ""
            post(state.matches == 0 ? "no match for \"\(state.query)\"" : "\(state.matches) match(es) for \"\(state.query)\"" + more)
            return
        case .backspace:
            if state.query.isEmpty {
                search = nil
                return
            }
            state.query.removeLast()
        case .char(let character):
            state.query.append(character)
        default:
            return
        }
        let hits = searchHits(state.query)
        state.matches = state.query.isEmpty ? 0 : hits.count
        search = state
        // No match (or nothing typed): the selection goes back to where the search started.
        if let hit = hits.first(where: { $0 >= state.origin }) ?? hits.first, !state.query.isEmpty {
            setSearchSelection(hit)
        } else {
            setSearchSelection(state.origin)
        }
    }

    /// n/N: the next or previous row matching the last search, wrapping around.
    mutating func findMatch(forward: Bool) {
        guard let needle = lastSearch else {
            post("no search yet: / searches", isError: true)
            return
        }
        let hits = searchHits(needle)
        let current = screen == .rules ? rules?.cursor.selection ?? 0 : tree.selection
        let next = forward ? hits.first(where: { $0 > current }) ?? hits.first
                           : hits.last(where: { $0 < current }) ?? hits.last
        guard let next, let position = hits.firstIndex(of: next) else {
            post("no match for \"\(needle)\"", isError: true)
            return
        }
        setSearchSelection(next)
        let wrapped = forward ? next <= current : next >= current
        post("match \(position + 1) of \(hits.count) for \"\(needle)\"" + (wrapped && hits.count > 1 ? " (wrapped)" : ""))
    }

    /// The rows of the current list that contain `query`, ignoring case.
    private func searchHits(_ query: String) -> [Int] {
        guard !query.isEmpty else { return [] }
        let needle = query.lowercased()
        let texts = searchTexts()
        return texts.indices.filter { texts[$0].map { $0.lowercased().contains(needle) } ?? false }
    }

    /// Searchable text per row of the current list (nil: not selectable). A hop matches by its
    /// row's text and by what its detail shows: packets (addresses, ports), routes, rules, suspicions.
    private func searchTexts() -> [String?] {
        switch screen {
        case .main:
            rows.map { row in
                row.key.map { key in
                    ([treeLine(row, selected: false)] + detailLines(for: key, includeTitle: true))
                        .map(plainText).joined(separator: "\n")
                }
            }
        case .rules: rules.map { browser in browser.rows.map { browser.text(of: $0) } } ?? []
        default: []
        }
    }

    private mutating func setSearchSelection(_ position: Int) {
        switch screen {
        case .main:
            tree.selection = position
            detailTop = 0
            tree.reveal(height: mainLayout(for: size).tree.height)
        case .rules:
            rules?.cursor.selection = position
        default:
            break
        }
    }
}
