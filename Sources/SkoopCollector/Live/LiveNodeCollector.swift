import Foundation
import SkoopModel

/// How the collector pods are run.
public struct LiveCollectorOptions: Hashable, Sendable {
    /// The image: it needs `nsenter` and `sh` (the node's own tools do the rest).
    public var image: String
    /// The namespace of the collector pods.
    public var namespace: String
    /// How long a node may take, from pod creation to its archive, in seconds.
    public var timeout: Double
    /// How many nodes are collected at once.
    public var parallelism: Int
    /// Leave the pods in place (for debugging).
    public var keepPods: Bool
    /// Seconds between two looks at a pod's phase.
    public var pollInterval: Double

    /// Makes options; the defaults suit a real cluster.
    public init(image: String = "docker.io/library/busybox:1.36", namespace: String = "default",
                timeout: Double = 120, parallelism: Int = 4, keepPods: Bool = false, pollInterval: Double = 1) {
        self.image = image
        self.namespace = namespace
        self.timeout = timeout
        self.parallelism = max(1, parallelism)
        self.keepPods = keepPods
        self.pollInterval = pollInterval
    }
}

/// Why a node could not be collected.
public struct NodeCollectionFailure: Error, CustomStringConvertible, Sendable, Hashable {
    /// The node.
    public var node: String
    /// Why, for the user.
    public var reason: String

    public var description: String { "no data for node \(node): \(reason)" }
}

/// What the collector is doing, for progress displays.
public enum LiveCollectionEvent: Sendable, Hashable {
    /// A node's collection started.
    case started(node: String)
    /// A node's collection ended (nil failure: success) after `seconds`.
    case finished(node: String, seconds: Double, failure: String?)
}

/// Collects nodes of a live cluster: one short-lived privileged pod per node that enters the
/// host's namespaces and runs `NodeCollectionScript`; its archive is read back with
/// `kubectl logs` (or, when kubelet rotated a large log, with `kubectl exec ... cat` of the copy
/// the pod keeps) and unpacked like `skoop collect`. Pods are always deleted (success, error,
/// cancellation, or `deleteRemainingPods()` from a signal handler) unless `keepPods`.
public final class LiveNodeCollector: Sendable {
    /// The cluster.
    public let kubectl: Kubectl
    /// The pod settings.
    public let options: LiveCollectorOptions
    private let events: (@Sendable (LiveCollectionEvent) -> Void)?
    private let pods = Locked(PodBook())

    /// Makes a collector; `events` is told when nodes start and finish (from any thread).
    public init(kubectl: Kubectl, options: LiveCollectorOptions = LiveCollectorOptions(),
                events: (@Sendable (LiveCollectionEvent) -> Void)? = nil) {
        self.kubectl = kubectl
        self.options = options
        self.events = events
    }

    /// Every pod created so far (for reports and tests).
    public var podsCreated: [String] { pods.withLock { $0.created } }

    /// Collects `node` into `SNAP/nodes/NODE/`; throws `NodeCollectionFailure` saying why not.
    public func collect(node: String, into snapshot: URL) async throws(NodeCollectionFailure) {
        let start = ContinuousClock.now
        events?(.started(node: node))
        var failure: String?
        defer {
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            events?(.finished(node: node, seconds: seconds, failure: failure))
        }
        do {
            try await collectOnce(node: node, into: snapshot)
        } catch let error as NodeCollectionFailure {
            failure = error.reason
            throw error
        } catch {
            failure = "\(error)"
            throw NodeCollectionFailure(node: node, reason: failure ?? "")
        }
    }

    /// Collects `nodes` with at most `options.parallelism` at once; returns the failures by node.
    public func collect(nodes: [String], into snapshot: URL) async -> [String: NodeCollectionFailure] {
        await withTaskGroup(of: (String, NodeCollectionFailure?).self) { group in
            var pending = nodes[...]
            var failures: [String: NodeCollectionFailure] = [:]
            func startNext() {
                guard let node = pending.popFirst() else { return }
                group.addTask {
                    do throws(NodeCollectionFailure) {
                        try await self.collect(node: node, into: snapshot)
                        return (node, nil)
                    } catch {
                        return (node, error)
                    }
                }
            }
            for _ in 0..<options.parallelism { startNext() }
            while let (node, failure) = await group.next() {
                if let failure { failures[node] = failure }
                startNext()
            }
            return failures
        }
    }

