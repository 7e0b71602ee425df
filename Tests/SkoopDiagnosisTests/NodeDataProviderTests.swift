import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// The diagnosis reads node data only through NodeDataProvider: a test double serves it.
@Suite struct NodeDataProviderTests {
    /// Serves lab-basic's data, records which netns the diagnosis read, and hides one node.
    final class RecordingProvider: NodeDataProvider {
        let base: CollectorManager
        let hidden: String
        let reads = Locked<Set<String>>([])

        init(base: CollectorManager, hiding node: String) {
            self.base = base
            hidden = node
        }

        var hints: SnapshotHints { base.hints }
        var cluster: ClusterState { base.cluster }
        var collectedNodes: [String] { base.collectedNodes.filter { $0 != hidden } }
        var warnings: [String] { base.warnings }
        func netnsIDs(node: String) -> [String] { node == hidden ? [] : base.netnsIDs(node: node) }
        func netns(node: String, id: String) throws(InputError) -> NetNSInfo {
            guard node != hidden else { throw InputError(source: "nodes/\(node)", expected: "collected data", found: "none") }
            reads.withLock { _ = $0.insert("\(node)/\(id)") }
            return try base.netns(node: node, id: id)
        }
        func addressing(node: String, id: String) -> NetNSAddressing? { node == hidden ? nil : base.addressing(node: node, id: id) }
        func netns(node: String, owning address: IPAddress) -> String? { node == hidden ? nil : base.netns(node: node, owning: address) }
        func prepare(node: String) throws(NodeCollectionFailure) {}
        func prefetch(hostsOf nodes: [String], then: @escaping @Sendable (String) -> Void) -> DispatchGroup { DispatchGroup() }
    }

    @Test func aTestDoubleServesTheDiagnosis() throws {
        let provider = RecordingProvider(base: try CollectorManager(snapshot: Fixtures.url("lab-basic").path), hiding: "node2")
        var local = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "default/web-0", dport: 8080),
                                         collector: provider)
        #expect(local.diagnostor.run() == .reachable)
        #expect(provider.reads.withLock { $0 } == ["node1/pod-client", "node1/host", "node1/pod-web-0"])
        // A node the provider does not have: that branch is unknown, not a guess.
        var remote = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080),
                                          collector: provider)
        #expect(remote.diagnostor.run() == .unknown)
        #expect(remote.report.suspicions(atLeast: .warning).contains { $0.suspicion.message.contains("no data for node node2") })
    }
}
