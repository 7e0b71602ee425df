import Foundation
import SkoopModel

/// Reads the Kubernetes objects of the snapshot layout once from a live cluster and writes
/// them to `SNAP/k8s/` (plus a minimal `snapshot.json`), so the diagnosis can be reopened offline.
public struct ClusterObjectReader: Sendable {
    /// The ConfigMaps the network detection reads (kube-proxy, flannel, calico).
    public static let detectionConfigMaps: Set<String> = ["kube-proxy", "kube-flannel-cfg", "calico-config"]
    /// The namespaces those ConfigMaps live in (flannel ≥ 0.20 uses its own).
    public static let configMapNamespaces = ["kube-system", "kube-flannel"]

    /// The cluster.
    public var kubectl: Kubectl

    /// Makes a reader.
    public init(kubectl: Kubectl) { self.kubectl = kubectl }

    /// Writes k8s/*.json and snapshot.json into `snapshot`; returns warnings (missing optional data).
    public func write(into snapshot: URL) async throws -> [String] {
        let k8s = snapshot.appendingPathComponent("k8s", isDirectory: true)
        try FileManager.default.createDirectory(at: k8s, withIntermediateDirectories: true)
        var warnings: [String] = []
        func save(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: k8s.appendingPathComponent(name))
        }
        for (resource, file) in [("nodes", "nodes.json"), ("pods", "pods.json"), ("services", "services.json")] {
            try save(file, try await kubectl.list(resource))
        }
        do {
            try save("endpointslices.json", try await kubectl.list("endpointslices.discovery.k8s.io"))
        } catch let error as KubectlError where error.isUnknownResource || error.message.contains("Forbidden") {
            warnings.append("endpointslices unavailable (\(error.message)); read endpoints instead")
            try save("endpoints.json", try await kubectl.list("endpoints"))
        }
        do {
            try save("networkpolicies.json", try await kubectl.list("networkpolicies.networking.k8s.io"))
        } catch let error as KubectlError where error.isUnknownResource {
            warnings.append("networkpolicies unavailable: \(error.message)")
            try save("networkpolicies.json", Self.emptyList)
        }
        // Admin policies exist only where the policy.networking.k8s.io CRDs are installed; Calico's
        // IPAM blocks and block affinities only where Calico keeps its data in CRDs (not in etcd).
        for (resource, file) in [("adminnetworkpolicies.policy.networking.k8s.io", "adminnetworkpolicies.json"),
                                 ("baselineadminnetworkpolicies.policy.networking.k8s.io", "baselineadminnetworkpolicies.json"),
                                 ("blockaffinities.crd.projectcalico.org", "blockaffinities.json"),
                                 ("ipamblocks.crd.projectcalico.org", "ipamblocks.json")] {
            do {
                try save(file, try await kubectl.list(resource))
            } catch let error as KubectlError where error.isUnknownResource || error.message.contains("Forbidden") {
                if !error.isUnknownResource { warnings.append("\(resource) unavailable: \(error.message)") }
            }
        }
        var configMaps: [Any] = []
        for namespace in Self.configMapNamespaces {
            do {
                configMaps += Self.items(of: try await kubectl.list("configmaps", namespace: namespace))
                    .filter { Self.detectionConfigMaps.contains(Self.name(of: $0)) }
            } catch {
                // kube-flannel is optional; kube-system must be readable.
                if namespace == "kube-system" { throw error }
            }
        }
        try save("configmaps.json", try Self.list(of: configMaps))
        let hints = try JSONEncoder().encode(SnapshotHints())
        try hints.write(to: snapshot.appendingPathComponent("snapshot.json"))
        do {
            try PodIndexWriter.write(snapshot: snapshot.path)
        } catch {
            // The snapshot is complete without it; a diagnosis will report the same error.
            warnings.append("k8s/pods.json was not indexed: \(error)")
        }
        return warnings
    }

    static let emptyList = #"{"apiVersion":"v1","kind":"List","items":[]}"#

    static func items(of listText: String) -> [Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(listText.utf8)) as? [String: Any] else { return [] }
        return object["items"] as? [Any] ?? []
    }

    static func name(of item: Any) -> String {
        ((item as? [String: Any])?["metadata"] as? [String: Any])?["name"] as? String ?? ""
    }

    static func list(of items: [Any]) throws -> String {
        let object: [String: Any] = ["apiVersion": "v1", "kind": "List", "items": items]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
