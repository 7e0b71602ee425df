import Foundation
import Testing
import SkoopModel
import SkoopCollector
@testable import SkoopDiagnosis
import SkoopTestSupport

/// Which address family a query uses, and clear errors when an end has none of it.
@Suite struct AddressFamilyTests {
    func session(_ snapshot: String, _ query: DiagnosisQuery) throws -> DiagnosisSession {
        try DiagnosisSession(query: query, collector: try CollectorManager(snapshot: snapshot))
    }

    func setupError(_ snapshot: String, _ query: DiagnosisQuery) -> String? {
        do {
            _ = try session(snapshot, query)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func anIPv4OnlyPodAskedToReachAnIPv6AddressSaysSo() throws {
        let demo = try #require(DemoSnapshot.path)
        let message = try #require(setupError(demo, DiagnosisQuery(src: "default/client", dst: "fd00::1", dport: 80)))
        #expect(message.hasPrefix("-s/--src: default/client has no IPv6 address (its addresses: 10.244.1.3)"))
        #expect(message.contains("--ip-family"))
    }

    @Test func ipFamilyChoosesTheAddressOfNamedEnds() throws {
        let labBasic = Fixtures.url("lab-basic").path
        var v6 = try session(labBasic, DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, ipFamily: .inet6))
        #expect(v6.destinationEndpoint.ip.description == "fd00:10:244:2::2")
        v6.diagnostor.run()
        #expect(v6.report.path.links.first?.packet.src.description == "fd00:10:244:1::3")
        let v4 = try session(labBasic, DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080))
        #expect(v4.destinationEndpoint.ip.description == "10.244.2.2", "the destination's primary family by default")
        #expect(setupError(labBasic, DiagnosisQuery(src: "default/client", dst: "10.244.2.2", dport: 8080, ipFamily: .inet6))?
            .hasPrefix("-d/--dst: 10.244.2.2 is an IPv4 address, but --ip-family asks for IPv6") == true)
        let demo = try #require(DemoSnapshot.path)
        #expect(setupError(demo, DiagnosisQuery(src: "default/client", dst: "default/web-1", dport: 8080, ipFamily: .inet6))?
            .hasPrefix("-s/--src: default/client has no IPv6 address") == true)
    }
}
