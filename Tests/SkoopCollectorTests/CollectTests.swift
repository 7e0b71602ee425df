import Foundation
import Testing
@testable import SkoopCollector

/// A temporary folder removed by the caller.
func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("skoop-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Every path (relative) below `root`.
func relativePaths(under root: URL) -> [String] {
    let base = root.resolvingSymlinksInPath().path
    let enumerator = FileManager.default.enumerator(atPath: base)
    var paths: [String] = []
    while let path = enumerator?.nextObject() as? String { paths.append(path) }
    return paths.sorted()
}

/// A recorded node: every standard tool answers in the host netns; ipvsadm is missing.
func recordedNode(nftRules: Bool = true) -> RecordedToolRunner {
    let runner = RecordedToolRunner()
    for file in CollectionPlan.standardFiles where file.command[0] != "ipvsadm" {
        runner.record(file.command, ToolOutput(status: 0, stdout: "out of \(file.fileName)\n"))
    }
    runner.record(["sysctl", "-a"], ToolOutput(
        status: 0, stdout: "kernel.hostname = x\nnet.ipv4.ip_forward = 1\nnet.core.somaxconn = 4096\nvm.swappiness = 60\n"))
    runner.record(["ipvsadm", "-Sn"], ToolOutput(status: 2, stderr: "Can't initialize ipvs: Protocol not available\nmore"))
    runner.record(["iptables-legacy-save", "-c"], ToolOutput(status: 0, stdout: "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"))
    runner.record(["iptables-nft-save", "-c"], ToolOutput(
        status: 0, stdout: nftRules ? "*filter\n-A FORWARD -j DROP\nCOMMIT\n" : "*filter\nCOMMIT\n"))
    runner.record(["ip6tables-nft-save", "-c"], ToolOutput(status: 0, stdout: "# v6 nft\n"))
    runner.record(["ip6tables-legacy-save", "-c"], ToolOutput(status: 0, stdout: "# v6 legacy\n"))
    return runner
}

@Suite("Collect: the collection core on recorded tool outputs")
struct CollectCoreTests {
    @Test("writes every layout file, filters sysctl to net.*, records the failing tool")
    func hostLayout() async throws {
        let dir = try makeTemporaryDirectory("collect")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = recordedNode()
        let report = try await NodeCollector(runner: runner).collect(
            node: "node1", into: dir, host: .host(), pods: [])
        let host = dir.appendingPathComponent("nodes/node1/netns/host")
        #expect(report.namespaces.map(\.directoryName) == ["host"])
        #expect(report.namespaces[0].backend == .nft)
        #expect(try String(contentsOf: host.appendingPathComponent("ip-route.json"), encoding: .utf8)
            == "out of ip-route.json\n")
        #expect(try String(contentsOf: host.appendingPathComponent("sysctl.txt"), encoding: .utf8)
            == "net.ipv4.ip_forward = 1\nnet.core.somaxconn = 4096\n")
        #expect(try String(contentsOf: host.appendingPathComponent("iptables.txt"), encoding: .utf8)
            == "*filter\n-A FORWARD -j DROP\nCOMMIT\n")
        #expect(try String(contentsOf: host.appendingPathComponent("ip6tables.txt"), encoding: .utf8) == "# v6 nft\n")
        #expect(try String(contentsOf: host.appendingPathComponent("iptables-backend.txt"), encoding: .utf8) == "nft\n")
        #expect(try String(contentsOf: host.appendingPathComponent("collect-errors.txt"), encoding: .utf8)
            == "ipvsadm\texit 2\tCan't initialize ipvs: Protocol not available\n")
        #expect(!FileManager.default.fileExists(atPath: host.appendingPathComponent("ipvs.txt").path))
        #expect(relativePaths(under: host).count == 16)
    }

    @Test("--infra writes a router's netns under infra/NAME/netns/host/ with a node's files, and the reader lists it apart from nodes")
    func infraLayout() async throws {
        let dir = try makeTemporaryDirectory("collect")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try await NodeCollector(runner: recordedNode()).collect(infra: "gw1", into: dir, host: .host())
        let host = dir.appendingPathComponent("infra/gw1/netns/host")
        #expect(report.namespaces.map(\.directoryName) == ["host"])
        #expect(relativePaths(under: host).count == 16)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("nodes").path))
        #expect(try String(contentsOf: host.appendingPathComponent("iptables.txt"), encoding: .utf8)
            == "*filter\n-A FORWARD -j DROP\nCOMMIT\n")
        let snapshot = try CollectorManager(snapshot: dir.path)
        #expect(snapshot.infraDevices == ["gw1"])
        #expect(snapshot.collectedNodes.isEmpty)
        #expect(snapshot.netnsIDs(node: InfraDevice.key("gw1")) == ["host"])
        #expect(NetNSLoader.folder(node: InfraDevice.key("gw1"), netns: "host") == "infra/gw1/netns/host")
    }

    @Test("a tie in rule counts goes to the host's backend; a missing tool does not stop the rest")
    func backendTieAndMissingTool() async throws {
        let dir = try makeTemporaryDirectory("collect")
        defer { try? FileManager.default.removeItem(at: dir) }
        let runner = recordedNode(nftRules: false)
        let target = NetnsTarget(entry: .named("pod-a"), directoryName: "pod-a")
        // Nothing recorded for the pod's commands: every tool is "missing".
        for file in CollectionPlan.standardFiles {
            runner.record(target.wrap(file.command), ToolOutput(status: 0, stdout: "[]"))
        }
        runner.record(target.wrap(["ss", "-H", "-tuanp"]), ToolOutput(status: 127, stderr: "ss: not found"))
        for backend in IptablesBackend.allCases {
            runner.record(target.wrap(["iptables-\(backend.rawValue)-save", "-c"]), ToolOutput(status: 0, stdout: "*filter\nCOMMIT\n"))
            runner.record(target.wrap(["ip6tables-\(backend.rawValue)-save", "-c"]), ToolOutput(status: 0, stdout: ""))
        }
        let report = try await NodeCollector(runner: runner).collectNetns(target, into: dir, fallbackBackend: .legacy)
        #expect(report.backend == .legacy)
        #expect(report.errors == [CollectionError(tool: "ss", status: 127, message: "ss: not found")])
        #expect(!report.files.contains("sockets.txt"))
        #expect(report.files.contains("sysctl.txt") && report.files.contains("ip-link.json"))
        #expect(runner.commands.contains(["ip", "netns", "exec", "pod-a", "ip6tables-legacy-save", "-c"]))
    }

    @Test("commands enter named netns with ip netns exec and process netns with nsenter, as argument arrays")
    func wrapping() {
        #expect(NetnsTarget.host().wrap(["ip", "-j", "rule", "show"]) == ["ip", "-j", "rule", "show"])
        #expect(NetnsTarget(entry: .named("a b;rm -rf /"), directoryName: "x").wrap(["ss"])
            == ["ip", "netns", "exec", "a b;rm -rf /", "ss"])
        #expect(NetnsTarget(entry: .process(42), directoryName: "x").wrap(["ss", "-H"])
            == ["nsenter", "--net=/proc/42/ns/net", "ss", "-H"])
    }
}

