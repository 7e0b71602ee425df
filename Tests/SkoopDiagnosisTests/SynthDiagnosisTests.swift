import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
@testable import SkoopLab

/// `skoop diagnose` on a small synthetic cluster: pod → ClusterIP whose backends sit on other nodes.
@Suite struct SynthDiagnosisTests {
    @Test("pod → ClusterIP with backends on other nodes is reachable through every DNAT branch, in both proxy modes",
          arguments: LabProxyMode.allCases)
    func clusterIPWithBackendsOnOtherNodesIsReachableThroughEveryDNATBranch(proxy: LabProxyMode) throws {
        let spec = SynthSpec(nodes: 3, pods: 30, services: 5, endpoints: 2, proxy: proxy)
        let layout = SynthLayout(spec: spec)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-synth-\(UUID().uuidString)").path
        _ = try SyntheticCluster.generate(spec, into: directory)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let client = layout.clientPod
        #expect(layout.node(ofPod: client) == 2)
        var session = try DiagnosisSession(
            query: DiagnosisQuery(src: "\(layout.podNamespace(client))/\(layout.podName(client))",
                                  dst: "svc/\(layout.serviceNamespace(0))/\(layout.serviceName(0))", dport: 80),
            collector: try CollectorManager(snapshot: directory))
        session.diagnostor.run()
        let report = session.report
        #expect(report.verdict == .reachable)
        let branches = report.path.links.filter { $0.action == .service }
        #expect(branches.map(\.source.id) == ["node-00002", "node-00002"])
        #expect(branches.map { $0.destination?.id } == ["node-00000", "node-00001"])
        #expect(branches.map(\.type) == [.vxlan, .vxlan])
        #expect(branches.map { $0.packet.encap?.dst.description } == ["10.64.0.2", "10.64.1.2"])
        #expect(branches.map { $0.packet.encap?.dport } == [8080, 8080])
        #expect(branches.allSatisfy { abs($0.probability - 0.5) < 1e-9 })
        #expect(branches.allSatisfy { link in link.netfilter.contains { $0.verdict == "DNAT" } })
        if proxy == .nftables {
            // The DNAT came from kube-proxy's nft table, not from iptables (which holds flannel's rules alone).
            #expect(branches.allSatisfy { link in link.netfilter.contains { $0.verdict == "DNAT" && $0.table == "kube-proxy" && $0.family == "ip" } })
        }
        let served = report.path.links.filter { $0.action == .serve && $0.direction == .reply && $0.destination == nil }
        #expect(served.count == 2)
        #expect(served.allSatisfy { $0.source.id == "\(layout.podNamespace(client))/\(layout.podName(client))" })
        #expect(served.map { $0.packet.src.description } == ["10.0.0.10", "10.0.0.10"])
    }
}
