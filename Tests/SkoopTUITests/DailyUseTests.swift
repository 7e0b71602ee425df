import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTUI
import Testing

/// The bugs and frictions of daily use (issue 21), each pinned by what the screen shows.
@Suite("TUI daily use: replay, narrow screens, ASCII, help, search, rules, wrapping")
struct DailyUseTests {
    /// The bundled demo, diagnosed by the real engine, as `swift run skoop` shows it.
    func bundledDemo(_ query: TUIQuery, size: Size = Size(columns: 120, rows: 36)) throws -> TUIState {
        let path = try #require(DemoSnapshot.path)
        let collector = try CollectorManager(snapshot: path)
        let session = try DiagnosisSession(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port, proto: query.proto),
                                           collector: collector)
        var state = TUIState(title: "demo")
        state.resize(to: size)
        state.begin(query: query, driver: session.diagnostor)
        return state
    }

    @Test func steppingBackShowsExactlyWhatThatStepShowed() throws {
        var state = try bundledDemo(TUIQuery(src: "default/client", dst: "svc/default/web", port: 80))
        state.press(.char("n"), .char("n"))
        #expect(state.stepIndex == 3)
        let header = Array(state.screenLines[0...1])
        let tree = state.treeText
        #expect(header[1].hasPrefix(" ✖ FATAL 0  ▲ CRIT 0"))
        state.press(.char("N"))
        #expect(state.screenLines[0].hasSuffix("PARTIAL"))
        #expect(state.screenLines[1].contains("▲ CRIT 1"), "the run found the drop")
        state.press(.char("p"), .char("p"), .char("p"))
        #expect(state.stepIndex == 3)
        #expect(state.screenLines[1] == header[1], "counts as step 3 had them")
        #expect(!state.screenLines[0].contains("PARTIAL"), "no verdict before the last step")
        #expect(state.screenLines[0].hasSuffix("step 3/6"))
        #expect(state.treeText == tree, "badges and rows as step 3 had them")
        state.press(.char("G"))
        #expect(state.screenLines[1].contains("▲ CRIT 1"))
    }

    @Test func aServeAndTheReplyItSendsAreRowsOfTheirOwn() throws {
        var state = try bundledDemo(TUIQuery(src: "default/client", dst: "svc/default/web", port: 80))
        state.press(.char("N"))
        let tree = state.treeText
        let served = try #require(tree.firstIndex { $0.contains("✔ served at pod default/web-0 p=0.50") })
        #expect(tree[served + 1].hasSuffix("└─▸ [veth] node node1 reply p=0.50"))
        // Both rows select and explain their own event; h from the reply goes to the serve.
        let found = state.selectRow(containing: "[veth] node node1 reply")
        #expect(found)
        state.press(.char("h"))
        #expect(state.treeText[state.selectedTreeIndex].contains("✔ served at pod default/web-0"))
        #expect(state.screenLines.contains { $0.contains("serve ✔ served") })
    }

    @Test func enterOnABuiltInTargetShowsTheWholeRule() throws {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        state.press(.char("i"), .enter)
        #expect(state.screen == .rules)
        let lines = state.screenLines
        #expect(lines[2] == " Netfilter trace at node node-b", "no chain DROP was opened")
        #expect(!lines.joined().contains("was not evaluated"))
        #expect(state.message?.text == "-j DROP is a built-in target, not a chain: the rule is shown in full below")
        // The list cuts the rule at 80 columns; the panel below holds all of it.
        #expect(!lines[4].contains("-j DROP"))
        let panel = lines.drop { !$0.hasPrefix("────") }.dropFirst().dropLast().joined(separator: " ").split(separator: " ").joined(separator: " ")
        #expect(panel.contains("FORWARD filter FORWARD: -A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP → DROP (matched)"))
    }

    @Test func asciiDrawsOnlyASCII() {
        var state = demoState(glyphs: .ascii)
        state.press(.char("r"))
        var screens: [CellGrid] = []
        for size in [Size(columns: 200, rows: 40), Size(columns: 80, rows: 24), Size(columns: 60, rows: 15), Size(columns: 20, rows: 8)] {
            state.resize(to: size)
            screens.append(state.render(size: size))
            state.press(.char("?"))
            screens.append(state.render(size: size))
            state.press(.char("x"))
        }
        state.resize(to: Size(columns: 100, rows: 30))
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.enter)
        screens.append(state.render(size: state.size))
        state.press(.char("i"))
        screens.append(state.render(size: state.size))
        state.press(.enter)
        screens.append(state.render(size: state.size))
        state.press(.char("a"))
        screens.append(state.render(size: state.size))
        state.press(.escape, .escape, .char("s"))
        screens.append(state.render(size: state.size))
        state.press(.escape, .escape)
        screens.append(state.render(size: state.size))
        state.press(.escape, .char("e"))
        screens.append(state.render(size: state.size))
        #expect(screens[0].lines[0] == " Skoop | demo | default/client -> svc/default/web:80/tcp | step 5/5 | PARTIAL")
        for (number, grid) in screens.enumerated() {
            let foreign = grid.text.unicodeScalars.filter { !$0.isASCII }
            #expect(foreign.isEmpty, "screen \(number): \(String(String.UnicodeScalarView(foreign)))\n\(grid.text)")
        }
    }

    @Test func helpScrollsInsideItsBoxOnSmallTerminals() throws {
        var state = demoState(size: Size(columns: 60, rows: 15))
        state.press(.char("r"), .char("?"))
        var seen = Set<String>()
        for _ in 0..<40 {
            let grid = state.render(size: state.size)
            let top = try #require(grid.lines.firstIndex { $0.contains("┌") })
            let bottom = try #require(grid.lines.firstIndex { $0.contains("└") && $0.contains("┘") })
            let left = try #require(grid.lines[top].firstIndex(of: "┌").map { grid.lines[top].distance(from: grid.lines[top].startIndex, to: $0) })
            let right = try #require(grid.lines[top].firstIndex(of: "┐").map { grid.lines[top].distance(from: grid.lines[top].startIndex, to: $0) })
            #expect(bottom < 15 && bottom - top - 1 >= 8, "the box holds the entries it shows")
            for row in (top + 1)..<bottom {
                // Nothing overflows the frame: both borders stand on every row.
                #expect(grid[row, left].character == "│" && grid[row, right].character == "│", "row \(row):\n\(grid.text)")
                seen.insert(grid.lines[row])
            }
            state.press(.char("j"))
            #expect(state.showHelp, "j scrolls, it does not close")
        }
        let text = seen.joined(separator: "\n")
        for binding in KeyTable.main {
            #expect(text.contains(binding.description), "\(binding.description) never shown")
        }
        #expect(text.contains("completes words in :diag"), "the help says tab completes")
        state.press(.char("x"))
        #expect(!state.showHelp)
    }

    @Test func searchWithoutAMatchLeavesTheSelectionWhereItWas() {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "pod default/client")
        #expect(found)
        state.press(.char("/"))
        state.type("node-b")
        #expect(state.selectedRow != .root, "a match moves the selection")
        state.type("zzz")
        #expect(state.selectedRow == .root, "no match: back where the search started")
        state.press(.enter)
        #expect(state.selectedRow == .root)
        #expect(state.message?.text == "no match for \"node-bzzz\"")
    }

    @Test func searchFindsAddressesAndPortsInPacketsAndRoutes() {
        var state = demoState()
        state.press(.char("r"))
        state.press(.char("/"))
        state.type("10.244.2.8:8080")
        #expect(state.screenLines[23] == "/10.244.2.8:8080  4 match(es)", "node-a's DNAT, node-b's arrival and drop, the suspicion")
        state.press(.enter)
        #expect(state.treeText[state.selectedTreeIndex].contains("node node-b"))
        state.press(.char("/"))
        state.type("dev cni0")
        state.press(.enter)
        #expect(state.treeText[state.selectedTreeIndex].contains("[vxlan] node node-b"), "node-b's route to web-0")
    }

    @Test func theHeaderKeepsQueryStepAndVerdictWhenNarrow() {
        var state = demoState(size: Size(columns: 60, rows: 15))
        state.press(.char("r"))
        #expect(state.screenLines[0] == " default/client → svc/default/web:80/tcp │ 5/5 │ PARTIAL")
        state.press(.char("p"))
        #expect(state.screenLines[0] == " Skoop │ default/client → svc/default/web:80/tcp │ step 4/5")
        let tiny = state.render(size: Size(columns: 30, rows: 10)).lines
        #expect(tiny[0] == " default/cli…/web:80/tcp │ 4/5")
        #expect(tiny[1] == " ✖ 1 ▲ 1 ! 2 i 3 all", "counts without the level words")
        state.press(.char("G"))
        #expect(state.render(size: Size(columns: 30, rows: 10)).lines[0] == " defaul…80/tcp │ 5/5 │ PARTIAL")
    }

    @Test func detailLinesWrapByDefaultAndScrollSidewaysWhenNot() throws {
        var state = demoState(size: Size(columns: 120, rows: 30))
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        let rule = "-A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP → DROP"
        func detailText() -> String {
            state.screenLines.dropFirst(2).dropLast().compactMap { $0.split(separator: "│", maxSplits: 1).dropFirst().first }
                .joined(separator: " ").split(separator: " ").joined(separator: " ")
        }
        // Wrapped: the whole rule is there, over two lines.
        #expect(detailText().contains(rule))
        #expect(state.wrapDetail)
        state.press(.char("w"))
        #expect(!detailText().contains("-j DROP → DROP"), "cut at the edge when wrapping is off")
        state.press(.tab, .char(">"), .char(">"), .char(">"), .char(">"), .char(">"), .char(">"))
        #expect(detailText().contains("-j DROP → DROP"), "scrolled sideways to the end of the rule")
    }

    @Test func theTreeScrollsSidewaysAndTheSplitMoves() throws {
        var state = demoState(size: Size(columns: 120, rows: 30))
        state.press(.char("r"))
        func separatorColumn() -> Int? { column(of: "│ pod", in: state.screenLines[2]) ?? column(of: "│ node", in: state.screenLines[2]) }
        let automatic = try #require(separatorColumn())
        #expect(automatic < 60, "the tree takes what its rows need, not 55%")
        state.press(.char("]"))
        let wider = try #require(separatorColumn())
        #expect(wider > automatic)
        state.press(.char("["), .char("["), .char("["))
        #expect(try #require(separatorColumn()) < wider)
        state.press(.char("="))
        #expect(separatorColumn() == automatic)
        let before = state.screenLines[5]
        state.press(.char(">"))
        #expect(state.screenLines[5] != before)
        #expect(state.screenLines[2].hasPrefix("") && !state.screenLines[2].hasPrefix("▸ pod"))
        state.press(.char("<"))
        #expect(state.screenLines[5] == before)
    }

    @Test func escInTheTreeGoesBackToTheQueryPicker() {
        var state = demoState()
        state.press(.char("r"), .escape)
        #expect(state.screen == .start)
        #expect(state.screenLines[3] == " esc: back to default/client → svc/default/web:80/tcp")
        state.press(.escape)
        #expect(state.screen == .main)
        #expect(state.verdict == .partial)
        state.press(.escape, .enter)
        #expect(state.screen == .start, "enter on a suggestion asks the caller for a new diagnosis")
    }

    @Test func rulesBrowserHasNextMatchTopBottomAndOpensTheRulesetDirectly() throws {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.char("a"))
        #expect(state.screen == .rules)
        #expect(state.screenLines[2] == " Ruleset of node node-a")
        state.press(.escape)
        state.press(.char("i"), .char("/"))
        state.type("KUBE-SEP")
        state.press(.enter)
        func selected() -> String {
            let grid = state.render(size: state.size)
            return grid.lines[(3..<23).first { grid[$0, 2].style.reverse } ?? 0]
        }
        let first = selected()
        state.press(.char("n"))
        let second = selected()
        #expect(second != first && second.contains("KUBE-SEP"))
        #expect(state.message?.text.hasPrefix("match 2 of") == true)
        state.press(.char("N"))
        #expect(selected() == first)
        state.press(.char("G"))
        #expect(selected().contains("KUBE-POSTROUTING"))
        state.press(.char("g"))
        #expect(selected().contains("PREROUTING nat    PREROUTING"))
        state.press(.end)
        #expect(selected().contains("KUBE-POSTROUTING"))
    }

    @Test func longMessagesWrapOverTheBottomRows() {
        var state = demoState(size: Size(columns: 40, rows: 15))
        state.press(.char(":"))
        state.type("diag default/client 10.244.1.2/32 80")
        state.press(.enter)
        let bottom = state.screenLines.suffix(5).joined(separator: " ")
        #expect(bottom.contains("svc/NAMESPACE/NAME"))
        #expect(bottom.contains("e.g. 10.244.1.2"))
    }
}

extension DailyUseTests {
    @Test func theExportPromptKeepsItsLabelAndTheEndOfALongPath() {
        var state = demoState(size: Size(columns: 40, rows: 12))
        state.press(.char("r"), .char("e"))
        state.type("/a/rather/long/directory/name")
        #expect(state.screenLines[11].hasPrefix("export report to: "))
        #expect(state.screenLines[11].hasSuffix("long/directory/name_"))
    }
}
