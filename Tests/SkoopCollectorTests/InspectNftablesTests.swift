import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
import SkoopTestSupport

@Suite("inspect: nft rules decoded and counted per table")
struct InspectNftablesTests {
    @Test("a node in nftables mode lists kube-proxy's table with its rule count, iptables-nft's tables as read from iptables-save")
    func counts() throws {
        let summary = try SnapshotSummary(collector: CollectorManager(snapshot: Fixtures.url("lab-flannel-vxlan-nftables-traced").path))
        let node1 = try #require(summary.nodes.first { $0.name == "node1" }?.netns.first { $0.id == "host" })
        let kubeProxy = try #require(node1.nftTables.first { $0.table == "ip kube-proxy" })
        // The rules the captured node holds in table ip kube-proxy, counted from its nft.json.
        let dump = try JSONSerialization.jsonObject(with: Fixtures.data("lab-flannel-vxlan-nftables-traced/nodes/node1/netns/host/nft.json"))
        let items = try #require((dump as? [String: Any])?["nftables"] as? [[String: Any]])
        let captured = items.compactMap { $0["rule"] as? [String: Any] }.filter { $0["family"] as? String == "ip" && $0["table"] as? String == "kube-proxy" }
        #expect(captured.count > 20)
        #expect(kubeProxy.rules == captured.count)
        #expect(!kubeProxy.readAsIptables)
        #expect(node1.nftTables.contains { $0.table == "ip nat" && $0.readAsIptables })
        let text = summary.text()
        #expect(text.contains("\(kubeProxy.rules) native nft rules (") && text.contains("ip kube-proxy \(kubeProxy.rules)"))
    }

    @Test("a malformed nft.json stops inspect with FILE:line")
    func malformed() throws {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-inspect-nft-\(getpid())")
        try? FileManager.default.removeItem(at: copy)
        try FileManager.default.copyItem(at: Fixtures.url("lab-flannel-vxlan-nftables-traced"), to: copy)
        defer { try? FileManager.default.removeItem(at: copy) }
        let file = copy.appendingPathComponent("nodes/node1/netns/host/nft.json")
        try Data("{\"nftables\": [\n{\"rule\": {\"family\": \"ip\", \"table\": 7}}]}".utf8).write(to: file)
        #expect {
            _ = try SnapshotSummary(collector: CollectorManager(snapshot: copy.path))
        } throws: { error in
            "\(error)".contains("nft.json:2")
        }
    }
}
