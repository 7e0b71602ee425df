import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
@testable import SkoopTUI
import SkoopTestSupport

/// The TUI over the real engine on the lab-basic capture: request and reply legs read as such.
@Suite struct RealDiagnosisTests {
    func state(_ query: TUIQuery) throws -> TUIState {
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        let session = try DiagnosisSession(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port),
                                           collector: collector)
        var state = TUIState(title: "lab-basic")
        state.resize(to: Size(columns: 140, rows: 30))
        state.begin(query: query, driver: session.diagnostor)
        state.press(.char("r"))
        return state
    }

    @Test func servedBackendsStartTheirRepliesAndTheClientGetsThem() throws {
        let screen = try state(TUIQuery(src: "default/client", dst: "svc/default/web", port: 80))
            .render(size: Size(columns: 140, rows: 30)).lines
        #expect(screen[0].contains("REACHABLE"))
        #expect(screen.contains { $0.contains("[bridge] pod default/web-0 DNAT p=0.50") })
        // One event per row: the serve, then the reply it sends.
        let served = try #require(screen.firstIndex { $0.contains("✔ served at pod default/web-0 p=0.50") })
        #expect(screen[served + 1].contains("└─▸ [veth] node node1 reply p=0.50"))
        #expect(!screen.contains { $0.contains("served, reply") })
        #expect(screen.filter { $0.contains("✔ served at pod default/client") }.count == 2)
        #expect(!screen.contains { $0.contains("dropped") })
    }
}
