import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

@Suite struct TunnelLoopTests {
    @Test func aTunnelPacketRoutedIntoItsOwnTunnelIsDroppedNotNestedForever() throws {
        let copy = try FixtureCopy("lab-flannel-vxlan")
        // node1 sends node2's underlay address into the VXLAN device: its outer packets loop.
        try copy.edit("nodes/node1/netns/host/ip-route.json") { text in
            text.replacingOccurrences(of: "[{", with: #"[{"dst":"192.168.56.12","gateway":"10.244.2.0","dev":"flannel.1","flags":["onlink"]},{"#)
        }
        var session = try DiagnosisSession(query: DiagnosisQuery(src: "node/node2", dst: "node/node1", dport: 0, proto: .icmp),
                                           collector: try CollectorManager(snapshot: copy.path))
        #expect(session.diagnostor.run() == .unreachable)
        #expect(session.report.suspicions(atLeast: .critical).contains {
            $0.node?.id == "node1" && $0.suspicion.message.contains("routed into tunnel device flannel.1 again")
        })
    }
}
