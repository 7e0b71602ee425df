import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopNetstack

/// kube-proxy's nftables rules as Kubernetes' own TestOverallNFTablesRules asserts them
/// (pkg/proxy/nftables/proxier_test.go), loaded into a real netns and dumped with `nft -j list
/// ruleset` (Tests/Lab/nft-fixture.sh). The expected results are that test file's packet flows:
/// node IPs 192.168.0.2, 192.168.1.2 and 192.168.99.11; pods in 10.0.0.0/8.
@Suite("nftables: kube-proxy's rules from proxier_test.go, evaluated")
struct NftablesKubeProxyTests {
    static let nodeIPs = ["192.168.0.2", "192.168.1.2", "192.168.99.11", "127.0.0.1"]

    static func pipeline() throws -> NetfilterPipeline {
        let bytes = [UInt8](try Fixtures.data("kube-proxy-nftables/overall.json"))
        let ruleset = try NftJSONParser.parse(bytes, source: "overall.json")
        return NetfilterPipeline(xtables: nil, nftables: NftEngine(ruleset: ruleset), family: .inet)
    }

    /// Where a packet from `source` to `destination:port`, arriving on eth0, ends up: every
    /// branch after PREROUTING, then INPUT (for a node address) or FORWARD and POSTROUTING.
    static func flow(_ source: String, _ destination: String, _ port: UInt16, proto: TransportProtocol = .tcp) throws -> [NetfilterOutcome] {
        let pipeline = try pipeline()
        let local = Dictionary(uniqueKeysWithValues: nodeIPs.map { (IPAddress($0)!, AddressType.local) })
        var context = PacketContext(packet: Packet(src: IPAddress(source)!, sport: 40000, dst: IPAddress(destination)!,
                                                   dport: port, proto: proto),
                                    inInterface: "eth0", addressType: PacketContext.addressTypes(local),
                                    interfaceAddress: { _ in IPAddress("192.168.0.2") })
        context.reversePath = nil
        var results: [NetfilterOutcome] = []
        for pre in pipeline.traverse(hook: .prerouting, packet: context) {
            guard pre.verdict == .accept else {
                results.append(pre)
                continue
            }
            let hooks: [Hook] = local[pre.packet.dst] != nil ? [.input] : [.forward, .postrouting]
            var next = pre.context
            next.outInterface = hooks == [.input] ? nil : "eth1"
            for outcome in pipeline.traverse(hooks: hooks, packet: next) {
                var joined = outcome
                joined.probability *= pre.probability
                joined.flags.formUnion(pre.flags)
                joined.trace = pre.trace + outcome.trace
                results.append(joined)
            }
        }
        return results
    }

    /// "10.180.0.1:80" per accepted branch, or "REJECT"/"DROP", as proxier_test.go's flows say.
    static func destinations(_ outcomes: [NetfilterOutcome]) -> [String] {
        outcomes.map { outcome in
            switch outcome.verdict {
            case .accept: "\(outcome.packet.dst):\(outcome.packet.dport)"
            case .drop: "DROP"
            case .reject: "REJECT"
            }
        }.sorted()
    }

    /// True when the branch was masqueraded in POSTROUTING (the mark was set on the way).
    static func masqueraded(_ outcome: NetfilterOutcome) -> Bool {
        outcome.trace.contains { $0.verdict == "MASQUERADE" }
    }

