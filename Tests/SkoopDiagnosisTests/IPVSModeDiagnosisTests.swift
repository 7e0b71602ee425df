import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// kube-proxy's IPVS mode. This kernel has no IPVS, so the input is CONSTRUCTED: lab-basic's
/// node1 with its service DNAT rules removed, a kube-ipvs0 device holding the ClusterIP, and a
/// hand-written `ipvsadm -Sn` table.
@Suite struct IPVSModeDiagnosisTests {
    /// Builds the constructed snapshot; `reals` are the `-a` lines for 10.96.0.10:80.
    func constructedIPVSSnapshot(reals: [String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-ipvs-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url("lab-basic").path, toPath: root)
        let host = root + "/nodes/node1/netns/host/"
        // kube-proxy in IPVS mode keeps only masquerade and filter rules in iptables.
        try """
            *nat
            :PREROUTING ACCEPT [0:0]
            :INPUT ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            COMMIT
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :OUTPUT ACCEPT [0:0]
            COMMIT

            """.write(toFile: host + "iptables.txt", atomically: true, encoding: .utf8)
        try (["-A -t 10.96.0.10:80 -s rr"] + reals).joined(separator: "\n").appending("\n")
            .write(toFile: host + "ipvs.txt", atomically: true, encoding: .utf8)
        func edit(_ file: String, _ change: (inout [[String: Any]]) -> Void) throws {
            let data = try Data(contentsOf: URL(fileURLWithPath: host + file))
            var items = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
            change(&items)
            try JSONSerialization.data(withJSONObject: items).write(to: URL(fileURLWithPath: host + file))
        }
        let dummy: [String: Any] = ["ifindex": 99, "ifname": "kube-ipvs0", "flags": ["BROADCAST", "NOARP"], "mtu": 1500,
                                    "operstate": "DOWN", "link_type": "ether", "address": "aa:bb:cc:dd:ee:ff",
                                    "linkinfo": ["info_kind": "dummy"]]
        try edit("ip-link.json") { $0.append(dummy) }
        var withAddress = dummy
        withAddress["addr_info"] = [["family": "inet", "local": "10.96.0.10", "prefixlen": 32, "scope": "global",
                                     "label": "kube-ipvs0"]]
        try edit("ip-addr.json") { $0.append(withAddress) }
        try edit("ip-route.json") {
            $0.append(["type": "local", "dst": "10.96.0.10", "dev": "kube-ipvs0", "table": "local", "protocol": "kernel",
                       "scope": "host", "prefsrc": "10.96.0.10", "flags": [] as [String]])
        }
        return root
    }

    func diagnose(_ snapshot: String) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80),
                                           collector: CollectorManager(snapshot: snapshot))
        session.diagnostor.run()
        return session.report
    }

    @Test func constructedInput_ipvsSchedulesEveryRealServerAsABranch() throws {
        let snapshot = try constructedIPVSSnapshot(reals: [
            "-a -t 10.96.0.10:80 -r 10.244.1.2:8080 -m -w 1", "-a -t 10.96.0.10:80 -r 10.244.2.2:8080 -m -w 3",
        ])
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let report = try diagnose(snapshot)
        #expect(report.verdict == .reachable)
        let branches = report.path.links.filter { $0.source.id == "node1" && $0.packetIn?.dst.description == "10.96.0.10" }
        #expect(Set(branches.map { "\($0.packet.dst):\($0.packet.dport)" }) == ["10.244.1.2:8080", "10.244.2.2:8080"])
        #expect(branches.map(\.probability).sorted() == [0.25, 0.75])
        #expect(branches.allSatisfy { $0.netfilter.contains { $0.table == "ipvs" && $0.verdict == "DNAT" } })
        // conntrack's reverse NAT: the client sees the ClusterIP answer.
        #expect(report.path.links.filter(\.isTerminal).allSatisfy { $0.packet.src.description == "10.96.0.10" })
    }

    @Test func constructedInput_ipvsServiceWithoutRealServersIsFatalOnTheNode() throws {
        let snapshot = try constructedIPVSSnapshot(reals: [])
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let report = try diagnose(snapshot)
        #expect(report.verdict == .unreachable)
        let node1 = try #require(report.path.node(Hop(type: .node, id: "node1")))
        #expect(node1.suspicions.contains { $0.level == .fatal && $0.message.contains("IPVS virtual service tcp 10.96.0.10:80") })
    }

    @Test func constructedInput_realServersThatAreNotEndpointsAndMissingEndpointsAreReported() throws {
        let snapshot = try constructedIPVSSnapshot(reals: ["-a -t 10.96.0.10:80 -r 10.244.2.9:8080 -m -w 1"])
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        let report = try diagnose(snapshot)
        let node1 = try #require(report.path.node(Hop(type: .node, id: "node1")))
        #expect(node1.suspicions.contains { $0.level == .critical && $0.message.contains("10.244.2.9, not a ready endpoint") })
        #expect(node1.suspicions.contains { $0.level == .critical && $0.message.contains("never sends default/web traffic to ready endpoint(s) 10.244.1.2, 10.244.2.2") })
    }

    @Test func constructedInput_aClusterIPMissingFromIPVSIsNamed() throws {
        let snapshot = try constructedIPVSSnapshot(reals: [])
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        // Replace the table with one that lacks the service altogether.
        try "-A -t 10.96.0.99:80 -s rr\n".write(toFile: snapshot + "/nodes/node1/netns/host/ipvs.txt", atomically: true, encoding: .utf8)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80),
                                           collector: CollectorManager(snapshot: snapshot),
                                           context: DiagnosisContext(proxyMode: .ipvs))
        session.diagnostor.run()
        let node1 = try #require(session.report.path.node(Hop(type: .node, id: "node1")))
        #expect(session.report.verdict == .unreachable)
        #expect(node1.suspicions.contains { $0.message.contains("has no IPVS virtual service for default/web at 10.96.0.10:80") })
    }
}
