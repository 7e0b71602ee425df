import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopTestSupport

/// The simulator feeds rpfilter from the netns's routes and the mac match from the caller's previous hop.
@Suite("Netfilter in the netns simulator: rpfilter from routes, mac from the previous hop")
struct NetfilterSimulatorLookupTests {
    static let host = "lab-calico-bgp-remote-route-deleted/nodes/node1/netns/host/"

    /// Node1's host netns (captured from a Calico BGP lab) with a Calico-style raw table.
    static func simulator(raw rules: String) throws -> NetNSSimulator {
        var info = NetNSInfo(id: "host")
        info.interfaces = try NetInterface.parse(Fixtures.data(host + "ip-link.json"), source: "ip-link.json")
        info.addresses = try InterfaceAddress.parse(Fixtures.data(host + "ip-addr.json"), source: "ip-addr.json")
        info.routes = try Route.parse(Fixtures.data(host + "ip-route.json"), source: "ip-route.json")
        info.iptables = try IPTablesSaveParser.parse("*raw\n:PREROUTING ACCEPT [0:0]\n\(rules)\nCOMMIT\n", source: "iptables.txt").ruleset
        return NetNSSimulator(info: info)
    }

    static let calico = """
        -A PREROUTING -i cali+ -j MARK --set-xmark 0x40000/0x40000
        -A PREROUTING -m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert -j DROP
        """

    @Test("Calico's rpfilter rule accepts a pod's packet on its own interface and drops a spoofed one",
          arguments: [("10.244.1.2", "cali0d7763386da", true), ("10.244.1.3", "cali0d7763386da", false),
                      ("10.244.9.9", "calia7a3e029a7b", false)])
    func calicoReversePath(source: String, interface: String, accepted: Bool) throws {
        let simulator = try Self.simulator(raw: Self.calico)
        let packet = Packet(src: IPAddress(source)!, sport: 40000, dst: IPAddress("192.168.56.12")!, dport: 80, proto: .tcp)
        let decisions = simulator.process(packet, ingress: .interface(interface))
        #expect(decisions.allSatisfy { !$0.isUncertain })
        let dropped = decisions.contains { $0.kind == .drop && $0.netfilter.contains { $0.verdict == "DROP" } }
        #expect(dropped == !accepted, "\(decisions.map(\.kind))")
    }

    @Test("the mac match reads the previous hop's MAC when the caller gives it, else stays uncertain")
    func macSource() throws {
        let simulator = try Self.simulator(raw: "-A PREROUTING -m mac --mac-source 02:00:00:00:00:01 -j DROP")
        let packet = Packet(src: IPAddress("10.244.1.2")!, sport: 40000, dst: IPAddress("192.168.56.12")!, dport: 80, proto: .tcp)
        let known = simulator.process(packet, ingress: .interface("cali0d7763386da"), sourceMAC: "02:00:00:00:00:01")
        #expect(known.count == 1 && known[0].kind == .drop && !known[0].isUncertain)
        let other = simulator.process(packet, ingress: .interface("cali0d7763386da"), sourceMAC: "02:00:00:00:00:02")
        #expect(other.allSatisfy { $0.kind != .drop && !$0.isUncertain })
        let unknown = simulator.process(packet, ingress: .interface("cali0d7763386da"))
        #expect(unknown.contains { $0.isUncertain })
    }
}
