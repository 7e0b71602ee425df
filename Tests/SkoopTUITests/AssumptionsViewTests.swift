import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTUI
import Testing

/// What a verdict rests on unproven is shown beside it, on the suspicions screen, in the hop's
/// detail and in the exported report; never before the verdict is.
@Suite("TUI: assumptions beside the verdict")
struct AssumptionsViewTests {
    func demo(_ query: TUIQuery) throws -> TUIState {
        let collector = try CollectorManager(snapshot: try #require(DemoSnapshot.path))
        let session = try DiagnosisSession(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port, proto: query.proto),
                                           collector: collector)
        var state = TUIState(title: "demo")
        state.resize(to: Size(columns: 140, rows: 40))
        state.begin(query: query, driver: session.diagnostor)
        return state
    }

    @Test func anExternalDestinationShowsWhatTheVerdictAssumes() throws {
        var state = try demo(TUIQuery(src: "default/client", dst: "8.8.8.8", port: 443))
        #expect(!state.screenLines[1].contains("assumes"), "no verdict yet, nothing assumed yet")
        state.press(.char("N"))
        #expect(state.screenLines[0].hasSuffix("REACHABLE"))
        #expect(state.screenLines[1].contains("assumes 3 (s)"))
        let found = state.selectRow(containing: "external 8.8.8.8")
        #expect(found)
        #expect(state.screenLines.contains { $0.contains("assumes not a collected host: that it accepts tcp port 443") })
        state.press(.char("s"))
        #expect(state.screenLines.contains { $0.contains("assumptions (the verdict rests on them unproven):") })
        #expect(state.screenLines.contains { $0.contains("external 8.8.8.8: not a collected host") })
    }

    @Test func aFlowBetweenCollectedPodsAssumesNothing() throws {
        var state = try demo(TUIQuery(src: "default/client", dst: "default/web-0", port: 8080))
        state.press(.char("N"))
        #expect(!state.screenLines[1].contains("assumes"))
    }
}
