import Foundation
import SkoopKubernetes
import SkoopModel
import SkoopTestSupport

/// Loads the hand-written kubectl outputs under Tests/Fixtures/k8s-samples (or lab-basic/k8s).
enum SampleCluster {
    static func source(_ folder: String, _ file: String) throws -> SourceData? {
        let path = "\(folder)/\(file)"
        guard FileManager.default.fileExists(atPath: Fixtures.url(path).path) else { return nil }
        return SourceData(data: try Fixtures.data(path), source: path)
    }

    static func load(_ folder: String = "k8s-samples") throws -> ClusterState {
        try ClusterState.decode(KubernetesDocuments(
            nodes: try source(folder, "nodes.json"), pods: try source(folder, "pods.json"),
            services: try source(folder, "services.json"), endpointSlices: try source(folder, "endpointslices.json"),
            endpoints: try source(folder, "endpoints.json"), networkPolicies: try source(folder, "networkpolicies.json"),
            configMaps: try source(folder, "configmaps.json"), namespaces: try source(folder, "namespaces.json")))
    }

    static func ip(_ text: String) -> IPAddress { IPAddress(text)! }
}
