import Testing
import SkoopModel
@testable import SkoopNetstack

/// Helpers shared by the engine suites.
enum NF {
    static func ruleset(_ text: String) throws -> Ruleset {
        try IPTablesSaveParser.parse(text, source: "test").ruleset
    }

    static func engine(_ text: String, ipsets: String = "", indexThreshold: Int? = 64) throws -> NetfilterEngine {
        NetfilterEngine(ruleset: try ruleset(text), ipsets: try IPSetParser.parse(ipsets, source: "sets"),
                        options: .init(indexThreshold: indexThreshold))
    }

    static func context(_ src: String, _ dst: String, proto: TransportProtocol = .tcp, mark: UInt32 = 0,
                        in inInterface: String? = nil, out outInterface: String? = nil) -> PacketContext {
        context(src, 0, dst, 0, proto: proto, mark: mark, in: inInterface, out: outInterface)
    }

    static func context(_ src: String, _ sport: UInt16, _ dst: String, _ dport: UInt16,
                        proto: TransportProtocol = .tcp, mark: UInt32 = 0,
                        in inInterface: String? = nil, out outInterface: String? = nil) -> PacketContext {
        PacketContext(packet: Packet(src: IPAddress(src)!, sport: sport, dst: IPAddress(dst)!, dport: dport,
                                     proto: proto, mark: mark),
                      inInterface: inInterface, outInterface: outInterface)
    }

    /// A filter table whose INPUT chain holds `rules` and accepts by policy.
    static func input(_ rules: String, policy: String = "ACCEPT") -> String {
        "*filter\n:INPUT \(policy) [0:0]\n" + rules + "\nCOMMIT\n"
    }

    /// The (chain, verdict) of every matched rule and policy.
    static func steps(_ outcome: NetfilterOutcome) -> [String] {
        outcome.matchedRules.map { "\($0.table)/\($0.chain) \($0.verdict)" }
    }
}

@Suite("Netfilter engine: chains, policies and terminal targets")
struct NetfilterEngineTests {
    @Test("jump, goto and RETURN: returning from a goto'd chain returns to the caller of the goto")
    func jumpGotoReturn() throws {
        let engine = try NF.engine("""
        *filter
        :INPUT ACCEPT [0:0]
        :A - [0:0]
        :B - [0:0]
        -A INPUT -j A
        -A INPUT -j DROP
        -A A -g B
        -A A -j ACCEPT
        -A B -j RETURN
        COMMIT
        """)
        let outcomes = engine.traverse(hook: .input, packet: NF.context("10.0.0.1", "10.0.0.2"))
        #expect(outcomes.count == 1)
        #expect(outcomes[0].verdict == .drop)
        #expect(NF.steps(outcomes[0]) == ["filter/INPUT JUMP", "filter/A GOTO", "filter/B RETURN", "filter/INPUT DROP"])
    }

