import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopCollector
import SkoopDiagnosis
@testable import SkoopTUI

/// What-if in the TUI over the real engine on the bundled demo (a FORWARD DROP on node2 drops
/// one of web's two backends): edits re-run the diagnosis and the screen shows what changed.
@Suite struct WhatIfViewTests {
    static let web = TUIQuery(src: "default/client", dst: "svc/default/web", port: 80)

    /// The demo, and a configuration whose drivers and edit maker are the backend's.
    static func demo(snapshot: String? = nil) throws -> (collector: CollectorManager, configuration: TUIConfiguration) {
        let collector = try CollectorManager(snapshot: snapshot ?? (try #require(DemoSnapshot.path)))
        func query(_ tui: TUIQuery) -> DiagnosisQuery { DiagnosisQuery(src: tui.src, dst: tui.dst, dport: tui.port, proto: tui.proto) }
        var configuration = TUIConfiguration(
            makeDriver: { try DiagnosisSession(query: query($0), collector: collector).diagnostor }, snapshotTitle: "demo",
            rulesetProvider: { hop in
                guard let info = try? collector.netns(node: hop.id, id: "host"), let ruleset = info.iptables else { return [] }
                return ruleset.tables.flatMap { table in
                    table.chains.map { chain in
                        RulesetChainView(table: table.name, chain: chain.name, policy: nil,
                                         rules: chain.rules.map { RulesetRuleView(rule: $0.text, packets: nil, bytes: nil) })
                    }
                }
            })
        configuration.makeEdit = { request in
            try WhatIfBackend.edit(request, provider: collector) { path throws(InputError) in
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw InputError(source: path, expected: "a readable file", found: "no such file")
                }
                return text
            }
        }
        configuration.makeWhatIfDriver = { tui, edits in
            try DiagnosisSession(query: query(tui), collector: WhatIfProvider(base: collector, edits: edits)).diagnostor
        }
        configuration.makeDiff = { tui, directory in
            try FlowDiff.compare(query: query(tui), before: collector, after: CollectorManager(snapshot: directory))
        }
        return (collector, configuration)
    }

    /// A state on the demo's web query, run to its end, and its configuration.
    static func started(edits: [WhatIfEdit] = [], configuration: TUIConfiguration? = nil) throws -> (TUIState, TUIConfiguration) {
        let configuration = try configuration ?? demo().configuration
        var state = TUIState(title: "demo", rulesetProvider: configuration.rulesetProvider, edits: edits)
        state.resize(to: Size(columns: 160, rows: 40))
        state.performDiagnosis(.startDiagnosis(web), configuration: configuration)
        state.press(.char("r"))
        return (state, configuration)
    }

    /// Performs what the backend would for each effect (diagnoses; writes are returned).
    static func run(_ effects: [Effect], on state: inout TUIState, _ configuration: TUIConfiguration) -> [Effect] {
        var rest: [Effect] = []
        for effect in effects {
            switch effect {
            case .startDiagnosis, .makeEdit, .rediagnose, .openDiff: state.performDiagnosis(effect, configuration: configuration)
            default: rest.append(effect)
            }
        }
        return rest
    }

    /// Types a command line and performs its effects.
    @discardableResult
    static func command(_ line: String, on state: inout TUIState, _ configuration: TUIConfiguration) -> [Effect] {
        state.press(.char(":"))
        state.type(line)
        return run(state.press(.enter), on: &state, configuration)
    }

    /// Opens the rules browser on node2's dropping hop and selects the FORWARD DROP entry.
    static func selectForwardDrop(_ state: inout TUIState) throws {
        let found = state.selectRow(containing: "dropped at node node2")
        try #require(found)
        state.press(.char("i"))
        for _ in 0..<60 where !(state.copyText() ?? "").contains("forward-drop") { state.press(.char("j")) }
        try #require((state.copyText() ?? "").contains("-j DROP"))
    }

    @Test func xDisablesTheDroppingRuleAndTheScreenShowsTheVerdictBeforeAndAfter() throws {
        var (state, configuration) = try Self.started()
        #expect(state.verdict == .partial)
        try Self.selectForwardDrop(&state)
        let effects = state.press(.char("x"))
        guard case .makeEdit(.disableRule(let hop, "filter", "FORWARD", let rule))? = effects.first else {
            Issue.record("x asked for \(effects)")
            return
        }
        #expect(hop == Hop(type: .node, id: "node2") && rule.contains("forward-drop"))
        _ = Self.run(effects, on: &state, configuration)
        #expect(state.verdict == .reachable)
        #expect(state.whatIf?.verdictLine == "partial → reachable")
        #expect(state.whatIf?.gone.map(\.description) == ["default/client → node1 → node2: dropped (request)"])
        let screen = state.screenLines
        #expect(screen[0].contains("PARTIAL → REACHABLE"))
        #expect(screen[1].contains("what-if: 1 edit(s) -1 +"))
        #expect(state.screen == .rules, "the browser stays open on node2")
        #expect(screen.contains { $0.contains("Netfilter trace at node node2") })
        #expect(state.message?.text.contains("applied to Skoop's copy: node node2: disable filter/FORWARD") == true)
        state.press(.escape)
        #expect(state.screenLines.contains { $0.contains("  + new") })
    }

    @Test func xOnADisabledRuleInTheWholeRulesetReEnablesIt() throws {
        var (state, configuration) = try Self.started()
        try Self.selectForwardDrop(&state)
        _ = Self.run(state.press(.char("x")), on: &state, configuration)
        state.press(.char("a"))
        #expect(state.screenLines.contains { $0.contains("disabled (what-if)") && $0.contains("forward-drop") })
        for _ in 0..<400 where !(state.copyText() ?? "").contains("forward-drop") { state.press(.char("j")) }
        let effects = state.press(.char("x"))
        #expect(effects == [.rediagnose(edits: [])])
        _ = Self.run(effects, on: &state, configuration)
        #expect(state.verdict == .partial && state.edits.isEmpty && state.whatIf == nil)
        #expect(state.message?.text.contains("undone") == true)
        #expect(!state.screenLines.contains { $0.contains("disabled (what-if)") })
    }

    @Test func xOnAChainPolicyOrAChainLineSaysWhatCanBeDisabled() throws {
        var (state, _) = try Self.started()
        let found = state.selectRow(containing: "[veth] node node1")
        try #require(found)
        state.press(.char("i"))
        for _ in 0..<60 where !(state.copyText() ?? "").contains(": -P ") { state.press(.char("j")) }
        try #require((state.copyText() ?? "").contains(": -P "))
        #expect(state.press(.char("x")).isEmpty)
        #expect(state.message?.text == "a chain policy is not a rule: only -A rules can be disabled")
        state.press(.char("a"), .char("g"))
        #expect(state.press(.char("x")).isEmpty)
        #expect(state.message?.text == "select a rule to disable or re-enable")
    }

    @Test func uUndoesTheLastEditAndTheEditsScreenListsThemWithTheirCommands() throws {
        var (state, configuration) = try Self.started()
        let found = state.selectRow(containing: "node node1")
        try #require(found)
        Self.command("sysctl ip_forward 0", on: &state, configuration)
        #expect(state.verdict == .unreachable)
        #expect(state.edits.map(\.description) == ["node node1: sysctl net.ipv4.ip_forward=0"])
        Self.command("edits", on: &state, configuration)
        #expect(state.screen == .edits)
        let screen = state.screenLines.joined(separator: "\n")
        #expect(screen.contains("nothing is applied to a cluster"))
        #expect(screen.contains("verdict partial → unreachable"))
        #expect(screen.contains("$ sysctl -w net.ipv4.ip_forward=0"))
        #expect(screen.contains("- default/client"))
        _ = Self.run(state.press(.char("u")), on: &state, configuration)
        #expect(state.verdict == .partial && state.edits.isEmpty)
        #expect(state.screen == .edits, "the list stays open")
        #expect(state.screenLines.contains { $0.contains("no edits:") })
        state.press(.escape)
        #expect(state.screen == .main)
        let nothing = state.press(.char("u"))
        #expect(nothing.isEmpty && state.message?.text == "no what-if edits to undo")
    }

    @Test func routeAndLinkCommandsEditTheSelectedHop() throws {
        var (state, configuration) = try Self.started()
        let found = state.selectRow(containing: "node node1")
        try #require(found)
        let effects = Self.command("route del 10.244.2.0/24", on: &state, configuration)
        #expect(effects.isEmpty)
        #expect(state.edits.first?.description.hasPrefix("node node1: delete route 10.244.2.0/24") == true)
        #expect(state.whatIf?.gone.contains { $0.description.contains("node2") } == true)
        let again = state.selectRow(containing: "node node1")
        try #require(again)
        Self.command("link nosuch0 down", on: &state, configuration)
        #expect(state.message?.isError == true)
        #expect(state.message?.text.contains("a link of node node1") == true, "the error lists the hop's links")
        #expect(state.edits.count == 1, "a failed edit adds nothing")
        Self.command("link flannel.1 down", on: &state, configuration)
        #expect(state.edits.last?.shellCommand == "ip link set dev flannel.1 down")
        Self.command("route add 10.96.0.0/12 dev nosuch0", on: &state, configuration)
        #expect(state.message?.isError == true && state.edits.count == 2)
    }

    @Test func commandsOnAHopNeedADiagnosisAndTheirWordsAreChecked() throws {
        var state = TUIState(title: "demo")
        state.press(.char(":"))
        state.type("route del 10.0.0.0/8")
        #expect(state.press(.enter).isEmpty)
        #expect(state.message?.text.contains("no hop selected") == true)
        for (line, expected) in [("route 10.0.0.0/8", "usage: :route add|del"), ("link eth0 sideways", "usage: :link DEV down|up"),
                                 ("policy del nonamespace", "expected NAMESPACE/NAME"), ("sysctl ip_forward", "usage: :sysctl"),
                                 ("save", "usage: :save FILE"), ("diff", "usage: :diff DIR")] {
            state.press(.char(":"))
            state.type(line)
            state.press(.enter)
            #expect(state.message?.text.contains(expected) == true, "\(line): \(state.message?.text ?? "")")
        }
        #expect(TUICommand.complete("sys", names: []).line == "sysctl ")
    }

    @Test func policiesAreAddedFromAFileAndRemovedByName() throws {
        var (state, configuration) = try Self.started()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-tui-deny-\(getpid()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-web, namespace: default}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Ingress]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        Self.command("policy add \(file)", on: &state, configuration)
        #expect(state.edits.first?.shellCommand == "kubectl apply -f \(file)")
        Self.command("policy del default/nosuch", on: &state, configuration)
        #expect(state.message?.isError == true && state.message?.text.contains("a NetworkPolicy NAMESPACE/NAME") == true)
        Self.command("policy add /nonexistent/deny.yaml", on: &state, configuration)
        #expect(state.message?.text.contains("/nonexistent/deny.yaml") == true && state.edits.count == 1)
    }

