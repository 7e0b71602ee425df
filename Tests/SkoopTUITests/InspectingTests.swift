import SkoopModel
import SkoopTUI
import Testing

@Suite("TUI inspecting: expansion, rules browser, filter, suspicion list")
struct InspectingTests {
    @Test func expandingAHopShowsAttributesRoutesAndNAT() throws {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.enter)
        let text = state.treeText
        #expect(text[1] == "└─▾ [veth] node node-a  ! WARN")
        let details = text.joined(separator: "\n")
        #expect(details.contains("arrived #0 veth from pod default/client"))
        #expect(details.contains("in     if=veth1a2b3c"))
        #expect(details.contains("before 10.244.1.5:40000 > 10.96.0.20:80 tcp"))
        #expect(details.contains("after  10.244.1.5:40000 > 10.244.2.7:8080 tcp  DNAT"))
        #expect(details.contains("after  10.244.1.5:40000 > 10.244.2.8:8080 tcp  DNAT"))
        #expect(details.contains("src    if=flannel.1 ip=10.244.1.0"))
        #expect(details.contains("dst    if=flannel.1"))
        #expect(details.contains("route  10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink table main (unicast)"))
        #expect(details.contains("! WARN rp_filter is strict on flannel.1"))
        #expect(details.contains("hint     set rp_filter to 2 (loose) on flannel.1"))
        // l on the expanded row collapses it again; h on a collapsed row goes to the parent.
        state.press(.char("l"))
        #expect(state.treeText.count == 7)
        state.press(.char("h"))
        #expect(state.selectedRow == .root)
    }

    @Test func detailPaneFollowsTheSelectionAndScrollsWithTab() {
        var state = demoState(size: Size(columns: 120, rows: 12))
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        let screen = state.screenLines.joined(separator: "\n")
        #expect(screen.contains("│ node node-b"))
        #expect(screen.contains("#4 drop ✖ dropped"))
        #expect(screen.contains("│     filter/FORWARD -A FORWARD -d 10.244.2.8/32 -p tc"))
        state.press(.tab)
        #expect(state.focus == .detail)
        state.press(.char("j"))
        #expect(!state.screenLines.joined(separator: "\n").contains("│ node node-b"))
        state.press(.escape)
        #expect(state.focus == .tree)
    }

    @Test func rulesBrowserHighlightsTheMatchedRule() throws {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        state.press(.char("i"))
        #expect(state.screen == .rules)
        let grid = state.render(size: state.size)
        #expect(grid.lines[2] == " Netfilter trace at node node-b")
        let row = try #require(grid.lines.firstIndex { $0.contains("-A FORWARD -d 10.244.2.8/32") })
        #expect(grid.lines[row] == " ● FORWARD    filter FORWARD           DROP          -A FORWARD -d 10.244.2.8/32")
        let ruleColumn = try #require(column(of: "-A FORWARD", in: grid.lines[row]))
        #expect(grid[row, ruleColumn].style.foreground == .matched)
        #expect(grid[row, ruleColumn].style.bold)
        #expect(grid[row, 14].style.reverse, "the only entry is selected")
        state.press(.escape)
        #expect(state.screen == .main)
    }

    @Test func enterOnAJumpOpensTheTargetChain() {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.char("i"))
        var lines = state.screenLines
        #expect(lines[3] == " link #1 service → node node-b")
        #expect(lines[4].contains("PREROUTING nat    PREROUTING        JUMP"))
        state.press(.enter)
        lines = state.screenLines
        #expect(lines[2] == " Netfilter trace at node node-a → KUBE-SERVICES")
        #expect(lines[3] == " chain KUBE-SERVICES (nat) as this packet walked it")
        #expect(lines[4].contains("● PREROUTING nat    KUBE-SERVICES     JUMP          -A KUBE-SERVICES -d"))
        state.press(.enter)
        #expect(state.screenLines[2] == " Netfilter trace at node node-a → KUBE-SERVICES → KUBE-SVC-WEB")
        state.press(.escape)
        #expect(state.screenLines[2] == " Netfilter trace at node node-a → KUBE-SERVICES")
        state.press(.escape, .escape)
        #expect(state.screen == .main)
    }

    @Test func wholeRulesetShowsCountersAndMarksTracedRules() throws {
        var state = demoState(size: Size(columns: 100, rows: 24))
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        state.press(.char("i"), .char("a"))
        let lines = state.screenLines
        #expect(lines[2] == " Ruleset of node node-b")
        #expect(lines[3] == " *filter :FORWARD DROP")
        #expect(lines[4] == " ● [17:1020] -A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP")
        #expect(lines[5].hasPrefix("   [3120:402113] -A FORWARD -m comment"))
        // enter on a rule that jumps moves to the target chain's header.
        state.press(.char("j"), .char("j"), .enter)
        let grid = state.render(size: state.size)
        let header = try #require(grid.lines.firstIndex { $0 == " *filter :KUBE-FORWARD -" })
        #expect(grid[header, 3].style.reverse)
    }

    @Test func searchInRulesMovesToTheMatch() {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.char("i"), .char("/"))
        state.type("web1")
        let grid = state.render(size: state.size)
        let selected = (3..<23).filter { grid[$0, 2].style.reverse }
        #expect(selected.count == 1)
        #expect(grid.lines[selected[0]].hasPrefix(" ● PREROUTING nat    KUBE-SVC-WEB      JUMP"))
        #expect(grid.lines[23].hasPrefix("/web1"))
        let effects = state.press(.enter, .char("y"))
        #expect(effects == [.copy("PREROUTING nat KUBE-SVC-WEB: -A KUBE-SVC-WEB -m comment --comment \"default/web\" -j KUBE-SEP-WEB1 → JUMP (matched)")])
    }

    @Test func filterHidesLowerLevelsEverywhere() throws {
        var state = demoState()
        state.press(.char("r"))
        #expect(state.shownLevelCounts == [.info: 3, .warning: 2, .critical: 1, .fatal: 1])
        #expect(state.screenLines[1] == " ✖ FATAL 1  ▲ CRIT 1  ! WARN 2  i INFO 3  filter: all")
        state.press(.char("3"))
        #expect(state.shownLevelCounts == [.critical: 1, .fatal: 1])
        #expect(state.screenLines[1] == " ✖ FATAL 1  ▲ CRIT 1  filter: critical+ (5 hidden)")
        #expect(state.treeText[0] == "▸ pod default/client")
        #expect(state.treeText[1] == "└─▸ [veth] node node-a")
        let found = state.selectRow(containing: "[veth] node node-a")
        #expect(found)
        state.press(.enter)
        #expect(state.treeText.contains { $0.contains("(2 suspicion(s) below the filter)") })
        state.press(.char("f"))
        #expect(state.minimumLevel == .fatal)
        state.press(.char("f"))
        #expect(state.minimumLevel == .info)
        state.press(.char("2"))
        #expect(state.shownLevelCounts[.info] == nil)
        #expect(state.shownLevelCounts[.warning] == 2)
    }

    @Test func suspicionListJumpsToTheHop() {
        var state = demoState()
        state.press(.char("r"), .char("s"))
        #expect(state.screen == .suspicions)
        let lines = state.screenLines
        #expect(lines[2] == " Suspicions (all levels): 7")
        #expect(lines[3] == " ✖ FATAL  node node-b             a FORWARD rule drops traffic to backend defaul")
        // The selected suspicion in full under the list: message, evidence, hint, wrapped.
        #expect(Array(lines[18...22]) == [
            "────────────────────────────────────────────────────────────────────────────────",
            " a FORWARD rule drops traffic to backend default/web-1 (10.244.2.8:8080)",
            " evidence -A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP",
            " hint     delete it: iptables -D FORWARD -d 10.244.2.8/32 -p tcp --dport 8080",
            "          -j DROP",
        ])
        state.press(.char("j"), .char("j"), .enter)
        #expect(state.screen == .suspicions)
        #expect(state.message?.text == "a cluster-wide suspicion: no hop to show")
        state.press(.char("j"), .enter)
        #expect(state.screen == .main)
        #expect(state.selectedRow == .link(0))
        state.press(.char("s"), .char("4"))
        #expect(state.screenLines[2] == " Suspicions (fatal and worse): 1")
        state.press(.enter)
        #expect(state.selectedRow == .link(1))
    }

    @Test func searchSelectsAMatchingHopAndEscRestores() {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "pod default/client")
        #expect(found)
        let before = state.selectedRow
        state.press(.char("/"))
        state.type("web-0")
        #expect(state.selectedRow == .link(1), "node-a's detail names web-0's address")
        #expect(state.screenLines[23] == "/web-0  3 match(es)")
        state.press(.escape)
        #expect(state.selectedRow == before)
        state.press(.char("/"))
        state.type("client")
        state.press(.enter)
        #expect(state.selectedRow == .root)
        #expect(state.message?.text == "2 match(es) for \"client\"")
    }
}
