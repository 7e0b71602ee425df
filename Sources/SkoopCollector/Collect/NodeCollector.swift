import Foundation
import SkoopModel

/// A tool that failed or was missing during a collection.
public struct CollectionError: Hashable, Sendable {
    /// The tool (argv[0] inside the namespace).
    public var tool: String
    /// Its exit status (127: missing).
    public var status: Int32
    /// The first line of its standard error, safe to print.
    public var message: String

    /// Makes an error record.
    public init(tool: String, status: Int32, message: String) {
        self.tool = tool
        self.status = status
        self.message = message
    }

    /// The line written to collect-errors.txt: `TOOL<TAB>exit STATUS<TAB>MESSAGE`.
    public var line: String { "\(tool)\texit \(status)\t\(message)" }
}

/// What was collected from one namespace.
public struct NetnsCollectionReport: Hashable, Sendable {
    /// The folder under `nodes/NODE/netns/`.
    public var directoryName: String
    /// The iptables backend detected (nil when neither save tool ran).
    public var backend: IptablesBackend?
    /// The files written, sorted.
    public var files: [String]
    /// The tools that failed.
    public var errors: [CollectionError]
}

/// What was collected from one node.
public struct NodeCollectionReport: Hashable, Sendable {
    /// The node folder, `SNAP/nodes/NODE`.
    public var nodeDirectory: URL
    /// One report per namespace, host first.
    public var namespaces: [NetnsCollectionReport]
}

/// The collection core: runs the standard read-only tools in each namespace of a node and
/// writes their raw output in the snapshot layout. It never changes any state.
public struct NodeCollector: Sendable {
    /// The name of the per-namespace error file.
    public static let errorFileName = "collect-errors.txt"

    /// Runs the tools.
    public var runner: any ToolRunner
    /// How many namespaces are collected at once.
    public var parallelism: Int

    /// Makes a collector using `runner` for every tool.
    public init(runner: any ToolRunner = SubprocessToolRunner(), parallelism: Int = 4) {
        self.runner = runner
        self.parallelism = max(1, parallelism)
    }

    /// Collects `host` into `SNAP/nodes/NODE/netns/host` and each of `pods` into its own folder
    /// (duplicate folder names get the inode or a counter appended).
    public func collect(node: String, into snapshot: URL, host: NetnsTarget,
                        pods: [NetnsTarget]) async throws -> NodeCollectionReport {
        try await collect(folder: "nodes", name: node, into: snapshot, host: host, pods: pods)
    }

    /// Collects a router or gateway on the path (an infrastructure device) into
    /// `SNAP/infra/NAME/netns/host/`: the same files as a node's host netns.
    public func collect(infra name: String, into snapshot: URL, host: NetnsTarget) async throws -> NodeCollectionReport {
        try await collect(folder: InfraDevice.folder, name: name, into: snapshot, host: host, pods: [])
    }

    private func collect(folder: String, name node: String, into snapshot: URL, host: NetnsTarget,
                         pods: [NetnsTarget]) async throws -> NodeCollectionReport {
        let nodeDirectory = snapshot.appendingPathComponent(folder, isDirectory: true)
            .appendingPathComponent(SnapshotName.component(node), isDirectory: true)
        let netnsDirectory = nodeDirectory.appendingPathComponent("netns", isDirectory: true)
        var hostTarget = host
        hostTarget.directoryName = "host"
        let hostReport = try await collectNetns(hostTarget, into: netnsDirectory, fallbackBackend: nil)
        let uniquePods = Self.uniqueDirectoryNames(pods)
        var reports: [NetnsCollectionReport] = []
        try await withThrowingTaskGroup(of: (Int, NetnsCollectionReport).self) { group in
            var next = 0
            func startNext() {
                guard next < uniquePods.count else { return }
                let index = next
                next += 1
                let target = uniquePods[index]
                group.addTask {
                    (index, try await collectNetns(target, into: netnsDirectory,
                                                   fallbackBackend: hostReport.backend))
                }
            }
            for _ in 0..<parallelism { startNext() }
            var byIndex: [Int: NetnsCollectionReport] = [:]
            while let (index, report) = try await group.next() {
                byIndex[index] = report
                startNext()
            }
            reports = byIndex.sorted { $0.key < $1.key }.map(\.value)
        }
        return NodeCollectionReport(nodeDirectory: nodeDirectory, namespaces: [hostReport] + reports)
    }

