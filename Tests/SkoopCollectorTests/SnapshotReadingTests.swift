import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// Reading whole snapshots: counts, warnings, and a clear error for every kind of broken file.
@Suite struct SnapshotReadingTests {
    /// A private copy of lab-basic to damage.
    func copyOfLabBasic() throws -> String {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-snap-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url("lab-basic").path, toPath: target)
        return target
    }

    @Test func lab_summaryCountsWhatTheLabHas() throws {
        let summary = try SnapshotSummary(collector: CollectorManager(snapshot: Fixtures.url("lab-basic").path))
        #expect(summary.nodes.map(\.name) == ["node1", "node2"])
        #expect(summary.pods == 4 && summary.services == 2 && summary.networkPolicies == 1)
        #expect(summary.nodes.map { $0.netns.map(\.id) } == [["host", "pod-client", "pod-web-0"], ["host", "pod-client2", "pod-web-1"]])
        let node1 = summary.nodes[0].netns[0]
        #expect(node1.iptablesBackend == "legacy" && node1.ipsets == 1)
        #expect(summary.nodes[1].netns[0].iptablesBackend == "nft")
        #expect(summary.nodes[0].netns[2].pod == "default/web-0")
        #expect(summary.warnings.isEmpty)
        #expect(summary.text().contains("pod-web-1 (pod default/web-1)"))
    }

    @Test func missingFilesAreWarningsAndTheRestStillLoads() throws {
        let path = try copyOfLabBasic()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try FileManager.default.removeItem(atPath: path + "/nodes/node2/netns/host/iptables.txt")
        try FileManager.default.removeItem(atPath: path + "/k8s/networkpolicies.json")
        let summary = try SnapshotSummary(collector: CollectorManager(snapshot: path))
        #expect(summary.warnings.contains("k8s/networkpolicies.json is missing"))
        let host2 = try #require(summary.nodes[1].netns.first)
        #expect(host2.warnings.contains { $0.hasPrefix("nodes/node2/netns/host/iptables.txt is missing") })
        #expect(host2.routes > 0)
    }

    static let damagedFiles = [
        "nodes/node1/netns/host/ip-link.json", "nodes/node1/netns/host/ip-addr.json",
        "nodes/node1/netns/host/ip-route.json", "nodes/node1/netns/host/ip-route6.json",
        "nodes/node1/netns/host/ip-rule.json", "nodes/node1/netns/host/ip-neigh.json",
        "nodes/node1/netns/host/bridge-fdb.json", "nodes/node1/netns/host/iptables.txt",
        "nodes/node2/netns/host/iptables.txt", "nodes/node1/netns/host/ipset.txt",
        "nodes/node1/netns/pod-web-0/sockets.txt", "nodes/node1/netns/host/sysctl.txt",
        "k8s/nodes.json", "k8s/pods.json", "k8s/services.json", "k8s/endpointslices.json",
        "k8s/networkpolicies.json", "k8s/configmaps.json", "snapshot.json",
    ]

    @Test(arguments: damagedFiles)
    func truncatedFileIsAnErrorNamingIt(_ file: String) throws {
        try expectError(in: file) { text in String(text.prefix(text.count * 2 / 3)) + "\u{0}garbage" }
    }

    @Test(arguments: damagedFiles)
    func binaryGarbageIsAnErrorNamingIt(_ file: String) throws {
        try expectError(in: file) { _ in "\u{1}\u{2}\u{0}\u{7F}{[((" }
    }

    func expectError(in file: String, damage: (String) -> String) throws {
        let path = try copyOfLabBasic()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let full = path + "/" + file
        let original = try String(contentsOfFile: full, encoding: .utf8)
        try damage(original).write(toFile: full, atomically: true, encoding: .utf8)
        do {
            _ = try SnapshotSummary(collector: CollectorManager(snapshot: path))
            Issue.record("no error for damaged \(file)")
        } catch {
            #expect(error.source.hasSuffix(file), "error names \(error.source), not \(file)")
            #expect(!error.expected.isEmpty)
        }
    }

    @Test func linksOutOfTheSnapshotAreNotFollowed() throws {
        let path = try copyOfLabBasic()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let victim = path + "/nodes/node1/netns/host/sysctl.txt"
        try FileManager.default.removeItem(atPath: victim)
        try FileManager.default.createSymbolicLink(atPath: victim, withDestinationPath: "/etc/passwd")
        do {
            _ = try SnapshotSummary(collector: CollectorManager(snapshot: path))
            Issue.record("followed a link out of the snapshot")
        } catch {
            #expect(error.description.contains("symbolic link"))
        }
        let directory = try SnapshotDirectory(path: path)
        #expect(throws: InputError.self) { try directory.read("../etc/passwd") }
        #expect(throws: InputError.self) { try directory.read("/etc/passwd") }
    }

    @Test func aMissingDirectoryIsAClearError() {
        do {
            _ = try CollectorManager(snapshot: "/nonexistent/snapshot")
            Issue.record("expected an error")
        } catch {
            #expect(error.description.hasPrefix("/nonexistent/snapshot: expected a snapshot directory"))
        }
    }
}
