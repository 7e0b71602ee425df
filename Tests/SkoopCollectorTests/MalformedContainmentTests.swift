import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// The snapshot reader stays inside the snapshot: no link is followed, no `..` accepted, whatever
/// names the listings or the Kubernetes objects carry; oversized files are a clear error.
@Suite struct MalformedContainmentTests {
    /// A directory outside the snapshot with a valid-looking netns in it (what a link would expose).
    func outsideNetns() throws -> String {
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-outside-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url("lab-basic/nodes/node1").path, toPath: outside)
        return outside
    }

    @Test func aLinkAsANodeDirectoryIsNotFollowed() throws {
        let snapshot = try ScratchSnapshot()
        let outside = try outsideNetns()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: snapshot.path + "/nodes/node3", withDestinationPath: outside)
        let collector = try CollectorManager(snapshot: snapshot.path)
        #expect(collector.collectedNodes == ["node1", "node2"])
        #expect(collector.netnsIDs(node: "node3").isEmpty)
        #expect(throws: InputError.self) { try collector.netns(node: "node3", id: "host") }
        let summary = try SnapshotSummary(collector: collector)
        #expect(summary.nodes.map(\.name) == ["node1", "node2"])
    }

    @Test func aLinkAsANetnsDirectoryIsNotFollowed() throws {
        let snapshot = try ScratchSnapshot()
        let outside = try outsideNetns()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createSymbolicLink(atPath: snapshot.path + "/nodes/node1/netns/pod-evil",
                                                   withDestinationPath: outside + "/netns/host")
        let collector = try CollectorManager(snapshot: snapshot.path)
        #expect(!collector.netnsIDs(node: "node1").contains("pod-evil"))
        do {
            _ = try collector.netns(node: "node1", id: "pod-evil")
            Issue.record("read a netns through a link")
        } catch {
            #expect(error.description.contains("symbolic link"), "\(error)")
        }
    }

    @Test func aLinkedNetnsFolderOfLinkedNodesIsRefusedOnTheWay() throws {
        let snapshot = try ScratchSnapshot()
        let outside = try outsideNetns()
        defer { try? FileManager.default.removeItem(atPath: outside) }
        // nodes/node1/netns itself is a link: every file under it must be refused.
        try FileManager.default.removeItem(atPath: snapshot.path + "/nodes/node1/netns")
        try FileManager.default.createSymbolicLink(atPath: snapshot.path + "/nodes/node1/netns", withDestinationPath: outside + "/netns")
        let collector = try CollectorManager(snapshot: snapshot.path)
        #expect(collector.netnsIDs(node: "node1").isEmpty)
        #expect(throws: InputError.self) { try collector.netns(node: "node1", id: "host") }
    }

    @Test(arguments: ["..", "../..", "node1/../../..", "/etc", "node1/netns/../../../..", ".", "a/./b"])
    func dotDotAndAbsoluteNamesAreRefused(_ name: String) throws {
        let snapshot = try ScratchSnapshot()
        let collector = try CollectorManager(snapshot: snapshot.path)
        #expect(throws: InputError.self) { try collector.netns(node: name, id: "host") }
        #expect(throws: InputError.self) { try collector.netns(node: "node1", id: name == "." ? ".." : name) }
        #expect(collector.netnsIDs(node: name).isEmpty)
        let directory = try SnapshotDirectory(path: snapshot.path)
        if name.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) {
            #expect(throws: InputError.self) { try directory.read("nodes/\(name)/netns/host/sysctl.txt") }
        } else {
            // "nodes//etc/..." is nodes/etc/... inside the snapshot: absent, not /etc.
            #expect(try directory.read("nodes/\(name)/netns/host/sysctl.txt") == nil)
        }
        #expect(!directory.exists("nodes/\(name)/x"))
    }

    @Test func aKubernetesNodeNamedWithDotDotCannotLeadOutside() throws {
        let snapshot = try ScratchSnapshot()
        // A node object whose name climbs out of nodes/: the summary must not read through it.
        var nodes = String(decoding: try snapshot.data("k8s/nodes.json"), as: UTF8.self)
        nodes = nodes.replacingOccurrences(of: "\"name\": \"node2\"", with: "\"name\": \"../../..\"")
        try snapshot.write("k8s/nodes.json", Data(nodes.utf8))
        let summary = try snapshot.read().get()
        let climbing = try #require(summary.nodes.first { $0.name == "../../.." })
        #expect(climbing.netns.isEmpty)
        #expect(climbing.inKubernetes)
        #expect(summary.warnings.contains { $0.contains("../../..") && $0.contains("no collected data") })
    }

    @Test func aFileOverTheSizeLimitIsAClearError() throws {
        let snapshot = try ScratchSnapshot()
        let directory = try SnapshotDirectory(path: snapshot.path, fileSizeLimit: 1000)
        do {
            _ = try NetNSLoader(directory: directory).load(node: "node1", netns: "host")
            Issue.record("read a file over the limit")
        } catch {
            #expect(error.source == "nodes/node1/netns/host/ip-link.json")
            #expect(error.expected == "a file of at most 1000 bytes", "\(error)")
            #expect(error.found?.hasSuffix(" bytes") == true, "\(error)")
        }
        // Files under the limit still read.
        #expect(try directory.read("nodes/node1/netns/host/iptables-backend.txt") == Data("legacy\n".utf8))
    }

    @Test func aFifoOrDirectoryInPlaceOfAFileIsAnError() throws {
        let snapshot = try ScratchSnapshot()
        let file = snapshot.path + "/nodes/node1/netns/host/sysctl.txt"
        try FileManager.default.removeItem(atPath: file)
        #expect(mkfifo(file, 0o600) == 0)
        // A FIFO would block a reader forever: it must be refused without opening it.
        let outcome = snapshot.read()
        let error = try #require(outcome.failure)
        #expect(error.source == "nodes/node1/netns/host/sysctl.txt" && error.expected == "a regular file inside the snapshot")
        try FileManager.default.removeItem(atPath: file)
        try FileManager.default.createDirectory(atPath: file, withIntermediateDirectories: false)
        #expect(snapshot.read().failure?.source == "nodes/node1/netns/host/sysctl.txt")
    }
}

/// `skoop diagnose` reads every netns first: a malformed node file is the input error it is.
@Suite struct MalformedEagerLoadTests {
    @Test func loadingAllNetnsReportsTheBrokenFileAndLine() throws {
        let snapshot = try ScratchSnapshot()
        try snapshot.write("nodes/node2/netns/pod-web-1/iptables.txt", "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j")
        let collector = try CollectorManager(snapshot: snapshot.path)
        do {
            try collector.loadAllNetns()
            Issue.record("no error for a truncated iptables.txt")
        } catch {
            #expect(error.source == "nodes/node2/netns/pod-web-1/iptables.txt" && error.line == 3, "\(error)")
        }
        // The intact fixture loads whole.
        try CollectorManager(snapshot: Fixtures.url("lab-basic").path).loadAllNetns()
    }
}
