import Foundation
import SkoopKubernetes
import SkoopModel
import SkoopTestSupport
import Testing

/// Object evaluation against real packets: Tests/Lab/capture-netpol-fixtures.sh enforced these
/// policies with a hand-written kube-router-like rule set in a netns lab and probed every pod
/// pair with nc; the NetworkPolicy objects must decide every probe as the kernel did.
@Suite("NetworkPolicy objects agree with kernel-enforced rules")
struct NetpolRulesLabTests {
    static let notInX = #"{"matchExpressions":[{"key":"kubernetes.io/metadata.name","operator":"NotIn","values":["x"]}]}"#
    static let nsY = #"{"matchLabels":{"kubernetes.io/metadata.name":"y"}}"#

    static let cases: [String: [String]] = [
        "ns-selector": [NetpolModel.policy("x", "allow-client-a-via-ns-selector",
            #"{"podSelector":{"matchLabels":{"pod":"a"}},"ingress":[{"from":[{"namespaceSelector":"# + nsY + "}]}]}")],
        "pod-and-namespace-selector": [NetpolModel.policy("x", "allow-b-not-in-x",
            #"{"podSelector":{"matchLabels":{"pod":"a"}},"ingress":[{"from":[{"namespaceSelector":"# + notInX + #","podSelector":{"matchLabels":{"pod":"b"}}}]}]}"#)],
        "ports": [NetpolModel.policy("x", "allow-y-81",
            #"{"podSelector":{"matchLabels":{"pod":"a"}},"ingress":[{"from":[{"namespaceSelector":"# + nsY + #"}],"ports":[{"port":81}]}]}"#)],
        "egress-and-default-deny": [
            NetpolModel.policy("x", "allow-to-y-a", #"{"podSelector":{"matchLabels":{"pod":"a"}},"policyTypes":["Egress"],"egress":[{"to":[{"namespaceSelector":"# + nsY + #","podSelector":{"matchLabels":{"pod":"a"}}}]}]}"#),
            NetpolModel.policy("z", "deny-ingress", #"{"podSelector":{},"policyTypes":["Ingress"]}"#),
        ],
    ]

    @Test(arguments: cases.keys.sorted())
    func everyProbeIsDecidedAsTheKernelDid(_ name: String) throws {
        let model = try NetpolModel(policies: Self.cases[name]!)
        let lines = try Fixtures.text("lab-netpol/\(name).txt").split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.count >= 30)
        var disagreements: [String] = []
        for line in lines {
            let fields = line.split(separator: " ").map(String.init)
            let kernelAllows = fields[3] == "allow"
            if model.decide(fields[0], fields[1], port: UInt16(fields[2])!).allowed != kernelAllows {
                disagreements.append(String(line))
            }
        }
        #expect(disagreements.isEmpty, "\(name): the kernel says \(disagreements)")
        #expect(lines.contains { $0.hasSuffix(" deny") } && lines.contains { $0.hasSuffix(" allow") })
    }
}