    @Test func saveWritesAFileTheEditsParserReadsBackAndExportWritesTheCommands() throws {
        var (state, configuration) = try Self.started()
        #expect(Self.command("save /tmp/x.yaml", on: &state, configuration).isEmpty, "nothing to save yet")
        #expect(state.message?.text == "no what-if edits to save")
        try Self.selectForwardDrop(&state)
        _ = Self.run(state.press(.char("x")), on: &state, configuration)
        let saved = Self.command("save edits.yaml", on: &state, configuration)
        guard case .write("edits.yaml", let yaml, _)? = saved.first else {
            Issue.record("save gave \(saved)")
            return
        }
        let collector = try Self.demo().collector
        let parsed = try WhatIfEditsFile.parse(yaml, source: "edits.yaml", provider: collector) { path throws(InputError) in
            throw InputError(source: path, expected: "no file")
        }
        #expect(parsed == state.edits)
        let exported = Self.command("export fix.sh", on: &state, configuration)
        guard case .write("fix.sh", let script, let what)? = exported.first else {
            Issue.record("export gave \(exported)")
            return
        }
        #expect(script.contains("iptables -t filter -D FORWARD -d 10.244.2.2/32"))
        #expect(what.contains("Skoop ran none of them"))
    }

    @Test func editsFromAFileApplyToTheFirstDiagnosis() throws {
        let (collector, configuration) = try Self.demo()
        let edits = try WhatIfEditsFile.parse("- {action: sysctl, node: node1, key: ip_forward, value: '0'}", source: "e.yaml",
                                              provider: collector) { path throws(InputError) in throw InputError(source: path, expected: "none") }
        let (state, _) = try Self.started(edits: edits, configuration: configuration)
        #expect(state.verdict == .unreachable)
        #expect(state.whatIf?.verdictLine == "partial → unreachable")
        #expect(state.screenLines[1].contains("what-if: 1 edit(s)"))
    }

