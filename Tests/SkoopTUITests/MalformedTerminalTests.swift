import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopNetstack
import SkoopDiagnosis
import SkoopTUI
import SkoopTestSupport

/// Escape sequences in snapshot data (a pod name carrying OSC 52, an iptables comment with CSI,
/// C1 and DCS, an interface name with CSI) never reach the terminal: not through the TUI grid,
/// nor through the text of `skoop diagnose` and `skoop inspect`. And no size or resize storm crashes the TUI.
@Suite struct MalformedTerminalTests {
    static let hostilePod = "cli\u{1B}]52;c;cHduZWQ=\u{07}ent"
    static let hostileComment = "default/web:http\u{1B}[2J\u{9B}31m\u{1B}P+q\u{07}\u{202E} cluster IP"

    /// lab-basic with escapes in a pod name, an iptables comment and node1's bridge name.
    static func hostileSnapshot() throws -> FixtureCopy {
        let copy = try FixtureCopy()
        try copy.edit("k8s/pods.json") {
            $0.replacingOccurrences(of: "\"name\": \"client\"", with: #""name": "cli\u001b]52;c;cHduZWQ=\u0007ent""#)
        }
        try copy.edit("nodes/node1/netns/host/iptables.txt") {
            $0.replacingOccurrences(of: "default/web:http cluster IP", with: hostileComment)
        }
        for file in ["ip-link.json", "ip-addr.json", "ip-route.json", "ip-route6.json", "ip-neigh.json", "bridge-fdb.json"] {
            try copy.edit("nodes/node1/netns/host/" + file) { $0.replacingOccurrences(of: "\"cni0", with: #""cni0\u001b[31m"#) }
        }
        return copy
    }

    /// Control characters in `text` other than line breaks.
    static func controls(in text: String) -> [Unicode.Scalar] {
        text.unicodeScalars.filter { TerminalSafe.isControl($0) && $0 != "\n" }
    }

    static func expectNoControls(_ grid: CellGrid, sourceLocation: SourceLocation = #_sourceLocation) {
        for row in 0..<grid.size.rows {
            for column in 0..<grid.size.columns where grid[row, column].character.unicodeScalars.contains(where: TerminalSafe.isControl) {
                Issue.record("control character at \(row),\(column): \(grid.lines[row])", sourceLocation: sourceLocation)
                return
            }
        }
    }

    func session(_ copy: FixtureCopy) throws -> DiagnosisSession {
        var session = try DiagnosisSession(
            query: DiagnosisQuery(src: "default/" + Self.hostilePod, dst: "svc/default/web", dport: 80, proto: .tcp),
            collector: CollectorManager(snapshot: copy.path))
        session.diagnostor.run()
        return session
    }

    @Test func diagnoseAndInspectTextCarryNoEscapes() throws {
        let copy = try Self.hostileSnapshot()
        let report = try session(copy).report
        #expect(report.verdict == .reachable, "the escapes are data; the path is still found")
        let text = report.text()
        #expect(text.contains("cli^[]52;c;cHduZWQ=^Gent"), "\(text.prefix(400))")
        #expect(Self.controls(in: text).isEmpty)
        let summary = try SnapshotSummary(collector: CollectorManager(snapshot: copy.path))
        #expect(summary.text().contains("pod default/cli^[]52;c;cHduZWQ=^Gent"))
        #expect(Self.controls(in: summary.text()).isEmpty)
        // JSON is data: the escapes are kept, escaped as JSON.
        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        #expect(Self.controls(in: json).isEmpty)
        #expect(json.contains("cli\\u001b]52;c;cHduZWQ=\\u0007ent"))
        let decoded = try JSONSerialization.jsonObject(with: try report.jsonData()) as? [String: Any]
        #expect((decoded?["query"] as? [String: Any])?["srcQuery"] as? String == "default/" + Self.hostilePod)
    }

    @Test func theTUIGridNeverCarriesEscapesFromData() throws {
        let copy = try Self.hostileSnapshot()
        let collector = try CollectorManager(snapshot: copy.path)
        let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
        var state = TUIState(title: "hostile", completionNames: collector.cluster.pods.qualifiedNames,
                             rulesetProvider: { hop in RulesetChainView.chains(of: network.netns(of: hop)) })
        state.resize(to: Size(columns: 160, rows: 50))
        state.begin(query: TUIQuery(src: "default/" + Self.hostilePod, dst: "svc/default/web", port: 80),
                    driver: try session(copy).diagnostor)
        var seen = ""
        func check(_ keys: [Key]) {
            for key in keys {
                for effect in state.handle(key) {
                    if case .copy(let text) = effect { #expect(Self.controls(in: text).isEmpty) }
                }
                for size in [Size(columns: 160, rows: 50), Size(columns: 10, rows: 5), Size(columns: 80, rows: 24)] {
                    let grid = state.render(size: size)
                    Self.expectNoControls(grid)
                    seen += grid.text + "\n"
                }
            }
        }
        check([.char("r")])
        let found = state.selectRow(containing: "node1")
        #expect(found, "\(state.screenLines.joined(separator: "\n"))")
        check([.char("y"), .char("i"), .char("/")] + "cluster IP".map { Key.char($0) }
              + [.enter, .char("y"), .char("a"), .char("/")] + "cluster IP".map { Key.char($0) }
              + [.enter, .char("y"), .enter, .escape, .escape, .char("s"), .char("j"), .enter, .char("?"), .escape, .char("e"), .char(":"), .char("d"), .char(" "), .char("c"), .tab, .escape])
        #expect(seen.contains("cli^[]52;c;cHduZWQ=^Gent"), "the pod name is drawn, neutralized")
        #expect(seen.contains("^[[2J?31m^[P+q^G?"), "the comment is drawn, neutralized")
    }

    @Test func everySizeFromOneByOneTo200x60RendersAfterAStormOfKeys() {
        var state = demoState(size: Size(columns: 10, rows: 5))
        state.press(.char("r"), .char("j"), .enter, .char("i"), .char("a"), .char("j"), .escape, .char("s"), .char("?"))
        var rendered = 0
        for columns in 1...200 {
            for rows in 1...60 {
                state.resize(to: Size(columns: columns, rows: rows))
                if rows % 7 == 0 { state.press(.resize, .char("j")) }
                let grid = state.render(size: state.size)
                if grid.size == Size(columns: columns, rows: rows) && grid.lines.count == rows { rendered += 1 }
            }
            if columns % 50 == 0 { state.press(.escape, .char(["i", "s", "?", "/"][columns / 50 - 1])) }
        }
        #expect(rendered == 200 * 60)
        state.resize(to: Size(columns: 10, rows: 5))
        #expect(state.render(size: state.size).lines.allSatisfy { $0.count <= 10 })
    }
}