@Suite("Collect: hostile netns names stay inside the output directory")
struct CollectNameTests {
    @Test("sanitized names are one safe path component", arguments: [
        ("../../etc", "_._.._etc"), ("a/b", "a_b"), ("x;rm -rf /", "x_rm_-rf__"), ("$(reboot)", "__reboot_"),
        ("\u{1b}[31mred\n", "__31mred_"), ("host", "host_"), ("", "_"), (".hidden", "_hidden"), ("..", "_."),
        ("pod-web-0", "pod-web-0"), ("cni-1a2b_3.x", "cni-1a2b_3.x"), ("ünï", "_n_"),
    ])
    func sanitize(name: String, expected: String) {
        let result = SnapshotName.directoryName(for: name)
        #expect(result == expected)
        #expect(!result.contains("/") && result != "." && result != ".." && !result.hasPrefix("."))
        #expect(result.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 })
    }

    @Test("long names are cut to the maximum length")
    func longName() {
        #expect(SnapshotName.directoryName(for: String(repeating: "a", count: 300)).count == SnapshotName.maximumLength)
    }

    @Test("collecting hostile names writes only below DIR and passes the real name as one argument")
    func hostileCollection() async throws {
        let dir = try makeTemporaryDirectory("hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = ["../../escape", "/etc/passwd", "a\nb", "`id`", "..", "host"]
        let runner = RecordedToolRunner(fallback: ToolOutput(status: 0, stdout: "x\n"))
        let targets = names.map { NetnsTarget(entry: .named($0), directoryName: $0) }
        let report = try await NodeCollector(runner: runner).collect(
            node: "../node", into: dir.appendingPathComponent("snap"), host: .host(), pods: targets)
        let folders = report.namespaces.map(\.directoryName)
        #expect(folders == ["host", "_._.._escape", "_etc_passwd", "a_b", "_id_", "_.", "host_"])
        #expect(Set(folders).count == folders.count)
        let all = relativePaths(under: dir)
        #expect(all.allSatisfy { $0.hasPrefix("snap") })
        #expect(all.contains("snap/nodes/_._node/netns/_._.._escape/ip-link.json"))
        #expect(runner.commands.contains(["ip", "netns", "exec", "a\nb", "ip", "-j", "-d", "link", "show"]))
    }

    @Test("names that sanitize alike get distinct folders")
    func duplicates() {
        let unique = NodeCollector.uniqueDirectoryNames([
            NetnsTarget(entry: .named("a/b"), directoryName: "a/b", inode: 7),
            NetnsTarget(entry: .named("a;b"), directoryName: "a;b", inode: 8),
            NetnsTarget(entry: .named("a b"), directoryName: "a b"),
        ])
        #expect(unique.map(\.directoryName) == ["a_b", "a_b-8", "a_b-2"])
    }
}

@Suite("Collect: netns discovery")
struct CollectDiscoveryTests {
    @Test("named netns first, process netns by inode, deduplicated, host and own skipped")
    func discovery() throws {
        let dir = try makeTemporaryDirectory("discover")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fm = FileManager.default
        let netns = dir.appendingPathComponent("netns"), procRoot = dir.appendingPathComponent("proc")
        try fm.createDirectory(at: netns, withIntermediateDirectories: true)
        try Data().write(to: netns.appendingPathComponent("blue"))
        try Data().write(to: netns.appendingPathComponent("red"))
        let blueInode = try #require(NetnsDiscovery.fileInode(netns.appendingPathComponent("blue").path))
        func proc(_ pid: String, _ link: String) throws {
            let ns = procRoot.appendingPathComponent("\(pid)/ns")
            try fm.createDirectory(at: ns, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: ns.appendingPathComponent("net").path, withDestinationPath: link)
        }
        try proc("self", "net:[1]")
        try proc("1", "net:[1]")
        try proc("20", "net:[500]")
        try proc("21", "net:[500]")
        try proc("30", "net:[\(blueInode)]")
        try proc("40", "net:[600]")
        try fm.createDirectory(at: procRoot.appendingPathComponent("sys"), withIntermediateDirectories: true)
        let discovery = NetnsDiscovery(netnsDirectory: netns.path, procDirectory: procRoot.path)
        #expect(discovery.currentInode() == 1)
        #expect(discovery.inode(ofNamed: "blue") == blueInode)
        #expect(discovery.inode(ofNamed: "../netns/blue") == nil)
        let found = discovery.discover(excluding: [1, 600])
        #expect(found.map(\.directoryName) == ["blue", "red", "500"])
        #expect(found.map(\.entry) == [.named("blue"), .named("red"), .process(20)])

        let targets = try CollectTargets.resolve(hostNetns: "red", podNetns: [], discovery: discovery)
        #expect(targets.host.entry == .named("red") && targets.host.directoryName == "host")
        #expect(targets.pods.map(\.directoryName) == ["blue", "500", "600"])
        #expect(throws: (any Error).self) {
            try CollectTargets.resolve(hostNetns: "../red", podNetns: [], discovery: discovery)
        }
        #expect(throws: (any Error).self) {
            try CollectTargets.resolve(hostNetns: nil, podNetns: ["missing"], discovery: discovery)
        }
    }
}
