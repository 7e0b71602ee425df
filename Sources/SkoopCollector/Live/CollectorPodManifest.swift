import Foundation

/// The collector pod for one node: pinned to it (nodeName, every taint tolerated), host network
/// and PID namespaces, privileged, never restarted, bounded by activeDeadlineSeconds; its command
/// enters PID 1's namespaces (`nsenter -t 1 -m -u -i -n -p`) and runs `NodeCollectionScript`
/// with the node's own tools.
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

    /// The container command.
    public var command: [String] {
        ["nsenter", "-t", "1", "-m", "-u", "-i", "-n", "-p", "--",
         "sh", "-c", NodeCollectionScript.text, "skoop-collect", boundary]
    }

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
                    "name": "collect",
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
