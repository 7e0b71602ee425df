import Foundation
import SkoopModel
import SkoopNetstack
import SkoopTestSupport
import Testing

/// Bridge-family and netdev chains on a packet's path, in the order the kernel runs them: real
/// echo requests through netns br (Tests/Lab/capture-bridge-netdev-fixtures.sh: bridge br0 with
/// ports pa and pb, netdev ingress/egress chains on pa, pb and br0, bridge chains on every hook
/// around br_netfilter's priorities, ip chains on every hook) traced with `nft monitor trace`,
/// with bridge-nf-call-iptables 1 and 0. Skoop must walk the same chains in the same order.
@Suite("nftables: bridge and netdev chains run where nft monitor trace shows them")
struct NftBridgeNetdevTraceTests {
    /// Netns br as captured, with bridge-nf-call-iptables = `brnf`.
    static func simulator(brnf: Int) throws -> NetNSSimulator {
        func data(_ name: String) throws -> Data { try Fixtures.data("lab-bridge-netdev/br/\(name)") }
        var info = NetNSInfo(id: "br")
        info.interfaces = try NetInterface.parse(data("ip-link.json"), source: "ip-link.json")
        info.addresses = try InterfaceAddress.parse(data("ip-addr.json"), source: "ip-addr.json")
        info.routes = try Route.parse(data("ip-route.json"), source: "ip-route.json")
        info.rules = try PolicyRule.parse(data("ip-rule.json"), source: "ip-rule.json")
        info.nftables = try NftJSONParser.parse([UInt8](data("nft.json")), source: "nft.json")
        info.sysctls = Sysctls(values: ["net.bridge.bridge-nf-call-iptables": "\(brnf)", "net.bridge.bridge-nf-call-ip6tables": "\(brnf)"])
        return NetNSSimulator(info: info)
    }

    /// The captured trace's lines of the echo request, and of the echo reply br sent.
    static func kernel(_ name: String) throws -> (request: [String], reply: [String]) {
        let lines = NftTraceText.monitorLines(try Fixtures.text("lab-bridge-netdev/\(name).txt"))
        let replyStart = lines.firstIndex { $0.hasPrefix("ip t ip_out ") } ?? lines.count
        return (Array(lines[..<replyStart]), Array(lines[replyStart...]))
    }

    static func port(_ bridge: String, _ address: IPAddress) -> String? {
        address == ip("10.77.0.2") ? "pb" : "pa"
    }

    @Test("a frame bridged from pa to pb", arguments: [1, 0])
    func bridged(brnf: Int) throws {
        let simulator = try Self.simulator(brnf: brnf)
        let decisions = simulator.process(Packet(src: ip("10.77.0.1"), dst: ip("10.77.0.2"), proto: .icmp), ingress: .interface("pa"),
                                          l2Target: ip("10.77.0.2"), bridgePort: Self.port)
        let decision = try #require(decisions.first)
        #expect(decisions.count == 1)
        #expect(decision.kind == .forward(interface: "br0", nextHop: ip("10.77.0.2"), port: "pb"))
        let kernel = try Self.kernel("trace-bridged-brnf\(brnf)")
        #expect(kernel.request.count >= 20)
        #expect(NftTraceText.render(decision.netfilter) == kernel.request)
        #expect(!decision.isUncertain)
    }

    @Test("an echo request to br0 and br0's reply out through pa", arguments: [1, 0])
    func deliveredAndAnswered(brnf: Int) throws {
        let simulator = try Self.simulator(brnf: brnf)
        let kernel = try Self.kernel("trace-local-brnf\(brnf)")
        let request = simulator.process(Packet(src: ip("10.77.0.1"), dst: ip("10.77.0.254"), proto: .icmp), ingress: .interface("pa"),
                                        l2Target: ip("10.77.0.254"), bridgePort: Self.port)
        let delivered = try #require(request.first)
        #expect(request.count == 1 && delivered.kind == .deliver)
        #expect(NftTraceText.render(delivered.netfilter) == kernel.request)
        let reply = simulator.process(Packet(src: ip("10.77.0.254"), dst: ip("10.77.0.1"), proto: .icmp), ingress: .generated,
                                      direction: .reply, bridgePort: Self.port)
        let sent = try #require(reply.first)
        #expect(reply.count == 1 && sent.kind == .forward(interface: "br0", nextHop: ip("10.77.0.1"), port: "pa"))
        #expect(kernel.reply.count >= 10)
        #expect(NftTraceText.render(sent.netfilter) == kernel.reply)
    }

    /// Where the port a routed packet leaves a bridge through is unknown, bridge output chains
    /// run without it: the outcome is unproven, with a warning saying why.
    @Test func unknownBridgePortIsUncertain() throws {
        let simulator = try Self.simulator(brnf: 1)
        let reply = simulator.process(Packet(src: ip("10.77.0.254"), dst: ip("10.77.0.1"), proto: .icmp), ingress: .generated)
        let sent = try #require(reply.first)
        #expect(sent.isUncertain)
        #expect(sent.suspicions.contains { $0.message.contains("port of bridge br0") })
    }

    /// Only chains Skoop cannot place stay a warning: these bridge and netdev chains are placed.
    @Test func placedChainsAreNoLongerUnplaced() throws {
        let ruleset = try NftJSONParser.parse([UInt8](Fixtures.data("lab-bridge-netdev/br/nft.json")), source: "nft.json")
        let engine = NftEngine(ruleset: ruleset)
        #expect(engine.unplacedBaseChains.isEmpty)
        #expect(engine.linkChains.count == 17)
        let arp = NftRuleset(tables: [NftTable(family: .arp, name: "a", chains: [
            NftChain(name: "in", handle: 1, base: NftBaseChain(type: "filter", hook: "input", priority: 0), rules: []),
        ])])
        #expect(NftEngine(ruleset: arp).unplacedBaseChains == ["arp a/in (input)"])
    }
}
