import Testing
import SkoopModel
@testable import SkoopNetstack

/// Legacy iptables tables and native nft base chains on one node, in the kernel's order.
@Suite("Netfilter pipeline: xtables tables and nft base chains by hook priority")
struct NetfilterPipelineTests {
    /// An nft table `ip native` with one base chain of `type` at `hook`/`priority` holding `rules`
    /// (each a JSON `expr` array).
    static func nft(type: String, hook: String, priority: Int, rules: [String]) throws -> NftEngine {
        let items = rules.enumerated().map { index, expr in
            #"{"rule": {"family": "ip", "table": "native", "chain": "c", "handle": \#(index + 2), "expr": \#(expr)}}"#
        }
        let json = """
            {"nftables": [{"table": {"family": "ip", "name": "native", "handle": 1}},
             {"chain": {"family": "ip", "table": "native", "name": "c", "handle": 1, "type": "\(type)", "hook": "\(hook)", "prio": \(priority), "policy": "accept"}}
             \(items.map { ", " + $0 }.joined())]}
            """
        return NftEngine(ruleset: try NftJSONParser.parse(Array(json.utf8), source: "nft.json"))
    }

    static let dnatToNine = #"[{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "10.96.0.1"}}, {"dnat": {"addr": "10.0.0.9"}}]"#

    static let iptablesDNAT = """
        *nat
        :PREROUTING ACCEPT [0:0]
        -A PREROUTING -d 10.96.0.1/32 -p tcp -j DNAT --to-destination 10.0.0.5
        COMMIT
        """

    /// Measured (kernel 6.18): iptables-legacy's DNAT and an nft nat chain at prerouting priority
    /// -150 or -50 for the same ClusterIP; conntrack showed 10.0.0.9 and 10.0.0.5 respectively:
    /// nat chains run by priority inside the one nat hook, the first that translates wins.
    @Test("the nat chain with the lower priority binds first; the other is not consulted", arguments: [(-150, "10.0.0.9"), (-50, "10.0.0.5")])
    func natOrder(priority: Int, expected: String) throws {
        let pipeline = NetfilterPipeline(xtables: try NF.engine(Self.iptablesDNAT),
                                         nftables: try Self.nft(type: "nat", hook: "prerouting", priority: priority, rules: [Self.dnatToNine]),
                                         family: .inet)
        let outcomes = pipeline.traverse(hook: .prerouting, packet: NF.context("10.1.0.2", 40000, "10.96.0.1", 80, in: "eth0"))
        #expect(outcomes.map(\.packet.dst) == [IPAddress(expected)!])
        #expect(outcomes[0].context.natBindings.contains(.destination))
        // The chain that did not run leaves no rule in the trace.
        let translated = outcomes[0].trace.filter { $0.verdict == "DNAT" }
        #expect(translated.count == 1)
        #expect((translated[0].family == "ip") == (expected == "10.0.0.9"))
    }

    @Test("a later packet skips every nat chain; conntrack replays the connection's NAT")
    func laterPacket() throws {
        let pipeline = NetfilterPipeline(xtables: nil,
                                         nftables: try Self.nft(type: "nat", hook: "prerouting", priority: -100, rules: [Self.dnatToNine]),
                                         family: .inet)
        var context = NF.context("10.1.0.2", 40000, "10.96.0.1", 80, in: "eth0")
        context.isFirstPacket = false
        context.connectionNAT = ConnectionNAT(destination: IPAddress("10.0.0.9"))
        let outcomes = pipeline.traverse(hook: .prerouting, packet: context)
        #expect(outcomes.map(\.packet.dst) == [IPAddress("10.0.0.9")!])
        #expect(outcomes[0].trace.map(\.verdict) == ["SKIP"])
    }

    @Test("filter chains interleave by priority: an nft mark at -200 is seen by iptables mangle (-150); a drop at 10 after filter (0)")
    func filterOrder() throws {
        let xtables = try NF.engine("""
            *mangle
            :PREROUTING ACCEPT [0:0]
            -A PREROUTING -m mark --mark 0x7 -j ACCEPT
            COMMIT
            *filter
            :FORWARD ACCEPT [0:0]
            -A FORWARD -j ACCEPT
            COMMIT
            """)
        let setMark = #"[{"mangle": {"key": {"meta": {"key": "mark"}}, "value": 7}}]"#
        let early = NetfilterPipeline(xtables: xtables, nftables: try Self.nft(type: "filter", hook: "prerouting", priority: -200, rules: [setMark]),
                                      family: .inet)
        let marked = early.traverse(hook: .prerouting, packet: NF.context("10.1.0.2", "10.0.0.9", in: "eth0"))
        #expect(marked.count == 1 && marked[0].packet.mark == 7)
        #expect(marked[0].matchedRules.map(\.verdict) == ["MARK", "POLICY ACCEPT", "ACCEPT"])
        let late = NetfilterPipeline(xtables: xtables, nftables: try Self.nft(type: "filter", hook: "prerouting", priority: -100, rules: [setMark]),
                                     family: .inet)
        #expect(late.traverse(hook: .prerouting, packet: NF.context("10.1.0.2", "10.0.0.9", in: "eth0"))[0]
            .matchedRules.map(\.verdict) == ["POLICY ACCEPT", "MARK", "POLICY ACCEPT"])
        let drop = NetfilterPipeline(xtables: xtables, nftables: try Self.nft(type: "filter", hook: "forward", priority: 10, rules: [#"[{"drop": null}]"#]),
                                     family: .inet)
        let dropped = drop.traverse(hook: .forward, packet: NF.context("10.1.0.2", "10.0.0.9", in: "eth0", out: "eth1"))
        #expect(dropped.map(\.verdict) == [.drop])
        #expect(dropped[0].matchedRules.map(\.table) == ["filter", "native"], "iptables' ACCEPT ends only its own table")
    }

    @Test("an ip table sees IPv4 only; an inet table both")
    func families() throws {
        let engine = try Self.nft(type: "filter", hook: "input", priority: 0, rules: [#"[{"drop": null}]"#])
        #expect(engine.baseChains(at: .input, family: .inet).count == 1)
        #expect(engine.baseChains(at: .input, family: .inet6).isEmpty)
        #expect(NftFamily.inet.seesIP(.inet6) && NftFamily.inet.seesIP(.inet) && !NftFamily.bridge.seesIP(.inet))
    }
}