    /// Collects one namespace into `netnsDirectory/<target.directoryName>`.
    public func collectNetns(_ target: NetnsTarget, into netnsDirectory: URL,
                             fallbackBackend: IptablesBackend?) async throws -> NetnsCollectionReport {
        let directory = netnsDirectory.appendingPathComponent(target.directoryName, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [String] = []
        var errors: [CollectionError] = []
        func store(_ file: CollectedFile, _ output: ToolOutput) throws {
            if output.succeeded {
                try Data(file.content(of: output).utf8).write(to: directory.appendingPathComponent(file.fileName))
                written.append(file.fileName)
            } else {
                errors.append(CollectionError(tool: file.command.first ?? "?", status: output.status,
                                              message: TerminalSafe.strip(output.firstErrorLine)))
            }
        }
        for file in CollectionPlan.standardFiles {
            try store(file, await runner.run(target.wrap(file.command)))
        }
        let backend = try await collectIptables(target, fallback: fallbackBackend, store: store)
        if let backend {
            try Data((backend.rawValue + "\n").utf8)
                .write(to: directory.appendingPathComponent("iptables-backend.txt"))
            written.append("iptables-backend.txt")
        }
        let errorFile = directory.appendingPathComponent(Self.errorFileName)
        if errors.isEmpty {
            try? FileManager.default.removeItem(at: errorFile)
        } else {
            try Data((errors.map(\.line).joined(separator: "\n") + "\n").utf8).write(to: errorFile)
        }
        return NetnsCollectionReport(directoryName: target.directoryName, backend: backend,
                                     files: written.sorted(), errors: errors)
    }

    /// Saves the rules of the backend in use: the one whose save tool prints more rules
    /// (a tie goes to `fallback`, then to whichever tool ran, nft first).
    private func collectIptables(_ target: NetnsTarget, fallback: IptablesBackend?,
                                 store: (CollectedFile, ToolOutput) throws -> Void) async throws -> IptablesBackend? {
        var outputs: [IptablesBackend: ToolOutput] = [:]
        for backend in IptablesBackend.allCases {
            outputs[backend] = await runner.run(target.wrap(CollectionPlan.iptablesFiles(backend: backend)[0].command))
        }
        let working = IptablesBackend.allCases.filter { outputs[$0]?.succeeded == true }
        guard !working.isEmpty else {
            for backend in IptablesBackend.allCases {
                try store(CollectionPlan.iptablesFiles(backend: backend)[0], outputs[backend] ?? ToolOutput(status: 127))
            }
            return nil
        }
        let counts = working.map { ($0, IptablesBackend.ruleCount(in: outputs[$0]?.stdout ?? "")) }
        let most = counts.map(\.1).max() ?? 0
        let leaders = counts.filter { $0.1 == most }.map(\.0)
        let chosen: IptablesBackend
        if leaders.count == 1 {
            chosen = leaders[0]
        } else if let fallback, leaders.contains(fallback) {
            chosen = fallback
        } else {
            chosen = leaders.contains(.nft) ? .nft : leaders[0]
        }
        let files = CollectionPlan.iptablesFiles(backend: chosen)
        try store(files[0], outputs[chosen] ?? ToolOutput(status: 127))
        try store(files[1], await runner.run(target.wrap(files[1].command)))
        return chosen
    }

    /// The targets with distinct folder names: a repeated name gets `-<inode>` (or `-N`).
    static func uniqueDirectoryNames(_ targets: [NetnsTarget]) -> [NetnsTarget] {
        var used: Set<String> = ["host"]
        return targets.map { target in
            var copy = target
            var name = target.directoryName
            if used.contains(name) {
                let base = String(name.prefix(SnapshotName.maximumLength - 24))
                name = base + "-" + (target.inode.map(String.init) ?? "2")
                var counter = 2
                while used.contains(name) {
                    counter += 1
                    name = base + "-\(counter)"
                }
            }
            used.insert(name)
            copy.directoryName = name
            return copy
        }
    }
}
