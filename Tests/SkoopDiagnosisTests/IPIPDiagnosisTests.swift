import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Calico IPIP. This kernel has no ipip module, so the input is CONSTRUCTED from the calico-bgp
/// lab capture: each node gets a tunl0 device and routes the other node's pod CIDR through it
/// (`via NODE dev tunl0 onlink proto bird`, as calico's BIRD installs them).
@Suite struct IPIPDiagnosisTests {
    func constructedIPIPSnapshot(tunnelUp: Bool = true) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-ipip-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url("lab-calico-bgp-host-veth-down").path, toPath: root)
        for (node, remoteCIDR, remoteNode) in [("node1", "10.244.2.0/24", "192.168.56.12"), ("node2", "10.244.1.0/24", "192.168.56.11")] {
            let host = "\(root)/nodes/\(node)/netns/host/"
            func edit(_ file: String, _ change: (inout [[String: Any]]) -> Void) throws {
                let url = URL(fileURLWithPath: host + file)
                var items = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [[String: Any]])
                change(&items)
                try JSONSerialization.data(withJSONObject: items).write(to: url)
            }
            let tunnel: [String: Any] = ["ifindex": 50, "ifname": "tunl0", "flags": tunnelUp ? ["NOARP", "UP", "LOWER_UP"] : ["NOARP"],
                                         "mtu": 1480, "operstate": tunnelUp ? "UNKNOWN" : "DOWN", "link_type": "ipip",
                                         "linkinfo": ["info_kind": "ipip"]]
            try edit("ip-link.json") { $0.append(tunnel) }
            try edit("ip-route.json") { routes in
                routes.removeAll { $0["dst"] as? String == remoteCIDR }
                routes.append(["dst": remoteCIDR, "gateway": remoteNode, "dev": "tunl0", "protocol": "bird",
                               "flags": ["onlink"]])
            }
        }
        return root
    }

    func diagnose(_ snapshot: String) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client2", dst: "default/web-0", dport: 8080),
                                           collector: CollectorManager(snapshot: snapshot))
        session.diagnostor.run()
        return session.report
    }

    @Test func constructedInput_podTrafficCrossesNodesInsideIPIP() throws {
        let snapshot = try constructedIPIPSnapshot()
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let report = try diagnose(snapshot)
        #expect(report.verdict == .reachable)
        let tunnel = try #require(report.path.links.first { $0.type == .ipip && $0.direction == .request })
        #expect(tunnel.source.id == "node2" && tunnel.destination?.id == "node1")
        #expect(tunnel.packet.proto == .ipip)
        #expect(tunnel.packet.src.description == "192.168.56.12" && tunnel.packet.dst.description == "192.168.56.11")
        #expect(tunnel.packet.encap?.dst.description == "10.244.1.2")
        #expect(tunnel.sourceAttributes["ipip"] == "tunl0")
        #expect(report.path.links.contains { $0.type == .ipip && $0.direction == .reply })
    }

    @Test func constructedInput_aDownTunnelDeviceIsFatalOnTheSendingNode() throws {
        let snapshot = try constructedIPIPSnapshot(tunnelUp: false)
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let report = try diagnose(snapshot)
        #expect(report.verdict == .unreachable)
        let node2 = try #require(report.path.node(Hop(type: .node, id: "node2")))
        #expect(node2.suspicions.contains { $0.level == .fatal && $0.message.contains("tunl0") })
    }
}
