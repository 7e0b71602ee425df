import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// A pod whose eth0 went down: the kernel removes its IPv6 addresses (keep_addr_on_down=0), so
/// its netns can no longer be matched to the pod by address. lab-flannel-vxlan-dual with web-1's
/// eth0 down as the kernel leaves it (IPv4 address kept, IPv6 ones gone).
@Suite struct AddresslessPodTests {
    func report(downing: Bool) throws -> DiagnosisReport {
        let copy = try FixtureCopy("lab-flannel-vxlan-dual")
        if downing {
            let web1 = "nodes/node2/netns/pod-web-1"
            for file in ["ip-link.json", "ip-addr.json"] {
                try copy.edit("\(web1)/\(file)") {
                    $0.replacingOccurrences(of: "\"flags\":[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"]",
                                            with: "\"flags\":[\"BROADCAST\",\"MULTICAST\"]")
                }
            }
            try copy.edit("\(web1)/ip-addr.json") { text in
                text.replacingOccurrences(of: ",{\"family\":\"inet6\",\"local\":\"fd00:10:244:2::2\",\"prefixlen\":64,\"scope\":\"global\",\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295}", with: "")
                    .replacingOccurrences(of: ",{\"family\":\"inet6\",\"local\":\"fe80::a87d:3dff:fe60:ccd1\",\"prefixlen\":64,\"scope\":\"link\",\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295}", with: "")
            }
        }
        let collector = try CollectorManager(snapshot: copy.path)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, ipFamily: .inet6),
                                           collector: collector)
        session.diagnostor.run()
        return session.report
    }

    @Test("the bridge lookup for a pod whose down eth0 lost its IPv6 address names the pod's netns and the down link")
    func downPodIsNamed() throws {
        let suspicions = try #require(try report(downing: true).path.node(Hop(type: .node, id: "node2"))?.suspicions)
        #expect(suspicions.contains {
            $0.message.contains("No netns of node2 holds fd00:10:244:2::2, the address of pod default/web-1: in netns pod-web-1, eth0 is down")
        }, "\(suspicions.map(\.message))")
        #expect(try report(downing: false).path.node(Hop(type: .node, id: "node2"))?.suspicions.isEmpty != false)
    }
}
