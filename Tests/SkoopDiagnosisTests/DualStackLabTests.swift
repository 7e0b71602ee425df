import Foundation
import Testing
import SkoopModel
import SkoopNetstack
@testable import SkoopCollector
@testable import SkoopDiagnosis
@testable import SkoopLab
import SkoopTestSupport

/// IPv6 on a dual-stack flannel-vxlan lab recorded with `skoop lab up flannel-vxlan --ip-family
/// dual --output`, and `ip -d -j route get` answers the kernel gave in that lab.
@Suite struct DualStackLabTests {
    static let lab = "lab-flannel-vxlan-dual"

    func collector() throws -> CollectorManager { try CollectorManager(snapshot: Fixtures.url(Self.lab).path) }

    func report(_ query: DiagnosisQuery) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: query, collector: try collector())
        session.diagnostor.run()
        return session.report
    }

    func simulator(_ node: String, edit: (inout NetNSInfo) -> Void = { _ in }) throws -> NetNSSimulator {
        var info = try collector().netns(node: node, id: "host")
        edit(&info)
        return NetNSSimulator(info: info)
    }

    func step(_ node: String, _ query: [String], _ json: String) -> LabRouteStep {
        LabRouteStep(netnsID: node, query: query, decision: GroundTruth.routeDecision(json))
    }

    @Test("an IPv6 ClusterIP reaches both IPv6 backends, and the IPv4 endpoints are not missing from ip6tables")
    func ipv6ClusterIP() throws {
        let report = try report(DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80, ipFamily: .inet6))
        #expect(report.verdict == .reachable)
        #expect(FlowComparison.backendOutcomes(report) == ["fd00:10:244:1::2": true, "fd00:10:244:2::2": true])
        #expect(report.suspicions(atLeast: .warning).isEmpty, "\(report.suspicions(atLeast: .warning).map(\.suspicion.message))")
        let v4 = try self.report(DiagnosisQuery(src: "default/client", dst: "svc/default/web", dport: 80))
        #expect(FlowComparison.backendOutcomes(v4) == ["10.244.1.2": true, "10.244.2.2": true])
        #expect(v4.suspicions(atLeast: .warning).isEmpty)
    }

    @Test("an IPv6 NodePort is masqueraded to the IPv6 address of the out interface, never an IPv4 one")
    func ipv6Masquerade() throws {
        let report = try report(DiagnosisQuery(src: "fd00:172:30::10", dst: "node/node1", dport: 30080, ipFamily: .inet6))
        #expect(report.verdict == .reachable)
        let masqueraded = report.path.links.flatMap(\.translations).filter { $0.original.src != $0.translated.src }
        #expect(Set(masqueraded.map(\.translated.src.description)) == ["fd00:10:244:1::1", "fd00:10:244:1::"],
                "to web-0 through cni0, to web-1 through flannel.1")
        #expect(report.suspicions(atLeast: .warning).isEmpty, "\(report.suspicions(atLeast: .warning).map(\.suspicion.message))")
    }

    @Test("IPv6 route get: prefsrc is the route's own choice even with from, and local routes stay in table local")
    func recordedIPv6Routes() throws {
        let node1 = try simulator("node1")
        let viaTunnel = step("node1", ["fd00:10:244:2::2", "from", "fd00:192:168:56::11"],
            #"[{"type":"unicast","dst":"fd00:10:244:2::2","from":"fd00:192:168:56::11","gateway":"fd00:10:244:2::","dev":"flannel.1","table":"main","protocol":"boot","scope":"global","prefsrc":"fd00:10:244:1::","metric":1024,"flags":[],"pref":"medium"}]"#)
        let local = step("node1", ["fd00:192:168:56::11", "from", "fd00:172:30::10", "iif", "ens4", "mark", "0x4000"],
            #"[{"type":"local","dst":"fd00:192:168:56::11","from":"fd00:172:30::10","dev":"lo","table":"local","protocol":"kernel","scope":"global","metric":0,"flags":[],"iif":"ens4","pref":"medium"}]"#)
        let comparisons = [RouteComparison.compare(viaTunnel, flow: "f", simulator: node1),
                           RouteComparison.compare(local, flow: "f", simulator: node1)]
        #expect(comparisons.allSatisfy { $0.agrees }, "\(comparisons.map(\.line))")
        #expect(comparisons[0].skoop == "unicast via fd00:10:244:2:: dev flannel.1 table main src fd00:10:244:1::")
    }

    @Test("IPv6 forwarding off: route get still answers (ip6_forward drops later), the flow fails; kernel answer recorded, sysctl constructed")
    func constructedInput_ipv6ForwardingOff() throws {
        let forwarded = step("node2", ["fd00:10:244:2::2", "from", "fd00:10:244:1::3", "iif", "flannel.1"],
            #"[{"type":"unicast","dst":"fd00:10:244:2::2","from":"fd00:10:244:1::3","dev":"cni0","table":"main","protocol":"kernel","scope":"global","metric":256,"flags":[],"iif":"flannel.1","pref":"medium"}]"#)
        let node2 = try simulator("node2") { info in
            for key in info.sysctls.values.keys where key.hasPrefix("net.ipv6.conf.") && key.hasSuffix(".forwarding") {
                info.sysctls.values[key] = "0"
            }
        }
        let comparison = RouteComparison.compare(forwarded, flow: "f", simulator: node2)
        #expect(comparison.agrees, "\(comparison.line)")
    }
}
