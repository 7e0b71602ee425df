import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// One flow of Tests/Fixtures/kube-proxy-iptables/flows.txt: a packet Kubernetes' proxier tests
/// trace through one of their rule sets, what they expect (tracePacket's output and masquerade
/// flag), and what this kernel did with the same packet (kernel-legacy.txt, kernel-nft.txt).
struct KubeProxyFlow: CustomTestStringConvertible, Sendable {
    var fixture: String
    var name: String
    var source: IPAddress
    var proto: TransportProtocol
    var destination: IPAddress
    var port: UInt16
    /// tracePacket's output: "-" (no rule applies), ACCEPT, DROP, REJECT or "A:P, B:P".
    var expected: String
    var masquerade: Bool
    /// What each iptables backend's kernel did: "translated A:P masq|nomasq", "untranslated",
    /// "rejected" or "dropped".
    var kernel: [String: String]

    var testDescription: String { "\(fixture.split(separator: "/").last ?? ""): \(name)" }

    static func all() throws -> [KubeProxyFlow] {
        func rows(_ file: String) throws -> [[String]] {
            try Fixtures.text("kube-proxy-iptables/" + file).split(separator: "\n")
                .filter { !$0.hasPrefix("#") }
                .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        var kernel: [String: [String: String]] = [:]
        for backend in ["legacy", "nft"] {
            for row in try rows("kernel-\(backend).txt") {
                let outcome = row[2].components(separatedBy: " => ")
                // A flow the capture could not send (its source is its destination) has no answer.
                if outcome[1].hasPrefix("not played") { continue }
                kernel["\(row[0])|\(row[1])|\(outcome[0])", default: [:]][backend] = outcome[1]
            }
        }
        return try rows("flows.txt").map { row in
            let words = row[2].split(separator: " ").map(String.init)
            return KubeProxyFlow(
                fixture: row[0], name: row[1], source: try #require(IPAddress(words[0])),
                proto: words[1] == "udp" ? .udp : .tcp, destination: try #require(IPAddress(words[2])),
                port: try #require(UInt16(words[3])), expected: row[3], masquerade: row[4] == "true",
                kernel: kernel["\(row[0])|\(row[1])|\(row[2])"] ?? [:])
        }
    }

    /// The node the proxier tests assume (Tests/Lab/capture-kube-proxy-fixtures.sh built it and
    /// captured its links, addresses, routes and rules) with this flow's rule set.
    func node() throws -> NetNSInfo {
        func data(_ name: String) throws -> Data { try Fixtures.data("kube-proxy-iptables/node/\(name)") }
        var info = NetNSInfo(id: "host")
        info.interfaces = try NetInterface.parse(data("ip-link.json"), source: "ip-link.json")
        info.addresses = try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json")
        info.routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
        info.rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
        info.sockets = try SocketTableParser.parse(Fixtures.text("kube-proxy-iptables/node/sockets.txt"), source: "sockets.txt")
        let parsed = try IPTablesSaveParser.parse(Fixtures.text(fixture), source: fixture)
        #expect(parsed.warnings.isEmpty, "\(parsed.warnings)")
        info.iptables = parsed.ruleset
        info.sysctls = Sysctls(values: ["net.ipv4.ip_forward": "1", "net.ipv4.conf.all.route_localnet": "1"])
        return info
    }

    /// Where the packet enters the node: pods behind pods0, the node's own addresses (and
    /// loopback) from a local socket, everything else from the network on eth0.
    var ingress: Ingress {
        let local = ["192.168.0.2", "192.168.1.2", "192.168.99.11"].compactMap(IPAddress.init)
        if source.description.hasPrefix("10.") { return .interface("pods0") }
        if local.contains(source) || source.description.hasPrefix("127.") { return .generated }
        return .interface("eth0")
    }
}

/// What Skoop's simulation of the node does with a flow, in the terms of the kernel capture.
struct SimulatedFate: Hashable, CustomStringConvertible {
    var fate: String
    var description: String { fate }

