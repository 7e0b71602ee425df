import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// One probe of Tests/Fixtures/lab-rpfilter/cases.txt (Tests/Lab/capture-rpfilter-fixtures.sh):
/// a real echo request to netns a's 10.9.0.1 and whether a's kernel took it.
struct SourceValidationCase: CustomTestStringConvertible, Sendable {
    var name: String
    var iif: String
    var source: IPAddress
    var sysctls: [String: String]
    var delivered: Bool
    var droppedByReversePathFilter: Bool

    var testDescription: String { name }

    static func all() throws -> [SourceValidationCase] {
        try Fixtures.text("lab-rpfilter/cases.txt").split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let words = line.split(separator: " ").map(String.init)
            let arrow = try #require(words.firstIndex(of: "=>"))
            var sysctls: [String: String] = [:]
            for setting in words[3..<arrow] {
                let parts = setting.split(separator: "=")
                sysctls["net.ipv4.conf.\(parts[0])"] = String(parts[1])
            }
            return SourceValidationCase(name: words[0], iif: words[1], source: try #require(IPAddress(words[2])),
                                        sysctls: sysctls, delivered: words[arrow + 1] == "delivered",
                                        droppedByReversePathFilter: line.contains("rp_filter drops +1"))
        }
    }

    /// Netns a as captured, with this case's sysctls.
    func netns() throws -> NetNSInfo {
        func data(_ name: String) throws -> Data { try Fixtures.data("lab-rpfilter/a/\(name)") }
        var info = NetNSInfo(id: "a")
        info.interfaces = try NetInterface.parse(data("ip-link.json"), source: "ip-link.json")
        info.addresses = try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json")
        info.routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
        info.rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
        info.iptables = try IPTablesSaveParser.parse(Fixtures.text("lab-rpfilter/a/iptables.txt"), source: "iptables.txt").ruleset
        info.sysctls = Sysctls(values: sysctls)
        return info
    }
}

@Suite struct NetNSSimulatorSourceValidationTests {
    static let cases = (try? SourceValidationCase.all()) ?? []

    @Test func theExperimentIsThere() {
        #expect(Self.cases.count == 12)
        #expect(Self.cases.contains { $0.delivered } && Self.cases.contains { $0.droppedByReversePathFilter })
    }

    /// Skoop delivers exactly the echo requests the kernel took, and names the reason for each drop.
    @Test(arguments: cases) func localDeliveryAgreesWithTheKernel(_ probe: SourceValidationCase) throws {
        let simulator = NetNSSimulator(info: try probe.netns())
        let packet = Packet(src: probe.source, dst: ip("10.9.0.1"), proto: .icmp)
        let decisions = simulator.process(packet, ingress: .interface(probe.iif))
        #expect(decisions.count == 1)
        let decision = try #require(decisions.first)
        #expect((decision.kind == .deliver) == probe.delivered, "\(decision.suspicions)")
        if probe.droppedByReversePathFilter {
            let suspicion = try #require(decision.suspicions.first { $0.message.contains("rp_filter") })
            #expect(suspicion.level == .critical)
            #expect(suspicion.message.contains("on \(probe.iif)") && suspicion.message.contains("for local delivery"))
            #expect(suspicion.evidence?.contains("net.ipv4.conf.{all,\(probe.iif)}.rp_filter") == true)
            #expect(suspicion.evidence?.contains("route back:") == true)
        } else if !probe.delivered {
            #expect(decision.suspicions.contains { $0.level == .critical && $0.message.contains("martian") })
        }
    }

    @Test func loopbackIsExempt() throws {
        var info = try Self.cases[0].netns()
        info.sysctls = Sysctls(values: ["net.ipv4.conf.all.rp_filter": "1"])
        let simulator = NetNSSimulator(info: info)
        let decisions = simulator.process(Packet(src: ip("10.7.0.9"), dst: ip("10.9.0.1"), proto: .icmp), ingress: .interface("lo"))
        #expect(decisions.map(\.kind) == [.deliver])
    }
}

@Suite struct NetNSSimulatorRuleUncertaintyTests {
    static func netns() throws -> NetNSInfo {
        func data(_ name: String) throws -> Data { try Fixtures.data("lab-rules/r/\(name)") }
        var info = NetNSInfo(id: "r")
        info.interfaces = try NetInterface.parse(data("ip-link.json"), source: "ip-link.json")
        info.addresses = try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json")
        info.routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
        info.rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
        info.sysctls = Sysctls(values: ["net.ipv4.ip_forward": "1"])
        return info
    }

    @Test func aLocallyGeneratedPacketMeetsAUIDRuleItCannotDecide() throws {
        let simulator = NetNSSimulator(info: try Self.netns())
        let decisions = simulator.process(Packet(src: ip("10.0.0.2"), sport: 40000, dst: ip("8.8.8.8"), dport: 443, proto: .tcp),
                                          ingress: .generated)
        let decision = try #require(decisions.first)
        #expect(decision.isUncertain)
        let warning = try #require(decision.suspicions.first { $0.level == .warning })
        #expect(warning.message.contains("in r") && warning.message.contains("120: from all uidrange 1000-2000 lookup 102"))
        #expect(warning.message.contains("uid is not known"))
    }

    @Test func aForwardedPacketIsRoutedByProtocolAndPortWithoutDoubt() throws {
        let simulator = NetNSSimulator(info: try Self.netns())
        let web = simulator.process(Packet(src: ip("10.0.0.50"), sport: 40000, dst: ip("8.8.8.8"), dport: 80, proto: .tcp),
                                    ingress: .interface("eth0"))
        #expect(web.map(\.kind) == [.forward(interface: "eth1", nextHop: ip("10.1.0.11"), port: nil)])
        #expect(web.allSatisfy { !$0.isUncertain && $0.suspicions.isEmpty })
        let other = simulator.process(Packet(src: ip("10.0.0.50"), sport: 40000, dst: ip("8.8.8.8"), dport: 81, proto: .tcp),
                                      ingress: .interface("eth0"))
        #expect(other.map(\.kind) == [.forward(interface: "eth1", nextHop: ip("10.1.0.14"), port: nil)], "table 103")
    }
}
