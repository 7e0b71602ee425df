import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// End-to-end diagnoses on the lab-basic snapshot, captured from a real two-node netns lab
/// whose flows were verified with real packets (see Tests/Fixtures/lab-basic/LAB.md).
@Suite struct LabBasicDiagnosisTests {
    static let collector: CollectorManager = {
        // The fixture is committed; failing to open it is a broken checkout.
        try! CollectorManager(snapshot: Fixtures.url("lab-basic").path)
    }()

    func diagnose(_ src: String, _ dst: String, _ port: UInt16, _ proto: TransportProtocol = .tcp) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: proto),
                                           collector: LabBasicDiagnosisTests.collector)
        session.diagnostor.run()
        return session.report
    }

    @Test func podToPodAcrossNodesIsReachableThroughTheUnderlayAndBack() throws {
        let report = try diagnose("default/client", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        let hops = report.path.links.map { "\($0.source.id)>\($0.destination?.id ?? "end")" }
        #expect(hops == ["default/client>node1", "node1>node2", "node2>default/web-1", "default/web-1>node2",
                         "node2>node1", "node1>default/client", "default/client>end"])
        let underlay = report.path.links[1]
        #expect(underlay.sourceAttributes["if"] == "ens4")
        #expect(underlay.sourceAttributes["nexthop"] == "192.168.56.12")
        #expect(underlay.routes.last?.route == "10.244.2.0/24 via 192.168.56.12 dev ens4")
        #expect(report.path.links[2].type == .bridge)
        #expect(report.path.links[2].sourceAttributes["port"] == "veth0e8f2a6d")
    }

    @Test func clusterIPFansOutToBothBackendsWithRealDNATAndReverseNAT() throws {
        let report = try diagnose("default/client", "svc/default/web", 80)
        #expect(report.verdict == .reachable)
        let dnat = report.path.links.filter { $0.action == .service }
        #expect(Set(dnat.map(\.packet.dst.description)) == ["10.244.1.2", "10.244.2.2"])
        #expect(dnat.allSatisfy { $0.packet.dport == 8080 && $0.probability == 0.5 })
        #expect(dnat.allSatisfy { $0.packetIn?.dst.description == "10.96.0.10" })
        let matched = dnat[0].netfilter.filter(\.matched).map(\.chain)
        #expect(matched.contains("KUBE-SERVICES") && matched.contains { $0.hasPrefix("KUBE-SEP-") })
        let delivered = report.path.links.filter { $0.isTerminal }
        #expect(delivered.count == 2)
        #expect(delivered.allSatisfy { $0.action == .serve && $0.packet.src.description == "10.96.0.10" && $0.packet.sport == 80 })
    }

    @Test func serviceWithoutEndpointsIsRejectedOnTheNodeWithTheRuleAsEvidence() throws {
        let report = try diagnose("default/client", "svc/default/empty", 80)
        #expect(report.verdict == .unreachable)
        #expect(report.exitStatus == 1)
        let node1 = try #require(report.path.node(Hop(type: .node, id: "node1")))
        let reject = try #require(node1.suspicions.first { $0.message.contains("REJECT") })
        #expect(reject.level >= .warning)
        #expect(reject.evidence?.contains("-d 10.96.0.20/32") == true)
        #expect(report.path.clusterSuspicions.contains { $0.level == .fatal && $0.message.contains("default/empty") })
    }

    @Test func noListenerIsFatalOnTheDestinationPod() throws {
        let report = try diagnose("default/client", "default/web-0", 9999)
        #expect(report.verdict == .unreachable)
        let web0 = try #require(report.path.node(Hop(type: .pod, id: "default/web-0")))
        #expect(web0.suspicions.contains { $0.level == .fatal && $0.message.contains("Nothing listens on 10.244.1.2:9999") })
    }

    @Test func externalClientReachesTheNodePortAndGetsMasqueradedReplies() throws {
        let report = try diagnose("172.30.0.10", "192.168.56.11", 30080)
        #expect(report.verdict == .reachable)
        let toBackends = report.path.links.filter { $0.action == .service }
        #expect(toBackends.count == 2)
        // KUBE-MARK-MASQ + MASQUERADE: the backends see the node's address on the way out.
        let sources = Dictionary(uniqueKeysWithValues: toBackends.map { ($0.packet.dst.description, $0.packet.src.description) })
        #expect(sources == ["10.244.1.2": "10.244.1.1", "10.244.2.2": "192.168.56.11"])
        let final = report.path.links.filter(\.isTerminal)
        #expect(final.allSatisfy { $0.packet.src.description == "192.168.56.11" && $0.packet.sport == 30080 })
    }

    @Test func podReachesItselfThroughItsServiceWithHairpinOn() throws {
        let report = try diagnose("default/web-0", "svc/default/web", 80)
        #expect(report.verdict == .reachable)
    }

    @Test(arguments: [TransportProtocol.icmp, .udp])
    func otherProtocolsAcrossNodes(_ proto: TransportProtocol) throws {
        let report = try diagnose("default/client", "default/web-1", proto == .udp ? 5353 : 0, proto)
        #expect(report.verdict == .reachable)
    }

    @Test func steppingGivesTheSameGraphAsRunning() throws {
        let query = DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80)
        var stepped = try DiagnosisSession(query: query, collector: LabBasicDiagnosisTests.collector)
        var count = 0
        while stepped.diagnostor.step() != nil { count += 1 }
        let ran = try diagnose("default/client", "svc/default/web", 80)
        #expect(stepped.diagnostor.path == ran.path)
        #expect(count == stepped.diagnostor.steps.count)
    }

    @Test func unknownNamesAreClearSetupErrors() {
        #expect(throws: DiagnosisSetupError.self) { try diagnose("default/nope", "default/web-1", 80) }
        do {
            _ = try diagnose("default/client", "svc/default/missing", 80)
        } catch {
            #expect("\(error)".hasPrefix("-d/--dst: "))
        }
    }

    @Test func jsonOutputHasTheDocumentedShape() throws {
        let report = try diagnose("default/client", "svc/default/web", 80)
        let object = try #require(try JSONSerialization.jsonObject(with: report.jsonData()) as? [String: Any])
        let query = try #require(object["query"] as? [String: Any])
        #expect(query["src"] as? String == "10.244.1.3")
        #expect(query["dst"] as? String == "10.96.0.10")
        #expect(query["dport"] as? Int == 80)
        #expect(query["protocol"] as? String == "tcp")
        #expect(object["verdict"] as? String == "reachable")
        #expect(object["suspicions"] is [[String: Any]])
        let nodes = try #require(object["nodes"] as? [[String: Any]])
        #expect(nodes.contains { $0["id"] as? String == "default/client" && $0["type"] as? String == "pod" })
        let links = try #require(object["links"] as? [[String: Any]])
        let first = try #require(links.first)
        for key in ["type", "source", "destination", "action", "packet", "sourceAttributes", "destinationAttributes", "netfilter"] {
            #expect(first[key] != nil, "link key \(key)")
        }
        let packet = try #require(first["packet"] as? [String: Any])
        #expect(Set(packet.keys).isSuperset(of: ["src", "sport", "dst", "dport", "protocol", "mark", "encap"]))
        #expect(packet["encap"] is NSNull)
        let validTypes: Set<String> = ["veth", "bridge", "vxlan", "ipip", "infra", "external", "local", "ipvlan", "vpc"]
        let validActions: Set<String> = ["send", "forward", "service", "serve", "drop"]
        for link in links {
            #expect(validTypes.contains(link["type"] as? String ?? ""))
            #expect(validActions.contains(link["action"] as? String ?? ""))
        }
        let service = try #require(links.first { $0["action"] as? String == "service" })
        let entries = try #require(service["netfilter"] as? [[String: Any]])
        #expect(entries.contains { $0["matched"] as? Bool == true && ($0["chain"] as? String)?.hasPrefix("KUBE-SEP-") == true && $0["verdict"] as? String == "DNAT" })
    }

    @Test func dotOutputIsADigraphWithEveryNode() throws {
        let report = try diagnose("default/client", "default/web-1", 8080)
        let dot = report.dot()
        #expect(dot.hasPrefix("digraph skoop {"))
        #expect(dot.contains("\"pod:default/client\" -> \"node:node1\""))
        #expect(dot.hasSuffix("}\n"))
    }
}
