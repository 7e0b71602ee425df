import Foundation
import SkoopModel

/// The end of a collector pod's log: the archive, then `BOUNDARY READY BYTES` (see
/// `CollectorPodManifest.wrapper`).
public enum CollectorLog {
    /// The archive's size in bytes when `text` ends with the READY line; nil otherwise.
    public static func readyBytes(in text: String, boundary: String) -> Int? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard let last = lines.last else { return nil }
        let words = last.split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 3, words[0] == boundary, words[1] == "READY", let bytes = Int(words[2]), bytes >= 0 else {
            return nil
        }
        return bytes
    }

    /// `log` without its READY line (the archive as the log kept it).
    public static func archiveText(of log: String, boundary: String) -> String {
        guard let range = log.range(of: "\n" + boundary + " READY ", options: .backwards) else { return log }
        return String(log[..<range.lowerBound])
    }
}

/// Reads a node's archive from its collector pod: from the log first; when the log lost its
/// beginning (kubelet rotates a container log past `containerLogMaxSize`, 10 MiB by default)
/// and the pod still runs, from the copy the pod keeps, with `kubectl exec POD -- cat FILE`.
/// Only if that fails too is the node reported as not collected.
public struct ArchiveRetriever: Sendable {
    /// The cluster.
    public var kubectl: Kubectl
    /// The pod's namespace and name, the node, the archive's boundary.
    public var namespace: String, pod: String, node: String, boundary: String

    /// Makes a retriever for one pod.
    public init(kubectl: Kubectl, namespace: String, pod: String, node: String, boundary: String) {
        self.kubectl = kubectl
        self.namespace = namespace
        self.pod = pod
        self.node = node
        self.boundary = boundary
    }

    /// The archive; throws `NodeCollectionFailure` saying why it could not be read.
    public func read(podRunning: Bool) async throws -> CollectorArchive {
        let container = CollectorPodManifest.containerName
        let log = try await kubectl.run(["logs", pod, "-n", namespace, "-c", container])
        let text = CollectorLog.archiveText(of: log, boundary: boundary)
        let logProblem: String
        do {
            return try CollectorArchive.parse(text, boundary: boundary, source: "the logs of pod \(namespace)/\(pod)")
        } catch {
            let expected = CollectorLog.readyBytes(in: log, boundary: boundary)
            logProblem = "\(error)" + (expected.map { " (the log kept \(text.utf8.count) of \($0) bytes: rotated by kubelet?)" } ?? "")
        }
        guard podRunning else { throw NodeCollectionFailure(node: node, reason: logProblem) }
        let source = "\(CollectorPodManifest.archivePath) in pod \(namespace)/\(pod) (kubectl exec)"
        do {
            let copy = try await kubectl.run(["exec", pod, "-n", namespace, "-c", container, "--",
                                              "cat", CollectorPodManifest.archivePath])
            return try CollectorArchive.parse(copy, boundary: boundary, source: source)
        } catch {
            throw NodeCollectionFailure(node: node, reason: "\(logProblem); reading \(source) failed too: \(error)")
        }
    }
}
