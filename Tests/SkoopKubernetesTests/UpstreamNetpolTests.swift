import SkoopKubernetes
import SkoopModel
import Testing

/// The truth tables of the upstream Kubernetes e2e NetworkPolicy tests
/// (test/e2e/network/netpol/network_policy.go): each case's policies and expected table, as data;
/// a policy that changes mid-test appears as one case per state.
struct NetpolCase: CustomTestStringConvertible, Sendable {
    let name: String
    let policies: [String]
    var podLabels: [String: [String: String]] = [:]
    var namespaceLabels: [String: [String: String]] = [:]
    let tables: [(UInt16, TransportProtocol, Reachability)]

    var testDescription: String { name }
}

extension Reachability: @unchecked Sendable {}

private func np(_ ns: String, _ name: String, _ spec: String) -> String { NetpolModel.policy(ns, name, spec) }

/// The policy types and rules upstream's SetSpecIngressRules/SetSpecEgressRules produce.
private let denyIngress = #"{"podSelector":{},"policyTypes":["Ingress"]}"#
private let denyAll = #"{"podSelector":{},"policyTypes":["Ingress","Egress"]}"#
private let nsY = #"{"matchLabels":{"kubernetes.io/metadata.name":"y"}}"#
private let notInX = #"{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["x"]}]}"#
private func ingressToA(_ rules: String) -> String { #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Ingress"],"ingress":"# + rules + "}" }
private func egressFromA(_ rules: String) -> String { #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Egress"],"egress":"# + rules + "}" }

let upstreamCases: [NetpolCase] = [
    NetpolCase(name: "default-deny-ingress", policies: [np("x", "deny-ingress", denyIngress)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b").expect("*/*", "x/*", false))]),
    NetpolCase(name: "default-deny-all", policies: [np("x", "deny-all", denyAll)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/*", false).expect("x/*", "*/*", false))]),
    NetpolCase(name: "allow from pods within server namespace by PodSelector",
               policies: [np("x", "x-a-allows-x-b", ingressToA(#"[{"from":[{"podSelector":{"matchLabels":{"pod":"b"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c", "y/a").expect("*/*", "x/a", false).expect("x/b", "x/a", true))]),
    NetpolCase(name: "allow ingress for a target over deny-all",
               policies: [np("x", "deny-all", denyIngress),
                          np("x", "allow-all-to-a", ingressToA(#"[{"from":[{"podSelector":{},"namespaceSelector":{}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/a", true).expect("*/*", "x/b", false))]),
    NetpolCase(name: "allow ingress from pods in all namespaces",
               policies: [np("x", "allow-from-another-ns", ingressToA(#"[{"from":[{"namespaceSelector":{"matchLabels":{}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a"))]),
    NetpolCase(name: "allow only from a different namespace by NamespaceSelector",
               policies: [np("x", "allow-client-a-via-ns-selector", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + "}]}]"))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("x/*", "x/a", false).expect("z/*", "x/a", false))]),
    NetpolCase(name: "PodSelector with MatchExpressions",
               policies: [np("x", "x-a-allows-x-b", ingressToA(#"[{"from":[{"podSelector":{"matchExpressions":[{"key":"pod","operator":"In","values":["b"]}]}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/a", false).expect("x/b", "x/a", true))]),
    NetpolCase(name: "NamespaceSelector with MatchExpressions",
               policies: [np("x", "allow-ns-y-match-selector", ingressToA(#"[{"from":[{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"In","values":["y"]}]}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("x/*", "x/a", false).expect("z/*", "x/a", false))]),
    NetpolCase(name: "PodSelector or NamespaceSelector",
               policies: [np("x", "allow-ns-y-match-selector", ingressToA(#"[{"from":[{"namespaceSelector":"# + notInX + #"},{"podSelector":{"matchLabels":{"pod":"b"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c", "y/a").expect("x/a", "x/a", false).expect("x/c", "x/a", false))]),
    NetpolCase(name: "PodSelector and NamespaceSelector",
               policies: [np("x", "allow-ns-y-podselector-and-nsselector", ingressToA(#"[{"from":[{"namespaceSelector":"# + notInX + #","podSelector":{"matchLabels":{"pod":"b"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "z/b").expect("*/*", "x/a", false)
                    .expect("y/b", "x/a", true).expect("z/b", "x/a", true))]),
    NetpolCase(name: "Multiple PodSelectors and NamespaceSelectors",
               policies: [np("x", "allow-ns-y-z-pod-b-c", ingressToA(#"[{"from":[{"namespaceSelector":"# + notInX + #","podSelector":{"matchExpressions":[{"key":"pod","operator":"In","values":["b","c"]}]}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "y/c").expect("x/*", "x/a", false).expect("y/a", "x/a", false))]),
    NetpolCase(name: "any PodSelectors",
               policies: [np("x", "allow-ns-x-pod-b-c", ingressToA(#"[{"from":[{"podSelector":{"matchLabels":{"pod":"b"}}},{"podSelector":{"matchLabels":{"pod":"c"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c").expect("*/*", "x/a", false).expect("x/b", "x/a", true).expect("x/c", "x/a", true))]),
    NetpolCase(name: "only from a pod in a different namespace by PodSelector and NamespaceSelector",
               policies: [np("x", "allow-ns-y-pod-a", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #","podSelector":{"matchLabels":{"pod":"a"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "z/a").expect("*/*", "x/a", false).expect("y/a", "x/a", true))]),
    NetpolCase(name: "Ports (81 only from y); port 80 denied for all (stacked, before the second policy)",
               policies: [np("x", "allow-client-a-via-ns-selector", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":81,"protocol":"TCP"}]}]"#))],
               tables: [(81, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "z/a").expect("x/*", "x/a", false).expect("y/*", "x/a", true).expect("z/*", "x/a", false)),
                        (80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "z/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "stacked policies with overlapping podSelectors (after adding port 80)",
               policies: [np("x", "allow-client-a-via-ns-selector", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":81,"protocol":"TCP"}]}]"#)),
                          np("x", "allow-client-a-via-ns-selector-80", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":80,"protocol":"TCP"}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "y/b", "z/a").expect("x/*", "x/a", false).expect("y/*", "x/a", true).expect("z/*", "x/a", false))]),
    NetpolCase(name: "allow-all", policies: [np("x", "allow-all", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{}]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a")), (81, .tcp, Reachability("x/a", "x/b", "y/a"))]),
    NetpolCase(name: "ingress on one named port",
               policies: [np("x", "allow-all", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":"serve-81-tcp"}]}]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "x/b", "y/a")), (80, .tcp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/*", false))]),
    NetpolCase(name: "ingress from namespace on one named port",
               policies: [np("x", "allow-client-a-via-ns-selector-80", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":"serve-80-tcp","protocol":"TCP"}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("x/*", "x/a", false).expect("z/*", "x/a", false)),
                        (81, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "egress on one named port",
               policies: [np("x", "allow-egress", #"{"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"port":"serve-80-tcp"}]}]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "y/a")), (81, .tcp, Reachability("x/a", "y/a").expect("x/*", "*/*", false))]),
    NetpolCase(name: "updated policy: allow-all, then deny-all",
               policies: [np("x", "allow-all-mutate-to-deny-all", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/*", false))]),
    NetpolCase(name: "ingress from namespace before its label", policies: [np("x", "allow-client-a-via-ns-selector", ingressToA(#"[{"from":[{"namespaceSelector":{"matchLabels":{"ns2":"updated"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "ingress from updated namespace", policies: [np("x", "allow-client-a-via-ns-selector", ingressToA(#"[{"from":[{"namespaceSelector":{"matchLabels":{"ns2":"updated"}}}]}]"#))],
               namespaceLabels: ["y": ["ns2": "updated"]],
               tables: [(80, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/a", false).expect("y/*", "*/*", true))]),
    NetpolCase(name: "ingress from updated pod", policies: [np("x", "allow-client-a-via-pod-selector", ingressToA(#"[{"from":[{"podSelector":{"matchLabels":{"pod":"b","pod2":"updated"}}}]}]"#))],
               podLabels: ["x/b": ["pod2": "updated"]],
               tables: [(80, .tcp, Reachability("x/a", "x/b").expect("*/*", "x/a", false).expect("x/b", "x/a", true))]),
    NetpolCase(name: "deny ingress from pods on other namespaces",
               policies: [np("x", "deny-empty-policy", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{}}}]}]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("y/*", "x/*", false).expect("z/*", "x/*", false))]),
    NetpolCase(name: "deny ingress to updated pod (before)", policies: [np("x", "deny-ingress-via-label-selector", #"{"podSelector":{"matchLabels":{"target":"isolated"}},"policyTypes":["Ingress"]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "y/a"))]),
    NetpolCase(name: "deny ingress to updated pod (after)", policies: [np("x", "deny-ingress-via-label-selector", #"{"podSelector":{"matchLabels":{"target":"isolated"}},"policyTypes":["Ingress"]}"#)],
               podLabels: ["x/a": ["target": "isolated"]],
               tables: [(80, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "deny egress from pods by PodSelector", policies: [np("x", "deny-egress-pod-a", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Egress"]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("x/a", "*/*", false))]),
    NetpolCase(name: "deny egress from all pods in a namespace", policies: [np("x", "deny-egress-ns-x", #"{"podSelector":{},"policyTypes":["Egress"]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("x/*", "*/*", false))]),
    NetpolCase(name: "Ingress and Egress specified together",
               policies: [np("x", "allow-client-a-via-pod-selector", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Egress","Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"pod":"b"}}}]}],"egress":[{"ports":[{"port":80}]}]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c", "y/a").expect("*/*", "x/a", false).expect("x/b", "x/a", true)),
                        (81, .tcp, Reachability("x/a", "x/b", "x/c", "y/a").expect("*/*", "x/a", false).expect("x/a", "*/*", false).expect("x/b", "x/a", true))]),
    NetpolCase(name: "egress denied on the client side even if the server allows",
               policies: [np("x", "allow-to-ns-y-pod-a", egressFromA(#"[{"to":[{"namespaceSelector":"# + nsY + #","podSelector":{"matchLabels":{"pod":"a"}}}]}]"#)),
                          np("y", "allow-from-xa-on-ya", ingressToA(#"[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"x"}},"podSelector":{"matchLabels":{"pod":"a"}}}]}]"#)),
                          np("y", "allow-from-xa-on-yb", #"{"podSelector":{"matchLabels":{"pod":"b"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"x"}},"podSelector":{"matchLabels":{"pod":"a"}}}]}]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "y/a", "y/b").expect("x/a", "*/*", false).expect("*/*", "y/a", false)
                    .expect("x/a", "y/a", true).expect("*/*", "y/b", false))]),
    NetpolCase(name: "egress to a server in a different namespace by PodSelector and NamespaceSelector",
               policies: [np("x", "allow-to-ns-y-pod-a", egressFromA(#"[{"to":[{"namespaceSelector":"# + nsY + #","podSelector":{"matchLabels":{"pod":"a"}}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "y/a", "y/b").expect("x/a", "*/*", false).expect("x/a", "y/a", true))]),
    NetpolCase(name: "ingress allowing any port on a protocol",
               policies: [np("x", "allow-ingress-by-proto", ingressToA(#"[{"ports":[{"protocol":"TCP"}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "y/a")), (80, .udp, Reachability("x/a", "y/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "multiple ingress policies: port 80 only",
               policies: [np("x", "allow-ingress-port-80", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":80}]}]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/*", false))]),
    NetpolCase(name: "multiple ingress policies: allow-all takes precedence",
               policies: [np("x", "allow-ingress-port-80", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":80}]}]}"#),
                          np("x", "allow-ingress", #"{"podSelector":{},"policyTypes":["Ingress"],"ingress":[{}]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "y/a"))]),
    NetpolCase(name: "multiple egress policies: port 80 only",
               policies: [np("x", "allow-egress-port-80", #"{"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"port":80}]}]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("x/*", "*/*", false))]),
    NetpolCase(name: "multiple egress policies: allow-all takes precedence",
               policies: [np("x", "allow-egress-port-80", #"{"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"port":80}]}]}"#),
                          np("x", "allow-egress", #"{"podSelector":{},"policyTypes":["Egress"],"egress":[{}]}"#)],
               tables: [(81, .tcp, Reachability("x/a", "y/a"))]),
    NetpolCase(name: "deny-all in and out of x", policies: [np("x", "deny-all", denyAll)],
               tables: [(80, .tcp, Reachability("x/a", "y/a").expect("x/*", "*/*", false).expect("*/*", "x/*", false))]),
    NetpolCase(name: "policies deleted", policies: [], tables: [(80, .tcp, Reachability("x/a", "y/a"))]),
    NetpolCase(name: "egress to a server in a CIDR block",
               policies: [np("x", "allow-client-a-via-cidr-egress-rule", egressFromA(#"[{"to":[{"ipBlock":{"cidr":"10.0.2.2/32"}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "y/a", "y/b").expect("x/a", "*/*", false).expect("x/a", "y/b", true))]),
    NetpolCase(name: "except clause in an egress CIDR block",
               policies: [np("x", "allow-client-a-via-cidr-egress-rule", egressFromA(#"[{"to":[{"ipBlock":{"cidr":"0.0.0.0/4","except":["10.0.1.2/32"]}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c").expect("x/a", "x/b", false))]),
    NetpolCase(name: "an IP in both CIDR and except, then allowed by its own block",
               policies: [np("x", "allow-client-a-via-cidr-egress-rule", egressFromA(#"[{"to":[{"ipBlock":{"cidr":"10.0.1.2/32"}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "x/c").expect("x/a", "*/*", false).expect("x/a", "x/b", true))]),
    NetpolCase(name: "ingress and egress controlled independently",
               policies: [np("x", "allow-egress-for-target", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Egress"],"egress":[{}]}"#),
                          np("x", "deny-ingress-via-label-selector", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Ingress"]}"#)],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "protocol SCTP is not TCP",
               policies: [np("x", "deny-ingress", denyIngress),
                          np("x", "allow-only-sctp-ingress-on-port-81", ingressToA(#"[{"ports":[{"port":81,"protocol":"SCTP"}]}]"#))],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/*", false))]),
    NetpolCase(name: "a policy allowing SCTP isolates for TCP",
               policies: [np("x", "allow-only-sctp-ingress-on-port-80", ingressToA(#"[{"ports":[{"port":80,"protocol":"SCTP"}]}]"#))],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/a", false))]),
    NetpolCase(name: "UDP-only policy does not allow TCP",
               policies: [np("x", "allow-only-udp-ingress-on-port-81", ingressToA(#"[{"ports":[{"port":81,"protocol":"UDP"}]}]"#))],
               tables: [(81, .tcp, Reachability("x/a", "y/a").expect("*/*", "x/a", false)), (81, .udp, Reachability("x/a", "y/a"))]),
    NetpolCase(name: "egress NamespaceSelector NotIn by the default namespace label",
               policies: [np("x", "allow-ns-y-match-selector-for-immutable-ns-label", egressFromA(#"[{"to":[{"namespaceSelector":{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["y"]}]}}]}]"#))],
               tables: [(80, .tcp, Reachability("x/a", "x/b", "y/a", "z/a").expect("x/a", "y/*", false))]),
    NetpolCase(name: "UDP default-deny-ingress", policies: [np("x", "deny-all", denyIngress)],
               tables: [(80, .udp, Reachability("x/a", "x/b", "y/a", "y/b").expect("*/*", "x/*", false))]),
    NetpolCase(name: "UDP Ports",
               policies: [np("x", "allow-ingress-on-port-81-ns-x", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":81,"protocol":"UDP"}]}]"#))],
               tables: [(81, .udp, Reachability("x/a", "x/b", "y/a", "z/a").expect("x/*", "x/a", false).expect("z/*", "x/a", false))]),
    NetpolCase(name: "UDP only from a pod in a different namespace",
               policies: [np("x", "allow-ns-y-pod-a", ingressToA(#"[{"from":[{"namespaceSelector":"# + nsY + #","podSelector":{"matchLabels":{"pod":"a"}}}]}]"#))],
               tables: [(80, .udp, Reachability("x/a", "x/b", "y/a").expect("*/*", "x/a", false).expect("y/a", "x/a", true))]),
]

@Suite("Upstream e2e NetworkPolicy truth tables")
struct UpstreamNetpolTests {
    @Test(arguments: upstreamCases)
    func truthTable(_ testCase: NetpolCase) throws {
        let model = try NetpolModel(policies: testCase.policies, podLabels: testCase.podLabels,
                                    namespaceLabels: testCase.namespaceLabels)
        for (port, proto, table) in testCase.tables {
            let differences = model.differences(table, port: port, protocol: proto)
            #expect(differences.isEmpty, "\(testCase.name): \(differences.joined(separator: ", "))")
        }
    }

    @Test func theTablesAreNotTrivial() throws {
        // Every case denies or allows something its default would not: a case whose policies
        // were ignored would fail (checked by evaluating each case with no policy at all).
        var vacuous: [String] = []
        let open = try NetpolModel(policies: [])
        for testCase in upstreamCases where !testCase.policies.isEmpty {
            let differs = testCase.tables.contains { !open.differences($0.2, port: $0.0, protocol: $0.1).isEmpty }
            if !differs { vacuous.append(testCase.name) }
        }
        // (Those whose only denied cell is loopback, which upstream ignores, are vacuous here too.)
        #expect(vacuous.sorted() == ["allow ingress from pods in all namespaces", "allow-all", "any PodSelectors",
                                     "deny ingress to updated pod (before)", "ingress from updated namespace", "ingress from updated pod",
                                     "multiple egress policies: allow-all takes precedence",
                                     "multiple ingress policies: allow-all takes precedence"])
    }
}
