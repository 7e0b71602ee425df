import Foundation
import Testing
import SkoopModel
import SkoopCollector

/// `skoop snapshot` writes the pod index with the objects; a pods.json that cannot be indexed
/// still leaves a complete snapshot, with a warning.
@Suite struct SnapshotPodIndexTests {
    /// A cluster that answers every `kubectl get X -o json` with a list, pods with `pods`.
    struct ListingKubectl: ToolRunner {
        let pods: String

        func run(_ command: [String], input: String?) async -> ToolOutput {
            guard command.contains("get") else { return ToolOutput(status: 0) }
            let items = command.contains("pods") ? pods : ""
            return ToolOutput(status: 0, stdout: #"{"apiVersion":"v1","kind":"List","items":["# + items + "]}")
        }
    }

    static func snapshot(pods: String) async throws -> (path: String, warnings: [String]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-snap-\(UUID().uuidString)").path
        let warnings = try await ClusterObjectReader(kubectl: Kubectl(runner: ListingKubectl(pods: pods)))
            .write(into: URL(fileURLWithPath: path))
        return (path, warnings)
    }

    @Test func theSnapshotCarriesItsPodIndex() async throws {
        let pod = #"{"kind":"Pod","metadata":{"name":"web-0","namespace":"default"},"status":{"podIP":"10.244.1.5"}}"#
        let (path, warnings) = try await Self.snapshot(pods: pod)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(!warnings.contains { $0.contains("indexed") }, "\(warnings)")
        #expect(FileManager.default.fileExists(atPath: path + "/" + PodIndexWriter.path))
    }

    @Test func podsThatCannotBeIndexedLeaveACompleteSnapshotAndAWarning() async throws {
        let (path, warnings) = try await Self.snapshot(pods: #"{"metadata":{"name":["web-0"]}}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(warnings.contains { $0.hasPrefix("k8s/pods.json was not indexed: k8s/pods.json:") }, "\(warnings)")
        #expect(!FileManager.default.fileExists(atPath: path + "/" + PodIndexWriter.path))
        #expect(FileManager.default.fileExists(atPath: path + "/snapshot.json"))
    }
}
