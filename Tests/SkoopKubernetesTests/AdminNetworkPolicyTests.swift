import Foundation
import SkoopKubernetes
import SkoopModel
import Testing
import SkoopTestSupport

/// AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) on the
/// upstream x/y/z model: priorities, first matching rule, Pass, and the baseline under NetworkPolicy.
@Suite("AdminNetworkPolicy tiers")
struct AdminNetworkPolicyTests {
    private static func ns(_ name: String) -> String { #"{"matchLabels":{"kubernetes.io/metadata.name":""# + name + #""}}"# }

    private static func anp(_ name: String, priority: Int, subject: String = #"{"namespaces":"# + ns("x") + "}",
                            ingress: String = "[]", egress: String = "[]") -> String {
        #"{"metadata":{"name":""# + name + #""},"spec":{"priority":"# + "\(priority)" + #","subject":"# + subject
            + #","ingress":"# + ingress + #","egress":"# + egress + "}}"
    }

    private static func banp(ingress: String) -> String {
        #"{"metadata":{"name":"default"},"spec":{"subject":{"namespaces":"# + ns("x") + #"},"ingress":"# + ingress + "}}"
    }

    private static let allowAllIntoX = NetpolModel.policy("x", "allow-all", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{}]}"#)
    private static let denyFromY = anp("deny-y", priority: 10, ingress: #"[{"name":"deny-from-y","action":"Deny","from":[{"namespaces":"# + ns("y") + "}]}]")

    @Test func anAdminDenyOverridesANetworkPolicyAllow() throws {
        let model = try NetpolModel(policies: [Self.allowAllIntoX], admin: [Self.denyFromY])
        let denied = model.decide("y/a", "x/a", port: 80)
        #expect(!denied.allowed)
        #expect(denied.ingress.decidedBy == .admin)
        #expect(denied.ingress.decidingRule == "adminnetworkpolicy/deny-y rule \"deny-from-y\" (Deny)")
        #expect(denied.suspicion?.message.contains("adminnetworkpolicy/deny-y rule \"deny-from-y\" (Deny) denies ingress to x/a from y/a") == true)
        let fix = try #require(denied.fix)
        #expect(fix.yaml.isEmpty)
        #expect(fix.notes.first?.contains("takes precedence over every NetworkPolicy") == true)
        #expect(model.decide("z/a", "x/a", port: 80).allowed)
        #expect(model.decide("z/a", "x/a", port: 80).ingress.decidedBy == .networkPolicy)
    }

    @Test func lowerPriorityNumbersComeFirst() throws {
        let allowYA = Self.anp("allow-y-a", priority: 5, ingress: #"[{"name":"y-a","action":"Allow","from":[{"pods":{"namespaceSelector":"#
                               + Self.ns("y") + #","podSelector":{"matchLabels":{"pod":"a"}}}}]}]"#)
        let first = try NetpolModel(policies: [], admin: [Self.denyFromY, allowYA])
        #expect(first.decide("y/a", "x/a", port: 80).allowed)
        #expect(first.decide("y/a", "x/a", port: 80).ingress.decidingRule == "adminnetworkpolicy/allow-y-a rule \"y-a\" (Allow)")
        #expect(!first.decide("y/b", "x/a", port: 80).allowed)
        let swapped = try NetpolModel(policies: [], admin: [Self.denyFromY.replacingOccurrences(of: "\"priority\":10", with: "\"priority\":1"), allowYA])
        #expect(!swapped.decide("y/a", "x/a", port: 80).allowed)
    }

    @Test func passHandsTheFlowToNetworkPoliciesThenTheBaseline() throws {
        let pass = Self.anp("pass-y", priority: 1, ingress: #"[{"name":"pass","action":"Pass","from":[{"namespaces":"# + Self.ns("y") + "}]}]")
        let baseline = Self.banp(ingress: #"[{"name":"deny-all","action":"Deny","from":[{"namespaces":{}}]}]"#)
        // Pass skips the later ANP's Deny; no NetworkPolicy isolates x, so the baseline denies.
        let noPolicy = try NetpolModel(policies: [], admin: [pass, Self.denyFromY], baseline: [baseline])
        let decision = noPolicy.decide("y/a", "x/a", port: 80)
        #expect(!decision.allowed)
        #expect(decision.ingress.decidedBy == .baseline)
        #expect(decision.ingress.decidingRule == "baselineadminnetworkpolicy/default rule \"deny-all\" (Deny)")
        // A NetworkPolicy isolating x takes over from the baseline and allows.
        let withPolicy = try NetpolModel(policies: [Self.allowAllIntoX], admin: [pass, Self.denyFromY], baseline: [baseline])
        #expect(withPolicy.decide("y/a", "x/a", port: 80).allowed)
        #expect(withPolicy.decide("y/a", "x/a", port: 80).ingress.decidedBy == .networkPolicy)
        // Without the Pass, the ANP's Deny wins over that NetworkPolicy.
        let withoutPass = try NetpolModel(policies: [Self.allowAllIntoX], admin: [Self.denyFromY], baseline: [baseline])
        #expect(withoutPass.decide("y/a", "x/a", port: 80).ingress.decidedBy == .admin)
    }

    @Test func egressNetworksPortRangesAndNamedPorts() throws {
        let egress = Self.anp("egress", priority: 3, egress: #"""
        [{"name":"named","action":"Allow","to":[{"namespaces":{}}],"ports":[{"namedPort":"serve-81-udp"}]},
         {"name":"range","action":"Allow","to":[{"networks":["10.0.2.0/24"]}],"ports":[{"portRange":{"protocol":"TCP","start":80,"end":81}}]},
         {"name":"rest","action":"Deny","to":[{"networks":["0.0.0.0/0"]}]}]
        """#)
        let model = try NetpolModel(policies: [], admin: [egress])
        #expect(model.decide("x/a", "y/b", port: 81).allowed)                   // in 10.0.2.0/24, TCP 80-81
        #expect(!model.decide("x/a", "z/b", port: 81).allowed)                  // outside the network
        #expect(model.decide("x/a", "z/b", port: 81, protocol: .udp).allowed)   // the named UDP port on z/b
        let denied = model.decide("x/a", "z/b", port: 80)
        #expect(denied.egress.decidingRule == "adminnetworkpolicy/egress rule \"rest\" (Deny)")
        #expect(denied.egress.explanations.map(\.description) == [
            "adminnetworkpolicy/egress \"named\" Allow: ports: TCP 80 is not in [port named serve-81-udp]",
            "adminnetworkpolicy/egress \"range\" Allow: to: 10.0.3.2 is in none of networks 10.0.2.0/24",
            "adminnetworkpolicy/egress \"rest\" Deny: matches",
        ])
    }

    @Test func malformedAdminPoliciesNameTheField() {
        let data = Data(#"{"kind":"List","items":[{"metadata":{"name":"p"},"spec":{"priority":2000,"subject":{"namespaces":{}}}}]}"#.utf8)
        #expect(throws: InputError.self) { try KubernetesJSON.adminNetworkPolicies(data, source: "anp.json") }
        let pass = Data(#"{"kind":"List","items":[{"metadata":{"name":"default"},"spec":{"subject":{"namespaces":{}},"ingress":[{"action":"Pass","from":[{"namespaces":{}}]}]}}]}"#.utf8)
        do {
            _ = try KubernetesJSON.baselineAdminNetworkPolicies(pass, source: "banp.json")
            Issue.record("a baseline Pass was accepted")
        } catch {
            #expect(error.description.contains("Allow or Deny"))
        }
    }
}

@Suite("NetworkPolicy explanations and fixes")
struct PolicyExplanationTests {
    @Test func everyRuleOfEverySelectingPolicySaysWhyItDoesNotMatch() throws {
        let model = try NetpolModel(policies: [
            NetpolModel.policy("x", "from-y-81", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"y"}}}],"ports":[{"port":81}]}]}"#),
            NetpolModel.policy("x", "from-b", #"{"podSelector":{},"ingress":[{"from":[{"podSelector":{"matchLabels":{"pod":"b"}}},{"ipBlock":{"cidr":"10.0.0.0/16","except":["10.0.3.0/24"]}}]}]}"#),
        ])
        let decision = model.decide("z/a", "x/a", port: 80)
        #expect(!decision.allowed)
        #expect(decision.ingress.explanations.map(\.description) == [
            "networkpolicy/x/from-y-81 ingress[0]: from: namespace z does not match namespaceSelector kubernetes.io/metadata.name=y; ports: TCP 80 is not in [TCP 81]",
            "networkpolicy/x/from-b ingress[0]: from: z/a is not in namespace x (a podSelector without namespaceSelector means the policy's namespace); 10.0.3.1 is in ipBlock 10.0.0.0/16 but also in its except 10.0.3.0/24",
        ])
        let fix = try #require(decision.fix)
        #expect(fix.yaml == """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata:
          name: allow-a-to-a-tcp-80
          namespace: x
        spec:
          podSelector:
            matchLabels:
              pod: a
          policyTypes:
          - Ingress
          ingress:
          - from:
            - namespaceSelector:
                matchLabels:
                  kubernetes.io/metadata.name: z
              podSelector:
                matchLabels:
                  pod: a
            ports:
            - protocol: TCP
              port: 80

        """)
        // The fix, added, allows exactly this flow.
        let fixed = try NetpolModel(policies: [
            NetpolModel.policy("x", "from-y-81", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"y"}}}],"ports":[{"port":81}]}]}"#),
            NetpolModel.policy("x", "fix", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"z"}},"podSelector":{"matchLabels":{"pod":"a"}}}],"ports":[{"protocol":"TCP","port":80}]}]}"#),
        ])
        #expect(fixed.decide("z/a", "x/a", port: 80).allowed)
        #expect(!fixed.decide("z/b", "x/a", port: 80).allowed)
    }

    @Test func aDeniedEgressToAnAddressGetsAnIPBlockFix() throws {
        let model = try NetpolModel(policies: [NetpolModel.policy("x", "deny-egress", #"{"podSelector":{},"policyTypes":["Egress"]}"#)])
        let decision = model.cluster.evaluateNetworkPolicies(PolicyFlow(
            source: model.cluster.policyFlowEnd(ip: NetpolModel.address("x/b")),
            destination: model.cluster.policyFlowEnd(ip: IPAddress("192.0.2.9")!), port: 443, protocol: .tcp))
        #expect(decision.egress.explanations.map(\.description) == [
            "networkpolicy/x/deny-egress (none): it selects x/b for Egress and has no egress rule: it allows nothing"])
        let yaml = try #require(decision.fix).yaml
        #expect(yaml.contains("name: allow-b-to-192-0-2-9-tcp-443"))
        #expect(yaml.contains("  egress:\n  - to:\n    - ipBlock:\n        cidr: 192.0.2.9/32\n    ports:\n    - protocol: TCP\n      port: 443\n"))
    }
}

@Suite("AdminNetworkPolicy decoding")
struct AdminNetworkPolicyDecodingTests {
    @Test func everyPeerAndPortFormIsRead() throws {
        let policies = try KubernetesJSON.adminNetworkPolicies(try Fixtures.data("k8s-samples/adminnetworkpolicies.json"),
                                                               source: "adminnetworkpolicies.json")
        let policy = try #require(policies.first)
        #expect(policy.qualifiedName == "adminnetworkpolicy/cluster-control" && policy.priority == 20 && !policy.isBaseline)
        #expect(policy.ingress.map(\.action) == [.pass, .deny])
        #expect(policy.ingress[1].ports?.map(\.description) == ["TCP 9000", "UDP 53-54", "port named dns"])
        #expect(policy.ingress[1].peers.map(\.description) == ["namespaces kubernetes.io/metadata.name=default pods app=client"])
        #expect(policy.egress[0].peers.map(\.description) == ["networks 10.96.0.10/32", "nodes node-role.kubernetes.io/control-plane"])
    }
}
