import Foundation
import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTestSupport

/// Policy decided on the path, on the lab-basic snapshot (its NetworkPolicy default/allow-client-to-web
/// admits only app=client to the web pods on TCP 8080), diagnosed as each kind of CNI.
@Suite struct PolicyEnforcementTests {
    /// lab-basic with extra NetworkPolicies (JSON objects) added to its own.
    static func snapshot(adding policies: [String] = []) throws -> FixtureCopy {
        let copy = try FixtureCopy("lab-basic")
        if !policies.isEmpty {
            try copy.edit("k8s/networkpolicies.json") { text in
                let end = text.range(of: "}\n    ],", options: .backwards) ?? text.range(of: "}\n    ]", options: .backwards)!
                return text.replacingCharacters(in: end, with: "}," + policies.joined(separator: ",") + "\n    ],")
            }
        }
        return copy
    }

    func diagnose(_ copy: FixtureCopy, plugin: String, _ src: String, _ dst: String, _ port: UInt16) throws -> DiagnosisReport {
        let collector = try CollectorManager(snapshot: copy.path)
        var session = try DiagnosisSession(query: DiagnosisQuery(src: src, dst: dst, dport: port, proto: .tcp),
                                           collector: collector, context: DiagnosisContext(networkPlugin: plugin))
        session.diagnostor.run()
        return session.report
    }

    static let clientEgressOnlyToWeb1 = """
    {"metadata":{"namespace":"default","name":"client-to-web-1"},"spec":{"podSelector":{"matchLabels":{"app":"client"}},
     "policyTypes":["Egress"],"egress":[{"to":[{"podSelector":{"matchLabels":{"statefulset.kubernetes.io/pod-name":"web-1"}}}]}]}}
    """

    @Test func ciliumDropsAtTheDestinationPodNamingThePolicyAndTheFix() throws {
        let copy = try Self.snapshot()
        let report = try diagnose(copy, plugin: "cilium", "default/web-0", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let last = try #require(report.path.links.last)
        #expect(last.action == .drop && last.source.id == "default/web-1")
        let web1 = try #require(report.path.node(Hop(type: .pod, id: "default/web-1")))
        let suspicion = try #require(web1.suspicions.first { $0.level == .critical })
        #expect(suspicion.message == "cilium drops ingress to default/web-1 from default/web-0 (TCP 8080): isolated by networkpolicy/default/allow-client-to-web and no rule allows it.")
        #expect(suspicion.hint == "networkpolicy/default/allow-client-to-web ingress[0]: from: default/web-0 (labels app=web,apps.kubernetes.io/pod-index=0,controller-revision-hash=web-6c5b8f9d7b,statefulset.kubernetes.io/pod-name=web-0) does not match podSelector app=client")
        #expect(suspicion.fix?.contains("  name: allow-web-0-to-web-1-tcp-8080\n") == true)
        #expect(suspicion.fix?.contains("controller-revision-hash") == false)
        // The cluster-level check is not repeated: the hop decided.
        #expect(!report.path.clusterSuspicions.contains { $0.message.contains("NetworkPolic") })
        let json = String(decoding: try report.jsonData(), as: UTF8.self)
        #expect(json.contains("\"fix\""))
        #expect(report.text().contains("fix (review, then kubectl apply -f -):"))
        // An allowed client is not touched.
        #expect(try diagnose(copy, plugin: "cilium", "default/client", "default/web-1", 8080).verdict == .reachable)
    }

    @Test func ciliumDecidesEgressAtTheSourceAgainstTheServiceBackends() throws {
        let copy = try Self.snapshot(adding: [Self.clientEgressOnlyToWeb1])
        // Through the Service: the branch to web-0 is dropped where the backend is known, the other served.
        let service = try diagnose(copy, plugin: "cilium", "default/client", "svc/default/web", 80)
        #expect(service.verdict == .partial)
        let web0 = try #require(service.path.node(Hop(type: .pod, id: "default/web-0")))
        #expect(web0.suspicions.contains { $0.message.hasPrefix("cilium drops egress from default/client to default/web-0 (TCP 8080): isolated by networkpolicy/default/client-to-web-1") && $0.message.contains("enforced by cilium at default/client") })
        // Straight to web-0: dropped at the client, before it leaves.
        let direct = try diagnose(copy, plugin: "cilium", "default/client", "default/web-0", 8080)
        #expect(direct.verdict == .unreachable)
        #expect(direct.path.links.count == 1)
        #expect(direct.path.links[0].source.id == "default/client" && direct.path.links[0].action == .drop)
    }

    @Test func rulesThatDisagreeWithTheObjectsAreAWarningAndTheRulesDecide() throws {
        // lab-basic's iptables hold no policy chains: calico's rules (as collected) let it through.
        let copy = try Self.snapshot()
        let report = try diagnose(copy, plugin: "calico", "default/web-0", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        let web1 = try #require(report.path.node(Hop(type: .pod, id: "default/web-1")))
        let warning = try #require(web1.suspicions.first { $0.level == .warning && $0.message.contains("disagree") })
        #expect(warning.message.contains("The collected calico rules let 10.244.1.2 reach default/web-1 on TCP 8080, but the policy objects deny it (networkpolicy/default/allow-client-to-web)"))
    }

    @Test func aCNIWithoutPoliciesKeepsTheClusterLevelInfo() throws {
        let copy = try Self.snapshot()
        let report = try diagnose(copy, plugin: "flannel", "default/web-0", "default/web-1", 8080)
        #expect(report.verdict == .reachable)
        let info = try #require(report.path.clusterSuspicions.first { $0.message.contains("NetworkPolicy") })
        #expect(info.level == .info)
        #expect(info.fix?.contains("kind: NetworkPolicy") == true)
    }
}
