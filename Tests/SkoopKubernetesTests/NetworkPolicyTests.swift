import SkoopKubernetes
import SkoopModel
import Testing

@Suite("NetworkPolicy evaluation")
struct NetworkPolicyTests {
    let cluster: ClusterState

    init() throws { cluster = try SampleCluster.load() }

    /// The flow from `source` to `destination` (a pod name or an address) on `port`.
    private func decide(_ source: String, _ destination: String, _ port: UInt16,
                        _ proto: TransportProtocol = .tcp) throws -> PolicyDecision {
        func end(_ text: String) throws -> PolicyFlowEnd {
            if let address = IPAddress(text) { return cluster.policyFlowEnd(ip: address) }
            let target = try cluster.resolve(text)
            guard case .pod(let pod) = target, let address = pod.ip() else { throw ResolveError(query: text, message: "no pod") }
            return PolicyFlowEnd(ip: address, pod: pod)
        }
        return cluster.evaluateNetworkPolicies(
            PolicyFlow(source: try end(source), destination: try end(destination), port: port, protocol: proto))
    }

    @Test func unselectedPodsAreNotIsolated() throws {
        let decision = try decide("default/web-0", "dev/tool", 1234)
        #expect(decision.allowed)
        #expect(!decision.egress.isolated && !decision.ingress.isolated)
        #expect(decision.suspicion == nil)
    }

    @Test func namedPortsResolveAgainstTheDestinationPod() throws {
        // web-allow-client allows port "http": 8080 on web-0 ...
        let allowed = try decide("default/client", "default/web-0", 8080)
        #expect(allowed.allowed)
        #expect(allowed.ingress.allowingPolicies == ["default/web-allow-client"])
        #expect(allowed.egress.allowingPolicies == ["default/client-egress"])
        // ... but 8081 on web-1, so web-1's 8080 is not "http".
        let other = try decide("default/client", "default/web-1", 8081)
        #expect(other.ingress.allowed)
        #expect(!other.egress.allowed)  // client-egress allows only 8080 to app=web
    }

    @Test func policiesAreAUnionAndEachRuleANDsPeersWithPorts() throws {
        let web = ["default/web-allow-client", "default/web-allow-prod-api-metrics", "default/web-allow-tools"]
        // prod/api reaches metrics through the namespace AND pod selector peer ...
        let metrics = try decide("prod/api", "default/web-0", 9090)
        #expect(metrics.allowed)
        #expect(metrics.ingress.selectingPolicies == web)
        #expect(metrics.ingress.allowingPolicies == ["default/web-allow-prod-api-metrics"])
        // ... not http (the client rule's peers don't match) ...
        let http = try decide("prod/api", "default/web-0", 8080)
        #expect(!http.allowed)
        #expect(http.egress.allowed)
        #expect(http.denyingPolicies == web)
        // ... and dev/tool reaches metrics through matchExpressions (namespace env Exists, app NotIn api).
        #expect(try decide("dev/tool", "default/web-0", 9090).ingress.allowingPolicies == ["default/web-allow-tools"])
        // default has no env label, so client is no peer of the metrics rules.
        #expect(try !decide("default/client", "default/web-0", 9090).ingress.allowed)
    }

    @Test func namespaceSelectorAloneMatchesEveryPodOfThoseNamespaces() throws {
        #expect(try decide("dev/tool", "prod/api", 53, .udp).allowed)
        #expect(try !decide("dev/tool", "prod/api", 53, .tcp).allowed)  // the rule names UDP
        #expect(try !decide("default/web-0", "prod/api", 53, .udp).allowed)
    }

    @Test func ipBlockExceptAndEndPortRanges() throws {
        #expect(try decide("default/web-1", "prod/api", 9000).allowed)      // 10.244.2.10 in the block
        #expect(try decide("default/web-1", "prod/api", 9010).allowed)      // endPort is inclusive
        #expect(try !decide("default/web-1", "prod/api", 9011).allowed)
        let excepted = try decide("default/client", "prod/api", 9000)       // 10.244.1.11 in the except
        #expect(excepted.egress.allowed)                                    // client-egress's ipBlock rule, 9000-9005
        #expect(!excepted.ingress.allowed)
        #expect(excepted.denyingPolicies == ["prod/api-ingress"])
        #expect(try !decide("default/client", "prod/api", 9006).egress.allowed)
        #expect(try !decide("8.8.8.8", "prod/api", 9000).allowed)           // outside the block
        #expect(try decide("10.244.3.7", "prod/api", 9000).allowed)         // an address, not a pod, inside it
    }

    @Test func policyTypesDefaultToIngressPlusEgressWhenEgressRulesExist() throws {
        // client-egress has no policyTypes but egress rules: it isolates client for ingress too.
        let decision = try decide("default/web-0", "default/client", 80)
        #expect(!decision.allowed)
        #expect(decision.ingress.isolated)
        #expect(decision.ingress.selectingPolicies == ["default/client-egress"])
        let policy = cluster.networkPolicies.first { $0.metadata.name == "client-egress" }
        #expect(policy?.policyTypes == [.ingress, .egress])
    }

    @Test func anEgressOnlyPolicyWithoutRulesDeniesAllEgressAndNoIngress() throws {
        let out = try decide("dev/locked", "default/web-0", 9090)
        #expect(!out.egress.allowed && out.ingress.allowed)  // web-allow-tools admits dev pods
        #expect(out.egress.selectingPolicies == ["dev/lock-egress"])
        let inbound = try decide("dev/tool", "dev/locked", 22)
        #expect(inbound.allowed && !inbound.ingress.isolated)
    }

    @Test func bothDirectionsAreReportedInTheSuspicion() throws {
        let decision = try decide("default/client", "default/web-0", 9090)
        #expect(!decision.egress.allowed && !decision.ingress.allowed)
        let suspicion = try #require(decision.suspicion)
        #expect(suspicion.level == .critical)
        #expect(suspicion.message.contains("NetworkPolicy default/client-egress isolates egress from default/client to default/web-0"))
        #expect(suspicion.message.contains("ingress to default/web-0 from default/client"))
        #expect(suspicion.message.hasSuffix("(TCP port 9090)"))
        #expect(suspicion.evidence?.contains("networkpolicy/default/web-allow-tools") == true)
    }

    @Test func icmpMatchesOnlyRulesWithoutPorts() throws {
        #expect(try !decide("default/client", "default/web-0", 0, .icmp).allowed)
        #expect(try decide("default/web-0", "dev/tool", 0, .icmp).allowed)
    }

    @Test func hostNetworkPodsAreNeverIsolatedAndMatchOnlyByIPBlock() throws {
        let exporter = cluster.pod(namespace: "kube-system", name: "node-exporter-x7k2p")!
        let flow = PolicyFlow(source: PolicyFlowEnd(ip: SampleCluster.ip("192.168.0.11"), pod: exporter),
                              destination: cluster.policyFlowEnd(ip: SampleCluster.ip("10.244.2.11")),
                              port: 9000, protocol: .tcp)
        let decision = cluster.evaluateNetworkPolicies(flow)
        #expect(!decision.egress.isolated)
        #expect(!decision.ingress.allowed)  // 192.168.0.11 is outside api-ingress's block
    }
}
