import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Traffic from outside the cluster: --via-node, --src-ip, and LoadBalancer IPs that keep their
/// address instead of becoming the ClusterIP.
@Suite struct EntryOptionsTests {
    func session(_ snapshot: String, _ query: DiagnosisQuery) throws -> DiagnosisSession {
        try DiagnosisSession(query: query, collector: try CollectorManager(snapshot: snapshot))
    }

    func run(_ snapshot: String, _ query: DiagnosisQuery) throws -> DiagnosisReport {
        var diagnosis = try session(snapshot, query)
        diagnosis.diagnostor.run()
        return diagnosis.report
    }

    /// lab-basic with web given a LoadBalancer ingress IP (and type LoadBalancer).
    func withLoadBalancer(_ copy: FixtureCopy, local: Bool = false) throws {
        let file = "k8s/services.json"
        var list = try #require(try JSONSerialization.jsonObject(with: copy.data(file)) as? [String: Any])
        var items = try #require(list["items"] as? [[String: Any]])
        for index in items.indices where (items[index]["metadata"] as? [String: Any])?["name"] as? String == "web" {
            var spec = try #require(items[index]["spec"] as? [String: Any])
            spec["type"] = "LoadBalancer"
            if local { spec["externalTrafficPolicy"] = "Local" }
            items[index]["spec"] = spec
            items[index]["status"] = ["loadBalancer": ["ingress": [["ip": "198.51.100.7"]]]]
        }
        list["items"] = items
        try copy.write(file, try JSONSerialization.data(withJSONObject: list))
    }

    @Test func aLoadBalancerIPKeepsItsAddress() throws {
        let copy = try FixtureCopy()
        try withLoadBalancer(copy)
        let report = try run(copy.path, DiagnosisQuery(src: "default/client", dst: "198.51.100.7", dport: 80))
        #expect(report.destinationAddress?.description == "198.51.100.7")
        #expect(report.path.links.first?.packet.dst.description == "198.51.100.7")
        let json = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        #expect((json["query"] as? [String: Any])?["dst"] as? String == "198.51.100.7")
    }

    @Test func fromOutsideTheLoadBalancerDeliversToEveryReadyNode() throws {
        let copy = try FixtureCopy()
        try withLoadBalancer(copy)
        let report = try run(copy.path, DiagnosisQuery(src: "203.0.113.5", dst: "198.51.100.7", dport: 80))
        let delivered = report.path.links.filter { $0.source.id == "network" && $0.destination?.type == .node }
        #expect(Set(delivered.compactMap(\.destination?.id)) == ["node1", "node2"])
        #expect(delivered.allSatisfy { $0.packet.dst.description == "198.51.100.7" && $0.packet.src.description == "203.0.113.5" })
        #expect(delivered.allSatisfy { $0.probability == 0.5 })
        #expect(report.path.assumptions.contains { $0.text.contains("every Ready node (externalTrafficPolicy Cluster)") })
    }

    @Test func withLocalPolicyOnlyNodesWithALocalEndpointGetTraffic() throws {
        let copy = try FixtureCopy()
        try withLoadBalancer(copy, local: true)
        // Only node2 keeps a ready endpoint.
        try copy.edit("k8s/endpointslices.json") { $0.replacingOccurrences(of: "\"node1\"", with: "\"node2\"") }
        let report = try run(copy.path, DiagnosisQuery(src: "203.0.113.5", dst: "198.51.100.7", dport: 80))
        let delivered = report.path.links.filter { $0.source.id == "network" && $0.destination?.type == .node }
        #expect(delivered.compactMap(\.destination?.id) == ["node2"])
        #expect(report.path.assumptions.contains { $0.text.contains("healthCheckNodePort") })
    }

    @Test func viaNodeHandsExternalTrafficToThatNode() throws {
        let report = try run(Fixtures.url("lab-basic").path,
                             DiagnosisQuery(src: "203.0.113.5", dst: "192.168.56.12", dport: 30080, viaNode: "node2"))
        let first = try #require(report.path.links.first)
        #expect(first.destination == Hop(type: .node, id: "node2"))
        #expect(first.destinationAttributes["if"] == "ens4")
        #expect(report.path.assumptions.contains { $0.text.contains("--via-node") })
        #expect(report.verdict == .reachable)
        #expect(report.query.description.hasSuffix("via node/node2"))
    }

    @Test func entryOptionsAreCheckedAgainstTheSource() throws {
        let snapshot = Fixtures.url("lab-basic").path
        func setupError(_ query: DiagnosisQuery) -> String? {
            do {
                _ = try session(snapshot, query)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(setupError(DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, viaNode: "node2"))?
            .hasPrefix("--via-node: the source must be an address outside the cluster") == true)
        #expect(setupError(DiagnosisQuery(src: "203.0.113.5", dst: "192.168.56.12", dport: 30080, viaNode: "node9"))?
            .hasPrefix("--via-node: no node node9; nodes: node1, node2") == true)
        #expect(setupError(DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, sourceIP: IPAddress("127.0.0.1")))?
            .hasPrefix("--src-ip: needs -s node/NAME") == true)
        #expect(setupError(DiagnosisQuery(src: "node/node1", dst: "default/web-1", dport: 8080, sourceIP: IPAddress("192.168.56.12")))?
            .hasPrefix("--src-ip: 192.168.56.12 is not an address of node node1") == true)
    }

    @Test func srcIPIsTheAddressTheNodeSendsFrom() throws {
        let report = try run(Fixtures.url("lab-basic").path,
                             DiagnosisQuery(src: "node/node1", dst: "127.0.0.1", dport: 30080, sourceIP: IPAddress("127.0.0.1")))
        #expect(report.path.links.first?.packetIn?.src.description ?? report.path.links.first?.packet.src.description == "127.0.0.1")
    }
}
