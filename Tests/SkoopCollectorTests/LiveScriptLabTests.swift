import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector

@Suite("Live: the node script for real in lab network namespaces", .serialized,
       .enabled(if: isRoot, Comment(rawValue: needsRoot)))
struct LiveScriptLabTests {
    @Test("the generated sh script unpacks to the same files as skoop collect")
    func scriptMatchesCollect() async throws {
        let host = "sklive\(getpid())-node", pod = "sklive\(getpid())-pod"
        let viaScript = try makeTemporaryDirectory("livescript"), viaCollect = try makeTemporaryDirectory("livecollect")
        defer {
            try? FileManager.default.removeItem(at: viaScript)
            try? FileManager.default.removeItem(at: viaCollect)
        }
        try await mustRun(["ip", "netns", "add", host])
        try await mustRun(["ip", "netns", "add", pod])
        var failure: (any Error)?
        do {
            // No IPv6 link-local addresses appearing between the two collections (DAD timing).
            for ns in [host, pod] {
                try await mustRun(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                                   "net.ipv6.conf.default.disable_ipv6=1"])
            }
            try await mustRun(["ip", "-n", host, "link", "add", "veth-p", "type", "veth", "peer", "name", "eth0", "netns", pod])
            try await mustRun(["ip", "-n", host, "addr", "add", "10.9.0.1/24", "dev", "veth-p"])
            try await mustRun(["ip", "-n", host, "link", "set", "veth-p", "up"])
            try await mustRun(["ip", "-n", pod, "addr", "add", "10.9.0.2/24", "dev", "eth0"])
            try await mustRun(["ip", "-n", pod, "link", "set", "eth0", "up"])
            try await mustRun(["ip", "netns", "exec", host, "iptables-nft-restore"],
                              input: "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -s 10.9.0.0/24 -j ACCEPT\nCOMMIT\n")
            try await Task.sleep(for: .seconds(1))  // carrier and operstate settle
            let boundary = "SKOOP-\(UUID().uuidString)"
            let output = await SubprocessToolRunner().run(
                ["sh", "-c", NodeCollectionScript.text, "skoop-collect", boundary, "--host-netns", host, "--pod-netns", pod])
            #expect(output.succeeded, "\(output.stderr)")
            let archive = try CollectorArchive.parse(output.stdout, boundary: boundary, source: "script output")
            #expect(archive.namespaces.map(\.kind) == ["host", "named"])
            let scriptReport = try await archive.unpack(node: "n1", into: viaScript)
            let targets = try CollectTargets.resolve(hostNetns: host, podNetns: [pod])
            let collectReport = try await NodeCollector().collect(node: "n1", into: viaCollect, host: targets.host, pods: targets.pods)
            #expect(scriptReport.namespaces.map(\.directoryName) == collectReport.namespaces.map(\.directoryName))
            #expect(scriptReport.namespaces.map(\.files) == collectReport.namespaces.map(\.files))
            #expect(scriptReport.namespaces.map(\.backend) == [.nft, collectReport.namespaces[1].backend])
            #expect(relativePaths(under: viaScript) == relativePaths(under: viaCollect))
            // Stable outputs are byte-identical (counters and timestamps aside).
            for id in ["host", SnapshotName.directoryName(for: pod)] {
                for file in ["ip-addr.json", "ip-route.json", "ip-rule.json", "sysctl.txt", "iptables-backend.txt"] {
                    let relative = "nodes/n1/netns/\(id)/\(file)"
                    #expect(try Data(contentsOf: viaScript.appendingPathComponent(relative))
                            == Data(contentsOf: viaCollect.appendingPathComponent(relative)), "\(relative)")
                }
            }
            let rules = try String(contentsOf: viaScript.appendingPathComponent("nodes/n1/netns/host/iptables.txt"), encoding: .utf8)
            #expect(rules.contains("-A FORWARD -s 10.9.0.0/24 -j ACCEPT"))
        } catch {
            failure = error
        }
        _ = await SubprocessToolRunner().run(["ip", "netns", "del", host])
        _ = await SubprocessToolRunner().run(["ip", "netns", "del", pod])
        if let failure { throw failure }
    }
}
