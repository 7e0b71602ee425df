import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

@Suite("iptables-save parser")
struct IPTablesParserTests {
    func parse(_ text: String) throws -> IPTablesParseResult {
        try IPTablesSaveParser.parse(text, source: "test.txt")
    }

    func inputError(_ text: String) -> InputError? {
        do {
            _ = try parse(text)
            return nil
        } catch let error as InputError {
            return error
        } catch {
            return nil
        }
    }

    @Test("node1 of the lab (iptables-legacy-save): chains, policies, counters and typed rules")
    func labNode1() throws {
        let result = try IPTablesSaveParser.parse(
            try Fixtures.text("lab-basic/nodes/node1/netns/host/iptables.txt"), source: "node1/iptables.txt")
        let ruleset = result.ruleset
        #expect(result.warnings.isEmpty)
        #expect(ruleset.dialect == .legacy)
        #expect(ruleset.family == .inet)
        #expect(ruleset.tables.map(\.name) == ["filter", "nat"])
        let nat = try #require(ruleset.table("nat"))
        #expect(nat.chains.count == 12)
        #expect(nat.chain("PREROUTING")?.policy == .accept)
        #expect(nat.chain("PREROUTING")?.counters == Counters(packets: 11, bytes: 686))
        #expect(nat.chain("KUBE-MARK-MASQ")?.policy == nil)
        let services = try #require(nat.chain("KUBE-SERVICES")?.rules)
        #expect(services.count == 3)
        #expect(services[0].matches == [
            Match(.address(.source, IPPrefix("10.244.0.0/16")!), negated: true),
            Match(.comment("Kubernetes service cluster ip + port for masquerade purpose")),
            Match(.set(name: "KUBE-CLUSTER-IP", flags: [.destination, .destination])),
        ])
        #expect(services[0].target == .jump("KUBE-MARK-MASQ"))
        #expect(services[1].counters == Counters(packets: 3, bytes: 180))
        #expect(services[1].matches == [
            Match(.address(.destination, IPPrefix("10.96.0.10/32")!)), Match(.proto(6)),
            Match(.comment("default/web:http cluster IP")), Match(.port(.destination, PortRange(80))),
        ])
        #expect(services[1].text.hasPrefix("-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp"))
        #expect(services[2].matches.last == Match(.addressType(.destination, [.local], limitInterfaceIn: false, limitInterfaceOut: false)))
        let postrouting = try #require(nat.chain("KUBE-POSTROUTING")?.rules)
        #expect(postrouting[0].matches == [Match(.mark(value: 0x4000, mask: 0x4000), negated: true)])
        #expect(postrouting[0].target == .return)
        #expect(postrouting[1].target == .mark(MarkChange(value: 0x4000, mask: 0)))
        #expect(postrouting[2].target == .masquerade(toPorts: nil, random: false, randomFully: true))
        #expect(nat.chain("KUBE-SEP-JA2GUVOPKF4OOH4G")?.rules[1].target
                == .dnat(to: [NATRange(low: IPAddress("10.244.1.2"), ports: PortRange(8080))], random: false, persistent: false))
        let filter = try #require(ruleset.table("filter"))
        let firewall = try #require(filter.chain("KUBE-FIREWALL")?.rules.first)
        #expect(firewall.matches.last == Match(.conntrackState([.related, .established, .dnat]), negated: true))
        #expect(firewall.target == .drop)
        #expect(filter.chain("KUBE-SERVICES")?.rules.first?.target == .reject(with: "icmp-port-unreachable"))
    }

    @Test("node2 of the lab (iptables-nft-save) parses to the same nat chains as node1")
    func labNode2() throws {
        let node1 = try IPTablesSaveParser.parse(try Fixtures.text("lab-basic/nodes/node1/netns/host/iptables.txt"), source: "n1").ruleset
        let node2 = try IPTablesSaveParser.parse(try Fixtures.text("lab-basic/nodes/node2/netns/host/iptables.txt"), source: "n2").ruleset
        #expect(node2.dialect == .nft)
        #expect(node2.tables.map(\.name) == ["raw", "filter", "nat"])
        let svc1 = try #require(node1.table("nat")?.chain("KUBE-SVC-4N57TFCL4MD7ZTDA"))
        let svc2 = try #require(node2.table("nat")?.chain("KUBE-SVC-4N57TFCL4MD7ZTDA"))
        #expect(svc1.rules.map(\.matches) == svc2.rules.map(\.matches))
        #expect(svc1.rules.map(\.target) == svc2.rules.map(\.target))
        #expect(svc2.rules[1].matches.last == Match(.statisticRandom(probability: 0.5)))
    }

    @Test("ip6tables-save sets the family and reads IPv6 prefixes and icmpv6")
    func ip6tables() throws {
        let ruleset = try IPTablesSaveParser.parse(try Fixtures.text("lab-basic/nodes/node1/netns/host/ip6tables.txt"), source: "ip6").ruleset
        #expect(ruleset.family == .inet6)
        let filter = try #require(ruleset.table("filter"))
        #expect(filter.chain("INPUT")?.rules.first?.matches == [Match(.proto(58)), Match(.icmpType(128, code: nil))])
        #expect(filter.chain("FORWARD")?.rules[1].matches.first == Match(.address(.source, IPPrefix("fd00:10:244::/48")!)))
    }

    @Test("quoted words keep spaces and escaped quotes; ! before the option and inside modules")
    func tokenizingAndNegation() throws {
        let text = """
        *filter
        :INPUT ACCEPT [0:0]
        -A INPUT ! -s 10.0.0.0/8 ! -i eth+ -p tcp -m tcp ! --dport 22 --sport 1000:2000 -m comment --comment "say \\"hi\\" there" -j ACCEPT
        -A INPUT -m multiport ! --sports 1,2 -m conntrack ! --ctstate NEW -j DROP
        COMMIT
        """
        let rules = try #require(try parse(text).ruleset.table("filter")?.chain("INPUT")?.rules)
        #expect(rules[0].matches == [
            Match(.address(.source, IPPrefix("10.0.0.0/8")!), negated: true),
            Match(.inInterface("eth+"), negated: true),
            Match(.proto(6)),
            Match(.port(.destination, PortRange(22)), negated: true),
            Match(.port(.source, PortRange(1000, 2000))),
            Match(.comment("say \"hi\" there")),
        ])
        #expect(rules[1].matches == [Match(.multiport(.source, [PortRange(1), PortRange(2)]), negated: true),
                                     Match(.conntrackState([.new]), negated: true)])
    }

    @Test("an unknown match or target becomes unsupported and the rest of the ruleset is kept")
    func unknownParts() throws {
        let text = """
        *filter
        :INPUT ACCEPT [0:0]
        :FORWARD ACCEPT [0:0]
        -A INPUT -m bpf --bytecode "4,48 0 0 9" -s 10.0.0.1 -j ACCEPT
        -A INPUT -m conntrack --ctorigdst 10.0.0.1 -j DROP
        -A INPUT -j NFQUEUE --queue-num 3
        -A FORWARD -j ACCEPT
        COMMIT
        """
        let result = try parse(text)
        let input = try #require(result.ruleset.table("filter")?.chain("INPUT")?.rules)
        #expect(input[0].matches == [Match(.unsupported(module: "bpf", arguments: ["--bytecode", "4,48 0 0 9"])),
                                     Match(.address(.source, IPPrefix("10.0.0.1")!))])
        #expect(input[0].target == .accept)
        #expect(input[1].matches == [Match(.unsupported(module: "conntrack", arguments: ["--ctorigdst", "10.0.0.1"]))])
        #expect(input[2].target == .unsupported(name: "NFQUEUE", arguments: ["--queue-num", "3"]))
        #expect(result.ruleset.table("filter")?.chain("FORWARD")?.rules.first?.target == .accept)
        #expect(result.warnings.map(\.line) == [4, 5, 6])
    }

    @Test("a jump to a chain the table does not declare is a warning, not a failure")
    func missingChainWarning() throws {
        let result = try parse("*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j KUBE-NOWHERE\n-A PREROUTING -g KUBE-GONE\nCOMMIT\n")
        #expect(result.warnings.map(\.line) == [3, 4])
        #expect(result.warnings.first?.message.contains("KUBE-NOWHERE") == true)
        #expect(result.ruleset.table("nat")?.chain("PREROUTING")?.rules.map(\.target) == [.jump("KUBE-NOWHERE"), .goto("KUBE-GONE")])
    }

    @Test("malformed input names the line and what was expected", arguments: [
        ("-A INPUT -j ACCEPT\n", 1, "*table"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", 3, "COMMIT"),
        ("*filtre\nCOMMIT\n", 1, "table name"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s\nCOMMIT\n", 3, "value after -s"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.300 -j DROP\nCOMMIT\n", 3, "address"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m comment --comment \"open -j ACCEPT\nCOMMIT\n", 3, "quotes"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n", 3, ":OUTPUT"),
        ("*filter\n:INPUT MAYBE [0:0]\nCOMMIT\n", 2, "policy"),
        ("*filter\n:INPUT ACCEPT [0:0]\n[1:2 -A INPUT -j ACCEPT\nCOMMIT\n", 3, "packets:bytes"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m tcp --tcp-flags SYN\nCOMMIT\n", 3, "--tcp-flags"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT !\nCOMMIT\n", 3, "after !"),
        ("*filter\n*nat\n", 2, "COMMIT"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-I INPUT -j ACCEPT\nCOMMIT\n", 3, "-A CHAIN"),
    ])
    func malformed(text: String, line: Int, expected: String) throws {
        let error = try #require(inputError(text))
        #expect(error.source == "test.txt")
        #expect(error.line == line)
        #expect(error.expected.contains(expected))
    }
}
