import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport

/// kube-proxy writes iptables-restore input in its own option order (`-m tcp -p tcp -d X --dport 80`):
/// Skoop accepts and rejects rules as iptables-legacy-restore --test and iptables-nft-restore --test
/// do (both checked on this kernel for every line of the fixtures).
@Suite("iptables-save parser: option order as iptables-restore accepts it")
struct IPTablesOptionOrderTests {
    static func lines(_ fixture: String) throws -> [String] {
        try Fixtures.text("kube-proxy-restore/" + fixture).split(separator: "\n").map(String.init)
    }

    static func dump(_ rule: String) -> String {
        "*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n\(rule)\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n"
    }

    @Test("rules iptables-restore accepts are read, with the module's options wherever they come",
          arguments: try lines("accepted-orders.txt"))
    func accepted(rule: String) throws {
        let parsed = try IPTablesSaveParser.parse(Self.dump(rule), source: "rules.txt")
        let read = try #require(parsed.ruleset.table("nat")?.chain("KUBE-SERVICES")?.rules.first)
        #expect(!read.hasUnsupportedParts)
        #expect(read.target == .jump("KUBE-SVC-XPGD46QRK7WJZT7O"))
        #expect(parsed.warnings.isEmpty)
        // Every accepted order matches the service's packet and no other port.
        let engine = NetfilterEngine(ruleset: parsed.ruleset)
        func matches(_ dport: UInt16) -> Bool {
            let packet = Packet(src: IPAddress("10.0.0.2")!, sport: 40000, dst: IPAddress("172.30.0.41")!, dport: dport, proto: .tcp)
            let walked = engine.traverse(hook: .prerouting, packet: PacketContext(packet: packet, inInterface: "eth0"))
            return walked.flatMap(\.trace).contains { $0.chain == "KUBE-SERVICES" && $0.matched }
        }
        #expect(matches(80))
        #expect(!matches(81))
    }

    @Test("rules iptables-restore rejects are errors naming the file and line", arguments: try lines("rejected-orders.txt"))
    func rejected(rule: String) throws {
        do {
            _ = try IPTablesSaveParser.parse(Self.dump(rule), source: "rules.txt")
            Issue.record("accepted: \(rule)")
        } catch let error as InputError {
            #expect(error.source == "rules.txt" && error.line == 5, "\(error)")
            #expect(error.description.hasPrefix("rules.txt:5: expected "), "\(error)")
        } catch {
            Issue.record("not an InputError: \(error)")
        }
    }

    @Test("kube-proxy's own ruleset (Kubernetes' proxier test) DNATs the cluster IP to both endpoints")
    func kubeProxyRuleset() throws {
        let text = try Fixtures.text("kube-proxy-restore/non-local-external-ips.txt")
        let parsed = try IPTablesSaveParser.parse(text, source: "non-local-external-ips.txt")
        #expect(parsed.warnings.isEmpty)
        let engine = NetfilterEngine(ruleset: parsed.ruleset)
        let packet = Packet(src: IPAddress("10.0.0.2")!, sport: 40000, dst: IPAddress("172.30.0.41")!, dport: 80, proto: .tcp)
        let outcomes = engine.traverse(hook: .prerouting, packet: PacketContext(packet: packet, inInterface: "eth0",
                                                                               addressType: PacketContext.addressTypes([:])))
        #expect(Set(outcomes.map(\.packet.dst.description)) == ["10.180.0.1", "10.180.2.1"])
        #expect(outcomes.allSatisfy { $0.flags.isEmpty && abs($0.probability - 0.5) < 1e-9 && $0.packet.dport == 80 })
        #expect(outcomes.allSatisfy { $0.packet.mark == 0 })
        // From outside the cluster CIDR the cluster IP is masqueraded (KUBE-MARK-MASQ).
        var outside = packet
        outside.src = IPAddress("192.168.1.9")!
        let masqueraded = engine.traverse(hook: .prerouting, packet: PacketContext(packet: outside, inInterface: "eth0",
                                                                                  addressType: PacketContext.addressTypes([:])))
        #expect(masqueraded.allSatisfy { $0.packet.mark == 0x4000 })
    }
}
