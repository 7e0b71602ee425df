import Foundation
import SkoopModel

/// How to reach a live cluster and run collector pods there.
public struct LiveClusterOptions: Sendable {
    /// `--kubeconfig`.
    public var kubeconfig: String?
    /// `--context` (default: the kubeconfig's current context).
    public var context: String?
    /// Only these nodes are collected (nil: every node of the cluster).
    public var nodes: [String]?
    /// The collector pods.
    public var collector: LiveCollectorOptions
    /// The kubectl executable.
    public var kubectlExecutable: String
    /// More global kubectl flags (tests: `--cache-dir`).
    public var kubectlArguments: [String]

    /// Makes options.
    public init(kubeconfig: String? = nil, context: String? = nil, nodes: [String]? = nil,
                collector: LiveCollectorOptions = LiveCollectorOptions(), kubectlExecutable: String = "kubectl",
                kubectlArguments: [String] = []) {
        self.kubeconfig = kubeconfig
        self.context = context
        self.nodes = nodes
        self.collector = collector
        self.kubectlExecutable = kubectlExecutable
        self.kubectlArguments = kubectlArguments
    }
}

/// A live cluster opened for diagnosis: its objects already written to `snapshot`, its nodes
/// collected on demand by `collector`.
public struct LiveCluster: Sendable {
    /// The snapshot directory being filled.
    public let snapshot: URL
    /// The kubeconfig context used.
    public let contextName: String
    /// The nodes that may be collected.
    public let nodes: [String]
    /// The collector.
    public let collector: LiveNodeCollector
    /// Problems with optional data (e.g. endpoint slices unavailable).
    public let warnings: [String]

    /// Reads the cluster's objects into `save` (default: `cacheSnapshotPath`), checking that
    /// every node of `options.nodes` exists. Throws `KubectlError` or `InputError`.
    public static func open(_ options: LiveClusterOptions, save: String?,
                            events: (@Sendable (LiveCollectionEvent) -> Void)? = nil) async throws -> LiveCluster {
        let kubectl = Kubectl(executable: options.kubectlExecutable, kubeconfig: options.kubeconfig,
                              context: options.context, globalArguments: options.kubectlArguments)
        let contextName = try await kubectl.contextName()
        let snapshot = save.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? cacheSnapshotPath(context: contextName)
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        let warnings = try await ClusterObjectReader(kubectl: kubectl).write(into: snapshot)
        let nodesText = try String(contentsOf: snapshot.appendingPathComponent("k8s/nodes.json"), encoding: .utf8)
        let clusterNodes = ClusterObjectReader.items(of: nodesText).map(ClusterObjectReader.name(of:)).filter { !$0.isEmpty }
        var nodes = clusterNodes
        if let wanted = options.nodes {
            if let unknown = wanted.first(where: { !clusterNodes.contains($0) }) {
                throw InputError(source: "--nodes", expected: "nodes of the cluster (\(clusterNodes.joined(separator: ", ")))",
                                 found: unknown)
            }
            nodes = wanted
        }
        return LiveCluster(snapshot: snapshot, contextName: contextName, nodes: nodes,
                           collector: LiveNodeCollector(kubectl: kubectl, options: options.collector, events: events),
                           warnings: warnings)
    }

    /// The source that collects a node the first time the diagnosis needs it.
    public func nodeSource(onWait: (@Sendable (String, Double) -> Void)? = nil) -> LiveNodeSource {
        LiveNodeSource(collector: collector, nodes: nodes, onWait: onWait)
    }

    /// `$XDG_CACHE_HOME` (or ~/.cache)`/skoop/snapshots/<context>-<UTC timestamp>`.
    public static func cacheSnapshotPath(context: String, date: Date = Date()) -> URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return cache.appendingPathComponent("skoop/snapshots", isDirectory: true)
            .appendingPathComponent(SnapshotName.component(context) + "-" + formatter.string(from: date), isDirectory: true)
    }

    /// Runs `open` from synchronous code (the diagnose and tui commands).
    public static func openBlocking(_ options: LiveClusterOptions, save: String?,
                                    events: (@Sendable (LiveCollectionEvent) -> Void)? = nil) throws -> LiveCluster {
        try BlockingWait.run(tick: nil) { () async -> Result<LiveCluster, LiveOpenError> in
            do {
                return .success(try await open(options, save: save, events: events))
            } catch {
                return .failure(LiveOpenError(underlying: "\(error)"))
            }
        }.get()
    }
}

/// Why a live cluster could not be opened (kubectl failed, bad flags).
public struct LiveOpenError: Error, CustomStringConvertible, Sendable {
    /// The underlying error's text.
    public var underlying: String
    public var description: String { underlying }
}

/// Deletes the collector pods when the process is interrupted (SIGINT, SIGTERM, SIGHUP), then
/// exits with 128 + the signal. For commands without their own signal handling (not the TUI).
public final class CollectorPodReaper: @unchecked Sendable {
    // Immutable after init; dispatch sources are thread-safe.
    private let sources: [any DispatchSourceSignal]

    /// Installs the handlers for `collector`.
    public init(collector: LiveNodeCollector) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                Task.detached {
                    await collector.deleteRemainingPods()
                    exit(128 + number)
                }
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// Removes the handlers (default actions again).
    public func uninstall() {
        for source in sources { source.cancel() }
        for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, SIG_DFL) }
    }
}