    @Test("The dump parses: one table, its sets and maps with concatenated keys, every rule")
    func parses() throws {
        let ruleset = try NftJSONParser.parse([UInt8](try Fixtures.data("kube-proxy-nftables/overall.json")), source: "overall.json")
        let table = try #require(ruleset.table(.ip, "kube-proxy"))
        #expect(table.baseChains.map(\.name).sorted() == ["filter-forward", "filter-input", "filter-output", "filter-output-pre-dnat",
                                                          "filter-prerouting-pre-dnat", "nat-output", "nat-postrouting", "nat-prerouting"])
        #expect(table.chains["nat-prerouting"]?.base == NftBaseChain(type: "nat", hook: "prerouting", priority: -100))
        let serviceIPs = try #require(table.sets["service-ips"])
        #expect(serviceIPs.keyTypes == [.ipv4Address, .l4proto, .port])
        #expect(serviceIPs.elements.all.count == 9)
        #expect(serviceIPs.elements.exact[[.address(IPAddress("172.30.0.41")!), .number(6), .number(80)]] != nil)
        #expect(table.sets["affinity-GTK6MW7G-ns5/svc5/tcp/p80__10.180.0.3/80"]?.isDynamic == true)
        #expect(ruleset.ruleCount == 57)
        let services = try #require(table.chains["services"]?.rules.first)
        #expect(services.text == "ip daddr . meta l4proto . th dport vmap @service-ips")
        #expect(services.handle == 61)
        let masquerade = try #require(table.chains["masquerading"]?.rules)
        #expect(masquerade.map(\.text) == ["meta mark and 0x4000 == 0 return", "meta mark set meta mark xor 0x4000",
                                           "masquerade fully-random"])
    }

    @Test("ClusterIP: DNAT to the endpoint, no masquerade from a pod; a hairpin is masqueraded")
    func clusterIP() throws {
        let simple = try Self.flow("10.180.0.2", "172.30.0.41", 80)
        #expect(Self.destinations(simple) == ["10.180.0.1:80"])
        #expect(!Self.masqueraded(simple[0]))
        #expect(simple[0].flags.isEmpty)
        let dnat = try #require(simple[0].trace.first { $0.verdict == "DNAT" })
        #expect(dnat.chain == "endpoint-5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
        #expect(dnat.rule == "meta l4proto tcp dnat to 10.180.0.1:80")
        #expect(dnat.family == "ip" && dnat.handle == 68 && dnat.table == "kube-proxy" && dnat.hook == "PREROUTING")
        let hairpin = try Self.flow("10.180.0.1", "172.30.0.41", 80)
        #expect(Self.destinations(hairpin) == ["10.180.0.1:80"])
        #expect(Self.masqueraded(hairpin[0]))
        #expect(hairpin[0].packet.mark == 0, "masquerading clears the 0x4000 bit it acts on")
    }

    @Test("Two endpoints: numgen random mod 2 branches with probability 1/2 each")
    func twoEndpoints() throws {
        let outcomes = try Self.flow("10.180.0.2", "172.30.0.44", 80)
        #expect(Self.destinations(outcomes) == ["10.180.0.4:80", "10.180.0.5:80"])
        #expect(outcomes.allSatisfy { abs($0.probability - 0.5) < 1e-9 && !$0.flags.contains(.uncertain) })
    }

    @Test("No endpoints: the ClusterIP is rejected in FORWARD; a wrong port rejected, an unallocated ClusterIP dropped")
    func rejects() throws {
        let none = try Self.flow("10.0.0.2", "172.30.0.46", 80)
        #expect(Self.destinations(none) == ["REJECT"])
        #expect(none[0].trace.last?.chain == "reject-chain")
        #expect(none[0].trace.last?.hook == "FORWARD")
        #expect(Self.destinations(try Self.flow("10.180.0.2", "172.30.0.41", 443)) == ["REJECT"])
        #expect(Self.destinations(try Self.flow("10.180.0.2", "172.30.0.41", 80, proto: .udp)) == ["REJECT"])
        let unallocated = try Self.flow("10.180.0.2", "172.30.0.50", 80)
        #expect(Self.destinations(unallocated) == ["DROP"])
        #expect(unallocated[0].trace.last?.rule == "ip daddr 172.30.0.0/16 drop comment \"Drop traffic to unallocated ClusterIPs\"")
        // svc2 has only a non-local endpoint of a Local policy: its external IP and NodePort drop.
        #expect(Self.destinations(try Self.flow("203.0.113.2", "192.168.99.22", 80)) == ["DROP"])
        #expect(Self.destinations(try Self.flow("203.0.113.2", "192.168.0.2", 3001)) == ["DROP"])
    }

    @Test("NodePort and external IP from outside: DNAT and masquerade; a NodePort on another node IP is not served")
    func nodePort() throws {
        let nodePort = try Self.flow("203.0.113.2", "192.168.0.2", 3003)
        #expect(Self.destinations(nodePort) == ["10.180.0.3:80"])
        #expect(Self.masqueraded(nodePort[0]))
        let other = try Self.flow("203.0.113.2", "192.168.1.2", 3003)
        #expect(Self.destinations(other) == ["192.168.1.2:3003"], "not a NodePort address: delivered to the node itself")
        let external = try Self.flow("203.0.113.2", "192.168.99.33", 80)
        #expect(Self.destinations(external) == ["10.180.0.4:80", "10.180.0.5:80"])
        #expect(external.allSatisfy(Self.masqueraded))
    }

    @Test("LoadBalancer source ranges drop a client outside them before DNAT; affinity branches")
    func loadBalancer() throws {
        let blocked = try Self.flow("203.0.113.130", "5.6.7.8", 80)
        #expect(Self.destinations(blocked) == ["DROP"])
        #expect(blocked[0].trace.last?.chain == "firewall-HVFWP5L3-ns5/svc5/tcp/p80")
        let allowed = try Self.flow("203.0.113.2", "5.6.7.8", 80)
        #expect(Self.destinations(allowed) == ["10.180.0.3:80", "10.180.0.3:80"])
        #expect(allowed.contains { $0.flags.contains(.affinity) } && allowed.contains { !$0.flags.contains(.affinity) })
        #expect(allowed.allSatisfy(Self.masqueraded))
    }
}
