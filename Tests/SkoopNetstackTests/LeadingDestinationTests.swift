import Testing
import SkoopModel
@testable import SkoopNetstack

/// A scanned dump's big chains are indexed by destination from the rule lines, without decoding
/// the rules: the index must be the one built from the decoded rules, and a walk decodes only
/// the rules it visits.
@Suite struct LeadingDestinationTests {
    static let rules = [
        "-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.96.0.0/12 -m comment --comment \"masq\" -j KUBE-MARK-MASQ",
        "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp --dport 443 -j KUBE-SVC-A",
        "[12:3400] -A KUBE-SERVICES -d 10.96.0.2/32 -p udp -m udp --dport 53 -j KUBE-SVC-B",
        "-A KUBE-SERVICES -p tcp -d 10.96.0.3/32 -m tcp --dport 80 -j KUBE-SVC-C",
        "-A KUBE-SERVICES ! -d 10.96.0.4/32 -p tcp -j KUBE-SVC-D",
        "-A KUBE-SERVICES -d 10.96.0.5 -p tcp -j KUBE-SVC-E",
        "-A KUBE-SERVICES -m comment --comment \"-d 10.96.0.9/32\" -d 10.96.0.6/32 -j KUBE-SVC-F",
        "-A KUBE-SERVICES --destination 10.96.0.7/32 -j KUBE-SVC-G",
        "-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment \"default/kubernetes:https external IP\" -m tcp --dport 8443 -j KUBE-SVC-A",
        "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS",
    ]

    static func dump(_ rules: [String]) -> String {
        let chains = ["PREROUTING ACCEPT [0:0]", "KUBE-SERVICES - [0:0]", "KUBE-MARK-MASQ - [0:0]", "KUBE-NODEPORTS - [0:0]"]
            + "ABCDEFG".map { "KUBE-SVC-\($0) - [0:0]" }
        let lines = ["*nat"] + chains.map { ":" + $0 } + ["-A PREROUTING -j KUBE-SERVICES"] + rules + ["COMMIT", ""]
        return lines.joined(separator: "\n")
    }

    static func chain(scanning text: String) throws -> Chain {
        try #require(IPTablesSaveParser.scan(text, source: "iptables.txt").ruleset.table("nat")?.chain("KUBE-SERVICES"))
    }

    @Test func theIndexFromTheLinesIsTheIndexOfTheDecodedRules() throws {
        let text = Self.dump(Self.rules)
        let decoded = try #require(IPTablesSaveParser.parse(text, source: "iptables.txt").ruleset.table("nat")?.chain("KUBE-SERVICES"))
        let fromLines = try Self.chain(scanning: text).storage.destinationIndex
        let fromRules = DestinationIndex(decoded.rules)
        #expect(fromLines.byAddress == fromRules.byAddress && fromLines.unindexed == fromRules.unindexed)
        #expect(fromLines.byAddress[IPAddress("10.96.0.1")!] == [1, 8])
        #expect(fromLines.unindexed == [0, 4, 9])
    }

    @Test func onlyLinesThatStartWithAHostDestinationAreReadWithoutDecoding() {
        let expected: [String?] = [nil, "10.96.0.1", "10.96.0.2", nil, nil, "10.96.0.5", nil, nil, "10.96.0.1", nil]
        for (line, address) in zip(Self.rules, expected) {
            var text = line
            let found = text.withUTF8 { LeadingDestination.host(in: $0, 0..<$0.count) }
            #expect(found == address.flatMap(IPAddress.init), "\(line)")
        }
    }

    @Test func aWalkThroughAnIndexedChainGivesTheLinearWalksOutcomes() throws {
        let ruleset = try IPTablesSaveParser.scan(Self.dump(Self.rules), source: "iptables.txt").ruleset
        for destination in ["10.96.0.1", "10.96.0.3", "10.96.0.4", "10.96.0.6", "10.96.0.8"] {
            var context = NF.context("10.244.0.5", 40000, destination, 443, in: "cni0")
            context.addressType = PacketContext.addressTypes([IPAddress("192.168.0.1")!: .local])
            let linear = NetfilterEngine(ruleset: ruleset, options: .init(indexThreshold: nil)).traverse(hook: .prerouting, packet: context)
            let indexed = NetfilterEngine(ruleset: ruleset, options: .init(indexThreshold: 2)).traverse(hook: .prerouting, packet: context)
            #expect(linear.map(\.verdict) == indexed.map(\.verdict), "\(destination)")
            #expect(linear.map(\.packet) == indexed.map(\.packet), "\(destination)")
            #expect(linear.map(\.matchedRules) == indexed.map(\.matchedRules), "\(destination)")
            #expect(linear.map(\.warnings) == indexed.map(\.warnings), "\(destination)")
        }
    }

    /// A line Skoop cannot read that starts with a host destination can only match that
    /// address: a packet to another is not made uncertain by it, whether the chain was decoded
    /// whole or indexed from its lines.
    @Test func anUnreadableRuleForAnotherAddressIsNotWalked() throws {
        let unreadable = "-A KUBE-SERVICES -d 10.96.0.8/32 -p tcp --no-such-option 1 -j KUBE-SVC-A"
        let text = Self.dump(Array(Self.rules.prefix(3)) + [unreadable] + Array(Self.rules.dropFirst(3)))
        let scanned = try Self.chain(scanning: text)
        let fromRules = DestinationIndex(scanned.rules)
        let fromLines = try Self.chain(scanning: text).storage.destinationIndex
        #expect(fromLines.byAddress == fromRules.byAddress && fromLines.unindexed == fromRules.unindexed)
        #expect(fromLines.byAddress[IPAddress("10.96.0.8")!] == [3])
        let ruleset = try IPTablesSaveParser.scan(text, source: "iptables.txt").ruleset
        var context = NF.context("10.244.0.5", 40000, "10.96.0.2", 53, proto: .udp, in: "cni0")
        context.addressType = PacketContext.addressTypes([IPAddress("192.168.0.1")!: .local])
        let outcomes = NetfilterEngine(ruleset: ruleset, options: .init(indexThreshold: 2)).traverse(hook: .prerouting, packet: context)
        #expect(outcomes.count == 1 && outcomes.allSatisfy(\.warnings.isEmpty))
        #expect(!outcomes.contains { $0.trace.contains { $0.rule.contains("--no-such-option") } })
        context = NF.context("10.244.0.5", 40000, "10.96.0.8", 80, in: "cni0")
        let toIt = NetfilterEngine(ruleset: ruleset, options: .init(indexThreshold: 2)).traverse(hook: .prerouting, packet: context)
        #expect(toIt.contains { !$0.warnings.isEmpty }, "the packet to its address still meets it")
    }
}
