import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// The pod network: from snapshot.json, or --cluster-cidr when the user gives it.
@Suite struct ClusterCIDRTests {
    func report(context: DiagnosisContext) throws -> DiagnosisReport {
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "default/client", dst: "10.244.7.9", dport: 80),
                                           collector: CollectorManager(snapshot: Fixtures.url("lab-flannel-vxlan").path),
                                           context: context)
        session.diagnostor.run()
        return session.report
    }

    @Test func anAddressInThePodNetworkButNoNodesCIDRIsNamed() throws {
        let found = try report(context: DiagnosisContext())
        #expect(found.verdict == .unreachable)
        #expect(found.path.allSuspicions.contains { $0.suspicion.message.contains("in the pod network 10.244.0.0/16 but in no node's pod CIDR") })
    }

    @Test func theFlagOverridesTheSnapshot() throws {
        let found = try report(context: DiagnosisContext(clusterCIDR: IPPrefix("10.0.0.0/8")))
        #expect(found.path.allSuspicions.contains { $0.suspicion.message.contains("in the pod network 10.0.0.0/8") })
    }
}
