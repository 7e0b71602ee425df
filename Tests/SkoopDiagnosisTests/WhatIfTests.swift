import Foundation
import Testing
import SkoopModel
import SkoopNetstack
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// What-if edits change Skoop's copy of the state and the diagnosis follows; every edit is
/// checked against the snapshot and exported as the command that makes it on the node.
@Suite struct WhatIfTests {
    static let forwardDrop = "-A FORWARD -d 10.244.2.2/32 -p tcp -m comment --comment \"lab fault: forward-drop\" -m tcp --dport 8080 -j DROP"

    func demo() throws -> CollectorManager { try CollectorManager(snapshot: try #require(DemoSnapshot.path)) }

    func diagnose(_ provider: any NodeDataProvider, dst: String = "svc/default/web", port: UInt16 = 80) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: dst, dport: port, proto: .tcp),
                                           collector: provider)
        session.diagnostor.run()
        return session.report
    }

    func edits(_ yaml: String, _ provider: any NodeDataProvider, files: [String: String] = [:]) throws -> [WhatIfEdit] {
        try WhatIfEditsFile.parse(yaml, source: "edits.yaml", provider: provider) { path throws(InputError) in
            guard let text = files[path] else { throw InputError(source: path, expected: "a file") }
            return text
        }
    }

    @Test func disablingTheDroppingRuleMakesTheServiceReachable() throws {
        let base = try demo()
        let before = try diagnose(base)
        let edits = try edits("""
            - action: disable-rule
              node: node2
              chain: FORWARD
              rule: '\(Self.forwardDrop)'
            """, base)
        let after = try diagnose(WhatIfProvider(base: base, edits: edits))
        #expect(before.verdict == .partial)
        #expect(after.verdict == .reachable)
        let comparison = WhatIfComparison(edits: edits, before: before, after: after)
        #expect(comparison.verdictLine == "partial → reachable")
        #expect(comparison.branchChanges.gone.map(\.description) == ["default/client → node1 → node2: dropped (request)"])
        #expect(comparison.branchChanges.new.first?.hops.contains(Hop(type: .pod, id: "default/web-1")) == true)
        #expect(edits[0].shellCommand == "iptables -t filter -D " + Self.forwardDrop.dropFirst(3))
        // The snapshot itself is untouched.
        #expect(try diagnose(base).verdict == .partial)
    }

    @Test func aRuleIsChosenByPositionToo() throws {
        let base = try demo()
        let byIndex = try edits("[{\"action\": \"disable-rule\", \"node\": \"node2\", \"chain\": \"FORWARD\", \"index\": 1}]", base)
        let rules = try base.netns(node: "node2", id: "host").iptables?.table("filter")?.chain("FORWARD")?.rules ?? []
        #expect(byIndex.first?.change == .disableRule(family: .inet, table: "filter", chain: "FORWARD", rule: rules[0].text))
    }

    @Test func ipForwardOffOnTheSourceNodeDropsEveryRequest() throws {
        let base = try demo()
        let edits = try edits("- {action: sysctl, node: node1, key: ip_forward, value: '0'}", base)
        #expect(edits[0].shellCommand == "sysctl -w net.ipv4.ip_forward=0")
        let after = try diagnose(WhatIfProvider(base: base, edits: edits), dst: "default/web-1", port: 8080)
        #expect(after.verdict == .unreachable)
    }

    @Test func aLinkDownRemovesItsRoutesButTheLocalOnesAsTheKernelDoes() throws {
        let base = try demo()
        let edits = try edits("- {action: link-down, pod: default/web-0, link: eth0}", base)
        let place = try #require(edits.first?.place)
        #expect(place.node == "node1" && place.netns == "pod-web-0")
        let info = try WhatIfProvider(base: base, edits: edits).netns(node: "node1", id: "pod-web-0")
        #expect(info.interface(named: "eth0")?.isUp == false)
        #expect(info.routes.allSatisfy { $0.dev != "eth0" || $0.type == .local })
        #expect(edits[0].shellCommand == "ip netns exec pod-web-0 ip link set dev eth0 down")
        let after = try diagnose(WhatIfProvider(base: base, edits: edits), dst: "default/web-0", port: 8080)
        #expect(after.verdict == .unreachable)
    }

    @Test func routesAreDeletedAndAddedAsIpRouteWouldDoIt() throws {
        let base = try demo()
        let edits = try edits("""
            - {action: delete-route, node: node1, route: 10.244.2.0/24}
            - {action: add-route, node: node1, route: "10.244.2.0/24 dev flannel.1 metric 7"}
            """, base)
        guard case .deleteRoute(let deleted) = edits[0].change else { Issue.record("not a deletion"); return }
        #expect(deleted.description == "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink")
        #expect(edits[1].shellCommand == "ip route add 10.244.2.0/24 dev flannel.1 scope link metric 7")
        let routes = try WhatIfProvider(base: base, edits: edits).netns(node: "node1", id: "host").routes
        #expect(!routes.contains(deleted))
        #expect(routes.contains { $0.destination.description == "10.244.2.0/24" && $0.metric == 7 })
    }

    @Test func aNetworkPolicyFromYAMLIsAddedAndRemoved() throws {
        let base = try demo()
        let deny = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: deny-all, creationTimestamp: 2024-01-01T00:00:00Z}
            spec: {podSelector: {}, policyTypes: [Ingress]}
            """
        let added = try edits("- {action: add-policy, file: deny.yaml}", base, files: ["deny.yaml": deny])
        #expect(added[0].shellCommand == "kubectl apply -f deny.yaml")
        let provider = WhatIfProvider(base: base, edits: added)
        #expect(provider.cluster.networkPolicies.map(\.qualifiedName).contains("default/deny-all"))
        let removed = try edits("- {action: remove-policy, policy: default/deny-all}", provider)
        #expect(!WhatIfProvider(base: provider, edits: removed).cluster.networkPolicies.contains { $0.qualifiedName == "default/deny-all" })
    }

    @Test func badEditsNameTheFileLineAndWhatWasExpected() throws {
        let base = try demo()
        let cases: [(String, String)] = [
            ("- {action: disable-rule, node: node2, chain: FORWARD, index: 99}", "edits.yaml:1: expected a rule position 1-"),
            ("- {action: sysctl, node: node9, key: ip_forward, value: '1'}", "edits.yaml:1: expected a collected node"),
            ("- {action: explode, node: node1}", "expected action: one of disable-rule"),
            ("- {action: link-up, node: node1, link: nope0}", "expected a link of node node1"),
            ("- {action: delete-route, node: node1, route: 10.99.0.0/16}", "expected a route of node node1"),
            ("- {action: add-route, node: node1, route: '10.99.0.0/16 gateway 1.2.3.4'}", "expected a route such as"),
            ("- {action: remove-policy, policy: default/none}", "expected a NetworkPolicy"),
            ("- {action: sysctl, node: node1, key: ip_forward, value: '1', colour: red}", "found \"colour\""),
            ("- action: sysctl\n  node: [node1", "expected a YAML or JSON list of edits"),
        ]
        for (text, wanted) in cases {
            do {
                _ = try edits(text, base)
                Issue.record("accepted: \(text)")
            } catch {
                #expect("\(error)".contains(wanted), "\(text): \(error)")
            }
        }
    }

    @Test func savedEditsReadBackTheSame() throws {
        let base = try demo()
        let original = try edits("""
            - action: disable-rule
              node: node2
              chain: FORWARD
              rule: '\(Self.forwardDrop)'
            - {action: delete-route, node: node1, route: 10.244.2.0/24}
            - {action: sysctl, node: node2, key: net.ipv4.conf.all.rp_filter, value: '1'}
            - {action: link-down, pod: default/web-0, link: eth0}
            """, base)
        let saved = WhatIfEditsFile.yaml(original)
        #expect(try edits(saved, base) == original)
        #expect(WhatIfEdit.shellScript(original).contains("# on node node1 (pod default/web-0): "))
    }
}
