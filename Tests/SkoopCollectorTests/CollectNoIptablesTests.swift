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
