import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopTUI

/// `skoop snapshot`: reads a live cluster (objects and every node) into a snapshot directory.
struct SnapshotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot", abstract: "Read a live cluster through kubectl into a snapshot directory.",
        discussion: """
            Reads nodes, pods, services, endpoint slices, network policies and the detection \
            ConfigMaps, then runs one short-lived privileged collector pod per node (in parallel, \
            deleted afterwards) that runs the node's own read-only tools in every netns. \
            A node that cannot be collected is reported and skipped.
            """)

    @Option(help: "The snapshot directory to write.")
    var output: String

    @Option(help: "Only these nodes, comma-separated (default: every node).")
    var nodes: String?

    @OptionGroup var live: LiveOptions

    func run() async throws {
        let options = try live.clusterOptions(nodes: nodes)
        let progress = ProgressReporter()
        let cluster: LiveCluster
        do {
            cluster = try await LiveCluster.open(options, save: output, events: progress.handle)
        } catch {
            printError("\(error)")
            throw ExitCode(ExitStatus.noInput)
        }
        let reaper = CollectorPodReaper(collector: cluster.collector)
        defer { reaper.uninstall() }
        let ticker = Task {
            while !Task.isCancelled {
                progress.redraw()
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        let failures = await cluster.collector.collect(nodes: cluster.nodes, into: cluster.snapshot)
        ticker.cancel()
        for warning in cluster.warnings { printError(warning) }
        for node in cluster.nodes.sorted() { if let failure = failures[node] { printError(failure.description) } }
        print("\(cluster.snapshot.path): \(cluster.nodes.count - failures.count)/\(cluster.nodes.count) nodes collected")
        if !failures.isEmpty { throw ExitCode(1) }
    }
}

/// The flags of live-cluster access, shared by `snapshot`, `diagnose` and `tui`.
struct LiveOptions: ParsableArguments {
    @Option(help: "The kubeconfig file (default: kubectl's: $KUBECONFIG or ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "The kubeconfig context (default: the current context).")
    var context: String?

    @Option(name: .customLong("collector-image"), help: "The collector pods' image (needs nsenter and sh).")
    var collectorImage = LiveCollectorOptions().image

    @Option(name: .customLong("collector-namespace"), help: "The collector pods' namespace.")
    var collectorNamespace = LiveCollectorOptions().namespace

    @Option(name: .customLong("collector-timeout"), help: "How long one node may take, e.g. 120s or 2m.")
    var collectorTimeout = "120s"

    @Option(name: .customLong("collector-parallelism"), help: "Nodes collected at once.")
    var collectorParallelism = LiveCollectorOptions().parallelism

    @Flag(name: .customLong("keep-collector-pods"), help: "Leave the collector pods in place (debugging).")
    var keepCollectorPods = false

    /// Whether a live cluster was asked for.
    var isLive: Bool { kubeconfig != nil || context != nil }

    func validate() throws {
        _ = try timeoutSeconds()
        guard (1...64).contains(collectorParallelism) else {
            throw ValidationError("--collector-parallelism: expected 1 to 64, found \(collectorParallelism)")
        }
    }

    /// `--collector-timeout` in seconds ("90", "90s", "2m").
    func timeoutSeconds() throws -> Double {
        var text = collectorTimeout.lowercased()
        var scale = 1.0
        if text.hasSuffix("m") { scale = 60; text.removeLast() } else if text.hasSuffix("s") { text.removeLast() }
        guard let value = Double(text), value > 0, value * scale <= 3600 else {
            throw ValidationError("--collector-timeout: expected a duration such as 120s or 2m (at most 1h), found \"\(collectorTimeout)\"")
        }
        return value * scale
    }

    func clusterOptions(nodes: String?) throws -> LiveClusterOptions {
        let list = nodes.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        return LiveClusterOptions(
            kubeconfig: kubeconfig, context: context, nodes: list,
            collector: LiveCollectorOptions(image: collectorImage, namespace: collectorNamespace,
                                            timeout: try timeoutSeconds(), parallelism: collectorParallelism,
                                            keepPods: keepCollectorPods))
    }

    /// Opens the live cluster into `save` (or the cache folder) as a CollectorManager that collects
    /// nodes on demand; `onWait` sees the node being collected and the seconds so far.
    func openCollector(save: String?, events: (@Sendable (LiveCollectionEvent) -> Void)?,
                       onWait: (@Sendable (String, Double) -> Void)?) throws -> (CollectorManager, LiveCluster) {
        let cluster: LiveCluster
        do {
            cluster = try LiveCluster.openBlocking(try clusterOptions(nodes: nil), save: save, events: events)
        } catch {
            printError("\(error)")
            if !isLive {
                // No cluster was named: the user may well have meant a snapshot.
                printError("(no --kubeconfig or --context: kubectl's current context was used; "
                           + "to read a saved snapshot pass --snapshot DIR, or --snapshot demo for the bundled demo)")
            }
            throw ExitCode(ExitStatus.noInput)
        }
        let collector = try reportingFailures {
            try CollectorManager(snapshot: cluster.snapshot.path, nodeSource: cluster.nodeSource(onWait: onWait))
        }
        return (collector, cluster)
    }
}

/// "collecting node2 ... 3.2s" on standard error, only when it is a terminal.
final class ProgressReporter: Sendable {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let active = Locked<[String: ContinuousClock.Instant]>([:])

    /// Records collection events.
    @Sendable func handle(_ event: LiveCollectionEvent) {
        switch event {
        case .started(let rawNode):
            let node = TerminalSafe.strip(rawNode)
            active.withLock { $0[node] = .now }
        case .finished(let rawNode, let seconds, let failure):
            let node = TerminalSafe.strip(rawNode)
            active.withLock { _ = $0.removeValue(forKey: node) }
            write("\r\u{1B}[K" + (failure == nil ? "collected \(node) in \(Self.format(seconds))\n"
                                                 : "no data for node \(node) after \(Self.format(seconds))\n"))
        }
    }

    /// Redraws the line of the nodes being collected.
    func redraw() {
        let now = ContinuousClock.now
        let parts = active.withLock { $0 }.sorted { $0.key < $1.key }.map { node, start in
            let elapsed = now - start
            return "\(node) ... \(Self.format(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))"
        }
        guard !parts.isEmpty else { return }
        write("\r\u{1B}[Kcollecting " + parts.joined(separator: ", "))
    }

    /// One node's line (the synchronous diagnosis waits for one node at a time).
    @Sendable func waiting(node: String, seconds: Double) {
        write("\r\u{1B}[Kcollecting \(TerminalSafe.strip(node)) ... \(Self.format(seconds))")
    }

    private func write(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func format(_ seconds: Double) -> String { TUIActivity.format(seconds: seconds) }
}
