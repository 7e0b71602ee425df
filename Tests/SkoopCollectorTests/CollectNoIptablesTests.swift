import Foundation
import Testing
@testable import SkoopCollector

@Suite("Collect: a netns where no iptables tool works")
struct CollectNoIptablesTests {
    /// Both save tools failing once crashed the collector (an exclusivity violation: the error
    /// list was passed inout while the store closure appended to it). Found by `skoop lab verify`
    /// when a netns vanished mid-collection.
    @Test("every failing save tool is recorded and nothing else is lost")
    func bothBackendsFail() async throws {
        let dir = try makeTemporaryDirectory("collect-noipt")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = NetnsTarget(entry: .named("pod-x"), directoryName: "pod-x")
        let runner = RecordedToolRunner()
        for file in CollectionPlan.standardFiles {
            runner.record(target.wrap(file.command), ToolOutput(status: 0, stdout: "[]"))
        }
        let report = try await NodeCollector(runner: runner).collectNetns(target, into: dir, fallbackBackend: nil)
        #expect(report.backend == nil)
        #expect(Set(report.errors.map(\.tool)) == ["iptables-legacy-save", "iptables-nft-save"])
        #expect(report.files.contains("ip-route.json") && !report.files.contains("iptables.txt"))
    }
}

@Suite("Collect: choosing the iptables backend")
struct CollectBackendChoiceTests {
    /// `iptables-save -c` prefixes every rule with its counters; counting only bare `-A` lines
    /// made every backend look empty, so a legacy kube-proxy node was collected as nft (no rules).
    @Test("rules are counted with and without counters")
    func countsRulesWithCounters() {
        #expect(IptablesBackend.ruleCount(in: "*nat\n:PREROUTING ACCEPT [0:0]\n[3:180] -A PREROUTING -j KUBE-SERVICES\n[0:0] -A KUBE-SERVICES -j RETURN\nCOMMIT\n") == 2)
        #expect(IptablesBackend.ruleCount(in: "*filter\n-A FORWARD -j DROP\nCOMMIT\n") == 1)
        #expect(IptablesBackend.ruleCount(in: "*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n") == 0)
    }

    @Test("the backend whose counted save holds rules wins over an empty one")
    func legacyWithCountersWins() async throws {
        let dir = try makeTemporaryDirectory("collect-legacy")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = NetnsTarget(entry: .named("node-x"), directoryName: "host")
        let runner = RecordedToolRunner()
        for file in CollectionPlan.standardFiles {
            runner.record(target.wrap(file.command), ToolOutput(status: 0, stdout: "[]"))
        }
        runner.record(target.wrap(["iptables-legacy-save", "-c"]),
                      ToolOutput(status: 0, stdout: "*nat\n[1:60] -A PREROUTING -j KUBE-SERVICES\nCOMMIT\n"))
        runner.record(target.wrap(["iptables-nft-save", "-c"]), ToolOutput(status: 0, stdout: "# Warning: iptables-legacy tables present\n"))
        let report = try await NodeCollector(runner: runner).collectNetns(target, into: dir, fallbackBackend: .nft)
        #expect(report.backend == .legacy)
    }
}
