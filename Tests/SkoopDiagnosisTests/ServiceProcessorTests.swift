import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Service checks on a copy of lab-basic whose Kubernetes objects are edited per test.
@Suite struct ServiceProcessorTests {
    func editedLabBasic(_ file: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-svc-\(UUID().uuidString)").path
        try FileManager.default.copyItem(atPath: Fixtures.url("lab-basic").path, toPath: root)
        let url = URL(fileURLWithPath: "\(root)/k8s/\(file)")
        var list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&list)
        try JSONSerialization.data(withJSONObject: list).write(to: url)
        return root
    }

    @Test func externalTrafficPolicyLocalWithoutALocalEndpointIsCritical() throws {
        let root = try editedLabBasic("services.json") { list in
            var items = list["items"] as! [[String: Any]]
            for index in items.indices where (items[index]["metadata"] as? [String: Any])?["name"] as? String == "web" {
                var spec = items[index]["spec"] as! [String: Any]
                spec["externalTrafficPolicy"] = "Local"
                items[index]["spec"] = spec
            }
            list["items"] = items
        }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let cluster = try CollectorManager(snapshot: root).cluster
        let processor = ServiceProcessor(cluster: cluster, proxyMode: .iptables)
        // Both nodes have one web backend: no finding.
        #expect(processor.suspicions(destination: Endpoint(ip: IPAddress("192.168.56.11")!, type: .node, port: 30080),
                                     protocol: .tcp, source: IPAddress("172.30.0.10")).isEmpty)
        // Through a port of a node with no backend: the NodePort drops it.
        let edited = try editedLabBasic("endpointslices.json") { list in
            var items = list["items"] as! [[String: Any]]
            for index in items.indices {
                guard var endpoints = items[index]["endpoints"] as? [[String: Any]] else { continue }
                for e in endpoints.indices { endpoints[e]["nodeName"] = "node2" }
                items[index]["endpoints"] = endpoints
            }
            list["items"] = items
        }
        defer { try? FileManager.default.removeItem(atPath: edited) }
        try FileManager.default.removeItem(atPath: edited + "/k8s/services.json")
        try FileManager.default.copyItem(atPath: root + "/k8s/services.json", toPath: edited + "/k8s/services.json")
        let found = ServiceProcessor(cluster: try CollectorManager(snapshot: edited).cluster, proxyMode: .iptables)
            .suspicions(destination: Endpoint(ip: IPAddress("192.168.56.11")!, type: .node, port: 30080),
                        protocol: .tcp, source: IPAddress("172.30.0.10"))
        let local = try #require(found.first)
        #expect(local.level == .critical)
        #expect(local.message.contains("externalTrafficPolicy: Local and no ready endpoint on node1"))
    }

    @Test func aServicePortThatDoesNotExistIsFatal() throws {
        let cluster = try CollectorManager(snapshot: Fixtures.url("lab-basic").path).cluster
        let found = ServiceProcessor(cluster: cluster, proxyMode: .iptables)
            .suspicions(destination: Endpoint(ip: IPAddress("10.96.0.10")!, type: .service, port: 81), protocol: .tcp, source: nil)
        #expect(found.first?.level == .fatal)
        #expect(found.first?.message.contains("has no port 81/tcp") == true)
    }
}
