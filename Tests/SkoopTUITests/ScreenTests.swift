import SkoopModel
import SkoopTUI
import Testing

@Suite("TUI screens, commands, safety")
struct ScreenTests {
    @Test func mainScreenRendersAsExpectedAt80x24() {
        var state = demoState()
        state.press(.char("r"))
        let lines = state.screenLines
        #expect(Array(lines[0...9]) == [
            " Skoop │ demo │ default/client → svc/default/web:80/tcp │ step 5/5 │ PARTIAL",
            " ✖ FATAL 1  ▲ CRIT 1  ! WARN 2  i INFO 3  filter: all",
            "▸ pod default/client  i INFO",
            "└─▸ [veth] node node-a  ! WARN",
            "  ├─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL",
            "  │ └─▸ [veth] pod default/web-0  i INFO",
            "  │   └─▸ ✔ served at pod default/web-0  i INFO",
            "  └─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL",
            "    └─▸ ✖ dropped at node node-b  ✖ FATAL",
            // The tree takes the rows it needs (at least 30%), the detail pane the rest.
            "── detail (tab) ────────────────────────────────────────────────────────────────",
        ])
        #expect(lines[10] == " pod default/web-0")
        #expect(lines[23] == "n/space next step  p/bksp step back  N/r run to end  i rules of hop  ? help")
    }

    @Test func statusLineIsGeneratedFromTheKeyTable() {
        var state = demoState(size: Size(columns: 200, rows: 24))
        state.press(.char("r"))
        let status = state.screenLines[23]
        for binding in KeyTable.main where binding.showInStatus {
            #expect(status.contains("\(binding.label) \(binding.description)"), "missing \(binding.label)")
        }
        #expect(!status.contains("first step"), "g is not a status binding")
    }

    @Test func helpOverlayListsEveryBindingAndFits80x24() throws {
        for screen in [("main", ""), ("rules", "i"), ("suspicions", "s"), ("edits", ":edits")] {
            var state = demoState()
            state.press(.char("r"))
            state.type(screen.1)
            if screen.1.count > 1 { state.press(.enter) }
            state.press(.char("?"))
            let grid = state.render(size: Size(columns: 80, rows: 24))
            let text = grid.text
            for binding in KeyTable.bindings(for: state.screen) {
                #expect(text.contains(binding.description), "\(screen.0): \(binding.description) not shown")
                #expect(text.contains(binding.label), "\(screen.0): \(binding.label) not shown")
            }
            let top = try #require(grid.lines.firstIndex { $0.contains("┌") })
            let bottom = try #require(grid.lines.firstIndex { $0.contains("┘") })
            #expect(top >= 0 && bottom < 24 && bottom > top)
            state.press(.char("x"))
            #expect(!state.showHelp)
        }
    }

    @Test func tooSmallShowsAClearMessage() {
        let state = demoState()
        let tiny = state.render(size: Size(columns: 30, rows: 7))
        #expect(tiny.lines == ["too small:", "need 20x8", "", "", "", "", ""])
        let narrow = state.render(size: Size(columns: 10, rows: 5))
        #expect(narrow.lines[0] == "too small:" && narrow.lines[1] == "need 20x8")
        let smallest = state.render(size: Size(columns: 20, rows: 8))
        #expect(smallest.lines[0].hasSuffix("│ 1/1+"), "the step counter outlasts the names")
        #expect(smallest.lines[2] == "▸ pod default/client")
        #expect(state.render(size: Size(columns: 0, rows: 0)).lines.isEmpty)
    }

    @Test func controlCharactersFromDataNeverReachTheGrid() {
        var state = TUIState(title: "snap\u{1B}]0;pwned\u{07}")
        state.resize(to: Size(columns: 100, rows: 20))
        let driver = FakeDriver.chain(count: 2, name: { "evil\u{1B}[31m-\($0)\u{9B}" })
        state.begin(query: TUIQuery(src: "a\u{1B}", dst: "b", port: 80), driver: driver)
        state.press(.char("r"), .enter)
        let grid = state.render(size: state.size)
        for row in 0..<grid.size.rows {
            for column in 0..<grid.size.columns {
                #expect(!grid[row, column].character.unicodeScalars.contains(where: TerminalSafe.isControl))
            }
        }
        #expect(grid.text.contains("node evil^[[31m-0?"))
        #expect(grid.lines[0].contains("snap^[]0;pwned^G"))
        let copied = state.press(.char("y"))
        guard case .copy(let text) = copied.first else {
            Issue.record("y did not copy")
            return
        }
        let sequence = Clipboard.osc52(text)
        #expect(sequence.unicodeScalars.filter { $0 == "\u{1B}" }.count == 1)
        #expect(sequence.hasPrefix("\u{1B}]52;c;") && sequence.hasSuffix("\u{07}"))
        #expect(!sequence.dropFirst().dropLast().unicodeScalars.contains(where: TerminalSafe.isControl))
    }

    @Test func osc52CarriesBase64OfTheStrippedText() {
        #expect(Clipboard.base64(Array("Man".utf8)) == "TWFu")
        #expect(Clipboard.base64(Array("Ma".utf8)) == "TWE=")
        #expect(Clipboard.base64(Array("M".utf8)) == "TQ==")
        // "a^[b\nc" → YV5bYgpj
        #expect(Clipboard.osc52("a\u{1B}b\nc") == "\u{1B}]52;c;YV5bYgpj\u{07}")
    }

    @Test func commandLineParsesDiagAndQuit() throws {
        #expect(try TUICommand.parse("diag default/a svc/default/web 80") ==
            .diagnose(TUIQuery(src: "default/a", dst: "svc/default/web", port: 80, proto: .tcp)))
        #expect(try TUICommand.parse("  diag 10.0.0.1 10.0.0.2 53 UDP ") ==
            .diagnose(TUIQuery(src: "10.0.0.1", dst: "10.0.0.2", port: 53, proto: .udp)))
        #expect(try TUICommand.parse("q") == .quit)
        #expect(throws: TUICommandError("PORT must be 0-65535, found \"80000\"")) { try TUICommand.parse("diag a/b c/d 80000") }
        #expect(throws: TUICommandError("expected PORT (0-65535) or PROTO (tcp, udp, icmp), found \"http\"")) {
            try TUICommand.parse("diag a/b c/d http")
        }
        #expect(throws: TUICommandError("expected PORT (0-65535) or PROTO (tcp, udp, icmp), found \"sctp\"")) {
            try TUICommand.parse("diag a/b c/d 1 sctp")
        }
        #expect(throws: TUICommandError("usage: :diag SRC DST PORT [tcp|udp|icmp], or :diag SRC DST icmp")) { try TUICommand.parse("diag a") }
        // The port is needed for tcp and udp only.
        #expect(throws: TUICommandError("a port 1-65535 is needed for tcp (only icmp goes without one)")) {
            try TUICommand.parse("diag a/b c/d")
        }
        #expect(throws: TUICommandError("a port 1-65535 is needed for udp (only icmp goes without one)")) {
            try TUICommand.parse("diag a/b c/d 0 udp")
        }
        #expect(try TUICommand.parse("diag default/client default/web-0 icmp") ==
            .diagnose(TUIQuery(src: "default/client", dst: "default/web-0", port: 0, proto: .icmp)))
        // The forms of SRC and DST are checked, and the message lists them.
        #expect(throws: TUICommandError("DST: expected an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME; "
                                        + "\"10.244.1.2/32\" is an address prefix: give one address, e.g. 10.244.1.2")) {
            try TUICommand.parse("diag default/client 10.244.1.2/32 80")
        }
        #expect(throws: TUICommandError("SRC: expected an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME, found \"svc/default/web/x\"")) {
            try TUICommand.parse("diag svc/default/web/x default/web-0 80")
        }
        #expect(try TUICommand.parse("diag node/node1 [fd00::1] 80") ==
            .diagnose(TUIQuery(src: "node/node1", dst: "[fd00::1]", port: 80)))
        #expect(throws: TUICommandError("unknown command \"frob\" (try :diag, :matrix, :route, :sysctl, :link, :policy, :edits, :diff, :q, :help)")) { try TUICommand.parse("frob") }
    }

    @Test func commandModeCompletesNamesAndEmitsTheQuery() {
        var state = demoState()
        state.press(.char(":"))
        state.type("di")
        state.press(.tab)
        // :diag and :diff share "di"; the candidates show.
        #expect(state.commandLine == "di")
        #expect(state.message?.text == "diag diff")
        state.type("a")
        state.press(.tab)
        #expect(state.commandLine == "diag ")
        state.type("default/c")
        state.press(.tab)
        #expect(state.commandLine == "diag default/client ")
        state.type("default/w")
        state.press(.tab)
        #expect(state.commandLine == "diag default/client default/web-")
        #expect(state.message?.text == "default/web-0 default/web-1")
        state.type("1 8080")
        #expect(state.screenLines[23] == ":diag default/client default/web-1 8080")
        let effects = state.press(.enter)
        #expect(effects == [.startDiagnosis(TUIQuery(src: "default/client", dst: "default/web-1", port: 8080))])
        #expect(state.commandLine == nil)
        state.press(.char(":"))
        state.type("diag x/a y/b 99999")
        #expect(state.press(.enter) == [])
        #expect(state.message == StatusMessage(text: "PORT must be 0-65535, found \"99999\"", isError: true))
        state.press(.char(":"), .char("q"))
        #expect(state.press(.enter) == [.quit])
        #expect(state.press(.char("q")) == [.quit])
    }

    @Test func startScreenOffersSuggestedQueries() {
        var state = TUIState(title: "demo", suggestions: DemoDriver.suggestions)
        let lines = state.render(size: Size(columns: 80, rows: 24)).lines
        #expect(lines[0] == " Skoop │ demo")
        #expect(lines[4] == " default/client → svc/default/web:80/tcp  service with one broken backend (parti")
        #expect(lines[5] == " default/client → default/web-0:8080/tcp  pod to pod on another node")
        #expect(lines[23] == "enter diagnose this query  q quit  ? help")
        state.press(.down)
        #expect(state.press(.enter) == [.startDiagnosis(DemoDriver.suggestions[1].query)])
        #expect(state.press(.char("n")) == [])
        #expect(state.message?.text == "no binding for n — ? shows the keys")
    }

    @Test func copyAndExportProduceTextForTheCaller() throws {
        var state = demoState()
        state.press(.char("r"))
        let found = state.selectRow(containing: "dropped")
        #expect(found)
        let copy = state.press(.char("y"))
        #expect(copy == [.copy(state.copiedTextForTest)])
        // e asks for the file first: the default is shown and editable, enter accepts.
        #expect(state.press(.char("e")).isEmpty)
        #expect(state.prompt?.text == "skoop-report.txt")
        #expect(state.screenLines[23] == "export report to: skoop-report.txt_  enter writes, esc cancels")
        state.press(.backspace, .backspace, .backspace)
        state.type("md")
        guard case .export(let path, let report) = state.press(.enter).first else {
            Issue.record("enter did not export")
            return
        }
        #expect(path == "skoop-report.md")
        #expect(state.prompt == nil)
        let lines = report.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0...3] == ["Skoop diagnosis — demo", "query: default/client → svc/default/web:80/tcp", "steps: 5/5", "verdict: partial"])
        #expect(report.contains("after  10.244.1.5:40000 > 10.244.2.8:8080 tcp  DNAT"))
        #expect(report.contains("fatal node node-b: a FORWARD rule drops traffic to backend default/web-1 (10.244.2.8:8080)"))
        #expect(!report.contains("\u{1B}"))
        // esc cancels without writing; the edited path is offered next time.
        state.press(.char("e"))
        #expect(state.prompt?.text == "skoop-report.md")
        #expect(state.press(.escape).isEmpty)
        #expect(state.prompt == nil && state.message?.text == "export cancelled")
    }

    @Test func mouseClickSelectsATreeRow() {
        var state = demoState()
        state.press(.char("r"), .click(row: 3, column: 5))
        #expect(state.selectedRow == .link(0))
    }
}

extension TUIState {
    /// The text `y` should copy on the dropped branch of the demo.
    var copiedTextForTest: String {
        [
            "node node-b",
            "arrived #2 vxlan from node node-a",
            "  packet 10.244.1.5:40000 > 10.244.2.8:8080 tcp",
            "  in     if=flannel.1",
            "#4 drop ✖ dropped",
            "  packet 10.244.1.5:40000 > 10.244.2.8:8080 tcp",
            "  src    if=flannel.1",
            "  rules  1 evaluated, 1 matched (i: browse)",
            "    filter/FORWARD -A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP → DROP",
            "✖ FATAL a FORWARD rule drops traffic to backend default/web-1 (10.244.2.8:8080)",
            "    evidence -A FORWARD -d 10.244.2.8/32 -p tcp -m tcp --dport 8080 -j DROP",
            "    hint     delete it: iptables -D FORWARD -d 10.244.2.8/32 -p tcp --dport 8080 -j DROP",
            "▲ CRIT FORWARD policy is DROP: pod traffic not accepted explicitly is lost",
            "    evidence :FORWARD DROP",
            "    hint     accept the pod CIDR in FORWARD or set the policy to ACCEPT",
        ].joined(separator: "\n")
    }
}
