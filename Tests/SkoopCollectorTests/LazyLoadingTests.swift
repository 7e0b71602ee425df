import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopTestSupport

/// What a diagnosis reads lazily: addressing without whole netns, rulesets decoded on first use,
/// Kubernetes documents decoded side by side with errors still in document order.
@Suite struct LazyLoadingTests {
    static let pod = "nodes/node1/netns/pod-client/"

    @Test("a netns's interfaces and addresses are read without its other files")
    func addressingReadsOnlyLinksAndAddresses() throws {
        let snapshot = try FixtureCopy("lab-basic")
        // A broken ruleset in the pod netns does not stop finding who owns an address...
        try snapshot.write(Self.pod + "iptables.txt", Data("*filter\n-A INPUT -j ACCEPT\n".utf8))
        let collector = try CollectorManager(snapshot: snapshot.path)
        let addressing = try #require(collector.addressing(node: "node1", id: "pod-client"))
        #expect(!addressing.interfaces.isEmpty)
        let address = try #require(addressing.addresses.first { $0.interface == "eth0" }?.local)
        #expect(collector.netns(node: "node1", owning: address) == "pod-client")
        #expect(collector.loadFailures.isEmpty, "addressing must not read iptables.txt")
        // ...while reading the netns in full still reports it.
        #expect(throws: InputError.self) { try collector.netns(node: "node1", id: "pod-client") }
        #expect(collector.loadFailures.map(\.source) == [Self.pod + "iptables.txt"])
    }

    @Test("a malformed ip-link.json met through addressing is recorded as the input error it is")
    func malformedAddressingIsRecorded() throws {
        let snapshot = try FixtureCopy("lab-basic")
        try snapshot.write(Self.pod + "ip-link.json", Data("[{\"ifindex\": \"one\"}]".utf8))
        let collector = try CollectorManager(snapshot: snapshot.path)
        #expect(collector.addressing(node: "node1", id: "pod-client") == nil)
        #expect(collector.loadFailures.first?.source == Self.pod + "ip-link.json")
    }

    @Test("Kubernetes documents decoded side by side still report the first broken one in document order")
    func decodingErrorsKeepDocumentOrder() throws {
        let snapshot = try FixtureCopy("lab-basic")
        try snapshot.write("k8s/services.json", Data("{\"items\": 3}".utf8))
        try snapshot.write("k8s/pods.json", Data("{\"items\": [}".utf8))
        #expect {
            _ = try CollectorManager(snapshot: snapshot.path)
        } throws: { error in
            (error as? InputError)?.source == "k8s/pods.json"
        }
        let original = try FixtureCopy("lab-basic")
        let healthy = try CollectorManager(snapshot: original.path)
        #expect(healthy.cluster.pods.count > 0 && healthy.cluster.services.count > 0 && healthy.cluster.nodes.count == 2)
    }

    @Test("a file is compared with bytes already read piece by piece, inside the snapshot only")
    func contentsComparison() throws {
        let snapshot = try FixtureCopy("lab-basic")
        let directory = try SnapshotDirectory(path: snapshot.path)
        let path = "nodes/node1/netns/host/iptables.txt"
        var bytes = try #require(try directory.read(path))
        #expect(try directory.readBytes(path) == [UInt8](bytes))
        #expect(try directory.readBytes("nodes/node1/netns/host/missing.txt") == nil)
        #expect(try directory.contents(of: path, equal: bytes) == true)
        bytes[bytes.count / 2] ^= 1
        #expect(try directory.contents(of: path, equal: bytes) == false)
        #expect(try directory.contents(of: path, equal: bytes.dropLast()) == false)
        #expect(try directory.contents(of: "nodes/node1/netns/host/missing.txt", equal: bytes) == nil)
        let big = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try snapshot.write("nodes/node1/netns/host/big.txt", big)
        #expect(try directory.contents(of: "nodes/node1/netns/host/big.txt", equal: big) == true)
        try FileManager.default.createSymbolicLink(atPath: snapshot.path + "/nodes/node1/netns/host/link.txt",
                                                   withDestinationPath: snapshot.path + "/" + path)
        #expect(throws: InputError.self) { try directory.contents(of: "nodes/node1/netns/host/link.txt", equal: bytes) }
        #expect(throws: InputError.self) { try directory.read("nodes/node1/netns/host/link.txt") }
    }

    @Test("inspect decodes every node: a malformed field a diagnosis would meet only lazily is still an error there")
    func inspectDecodesEveryNode() throws {
        let snapshot = try FixtureCopy("lab-basic")
        var nodes = String(decoding: try snapshot.data("k8s/nodes.json"), as: UTF8.self)
        let range = try #require(nodes.range(of: #""status": "False""#))  // a condition: not indexed
        nodes.replaceSubrange(range, with: #""status": ["False"]"#)
        try snapshot.write("k8s/nodes.json", Data(nodes.utf8))
        let collector = try CollectorManager(snapshot: snapshot.path)  // the skim does not read conditions
        let error = #expect(throws: InputError.self) { try SnapshotSummary(collector: collector) }
        #expect(error?.source == "k8s/nodes.json", "\(String(describing: error))")
    }
}
