import Foundation

/// The collector pod for one node: pinned to it (nodeName, every taint tolerated), host network
/// and PID namespaces, privileged, never restarted, bounded by activeDeadlineSeconds; its command
/// enters PID 1's namespaces (`nsenter -t 1 -m -u -i -n -p`) and runs `NodeCollectionScript`
/// with the node's own tools, through `wrapper`: the archive is kept in the container's
/// `archivePath`, printed to the log followed by `BOUNDARY READY BYTES`, and the pod then waits
/// (until deleted, at most the timeout) so an archive larger than kubelet's log rotation can
/// still be fetched with `kubectl exec ... cat`.
public struct CollectorPodManifest: Sendable {
    /// The pod name.
    public var name: String
    /// The node it runs on.
    public var node: String
    /// Image, namespace, timeout.
    public var options: LiveCollectorOptions
    /// The archive boundary (passed as the script's first argument).
    public var boundary: String

    /// Makes a manifest.
    public init(name: String, node: String, options: LiveCollectorOptions, boundary: String) {
        self.name = name
        self.node = node
        self.options = options
        self.boundary = boundary
    }

    /// Where the container keeps the archive (its own filesystem, not the node's).
    public static let archivePath = "/tmp/skoop-archive"

    /// The container's name.
    public static let containerName = "collect"

    /// The collection itself, run by `wrapper`.
    public var collectionCommand: [String] {
        ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--",
         "sh", "-c", NodeCollectionScript.text, "skoop-collect", boundary]
    }

    /// The container command: `sh -c WRAPPER skoop-pod ARCHIVE WAIT BOUNDARY COLLECTION...`
    /// (the boundary is also the last word).
    public var command: [String] {
        ["sh", "-c", Self.wrapper, "skoop-pod", Self.archivePath, "\(waitSeconds)", boundary] + collectionCommand
    }

    /// How long the pod keeps the archive for `kubectl exec` (it is deleted as soon as it is read).
    var waitSeconds: Int { max(1, Int(options.timeout.rounded(.up))) }

    /// Runs the collection into the archive file; on failure its stderr and status end the pod;
    /// else prints the archive and `BOUNDARY READY BYTES`, then waits to be deleted.
    public static let wrapper = #"""
        a=$1; w=$2; b=$3; shift 3
        trap 'exit 143' INT TERM HUP
        "$@" >"$a" 2>"$a.err"; rc=$?
        cat "$a.err" >&2
        [ "$rc" -eq 0 ] || exit "$rc"
        cat "$a"
        printf '\n%s READY %s\n' "$b" "$(wc -c <"$a" | tr -d ' ')"
        i=0
        while [ "$i" -lt "$w" ]; do sleep 1; i=$((i + 1)); done
        """#

    /// The pod as JSON for `kubectl create -f -`.
    public func json() throws -> String {
        let pod: [String: Any] = [
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": [
                "name": name,
                "namespace": options.namespace,
                "labels": ["app.kubernetes.io/name": "skoop-collector", "app.kubernetes.io/managed-by": "skoop"],
            ],
            "spec": [
                "nodeName": node,
                "hostNetwork": true,
                "hostPID": true,
                "restartPolicy": "Never",
                "automountServiceAccountToken": false,
                "activeDeadlineSeconds": max(1, Int(options.timeout.rounded(.up))),
                "terminationGracePeriodSeconds": 0,
                "tolerations": [["operator": "Exists"]],
                "containers": [[
                    "name": Self.containerName,
                    "image": options.image,
                    "command": command,
                    "securityContext": ["privileged": true],
                    "resources": ["requests": ["cpu": "10m", "memory": "32Mi"]],
                ] as [String: Any]],
            ] as [String: Any],
        ]
        let data = try JSONSerialization.data(withJSONObject: pod, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