    init(_ decision: NetNSDecision, original: Packet) {
        switch decision.kind {
        case .drop:
            let verdict = decision.netfilter.last { $0.matched }?.verdict ?? ""
            fate = verdict.hasPrefix("REJECT") ? "rejected" : "dropped"
        case .deliver, .forward:
            let packet = decision.packet
            if packet.dst == original.dst && packet.dport == original.dport && packet.src == original.src {
                fate = "untranslated"
            } else {
                let masq = packet.src != original.src ? "masq" : "nomasq"
                fate = "translated \(packet.dst):\(packet.dport ?? 0) \(masq)"
            }
        }
    }
}

/// Kubernetes' pkg/proxy/iptables/proxier_test.go asserts the rules kube-proxy writes and traces
/// packets through them; its rule sets and flows are fixtures here, and every flow must come out
/// of Skoop's netns simulation (routing, every netfilter hook, NAT, masquerade) as the test
/// expects and as this kernel really handled it (both iptables backends).
@Suite("kube-proxy's own rule sets: Kubernetes' packet flows through Skoop's simulation")
struct KubeProxyUpstreamFlowTests {
    static let flows = (try? KubeProxyFlow.all()) ?? []

    @Test func theFixturesAreThere() {
        #expect(Self.flows.count == 77)
        // Only an external flow whose source is its destination (the SNAT to a LoadBalancer IP
        // happens outside kube-proxy) cannot be sent by the capture.
        let played = Self.flows.filter { $0.source != $0.destination || $0.ingress != .interface("eth0") }
        #expect(played.count == 75)
        #expect(played.allSatisfy { $0.kernel.count == 2 }, "a flow without its kernel result")
        #expect(Set(Self.flows.map(\.fixture)).count == 18)
    }

    @Test(arguments: flows) func skoopAgreesWithKubernetesAndTheKernel(_ flow: KubeProxyFlow) throws {
        let simulator = NetNSSimulator(info: try flow.node())
        let packet = Packet(src: flow.source, sport: 40000, dst: flow.destination, dport: flow.port, proto: flow.proto)
        let decisions = simulator.process(packet, ingress: flow.ingress)
        let fates = Set(decisions.map { SimulatedFate($0, original: packet).fate })
        #expect(!decisions.isEmpty)
        #expect(decisions.allSatisfy { !$0.isUncertain }, "\(decisions.flatMap(\.suspicions).map(\.message))")

        // What Kubernetes' test expects.
        switch flow.expected {
        case "-", "ACCEPT":
            #expect(fates == ["untranslated"], "\(fates)")
            if flow.expected == "ACCEPT" { #expect(decisions.allSatisfy { $0.kind == .deliver }) }
        case "DROP":
            #expect(fates == ["dropped"], "\(fates)")
        case "REJECT":
            #expect(fates == ["rejected"], "\(fates)")
        default:
            let masq = flow.masquerade ? "masq" : "nomasq"
            let wanted = Set(flow.expected.components(separatedBy: ", ").map { "translated \($0) \(masq)" })
            #expect(fates == wanted)
            #expect(decisions.allSatisfy { if case .forward = $0.kind { true } else { false } })
        }

        // What the kernel did is one of Skoop's branches.
        for (backend, fate) in flow.kernel.sorted(by: { $0.key < $1.key }) {
            #expect(fates.contains(fate), "\(backend) kernel: \(fate); Skoop: \(fates.sorted())")
        }
    }

    /// A flow's expectation must be able to fail: the same SYN without kube-proxy's rules is never
    /// translated, dropped or rejected.
    @Test func withoutTheRulesNothingIsTranslated() throws {
        let flow = try #require(Self.flows.first { $0.name == "TestTracePacket: single endpoint" })
        var info = try flow.node()
        info.iptables = nil
        let packet = Packet(src: flow.source, sport: 40000, dst: flow.destination, dport: flow.port, proto: flow.proto)
        let fates = Set(NetNSSimulator(info: info).process(packet, ingress: flow.ingress).map { SimulatedFate($0, original: packet).fate })
        #expect(fates == ["untranslated"])
    }

    /// iptables-nft-save writes the nfacct name after two spaces; the match always holds.
    @Test func nfacctIsAnAlwaysTrueMatch() throws {
        let dump = "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP\nCOMMIT\n"
        let parsed = try IPTablesSaveParser.parse(dump, source: "iptables.txt")
        #expect(parsed.warnings.isEmpty)
        let rule = try #require(parsed.ruleset.table("filter")?.chain("FORWARD")?.rules.first)
        #expect(!rule.hasUnsupportedParts)
        let packet = Packet(src: IPAddress("10.0.0.2")!, sport: 40000, dst: IPAddress("10.0.0.3")!, dport: 80, proto: .tcp)
        let outcomes = NetfilterEngine(ruleset: parsed.ruleset).traverse(hook: .forward, packet: PacketContext(packet: packet))
        #expect(outcomes.map(\.verdict) == [.drop])
    }
}
