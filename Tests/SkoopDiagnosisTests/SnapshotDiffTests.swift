import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// `skoop diff`: a flow on two snapshots, where the paths part and what differs there.
@Suite struct SnapshotDiffTests {
    /// A copy of the demo without its FORWARD DROP on node2, and with node1's rp_filter changed.
    func repairedDemo() throws -> String {
        let demo = try #require(DemoSnapshot.path)
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-diff-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: demo, toPath: copy)
        let rules = copy + "/nodes/node2/netns/host/iptables.txt"
        let text = try String(contentsOfFile: rules, encoding: .utf8)
        try text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("lab fault: forward-drop") }
            .joined(separator: "\n").write(toFile: rules, atomically: true, encoding: .utf8)
        return copy
    }

    @Test func theFlowThatWasRepairedNamesTheRuleThatWentAway() throws {
        let after = try repairedDemo()
        defer { try? FileManager.default.removeItem(atPath: after) }
        let diff = try FlowDiff.compare(query: DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80, proto: .tcp),
                                        before: CollectorManager(snapshot: try #require(DemoSnapshot.path)),
                                        after: CollectorManager(snapshot: after))
        #expect(diff.before.verdict == .partial && diff.after.verdict == .reachable)
        #expect(diff.partingHop == Hop(type: .node, id: "node2"))
        #expect(diff.changes.count == 1)
        #expect(diff.changes.first?.hasPrefix("node node2: iptables rule removed: filter: -A FORWARD -d 10.244.2.2/32") == true)
        #expect(diff.text().contains("partial → reachable"))
    }

    @Test func anUnchangedFlowSaysSoAndListsNothing() throws {
        let demo = try #require(DemoSnapshot.path)
        let diff = try FlowDiff.compare(query: DiagnosisQuery(src: "default/client", dst: "default/web-0", dport: 8080, proto: .tcp),
                                        before: CollectorManager(snapshot: demo), after: CollectorManager(snapshot: demo))
        #expect(!diff.verdictChanged && diff.changes.isEmpty && diff.partingHop == nil)
        #expect(diff.text() == "default/client -> default/web-0:8080 tcp: reachable (unchanged)\n")
    }
}
