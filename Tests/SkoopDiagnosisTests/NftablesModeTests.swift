import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// lab-basic with node1's kube-proxy in nftables mode: no kube-proxy rules in iptables, its
/// nftables rules (the shape kube-proxy v1.33 writes, loaded and dumped by the kernel:
/// Tests/Fixtures/kube-proxy-nftables/lab-basic-node1.knft) in nft.json.
@Suite struct NftablesModeTests {
    static let node1 = "nodes/node1/netns/host"

    func nftablesCopy(withConfigMap: Bool) throws -> FixtureCopy {
        let copy = try FixtureCopy()
        try copy.write("\(Self.node1)/iptables.txt", "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n")
        try copy.write("\(Self.node1)/nft.json", try Fixtures.data("kube-proxy-nftables/lab-basic-node1.json"))
        if !withConfigMap {
            try copy.write("k8s/configmaps.json", #"{"apiVersion": "v1", "kind": "List", "items": []}"#)
            try copy.write("snapshot.json", #"{"version": 1}"#)
        }
        return copy
    }

    func diagnose(_ snapshot: String, _ src: String, _ dst: String, _ port: UInt16) throws -> DiagnosisSession {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: .tcp),
                                           collector: try CollectorManager(snapshot: snapshot))
        session.diagnostor.run()
        return session
    }

    @Test func aClusterIPIsTranslatedByKubeProxysNftablesRules() throws {
        let copy = try nftablesCopy(withConfigMap: false)
        let session = try diagnose(copy.path, "default/client", "svc/default/web", 80)
        #expect(session.network.proxyMode == .nftables, "detected from the kube-proxy table")
        #expect(session.report.verdict == .reachable)
        let netfilter = session.report.path.links.flatMap(\.netfilter)
        let dnat = netfilter.filter { $0.verdict == "DNAT" && $0.family == "ip" && $0.table == "kube-proxy" }
        #expect(Set(dnat.map(\.rule)) == ["meta l4proto tcp dnat to 10.244.1.2:8080", "meta l4proto tcp dnat to 10.244.2.2:8080"])
        #expect(session.report.suspicions(atLeast: .warning).isEmpty)
    }

    @Test func aServiceWithoutEndpointsIsRejectedByTheNftRules() throws {
        let copy = try nftablesCopy(withConfigMap: true)
        let session = try diagnose(copy.path, "default/client", "10.96.0.20", 80)
        #expect(session.report.verdict == .unreachable)
        #expect(session.report.suspicions(atLeast: .critical).contains { $0.suspicion.evidence == "reject" })
    }
}
