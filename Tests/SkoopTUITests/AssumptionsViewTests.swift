import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
import SkoopTUI
import SkoopTestSupport
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

/// A suspicion that comes with a fix shows the NetworkPolicy and `y` copies exactly that YAML.
@Suite("TUI: a policy fix in the suspicion detail")
struct PolicyFixViewTests {
    @Test func theFixIsShownAndCopied() throws {
        let collector = try CollectorManager(snapshot: Fixtures.url("lab-basic").path)
        let session = try DiagnosisSession(query: DiagnosisQuery(src: "default/web-0", dst: "default/web-1", dport: 8080),
                                           collector: collector, context: DiagnosisContext(networkPlugin: .cilium))
        var state = TUIState(title: "lab-basic")
        state.resize(to: Size(columns: 140, rows: 50))
        state.begin(query: TUIQuery(src: "default/web-0", dst: "default/web-1", port: 8080), driver: session.diagnostor)
        state.press(.char("N"), .char("s"))
        #expect(state.screenLines.contains { $0.contains("fix (y copies this NetworkPolicy):") })
        #expect(state.screenLines.contains { $0.contains("kind: NetworkPolicy") })
        let effects = state.handle(.char("y"))
        guard case .copy(let text)? = effects.first else {
            Issue.record("y copied nothing: \(effects)")
            return
        }
        #expect(text.hasPrefix("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"))
    }
}