    @Test("a user chain falling off its end continues after the jump; RETURN in a base chain applies the policy")
    func fallOffAndPolicy() throws {
        let engine = try NF.engine("""
        *filter
        :INPUT DROP [0:0]
        :FORWARD DROP [0:0]
        :EMPTY - [0:0]
        -A INPUT -j EMPTY
        -A INPUT -s 10.0.0.1 -j RETURN
        -A INPUT -j ACCEPT
        COMMIT
        """)
        let returned = engine.traverse(hook: .input, packet: NF.context("10.0.0.1", "10.0.0.2"))
        #expect(returned.map(\.verdict) == [.drop])
        #expect(returned[0].trace.last == NetfilterTraceEntry(hook: "INPUT", table: "filter", chain: "INPUT",
                                                             rule: "-P INPUT DROP", matched: true, verdict: "POLICY DROP"))
        let accepted = engine.traverse(hook: .input, packet: NF.context("10.0.0.9", "10.0.0.2"))
        #expect(accepted.map(\.verdict) == [.accept])
        #expect(NF.steps(accepted[0]) == ["filter/INPUT JUMP", "filter/INPUT ACCEPT"])
        #expect(accepted[0].trace.map(\.verdict) == ["JUMP", "NOMATCH", "ACCEPT"])
        let forwarded = engine.traverse(hook: .forward, packet: NF.context("10.0.0.9", "10.0.0.2"))
        #expect(forwarded.map(\.verdict) == [.drop])
    }

    @Test("REJECT ends the traversal with its type; ACCEPT ends only its table")
    func rejectAndAcceptScope() throws {
        let engine = try NF.engine("""
        *mangle
        :INPUT ACCEPT [0:0]
        -A INPUT -j ACCEPT
        COMMIT
        *filter
        :INPUT ACCEPT [0:0]
        -A INPUT -p tcp -j REJECT --reject-with tcp-reset
        -A INPUT -p udp -j REJECT
        COMMIT
        """)
        #expect(engine.traverse(hook: .input, packet: NF.context("1.1.1.1", 1, "2.2.2.2", 2)).map(\.verdict) == [.reject("tcp-reset")])
        #expect(engine.traverse(hook: .input, packet: NF.context("1.1.1.1", 1, "2.2.2.2", 2, proto: .udp)).map(\.verdict)
                == [.reject("icmp-port-unreachable")])
        #expect(engine.traverse(hook: .input, packet: NF.context("1.1.1.1", "2.2.2.2", proto: .icmp)).map(\.verdict) == [.accept])
    }

    @Test("tables run in kernel priority order at each hook")
    func tableOrder() throws {
        let tables = ["raw", "mangle", "nat", "filter", "security"].map { name in
            "*\(name)\n" + Hook.allCases.map { ":\($0.rawValue) ACCEPT [0:0]" }.joined(separator: "\n") + "\n" +
            Hook.allCases.map { "-A \($0.rawValue) -j LOG" }.joined(separator: "\n") + "\nCOMMIT\n"
        }.joined()
        let engine = NetfilterEngine(ruleset: try NF.ruleset(tables))
        func order(_ hook: Hook) -> [String] {
            engine.traverse(hook: hook, packet: NF.context("1.1.1.1", "2.2.2.2")).first?.trace
                .filter { $0.verdict == "CONTINUE" }.map(\.table) ?? []
        }
        #expect(order(.prerouting) == ["raw", "mangle", "nat"])
        #expect(order(.input) == ["mangle", "filter", "security", "nat"])
        #expect(order(.forward) == ["mangle", "filter", "security"])
        #expect(order(.output) == ["raw", "mangle", "nat", "filter", "security"])
        #expect(order(.postrouting) == ["mangle", "nat"])
    }

    @Test("jump cycles are detected with a warning instead of hanging")
    func jumpCycle() throws {
        var ruleset = try NF.ruleset("""
        *filter
        :INPUT ACCEPT [0:0]
        :A - [0:0]
        :B - [0:0]
        -A INPUT -j A
        -A A -j B
        -A B -j A
        -A B -j DROP
        COMMIT
        """)
        // iptables-restore refuses loops, so also check a hand-built self loop.
        ruleset.tables[0].chains[1].rules.append(Rule(matches: [], target: .jump("A"), text: "-A A -j A", line: 99))
        let outcomes = NetfilterEngine(ruleset: ruleset).traverse(hook: .input, packet: NF.context("1.1.1.1", "2.2.2.2"))
        #expect(outcomes.map(\.verdict) == [.drop])
        #expect(outcomes[0].flags.contains(.uncertain))
        #expect(outcomes[0].warnings.contains { $0.contains("INPUT -> A -> B -> A") })
    }

    @Test("a jump to a missing chain continues with a warning")
    func missingChain() throws {
        let engine = try NF.engine(NF.input("-A INPUT -j NOWHERE\n-A INPUT -j DROP"))
        let outcomes = engine.traverse(hook: .input, packet: NF.context("1.1.1.1", "2.2.2.2"))
        #expect(outcomes.map(\.verdict) == [.drop])
        #expect(outcomes[0].warnings.first?.contains("NOWHERE") == true)
    }

    @Test("an unsupported match explores both outcomes, flagged uncertain, and names the rule")
    func unsupportedMatchBranches() throws {
        let engine = try NF.engine(NF.input("-A INPUT -m bpf --bytecode \"1,6 0 0 0\" -j DROP\n-A INPUT -s 1.1.1.1 -j REJECT"))
        let outcomes = engine.traverse(hook: .input, packet: NF.context("1.1.1.1", "2.2.2.2"))
        #expect(outcomes.map(\.verdict).sorted { "\($0)" < "\($1)" } == [.drop, .reject("icmp-port-unreachable")])
        #expect(outcomes.allSatisfy { $0.flags.contains(.uncertain) && $0.probability == 1 })
        #expect(outcomes.allSatisfy { $0.warnings.first?.contains("-m bpf") == true })
        #expect(outcomes.allSatisfy { $0.trace.first?.note?.contains("not modelled") == true })
    }

    @Test("an unsupported target is assumed non-terminal, flagged uncertain")
    func unsupportedTarget() throws {
        let engine = try NF.engine(NF.input("-A INPUT -j NFQUEUE --queue-num 1\n-A INPUT -j DROP"))
        let outcomes = engine.traverse(hook: .input, packet: NF.context("1.1.1.1", "2.2.2.2"))
        #expect(outcomes.map(\.verdict) == [.drop])
        #expect(outcomes[0].flags == .uncertain)
    }

    @Test("several hooks in sequence: the caller routes between them, probabilities multiply")
    func hookSequence() throws {
        let engine = try NF.engine("""
        *nat
        :PREROUTING ACCEPT [0:0]
        :POSTROUTING ACCEPT [0:0]
        -A PREROUTING -d 10.96.0.1 -m statistic --mode random --probability 0.25 -j DNAT --to-destination 10.244.1.1
        -A PREROUTING -d 10.96.0.1 -j DNAT --to-destination 10.244.2.2
        -A POSTROUTING -o eth0 -j MASQUERADE
        COMMIT
        *filter
        :FORWARD ACCEPT [0:0]
        -A FORWARD -d 10.244.2.2 -j DROP
        COMMIT
        """)
        var start = NF.context("10.0.0.5", 1234, "10.96.0.1", 80, in: "eth1")
        start.interfaceAddress = { $0 == "eth0" ? IPAddress("192.168.0.1") : nil }
        let outcomes = engine.traverse(hooks: Hook.forwarded, packet: start) { hook, context in
            var routed = context
            routed.outInterface = "eth0"
            return routed
        }
        #expect(outcomes.count == 2)
        let accepted = try #require(outcomes.first { $0.verdict == .accept })
        #expect(accepted.probability == 0.25)
        #expect(accepted.packet.src == IPAddress("192.168.0.1"))
        #expect(accepted.packet.dst == IPAddress("10.244.1.1"))
        #expect(accepted.context.natStatus == [.dnat, .snat])
        #expect(accepted.trace.map(\.hook).contains("POSTROUTING"))
        let dropped = try #require(outcomes.first { $0.verdict == .drop })
        #expect(dropped.probability == 0.75)
        #expect(dropped.packet.dst == IPAddress("10.244.2.2"))
    }
}
