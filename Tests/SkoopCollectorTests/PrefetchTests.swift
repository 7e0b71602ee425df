import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
import SkoopTestSupport

/// Reading the nodes a path will cross ahead of the walk must change nothing but the time: the
/// same network stacks, and no failure reported for a node the walk never reached.
@Suite struct PrefetchTests {
    @Test func aPrefetchedNodeIsTheNodeTheWalkWouldRead() throws {
        let snapshot = try FixtureCopy()
        let prefetching = try CollectorManager(snapshot: snapshot.path)
        let warmed = Locked<[String]>([])
        prefetching.prefetch(hostsOf: ["node2", "node1", "no-such-node"]) { node in warmed.withLock { $0.append(node) } }.wait()
        #expect(warmed.withLock { $0 }.sorted() == ["node1", "node2"], "two threads read them: in either order")
        let plain = try CollectorManager(snapshot: snapshot.path)
        for node in ["node1", "node2"] {
            let ahead = try prefetching.netns(node: node, id: "host"), walked = try plain.netns(node: node, id: "host")
            #expect(ahead.routes == walked.routes && ahead.addresses == walked.addresses && ahead.iptables == walked.iptables)
        }
    }

    @Test func aMalformedNodeReadAheadIsReportedOnlyWhenTheWalkReachesIt() throws {
        let snapshot = try FixtureCopy()
        try snapshot.write("nodes/node2/netns/host/ip-route.json", "[{\"dst\": 5}]")
        let collector = try CollectorManager(snapshot: snapshot.path)
        let warmed = Locked<[String]>([])
        collector.prefetch(hostsOf: ["node2"]) { node in warmed.withLock { $0.append(node) } }.wait()
        #expect(warmed.withLock { $0 }.isEmpty)
        #expect(collector.loadFailures.isEmpty)
        #expect(throws: InputError.self) { try collector.netns(node: "node2", id: "host") }
        #expect(collector.loadFailures.map(\.source) == ["nodes/node2/netns/host/ip-route.json"])
    }

    @Test func threadsAskingForTheSameNetnsShareOneRead() throws {
        let snapshot = try FixtureCopy()
        let collector = try CollectorManager(snapshot: snapshot.path)
        let results = Locked<[NetNSInfo]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            if let info = try? collector.netns(node: "node1", id: "host") { results.withLock { $0.append(info) } }
        }
        let infos: [NetNSInfo] = results.withLock { $0 }
        #expect(infos.count == 8)
        let first = try #require(infos.first)
        for info in infos {
            #expect(info.id == "host" && info.routes == first.routes && info.iptables == first.iptables)
        }
    }
}
