import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

/// The lazy read a diagnosis uses: structure now, each chain's rules on first use.
@Suite("iptables-save scan (rules decoded on first use)")
struct IPTablesScanTests {
    static let labDumps = [
        "lab-basic/nodes/node1/netns/host/iptables.txt", "lab-basic/nodes/node2/netns/host/iptables.txt",
        "lab-basic/nodes/node1/netns/host/ip6tables.txt", "lab-flannel-vxlan/nodes/node1/netns/host/iptables.txt",
    ]

    @Test("scanning a captured dump gives the same ruleset as reading every rule", arguments: labDumps)
    func scanEqualsParse(_ fixture: String) throws {
        let text = try Fixtures.text(fixture)
        let scanned = try IPTablesSaveParser.scan(text, source: fixture)
        let parsed = try IPTablesSaveParser.parse(text, source: fixture)
        #expect(scanned.ruleset.tables.map(\.name) == parsed.ruleset.tables.map(\.name))
        for (lazy, eager) in zip(scanned.ruleset.tables, parsed.ruleset.tables) {
            #expect(lazy.chains.map(\.ruleCount) == eager.chains.map(\.rules.count))
            #expect(lazy == eager)
        }
        #expect(scanned.ruleset.family == parsed.ruleset.family && scanned.ruleset.dialect == parsed.ruleset.dialect)
    }

    @Test("a chain is decoded only when asked for; copies of the ruleset share the decoding")
    func decodingIsLazyAndShared() throws {
        let text = "*filter\n:INPUT ACCEPT [0:0]\n:BAD - [0:0]\n-A INPUT -j ACCEPT\n-A BAD -s 10.0.0.300 -j DROP\nCOMMIT\n"
        let ruleset = try IPTablesSaveParser.scan(text, source: "t.txt").ruleset
        let copy = ruleset
        let input = try #require(copy.table("filter")?.chain("INPUT"))
        #expect(input.ruleCount == 1)
        #expect(input.rules.map(\.target) == [.accept])
        // The malformed rule in BAD is only met when BAD is decoded; a full read names its line.
        let bad = try #require(ruleset.table("filter")?.chain("BAD"))
        #expect(bad.ruleCount == 1)
        #expect(throws: InputError.self) { try ruleset.validate(source: "t.txt") }
        do {
            _ = try ruleset.validate(source: "node/iptables.txt")
        } catch {
            #expect(error.line == 5 && error.source == "node/iptables.txt" && error.expected.contains("address"))
        }
    }

    @Test("a malformed rule met by a packet is walked as uncertain, with a warning naming its line")
    func unreadableRuleIsUncertain() throws {
        let text = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.300 -j DROP\n-A INPUT -p tcp -j ACCEPT\nCOMMIT\n"
        let engine = NetfilterEngine(ruleset: try IPTablesSaveParser.scan(text, source: "t.txt").ruleset)
        let packet = Packet(src: IPAddress("10.0.0.1")!, sport: 1234, dst: IPAddress("10.0.0.2")!, dport: 80, proto: .tcp)
        let outcomes = engine.traverse(hook: .input, packet: PacketContext(packet: packet, inInterface: "eth0"))
        #expect(outcomes.allSatisfy { $0.flags.contains(.uncertain) })
        #expect(outcomes.allSatisfy { $0.verdict == .accept })
        let warnings = Set(outcomes.flatMap(\.warnings))
        #expect(warnings.contains { $0.contains("line 3") && $0.contains("could not be read") && $0.contains("address") },
                "\(warnings)")
    }

    @Test("structural errors are found by the scan itself", arguments: [
        ("*filter\n:INPUT ACCEPT [0:0]\n-A OUTPUT -j ACCEPT\nCOMMIT\n", 3, ":OUTPUT"),
        ("*filter\n:INPUT ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\nCOMMIT\n", 3, "declared once"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n", 3, "COMMIT"),
        ("*filter\n:INPUT ACCEPT [0:0]\n[1:2 -A INPUT -j ACCEPT\nCOMMIT\n", 3, "packets:bytes"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-I INPUT -j ACCEPT\nCOMMIT\n", 3, "-A CHAIN"),
        ("*filter\n:INPUT ACCEPT [0:0]\n-A \"IN PUT\" -j ACCEPT\nCOMMIT\n", 3, ":IN PUT"),
    ])
    func structuralErrors(text: String, line: Int, expected: String) {
        #expect {
            _ = try IPTablesSaveParser.scan(text, source: "t.txt")
        } throws: { error in
            guard let error = error as? InputError else { return false }
            return error.line == line && error.expected.contains(expected) && error.source == "t.txt"
        }
    }

    @Test("CRLF line endings and a last line without a newline scan like the plain dump")
    func lineEndings() throws {
        let text = "*filter\n:INPUT ACCEPT [0:0]\n[3:4] -A INPUT -s 10.0.0.0/8 -j DROP\n-A INPUT -j ACCEPT\nCOMMIT"
        let plain = try IPTablesSaveParser.scan(text, source: "t.txt").ruleset
        let crlf = try IPTablesSaveParser.scan(text.replacingOccurrences(of: "\n", with: "\r\n"), source: "t.txt").ruleset
        #expect(plain == crlf)
        let rules = try #require(plain.table("filter")?.chain("INPUT")?.rules)
        #expect(rules.map(\.line) == [3, 4])
        #expect(rules.first?.counters == Counters(packets: 3, bytes: 4))
    }

    @Test("thousands of chains are found by name, whatever order their rules come in")
    func manyChains() throws {
        let names = (0..<5_000).map { "KUBE-SEP-\(String($0, radix: 36).uppercased())" }
        var lines = ["*nat", ":PREROUTING ACCEPT [0:0]"] + names.map { ":\($0) - [0:0]" }
        // Rules in reverse declaration order: the scanner's guess of the next chain never holds.
        for (position, name) in names.enumerated().reversed() {
            lines += (0...(position % 3)).map { "-A \(name) -s 10.0.\($0).0/24 -j RETURN" }
        }
        let ruleset = try IPTablesSaveParser.scan((lines + ["COMMIT", ""]).joined(separator: "\n"), source: "t.txt").ruleset
        let nat = try #require(ruleset.table("nat"))
        for (position, name) in names.enumerated() {
            #expect(nat.chain(name)?.rules.count == position % 3 + 1, "\(name)")
        }
        #expect(nat.chain("KUBE-SEP-NOPE") == nil)
        #expect(nat.chain("PREROUTING")?.policy == .accept)
    }
}
