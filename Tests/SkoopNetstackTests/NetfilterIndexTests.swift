import Testing
import SkoopModel
@testable import SkoopNetstack

@Suite("Netfilter engine: destination index for big kube-proxy chains")
struct NetfilterIndexTests {
    static let services = 5000

    /// kube-proxy-shaped nat rules: one KUBE-SERVICES rule per ClusterIP, two endpoints each,
    /// the masquerade rule first and the nodeports rule last (neither indexable).
    static let ruleset: Ruleset = {
        var chains = [":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":KUBE-SERVICES - [0:0]",
                      ":KUBE-MARK-MASQ - [0:0]", ":KUBE-NODEPORTS - [0:0]"]
        var rules = ["-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
                     "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
                     "-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.0.0/12 -m comment --comment \"masq\" -j KUBE-MARK-MASQ"]
        for n in 0..<services {
            let ip = "10.96.\(n / 250).\(n % 250 + 1)"
            chains += [":KUBE-SVC-\(n) - [0:0]", ":KUBE-SEP-\(n)A - [0:0]", ":KUBE-SEP-\(n)B - [0:0]"]
            rules += [
                "-A KUBE-SERVICES -d \(ip)/32 -p tcp -m comment --comment \"ns/svc\(n):http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-\(n)",
                "-A KUBE-SVC-\(n) -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-\(n)A",
                "-A KUBE-SVC-\(n) -j KUBE-SEP-\(n)B",
                "-A KUBE-SEP-\(n)A -p tcp -m tcp -j DNAT --to-destination 10.244.\(n % 200).2:8080",
                "-A KUBE-SEP-\(n)B -p tcp -m tcp -j DNAT --to-destination 10.244.\(n % 200).3:8080",
            ]
        }
        rules.append("-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
        let text = "*nat\n" + chains.joined(separator: "\n") + "\n" + rules.joined(separator: "\n") + "\nCOMMIT\n"
        return (try? IPTablesSaveParser.parse(text, source: "generated").ruleset) ?? Ruleset()
    }()

    func context(_ dst: String) -> PacketContext {
        var context = NF.context("10.244.0.5", 40000, dst, 80, in: "cni0")
        context.addressType = PacketContext.addressTypes([IPAddress("192.168.0.1")!: .local])
        return context
    }

    @Test("indexed and linear evaluation give the same verdicts, packets and matched rules",
          arguments: ["10.96.0.1", "10.96.10.7", "10.96.19.250", "10.96.19.251", "192.168.0.1", "8.8.8.8"])
    func sameResults(destination: String) {
        #expect(Self.ruleset.table("nat")?.chain("KUBE-SERVICES")?.rules.count == Self.services + 2)
        let linear = NetfilterEngine(ruleset: Self.ruleset, options: .init(indexThreshold: nil))
            .traverse(hook: .prerouting, packet: context(destination))
        let indexed = NetfilterEngine(ruleset: Self.ruleset).traverse(hook: .prerouting, packet: context(destination))
        #expect(linear.map(\.verdict) == indexed.map(\.verdict))
        #expect(linear.map(\.packet) == indexed.map(\.packet))
        #expect(linear.map(\.probability) == indexed.map(\.probability))
        #expect(linear.map(\.matchedRules) == indexed.map(\.matchedRules))
        #expect(indexed.allSatisfy { $0.trace.count < 20 })
        #expect(zip(linear, indexed).allSatisfy { $0.trace.count >= $1.trace.count })
        if destination == "10.96.19.250" { #expect(linear.allSatisfy { $0.trace.count > Self.services }) }
    }

    @Test("a service in the middle of the chain: two DNAT branches, skipped rules summarised")
    func middleService() throws {
        let outcomes = NetfilterEngine(ruleset: Self.ruleset).traverse(hook: .prerouting, packet: context("10.96.10.7"))
        // 10.96.10.7 is service 2506.
        #expect(outcomes.map { $0.packet.dst.description } == ["10.244.106.2", "10.244.106.3"])
        #expect(outcomes.map(\.probability) == [0.5, 0.5])
        let skipped = outcomes[0].trace.filter { $0.verdict == "SKIPPED" }
        #expect(skipped.count == 1)
        #expect(skipped[0].rule == "2506 rule(s) skipped by the destination index")
        #expect(outcomes[0].matchedRules.map(\.chain) == ["PREROUTING", "KUBE-SERVICES", "KUBE-SVC-2506", "KUBE-SEP-2506A"])
    }

    @Test("a node address reaches the unindexed nodeports rule at the end")
    func nodePortFallsThrough() {
        let outcomes = NetfilterEngine(ruleset: Self.ruleset).traverse(hook: .prerouting, packet: context("192.168.0.1"))
        #expect(outcomes.count == 1)
        #expect(outcomes[0].matchedRules.map(\.chain) == ["PREROUTING", "KUBE-SERVICES", "PREROUTING"])
        #expect(outcomes[0].trace.contains { $0.verdict == "JUMP" && $0.rule.contains("KUBE-NODEPORTS") })
    }
}

@Suite("xtables-monitor style trace text")
struct NetfilterTraceTextTests {
    @Test("verdicts are printed as the nft backend prints them; unmatched rules are not printed")
    func verdicts() throws {
        let engine = try NF.engine("""
        *filter
        :INPUT ACCEPT [0:0]
        :A - [0:0]
        -A INPUT -s 9.9.9.9 -j DROP
        -A INPUT -j A
        -A INPUT -j MARK --set-xmark 0x1/0xffffffff
        -A INPUT -p tcp -j REJECT --reject-with tcp-reset
        -A A -j RETURN
        COMMIT
        """)
        let outcome = try #require(engine.traverse(hook: .input, packet: NF.context("1.1.1.1", 1, "2.2.2.2", 2)).first)
        let lines = NetfilterTraceText.render(outcome.trace, packet: outcome.packet, id: "abcd", handles: ["-A INPUT -j A": 0x1f])
        #expect(lines == [
            "PACKET: 2 abcd SRC=1.1.1.1 DST=2.2.2.2 SPORT=1 DPORT=2 PROTO=TCP mark 0x1".replacingOccurrences(of: " mark 0x1", with: ""),
            " TRACE: 2 abcd filter:INPUT:rule:0x1f:JUMP:A  -4 -t filter -A INPUT -j A",
            " TRACE: 2 abcd filter:A:rule:0x0:0xfffffffb  -4 -t filter -A A -j RETURN",
            " TRACE: 2 abcd filter:INPUT:rule:0x0:CONTINUE  -4 -t filter -A INPUT -j MARK --set-xmark 0x1/0xffffffff",
            " TRACE: 2 abcd filter:INPUT:rule:0x0:DROP  -4 -t filter -A INPUT -p tcp -j REJECT --reject-with tcp-reset",
        ])
        let policy = NetfilterTraceText.render(
            [NetfilterTraceEntry(hook: "FORWARD", table: "filter", chain: "FORWARD", rule: "-P FORWARD ACCEPT", matched: true, verdict: "POLICY ACCEPT")],
            packet: outcome.packet, family: .inet6)
        #expect(policy.last == " TRACE: 10 00000000 filter:FORWARD:policy:ACCEPT ")
    }
}
