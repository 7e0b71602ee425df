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
                                           collector: collector, context: DiagnosisContext(networkPlugin: CNIKind(name: plugin)))
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

    @Test func aPolicyChainDropTheObjectsDoNotExplainIsAWarningNamingTheRule() throws {
        // A Calico-like chain on node2 drops client -> web-1 8080, which the objects allow.
        let copy = try Self.snapshot()
        try copy.edit("nodes/node2/netns/host/iptables.txt") { text in
            let filter = text.range(of: "*filter")!
            let commit = text.range(of: "COMMIT\n", range: filter.upperBound..<text.endIndex)!
            var edited = text
            edited.replaceSubrange(commit, with: "[0:0] -A FORWARD -d 10.244.2.2/32 -j cali-tw-veth0e8f2a6d\n"
                                   + "[0:0] -A cali-tw-veth0e8f2a6d -s 10.244.1.3/32 -p tcp -m tcp --dport 8080 -j DROP\nCOMMIT\n")
            return edited.replacingOccurrences(of: ":KUBE-FORWARD - [0:0]\n", with: ":KUBE-FORWARD - [0:0]\n:cali-tw-veth0e8f2a6d - [0:0]\n")
        }
        let report = try diagnose(copy, plugin: "calico", "default/client", "default/web-1", 8080)
        #expect(report.verdict == .unreachable)
        let node2 = try #require(report.path.node(Hop(type: .node, id: "node2")))
        let warning = try #require(node2.suspicions.first { $0.level == .warning && $0.message.contains("disagree") })
        #expect(warning.message.hasPrefix("calico's rule in cali-tw-veth0e8f2a6d drops 10.244.1.3 -> default/web-1 TCP 8080, but the policy objects allow it (allowed by networkpolicy/default/allow-client-to-web)"))
        #expect(warning.evidence?.contains("--dport 8080 -j DROP") == true)
        // As flannel, the same drop is just a drop: no policy chain is enforced by flannel.
        let flannel = try diagnose(copy, plugin: "flannel", "default/client", "default/web-1", 8080)
        #expect(!(flannel.path.node(Hop(type: .node, id: "node2"))?.suspicions.contains { $0.message.contains("disagree") } ?? true))
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