    @Test func theHelpSaysSkoopNeverAppliesAnything() throws {
        var (state, configuration) = try Self.started()
        state.press(.char("?"))
        #expect(state.helpLines().contains { $0.label == ":edits" && $0.description.contains("never a cluster") })
        #expect(state.helpLines().contains { $0.label == "u" })
        state.press(.escape)
        Self.command("edits", on: &state, configuration)
        state.press(.char("?"))
        let help = state.helpLines().map { $0.label + " " + $0.description }.joined(separator: " ").replacingOccurrences(of: "  ", with: " ")
        #expect(help.contains("Skoop never applies anything to a cluster"))
        for verb in ["route", "sysctl", "link", "policy", "edits", "undo", "save", "export", "diff"] {
            #expect(help.contains(":" + verb), "help lacks :\(verb)")
        }
        #expect(state.render(size: Size(columns: 80, rows: 24)).text.contains("add FILE | del NS/NAME"))
    }

    /// A copy of the demo without node2's FORWARD DROP.
    static func repairedDemo() throws -> String {
        let demo = try #require(DemoSnapshot.path)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-tui-diff-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: demo, toPath: copy)
        let rules = copy + "/nodes/node2/netns/host/iptables.txt"
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        try text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("lab fault: forward-drop") }
            .joined(separator: "\n").write(toFile: rules, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func diffShowsBothPathsSideBySideWithWhereTheyPartAndWhatChanged() throws {
        var (state, configuration) = try Self.started()
        let other = try Self.repairedDemo()
        defer { try? FileManager.default.removeItem(atPath: other) }
        let effects = state.press(.char(":")) + state.type("diff \(other)") + state.press(.enter)
        #expect(effects == [.openDiff(snapshot: other, query: Self.web)])
        _ = Self.run(effects, on: &state, configuration)
        #expect(state.screen == .diff)
        let screen = state.screenLines
        let titles = try #require(screen.first { $0.contains("this snapshot PARTIAL") })
        #expect(titles.contains("REACHABLE"))
        #expect(screen.filter { $0.components(separatedBy: "paths part here").count == 3 }.count == 1,
                "both panes mark the parting hop on the same row")
        #expect(screen.contains { $0.contains("✖ dropped at node node2") && $0.contains("- only here") })
        #expect(screen.contains { $0.contains("+ only here") })
        #expect(screen.contains { $0.contains("paths part at node node2") })
        #expect(screen.contains { $0.contains("iptables rule removed") && $0.contains("forward-drop") })
        state.press(.escape)
        #expect(state.screen == .main)
    }

    @Test func diffWithoutADiagnosisOrWithABadDirectorySaysWhy() throws {
        var state = TUIState(title: "demo")
        state.press(.char(":"))
        state.type("diff /tmp")
        #expect(state.press(.enter).isEmpty)
        #expect(state.message?.text.contains("no diagnosis to compare") == true)
        var (started, configuration) = try Self.started()
        Self.command("diff /nonexistent-snapshot", on: &started, configuration)
        #expect(started.screen == .main)
        #expect(started.message?.isError == true && started.message?.text.contains("/nonexistent-snapshot") == true)
    }
}
