import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
@testable import SkoopTUI
import SkoopTestSupport

/// The rules browser on an nftables-mode lab capture (kube-proxy's nftables proxier on a
/// flannel cluster, traced with `nft monitor trace` when collected: ground-truth/).
@Suite struct NftRulesBrowserTests {
    static let size = Size(columns: 220, rows: 60)

    /// client → svc/default/web:80, run to the end, with the rules browser of node1 open.
    static func browser(provider: RulesetProvider? = nil) throws -> TUIState {
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-flannel-vxlan-nftables-traced").path)
        let network = GenericProvider().network(collector: collector, context: DiagnosisContext())
        let query = TUIQuery(src: "default/client", dst: "svc/default/web", port: 80)
        let session = try DiagnosisSession(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port),
                                           collector: collector)
        var state = TUIState(title: "nft", rulesetProvider: provider ?? { RulesetChainView.chains(of: network.netns(of: $0)) })
        state.resize(to: size)
        state.begin(query: query, driver: session.diagnostor)
        state.press(.char("r"))
        let found = state.selectRow(containing: "[veth] node node1")
        #expect(found)
        state.press(.char("i"))
        return state
    }

    /// The browser with the set or map opened (enter) from the first row containing `row`.
    static func opened(_ row: String, inRuleset: Bool = false, provider: RulesetProvider? = nil) throws -> TUIState {
        var state = try browser(provider: provider)
        if inRuleset { state.press(.char("a")) }
        select(row, in: &state)
        state.press(.enter)
        return state
    }

    /// The selected line of the rules list.
    static func selectedLine(_ state: TUIState) -> String {
        let grid = state.render(size: size)
        return grid.lines[(3..<size.rows).first { grid[$0, 2].style.reverse } ?? 0]
    }

    /// Moves the rules cursor to the first row containing `text`.
    static func select(_ text: String, in state: inout TUIState) {
        state.press(.char("/"))
        state.type(text)
        state.press(.enter)
    }

    @Test func nftTraceRowsReadLikeNftMonitorTraceWithHandles() throws {
        let state = try Self.browser()
        let lines = state.screenLines
        // As the kernel's trace of this flow prints it (ground-truth/trace-pod--ClusterIP-node1.txt):
        // "ip kube-proxy services rule ip daddr . meta l4proto . th dport vmap @service-ips # handle 50
        //  (verdict goto service-SUSTUHLJ-default/web/tcp/http)".
        let capture = try String(contentsOf: Fixtures.url("lab-flannel-vxlan-nftables-traced/ground-truth/trace-pod--ClusterIP-node1.txt"),
                                 encoding: .utf8)
        #expect(capture.contains("ip kube-proxy services rule ip daddr . meta l4proto . th dport vmap @service-ips # handle 50 (verdict goto service-SUSTUHLJ-default/web/tcp/http)"))
        #expect(lines.contains {
            $0.contains("● PREROUTING ip kube-proxy services handle 50: ip daddr . meta l4proto . th dport vmap @service-ips (verdict goto service-SUSTUHLJ-default/web/tcp/http)")
        })
        #expect(lines.contains { $0.contains("ip kube-proxy filter-prerouting-pre-dnat policy accept") })
        #expect(lines.contains { $0.contains("  PREROUTING ip kube-proxy firewall-check handle 40: ip daddr . meta l4proto . th dport vmap @firewall-ips (no match)") })
        // iptables rules of the same hop keep their iptables-save form.
        #expect(lines.contains { $0.contains("raw    PREROUTING        CONTINUE      -A PREROUTING -p tcp -j TRACE") })
    }

    @Test func enterOnAVerdictMapRuleOpensTheMapAtTheElementThisPacketHit() throws {
        var state = try Self.opened("vmap @service-ips")
        let lines = state.screenLines
        #expect(lines[2].hasSuffix("Netfilter trace at node node1 → @service-ips"))
        #expect(lines.contains { $0.contains("ip kube-proxy: map service-ips { type ipv4_addr . inet_proto . inet_service : verdict }, 2 elements") })
        #expect(lines.contains { $0.contains("this packet looked up @service-ips 10.96.0.10 . tcp . 80: element 10.96.0.10 . tcp . 80") })
        #expect(Self.selectedLine(state).contains("● 10.96.0.10 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http"))
        #expect(lines.contains { $0.hasPrefix("   10.96.0.11 . tcp . 80 : goto service-KJIFFBIG") }, "the other service's element is not marked")

        // Enter on the element follows its goto; esc comes back to the trace, at the rule.
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("node node1 → service-SUSTUHLJ-default/web/tcp/http"))
        state.press(.escape)
        #expect(state.screenLines[2].hasSuffix("Netfilter trace at node node1"))
    }

    @Test func enterOnAnNftJumpOpensTheChainInTheTraceAndInTheRuleset() throws {
        var state = try Self.browser()
        Self.select("nat-prerouting handle 47: jump services", in: &state)
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("Netfilter trace at node node1 → services"))
        #expect(state.screenLines.contains { $0.contains("ip kube-proxy services handle 50:") })
        state.press(.escape, .char("a"))
        // In the whole ruleset, enter on a jump selects the chain's row.
        Self.select("ct state new jump cluster-ips-check # handle 34", in: &state)
        state.press(.enter)
        #expect(Self.selectedLine(state).contains("chain cluster-ips-check"))
    }

    @Test func anNftRuleJumpsOnlyByItsOwnVerdictAndNamesTheSetsItLooksUp() {
        #expect(RulesetRuleView.nftJumpTarget(of: "ct state new jump firewall-check") == "firewall-check")
        #expect(RulesetRuleView.nftJumpTarget(of: "numgen random mod 2 vmap { 0 : goto endpoint-a, 1 : goto endpoint-b }") == nil,
                "the gotos are a map's data")
        #expect(RulesetRuleView.setReferences(of: "ip daddr . meta l4proto . th dport vmap @service-ips") == ["service-ips"])
        #expect(RulesetRuleView.setReferences(of: "ip saddr @a ip daddr { @b, 10.0.0.1 } jump x") == ["a", "b"])
    }

    @Test func escInAnOpenSetReturnsToTheRuleItWasOpenedFrom() throws {
        var state = try Self.browser()
        Self.select("vmap @service-ips", in: &state)
        let rule = Self.selectedLine(state)
        state.press(.enter, .escape)
        #expect(state.screen == .rules)
        #expect(Self.selectedLine(state) == rule)
    }

    @Test func wholeRulesetListsNftTablesChainsAndRulesWithHandles() throws {
        var state = try Self.browser()
        state.press(.char("a"))
        let lines = state.screenLines
        #expect(lines.contains { $0.hasSuffix(" table ip kube-proxy") })
        #expect(lines.contains { $0.contains("  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict } (2 elements)") })
        #expect(lines.contains { $0.contains("  chain filter-forward { type filter hook forward priority 0; policy accept; }") })
        // Matched by handle, not by text: input's copy of the forward rule was not walked.
        #expect(lines.contains { $0.contains("●     ct state new jump service-endpoints-check # handle 33") })
        #expect(lines.contains { $0.contains("      ct state new jump service-endpoints-check # handle 36") })
    }

    @Test func aSetOpenedFromTheRulesetShowsTheLookupThatMissed() throws {
        let lines = try Self.opened("ip daddr @cluster-ips reject", inRuleset: true).screenLines
        #expect(lines[2].hasSuffix("Ruleset of node node1 → @cluster-ips"))
        // After DNAT the packet goes to the backend, which is no cluster IP.
        #expect(lines.contains { $0.contains("this packet looked up @cluster-ips 10.244.1.2: no element") })
        #expect(lines.contains { $0.contains("  10.96.0.10") })
        #expect(!lines.contains { $0.contains("● 10.96") })
    }

    @Test func aMapElementOpenedInTheRulesetLeadsToItsChainRowThere() throws {
        var state = try Self.opened("map service-ips", inRuleset: true)
        Self.select("KJIFFBIG", in: &state)
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("Ruleset of node node1"))
        #expect(Self.selectedLine(state).contains("chain service-KJIFFBIG-default/web-0/tcp/http"))
        // From there the ruleset goes on as before: enter on a set's rule opens the set.
        Self.select("ip daddr @nodeport-ips", in: &state)
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("Ruleset of node node1 → @nodeport-ips"))
    }

    @Test func setsOfAChainOutsideTheTraceOpenConstructed() throws {
        // Constructed: the lab's service chains look up no named set; an affinity chain does.
        let map = RulesetSetView(name: "service-ips", declaration: "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict }",
                                 elements: ["10.96.0.10 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http",
                                            "10.96.0.99 . tcp . 80 : goto service-affine"])
        let affinity = RulesetSetView(name: "affinity-x", declaration: "set affinity-x { type ipv4_addr; flags dynamic,timeout; }",
                                      elements: ["10.244.0.9 timeout 3h"])
        let services = RulesetChainView(table: "kube-proxy", chain: "services", rules: [RulesetRuleView(rule: "vmap @service-ips", handle: 50)],
                                        family: "ip", sets: [map, affinity])
        let affine = RulesetChainView(table: "kube-proxy", chain: "service-affine", rules: [
            RulesetRuleView(rule: "ip saddr @affinity-x goto endpoint-x", handle: 70),
            RulesetRuleView(rule: "jump services", handle: 71),
        ], family: "ip", sets: [map, affinity])
        var state = try Self.opened("vmap @service-ips", provider: { _ in [services, affine] })
        Self.select("goto service-affine", in: &state)
        state.press(.enter)
        #expect(state.screenLines.contains { $0.contains("chain service-affine (kube-proxy) is not in the trace") })
        Self.select("@affinity-x", in: &state)
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("→ @affinity-x"))
        #expect(state.screenLines.contains { $0.contains("10.244.0.9 timeout 3h") })
        // Esc comes back to the rule; a jump from it opens its chain beside the trace.
        state.press(.escape)
        Self.select("jump services", in: &state)
        state.press(.enter)
        #expect(state.screenLines[2].hasSuffix("→ services"))
    }

    @Test func searchFindsSetElementsAndNCyclesThem() throws {
        var state = try Self.opened("map service-ips", inRuleset: true)
        Self.select("KJIFFBIG", in: &state)
        #expect(Self.selectedLine(state).contains("10.96.0.11 . tcp . 80 : goto service-KJIFFBIG-default/web-0/tcp/http"))
        state.press(.char("/"))
        state.type("goto service-")
        state.press(.enter)
        #expect(state.message?.text.hasPrefix("2 match(es)") == true)
        state.press(.char("n"))
        #expect(Self.selectedLine(state).contains("10.96.0.10 . tcp . 80"), "n wraps to the first element")
    }

    @Test func aLargeMapScrollsToTheElementHitConstructed() throws {
        // Constructed: the lab's map holds two services; a cluster's holds thousands.
        var elements = (0..<1000).map { "10.97.\($0 / 250).\($0 % 250) . tcp . 80 : goto service-\($0)" }
        elements[700] = "10.96.0.10 . tcp . 80 : goto service-SUSTUHLJ-default/web/tcp/http"
        let map = RulesetSetView(name: "service-ips", declaration: "map service-ips { type ipv4_addr . inet_proto . inet_service : verdict }",
                                 elements: elements)
        let chain = RulesetChainView(table: "kube-proxy", chain: "services", rules: [], family: "ip", sets: [map])
        var state = try Self.opened("vmap @service-ips", provider: { _ in [chain] })
        #expect(Self.selectedLine(state).contains("● 10.96.0.10 . tcp . 80 : goto service-SUSTUHLJ"))
        state.press(.char("/"))
        state.type("service-999")
        state.press(.enter)
        #expect(Self.selectedLine(state).contains("10.97.3.249 . tcp . 80 : goto service-999"))
    }

    @Test func setNamesAndElementsAreDrawnWithoutControlCharactersConstructed() throws {
        // Constructed: kube-proxy writes no such names, a hostile ruleset could.
        let hostile = RulesetSetView(name: "service-ips", declaration: "map service-ips \u{1B}[2J{ type x }",
                                     elements: ["10.96.0.10 . tcp . 80 : goto \u{1B}]0;pwned\u{07}chain", "\u{9B}31mred"])
        let chain = RulesetChainView(table: "kube-proxy", chain: "services\u{1B}[H", rules: [RulesetRuleView(rule: "vmap @service-ips", handle: 50)],
                                     family: "ip", hookLine: "type nat\u{0D} hook prerouting", sets: [hostile])
        var state = try Self.opened("vmap @service-ips", provider: { _ in [chain] })
        let shown = state.render(size: Self.size).text
        #expect(shown.contains("@service-ips"))
        #expect(shown.contains("^[]0;pwned^Gchain"))
        state.press(.escape, .char("a"))
        let ruleset = state.render(size: Self.size).text + state.screenLines.joined()
        #expect(ruleset.contains("services^[[H"))
        #expect(!(shown + ruleset).unicodeScalars.contains { TerminalSafe.isControl($0) && $0 != "\n" })
    }
}
