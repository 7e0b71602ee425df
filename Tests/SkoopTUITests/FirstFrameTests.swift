import Testing
import SkoopModel
import SkoopCollector
import SkoopDiagnosis
@testable import SkoopTUI

/// The first frame made without a terminal (what `skoop bench` times) is the one the TUI draws:
/// the configuration's query diagnosed, its first step shown; a query that cannot be diagnosed
/// shows its error on the start screen.
@Suite struct FirstFrameTests {
    @Test func theOpeningQueryIsDiagnosedAndItsFirstStepShown() throws {
        var configuration = try WhatIfViewTests.demo().configuration
        configuration.initialQuery = WhatIfViewTests.web
        let size = Size(columns: 120, rows: 40)
        let (state, frame) = renderFirstFrame(configuration: configuration, size: size)
        #expect(state.query == WhatIfViewTests.web)
        #expect(state.stepIndex >= 1 && state.message?.isError != true)
        // The same frame as a state that began the query by hand.
        var byHand = TUIState(title: "demo", rulesetProvider: configuration.rulesetProvider)
        byHand.begin(query: WhatIfViewTests.web, driver: try configuration.makeDriver(WhatIfViewTests.web))
        byHand.resize(to: size)
        #expect(frame.lines == byHand.render(size: size).lines)
    }

    @Test func aQueryThatCannotBeDiagnosedShowsItsError() throws {
        var configuration = try WhatIfViewTests.demo().configuration
        configuration.initialQuery = TUIQuery(src: "default/nobody", dst: "svc/default/web", port: 80)
        let (state, frame) = renderFirstFrame(configuration: configuration, size: Size(columns: 120, rows: 40))
        #expect(state.query == nil && state.message?.isError == true)
        #expect(frame.text.contains("nobody"))
    }

    @Test func withoutAQueryTheStartScreenShows() throws {
        let configuration = try WhatIfViewTests.demo().configuration
        let (state, _) = renderFirstFrame(configuration: configuration, size: Size(columns: 120, rows: 40))
        #expect(state.query == nil && state.screen == .start)
    }
}
