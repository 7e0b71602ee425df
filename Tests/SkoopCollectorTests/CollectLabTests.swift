import Foundation
import Testing
@testable import SkoopCollector

/// Whether root-only lab tests can run here.
let isRoot = getuid() == 0
/// The reason root-only lab tests skip.
let needsRoot = "needs root to create network namespaces (CI runs as root)"

/// Runs a command that must succeed (lab setup in tests).
@discardableResult
func mustRun(_ command: [String], input: String? = nil) async throws -> String {
    let output = await SubprocessToolRunner().run(command, input: input)
    try #require(output.succeeded, "\(command.joined(separator: " ")): \(output.stderr)")
    return output.stdout
}

@Suite("Collect: real tools in a lab netns", .serialized, .enabled(if: isRoot, Comment(rawValue: needsRoot)))
struct CollectLabTests {
    /// Everything a collect could conceivably change, in both iptables backends.
    func stateSnapshot(_ ns: String) async -> String {
        let runner = SubprocessToolRunner()
        var text = ""
        for command in [["iptables-legacy-save"], ["iptables-nft-save"], ["ip6tables-legacy-save"],
                        ["ip6tables-nft-save"], ["ip", "-d", "link", "show"], ["ip", "addr", "show"],
                        ["ip", "route", "show", "table", "all"], ["ip", "-6", "route", "show", "table", "all"],
                        ["ip", "rule", "show"], ["sysctl", "-a"], ["ipset", "save"], ["nft", "list", "ruleset"]] {
            let output = await runner.run(["ip", "netns", "exec", ns] + command)
            // Strip iptables-save's timestamp comments and sysctl's machine-wide (not per-netns)
            // counters such as fs.inode-nr; every net.* key must be identical.
            let stable = output.stdout.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("# ") && (command[0] != "sysctl" || $0.hasPrefix("net.")) }
                .joined(separator: "\n")
            text += "== \(command.joined(separator: " ")) \(output.status)\n\(stable)"
        }
        return text
    }

    @Test("collect writes the layout and leaves the netns byte-identical")
    func collectIsReadOnly() async throws {
        let host = "sklc\(getpid())-node", pod = "sklc\(getpid())-pod"
        let dir = try makeTemporaryDirectory("labcollect")
        defer { try? FileManager.default.removeItem(at: dir) }
        try await mustRun(["ip", "netns", "add", host])
        try await mustRun(["ip", "netns", "add", pod])
        var failure: (any Error)?
        do {
            try await mustRun(["ip", "-n", host, "link", "add", "veth-p", "type", "veth", "peer", "name", "eth0", "netns", pod])
            try await mustRun(["ip", "-n", host, "addr", "add", "10.9.0.1/24", "dev", "veth-p"])
            try await mustRun(["ip", "-n", host, "link", "set", "veth-p", "up"])
            try await mustRun(["ip", "netns", "exec", host, "iptables-nft-restore"],
                              input: "*filter\n:FORWARD ACCEPT [0:0]\n-A FORWARD -s 10.9.0.0/24 -j ACCEPT\nCOMMIT\n")
            try await mustRun(["ip", "netns", "exec", host, "iptables-legacy-restore"],
                              input: "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
            let before = await stateSnapshot(host)
            let podBefore = await stateSnapshot(pod)
            let targets = try CollectTargets.resolve(hostNetns: host, podNetns: [pod])
            let report = try await NodeCollector().collect(node: "n1", into: dir, host: targets.host, pods: targets.pods)
            let after = await stateSnapshot(host)
            #expect(before == after)
            #expect(podBefore == (await stateSnapshot(pod)))
            #expect(podBefore.contains("10.9.0.") || podBefore.contains("eth0"))
            #expect(report.namespaces.map(\.directoryName) == ["host", SnapshotName.directoryName(for: pod)])
            #expect(report.namespaces[0].backend == .nft)
            let hostDir = dir.appendingPathComponent("nodes/n1/netns/host")
            let iptables = try String(contentsOf: hostDir.appendingPathComponent("iptables.txt"), encoding: .utf8)
            #expect(iptables.contains("-A FORWARD -s 10.9.0.0/24 -j ACCEPT"))
            let links = try String(contentsOf: hostDir.appendingPathComponent("ip-link.json"), encoding: .utf8)
            #expect(links.contains("\"ifname\":\"veth-p\""))
            let sysctl = try String(contentsOf: hostDir.appendingPathComponent("sysctl.txt"), encoding: .utf8)
            #expect(sysctl.split(separator: "\n").allSatisfy { $0.hasPrefix("net.") })
            #expect(sysctl.contains("net.ipv4.ip_forward = "))
            for name in ["ip-addr.json", "ip-route.json", "ip-route6.json", "ip-rule.json", "ip-rule6.json",
                         "ip-neigh.json", "bridge-fdb.json", "ip6tables.txt", "ipset.txt", "nft.json", "sockets.txt"] {
                #expect(FileManager.default.fileExists(atPath: hostDir.appendingPathComponent(name).path), "\(name)")
            }
            let podLinks = try String(contentsOf: dir.appendingPathComponent(
                "nodes/n1/netns/\(SnapshotName.directoryName(for: pod))/ip-link.json"), encoding: .utf8)
            #expect(podLinks.contains("\"ifname\":\"eth0\""))
        } catch {
            failure = error
        }
        _ = await SubprocessToolRunner().run(["ip", "netns", "del", host])
        _ = await SubprocessToolRunner().run(["ip", "netns", "del", pod])
        if let failure { throw failure }
    }
}
