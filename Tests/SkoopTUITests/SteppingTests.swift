import SkoopModel
import SkoopTUI
import Testing

@Suite("TUI stepping and the path tree")
struct SteppingTests {
    @Test func beginShowsTheFirstTransmission() {
        let state = demoState()
        #expect(state.stepIndex == 1)
        #expect(state.treeText == ["▸ pod default/client  i INFO", "└─▸ [veth] node node-a  ! WARN  … pending"])
        #expect(state.screenLines[0].contains("step 1/1+"))
    }

    @Test func steppingAddsHopsAndTheFanOut() {
        var state = demoState()
        state.press(.char("n"))
        #expect(state.stepIndex == 2)
        #expect(state.treeText == [
            "▸ pod default/client  i INFO",
            "└─▸ [veth] node node-a  ! WARN",
            "  ├─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL  … pending",
            "  └─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL  … pending",
        ])
        // The newest transmission is selected.
        #expect(state.selectedRow == .link(1))
    }

    @Test func runToEndMarksEveryBranchEndAndTheVerdict() {
        var state = demoState()
        state.press(.char("r"))
        #expect(state.verdict == .partial)
        #expect(state.stepIndex == 5)
        #expect(state.treeText == [
            "▸ pod default/client  i INFO",
            "└─▸ [veth] node node-a  ! WARN",
            "  ├─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL",
            "  │ └─▸ [veth] pod default/web-0  i INFO",
            "  │   └─▸ ✔ served at pod default/web-0  i INFO",
            "  └─▸ [vxlan] node node-b DNAT p=0.50  ✖ FATAL",
            "    └─▸ ✖ dropped at node node-b  ✖ FATAL",
        ])
        #expect(state.screenLines[0] == " Skoop │ demo │ default/client → svc/default/web:80/tcp │ step 5/5 │ PARTIAL")
    }

    @Test func stepBackReplaysWithoutTheDriver() {
        var state = demoState()
        state.press(.char("N"), .char("p"))
        #expect(state.stepIndex == 4)
        #expect(!state.treeText.joined().contains("served"))
        #expect(state.treeText.joined().contains("dropped"))
        state.press(.backspace, .backspace)
        #expect(state.stepIndex == 2)
        #expect(state.treeText.count == 4)
        state.press(.char(" "))
        #expect(state.stepIndex == 3)
        #expect(state.treeText.joined().contains("pod default/web-0"))
    }

    @Test func firstAndLastStep() {
        var state = demoState()
        state.press(.char("r"), .char("g"))
        #expect(state.stepIndex == 1)
        #expect(state.treeText.count == 2)
        state.press(.char("G"))
        #expect(state.stepIndex == 5)
        #expect(state.treeText.count == 7)
    }

    @Test func pastTheLastStepSaysSo() {
        var state = demoState()
        state.press(.char("r"), .char("n"))
        #expect(state.message?.text == "last step — verdict: partial")
    }

    @Test func asciiGlyphsForNonUTF8Terminals() {
        var state = demoState(glyphs: .ascii)
        state.press(.char("r"))
        #expect(state.treeText[2] == "  |-> [vxlan] node node-b DNAT p=0.50  F FATAL")
        #expect(state.treeText[6] == "    `-> x dropped at node node-b  F FATAL")
        #expect(state.render(size: Size(columns: 80, rows: 24)).lines[1].hasPrefix(" F FATAL 1  C CRIT 1  W WARN 2  I INFO 3"))
    }

    /// Stepping and redrawing a 1,000-link graph; how fast is the bench's redraw row's to say
    /// (a timed test would fail on a loaded machine and prove nothing on an idle one).
    @Test func aThousandLinksStepAndRender() {
        var state = TUIState(title: "big")
        state.resize(to: Size(columns: 120, rows: 40))
        state.begin(query: TUIQuery(src: "a", dst: "b", port: 80), driver: FakeDriver.chain(count: 1_000, fanOut: 3))
        state.press(.char("r"))
        for _ in 0..<100 {
            state.press(.char("j"))
            _ = state.render(size: Size(columns: 120, rows: 40))
        }
        #expect(state.treeText.count == 1_001)
        #expect(state.shownLevelCounts[.warning] == 1_000)
        #expect(state.render(size: Size(columns: 120, rows: 40)).lines.count == 40)
    }

    @Test func deepChainsKeepIndentationBounded() {
        var state = TUIState(title: "deep")
        state.begin(query: TUIQuery(src: "a", dst: "b", port: 80), driver: FakeDriver.chain(count: 200))
        state.press(.char("r"))
        #expect(state.treeText.count == 201)
        #expect(state.treeText.map(\.count).max()! < 120)
    }
}
