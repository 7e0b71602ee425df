import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

/// The lab-basic capture: kube-proxy rules on node1 (legacy) and node2 (nft), and a real
/// `xtables-monitor --trace` of pod-client2 (10.244.2.3 on node2) connecting to 10.96.0.10:80.
@Suite("Netfilter engine against the lab-basic capture")
struct NetfilterLabTests {
    static let tracePath = "lab-basic/ground-truth/xtables-monitor-trace-node2-client2-to-10.96.0.10-80.txt"

    func engine(node: String, traceRule: Bool = false, indexThreshold: Int? = 64) throws -> NetfilterEngine {
        var text = try Fixtures.text("lab-basic/nodes/\(node)/netns/host/iptables.txt")
        if traceRule {
            // The capture removed its TRACE rule before saving; put it back where it was.
            text = text.replacingOccurrences(of: ":OUTPUT ACCEPT [0:0]\nCOMMIT",
                                             with: ":OUTPUT ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 80 -j TRACE\nCOMMIT")
        }
        let ruleset = try IPTablesSaveParser.parse(text, source: "\(node)/iptables.txt").ruleset
        let sets = try IPSetParser.parse(try Fixtures.text("lab-basic/nodes/\(node)/netns/host/ipset.txt"), source: "ipset.txt")
        return NetfilterEngine(ruleset: ruleset, ipsets: sets, options: .init(indexThreshold: indexThreshold))
    }

    func clientPacket(_ src: String, sport: UInt16 = 55136) -> PacketContext {
        var context = NF.context(src, sport, "10.96.0.10", 80, in: "cni0")
        context.addressType = PacketContext.addressTypes([IPAddress("192.168.56.11")!: .local, IPAddress("192.168.56.12")!: .local])
        return context
    }

    @Test("a ClusterIP packet to 10.96.0.10:80 gets two DNAT branches, p=0.5 each, on both nodes", arguments: [
        ("node1", "10.244.1.3"), ("node2", "10.244.2.3"),
    ])
    func clusterIPBranches(node: String, client: String) throws {
        let outcomes = try engine(node: node).traverse(hook: .prerouting, packet: clientPacket(client))
        #expect(outcomes.count == 2)
        #expect(outcomes.map(\.verdict) == [.accept, .accept])
        #expect(outcomes.map(\.probability) == [0.5, 0.5])
        #expect(outcomes.map { "\($0.packet.dst):\($0.packet.dport)" } == ["10.244.1.2:8080", "10.244.2.2:8080"])
        #expect(outcomes.allSatisfy { $0.flags.isEmpty && $0.warnings.isEmpty && $0.packet.mark == 0 })
        #expect(outcomes.allSatisfy { $0.packet.src == IPAddress(client) && $0.packet.sport == 55136 })
    }

    @Test("traffic from outside the pod CIDR is marked for masquerade on the way (node1 uses the ipset)")
    func externalClientMarked() throws {
        var context = clientPacket("192.168.56.1")
        context.inInterface = "ens4"
        let outcomes = try engine(node: "node1").traverse(hook: .prerouting, packet: context)
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { $0.packet.mark == 0x4000 })
        #expect(outcomes[0].matchedRules.first { $0.chain == "KUBE-SERVICES" }?.rule.contains("--match-set KUBE-CLUSTER-IP dst,dst") == true)
    }

    /// The TRACE lines of the real capture for one trace id's packet, handle and id normalised.
    func realLines(packetIndex: Int) throws -> [String] {
        let text = try Fixtures.text(Self.tracePath)
        var groups: [[String]] = []
        var lastPacketHeader = ""
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("PACKET:") {
                // A new packet starts when its first hook (raw PREROUTING, no OUT=) begins.
                let header = line.components(separatedBy: " ID=").last?.components(separatedBy: " ").first ?? ""
                if header != lastPacketHeader { groups.append([]) }
                lastPacketHeader = header
                continue
            }
            groups[groups.count - 1].append(normalise(line))
        }
        return groups[packetIndex]
    }

    func normalise(_ line: String) -> String {
        var words = line.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        if words.count > 3 { words[3] = "ID" }
        var text = words.joined(separator: " ")
        if let range = text.range(of: #":rule:0x[0-9a-f]+:"#, options: .regularExpression) {
            text.replaceSubrange(range, with: ":rule:H:")
        }
        return text.hasSuffix(" ") && !text.contains(":policy:") ? String(text.dropLast()) : text
    }

    func simulatedLines(_ outcome: NetfilterOutcome) -> [String] {
        NetfilterTraceText.render(outcome.trace, packet: outcome.packet)
            .filter { !$0.hasPrefix("PACKET:") }
            .map(normalise)
    }

    func forwardThroughNode2(_ context: PacketContext, indexThreshold: Int? = 64) throws -> [NetfilterOutcome] {
        try engine(node: "node2", traceRule: true, indexThreshold: indexThreshold)
            .traverse(hooks: Hook.forwarded, packet: context) { _, context in
                var routed = context
                routed.outInterface = "cni0"   // both backends' routes answer cni0 for this branch's check
                return routed
            }
    }

    @Test("the simulated rule sequence of the SYN equals the real xtables-monitor trace")
    func firstPacketTraceEqualsReal() throws {
        let outcomes = try forwardThroughNode2(clientPacket("10.244.2.3"))
        // The real packet went to the local backend 10.244.2.2.
        let local = try #require(outcomes.first { $0.packet.dst == IPAddress("10.244.2.2") })
        #expect(local.verdict == .accept)
        #expect(local.probability == 0.5)
        let real = try realLines(packetIndex: 0)
        #expect(real.count == 14)
        #expect(simulatedLines(local) == real)
    }

    @Test("a later packet of the same connection skips nat and is accepted by the conntrack rule, as in the real trace")
    func laterPacketTraceEqualsReal() throws {
        var context = clientPacket("10.244.2.3")
        context.isFirstPacket = false
        // Conntrack replays the recorded DNAT at the nat hook; the caller supplies it.
        context.connectionNAT = ConnectionNAT(destination: IPAddress("10.244.2.2"), destinationPort: 8080)
        context.natStatus = [.dnat]
        let outcomes = try forwardThroughNode2(context)
        #expect(outcomes.count == 1)
        let outcome = try #require(outcomes.first)
        #expect(outcome.packet.dst == IPAddress("10.244.2.2"))
        #expect(outcome.packet.dport == 8080)
        // Real: raw TRACE rule, raw policy, FORWARD -> KUBE-FORWARD, conntrack ACCEPT; no nat at all.
        let real = try realLines(packetIndex: 1)
        #expect(real.count == 4)
        #expect(simulatedLines(outcome) == real)
        #expect(outcome.trace.contains { $0.verdict == "SKIP" && $0.note?.contains("-> 10.244.2.3:55136 > 10.244.2.2:8080") == true })
        #expect(try realLines(packetIndex: 1) == (try realLines(packetIndex: 2)))
    }

    @Test("indexed and linear dispatch agree on the lab")
    func indexedAgreesOnLab() throws {
        let linear = try forwardThroughNode2(clientPacket("10.244.2.3"), indexThreshold: nil)
        let indexed = try forwardThroughNode2(clientPacket("10.244.2.3"), indexThreshold: 1)
        #expect(linear.map(\.verdict) == indexed.map(\.verdict))
        #expect(linear.map(\.packet) == indexed.map(\.packet))
        #expect(linear.map { $0.matchedRules } == indexed.map { $0.matchedRules })
    }
}