    /// Deletes every collector pod still present, including those whose creation is under way,
    /// and lets no new pod be created (the cleanup path of signal handlers; bound it by the caller).
    public func deleteRemainingPods() async {
        pods.withLock { $0.closing = true }
        while true {
            let (names, busy) = pods.withLock { book in
                let names = book.active.subtracting(book.creating)
                book.active.subtract(names)
                return (names, book.creating.count + book.deleting.count)
            }
            for name in names.sorted() { await delete(pod: name) }
            if names.isEmpty && busy == 0 { return }
            if names.isEmpty { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    /// Runs `deleteRemainingPods()` from synchronous code (a signal handler's thread), waiting at
    /// most `timeout` seconds; returns whether every pod was deleted in time.
    public func deleteRemainingPodsBlocking(timeout: Double) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Task.detached {
            await self.deleteRemainingPods()
            done.signal()
        }
        return done.wait(timeout: .now() + .milliseconds(Int(timeout * 1000))) == .success
    }

    private func collectOnce(node: String, into snapshot: URL) async throws {
        let boundary = "SKOOP-" + UUID().uuidString
        let name = Self.podName(node: node)
        let manifest = try CollectorPodManifest(name: name, node: node, options: options, boundary: boundary).json()
        try pods.withLock { book throws(NodeCollectionFailure) in
            guard !book.closing else { throw NodeCollectionFailure(node: node, reason: "interrupted") }
            book.active.insert(name)
            book.creating.insert(name)
            book.created.append(name)
        }
        do {
            defer { pods.withLock { _ = $0.creating.remove(name) } }
            try await kubectl.run(["create", "--validate=false", "-f", "-", "-o", "name"], input: manifest)
            if pods.withLock({ $0.closing }) { throw NodeCollectionFailure(node: node, reason: "interrupted") }
        } catch {
            try? await cleanup(pod: name)
            throw error
        }
        do {
            let archive = try await waitAndRead(pod: name, node: node, boundary: boundary)
            try await cleanup(pod: name)
            do {
                try await archive.unpack(node: node, into: snapshot)
            } catch {
                // No half-written node: the diagnosis must see it as missing, with this reason.
                try? FileManager.default.removeItem(at: snapshot.appendingPathComponent("nodes/" + SnapshotName.component(node)))
                throw error
            }
        } catch {
            try? await cleanup(pod: name)
            throw error
        }
    }

    private func cleanup(pod name: String) async throws {
        // Once closing, deleteRemainingPods() deletes every pod (and waits for deletions under way).
        let mine = pods.withLock { book in
            guard !book.closing, book.active.remove(name) != nil else { return false }
            book.deleting.insert(name)
            return true
        }
        guard mine else { return }
        await delete(pod: name)
        pods.withLock { _ = $0.deleting.remove(name) }
    }

    private func delete(pod name: String) async {
        guard !options.keepPods else { return }
        _ = try? await kubectl.run(["delete", "pod", name, "-n", options.namespace, "--ignore-not-found", "--wait=false"])
    }

    /// Polls the pod until its archive is ready (the log ends with `BOUNDARY READY BYTES`, or the
    /// pod ended) or the timeout passes, then reads the archive.
    private func waitAndRead(pod name: String, node: String, boundary: String) async throws -> CollectorArchive {
        let deadline = ContinuousClock.now + .milliseconds(Int(options.timeout * 1000))
        let container = CollectorPodManifest.containerName
        var lastState = "not created yet"
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let status = PodStatus(json: try await kubectl.run(["get", "pod", name, "-n", options.namespace, "-o", "json"]))
            lastState = status.summary
            switch status.phase {
            case "Succeeded":
                return try await retriever(pod: name, node: node, boundary: boundary).read(podRunning: false)
            case "Running":
                let tail = try await kubectl.run(["logs", name, "-n", options.namespace, "-c", container, "--tail", "1"])
                if CollectorLog.readyBytes(in: tail, boundary: boundary) != nil {
                    return try await retriever(pod: name, node: node, boundary: boundary).read(podRunning: true)
                }
                try await Task.sleep(for: .milliseconds(Int(options.pollInterval * 1000)))
            case "Failed":
                let logs = (try? await kubectl.run(["logs", name, "-n", options.namespace, "--tail", "5"])) ?? ""
                let tail = logs.split(separator: "\n").last.map { ": \($0)" } ?? ""
                throw NodeCollectionFailure(node: node, reason: "collector pod \(name) failed (\(lastState))\(TerminalSafe.strip(String(tail)))")
            default:
                try await Task.sleep(for: .milliseconds(Int(options.pollInterval * 1000)))
            }
        }
        throw NodeCollectionFailure(
            node: node, reason: "collector pod \(name) did not finish within \(Int(options.timeout))s (\(lastState))")
    }

    private func retriever(pod name: String, node: String, boundary: String) -> ArchiveRetriever {
        ArchiveRetriever(kubectl: kubectl, namespace: options.namespace, pod: name, node: node, boundary: boundary)
    }

    /// A DNS-1123 pod name for `node`, unique per run.
    static func podName(node: String) -> String {
        let cleaned = String(node.lowercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "-" })
            .trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        let suffix = UUID().uuidString.prefix(8).lowercased()
        return "skoop-collector-" + String(cleaned.prefix(40)) + (cleaned.isEmpty ? "" : "-") + suffix
    }
}

/// The collector's pods: created, present (to delete), being created or deleted; no more once closing.
struct PodBook {
    var created: [String] = []
    var active: Set<String> = []
    var creating: Set<String> = []
    var deleting: Set<String> = []
    var closing = false
}

/// The little of a pod's status the collector looks at.
struct PodStatus {
    var phase: String
    var summary: String

    init(json: String) {
        let object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
        let status = object["status"] as? [String: Any] ?? [:]
        phase = status["phase"] as? String ?? "Unknown"
        var details: [String] = [phase]
        for container in status["containerStatuses"] as? [[String: Any]] ?? [] {
            let state = container["state"] as? [String: Any] ?? [:]
            for key in ["waiting", "terminated"] {
                if let detail = state[key] as? [String: Any] {
                    details += [detail["reason"] as? String, detail["message"] as? String].compactMap { $0 }
                    if let code = detail["exitCode"] as? Int { details.append("exit \(code)") }
                }
            }
        }
        for condition in status["conditions"] as? [[String: Any]] ?? []
        where condition["status"] as? String == "False" {
            details += [condition["reason"] as? String, condition["message"] as? String].compactMap { $0 }
        }
        summary = TerminalSafe.strip(details.joined(separator: ", "))
    }
}
