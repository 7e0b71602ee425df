import Testing
import SkoopModel
import SkoopTUI

@Suite("TUI activity: the status line of live node collections")
struct ActivityTests {
    let t0 = ContinuousClock.now

    @Test("elapsed time: tenths below a minute (never rounded up), then minutes and seconds")
    func format() {
        #expect(TUIActivity.format(seconds: 0) == "0.0s")
        #expect(TUIActivity.format(seconds: 0.09) == "0.0s")
        #expect(TUIActivity.format(seconds: 3.25) == "3.2s")
        #expect(TUIActivity.format(seconds: 59.99) == "59.9s")
        #expect(TUIActivity.format(seconds: 60) == "1m00s")
        #expect(TUIActivity.format(seconds: 65.7) == "1m05s")
        #expect(TUIActivity.format(seconds: 3700) == "61m40s")
        #expect(TUIActivity.format(seconds: -1) == "0.0s")
        #expect(TUIActivity.format(seconds: .nan) == "0.0s")
        #expect(TUIActivity.format(seconds: .infinity) == "0.0s")
    }

    @Test("one node being collected: its name and the time so far")
    func oneNode() {
        let activity = TUIActivity()
        #expect(activity.statusText(at: t0) == nil)
        #expect(activity.isEmpty)
        activity.started("node2", at: t0)
        #expect(activity.statusText(at: t0) == "collecting node2 ... 0.0s")
        #expect(activity.statusText(at: t0 + .milliseconds(3250)) == "collecting node2 ... 3.2s")
        #expect(activity.statusText(at: t0 + .seconds(75)) == "collecting node2 ... 1m15s")
    }

    @Test("several nodes at once, in the order they started; finished and failed ones after them")
    func severalNodes() {
        let activity = TUIActivity()
        activity.started("node1", at: t0)
        activity.started("node3", at: t0 + .seconds(1))
        activity.started("node2", at: t0 + .milliseconds(1500))
        let now = t0 + .milliseconds(2500)
        #expect(activity.statusText(at: now) == "collecting node1 ... 2.5s, node3 ... 1.5s, node2 ... 1.0s")
        activity.finished("node3", seconds: 1.2)
        #expect(activity.statusText(at: now) == "collecting node1 ... 2.5s, node2 ... 1.0s; collected node3 in 1.2s")
        activity.finished("node1", seconds: 2.6, failure: "collector pod skoop-collector-node1-ab did not finish within 2s (Pending)")
        activity.finished("node2", seconds: 0.8)
        #expect(activity.statusText(at: now) == "collected node3 in 1.2s, node2 in 0.8s; no data for node node1 after 2.6s: "
                + "collector pod skoop-collector-node1-ab did not finish within 2s (Pending)")
        activity.clearFinished()
        #expect(activity.statusText(at: now) == nil)
        #expect(activity.isEmpty)
    }

    @Test("clearing keeps the running nodes; a node started again is listed once")
    func clearKeepsRunning() {
        let activity = TUIActivity()
        activity.started("node1", at: t0)
        activity.started("node2", at: t0)
        activity.finished("node2", seconds: 0.5)
        activity.clearFinished()
        #expect(activity.statusText(at: t0 + .seconds(2)) == "collecting node1 ... 2.0s")
        activity.started("node1", at: t0 + .seconds(1))
        #expect(activity.statusText(at: t0 + .seconds(2)) == "collecting node1 ... 1.0s")
        // A finish without a start (events from another thread arriving late) is still shown.
        activity.finished("node9", seconds: 0.3)
        #expect(activity.statusText(at: t0 + .seconds(2)) == "collecting node1 ... 1.0s; collected node9 in 0.3s")
    }

    @Test("control characters in node names and failures are made visible, never sent to the terminal")
    func controlCharacters() throws {
        let activity = TUIActivity()
        activity.started("evil\u{1B}[2J\u{07}node\u{9B}31m\u{202E}", at: t0)
        let running = try #require(activity.statusText(at: t0 + .seconds(1)))
        #expect(running == "collecting evil^[[2J^Gnode?31m? ... 1.0s")
        activity.finished("evil\u{1B}[2J\u{07}node\u{9B}31m\u{202E}", seconds: 1, failure: "pod says \u{1B}]52;c;ZXZpbA==\u{07}\nbye")
        let failed = try #require(activity.statusText(at: t0 + .seconds(1)))
        #expect(failed == "no data for node evil^[[2J^Gnode?31m? after 1.0s: pod says ^[]52;c;ZXZpbA==^G^Jbye")
        #expect(!failed.unicodeScalars.contains(where: TerminalSafe.isControl))
    }

    @Test("the blocked step's frame: the screen as before the step, the activity on the status line")
    func frameShowsStatusLine() throws {
        let state = demoState(size: Size(columns: 80, rows: 24))
        let activity = TUIActivity()
        activity.started("node2", at: t0)
        let status = try #require(activity.statusText(at: t0 + .milliseconds(1234)))
        let frame = TUIActivity.frame(of: state, status: status, size: Size(columns: 80, rows: 24))
        let plain = state.render(size: Size(columns: 80, rows: 24))
        #expect(frame.lines.last?.hasPrefix("collecting node2 ... 1.2s") == true)
        #expect(Array(frame.lines.dropLast()) == Array(plain.lines.dropLast()))
        #expect(frame[23, 0].style.foreground == .accent)
        // Narrow terminals cut the line; they never wrap it over the screen.
        let narrow = TUIActivity.frame(of: state, status: status + "; collected node1 in 0.4s", size: Size(columns: 40, rows: 12))
        #expect(narrow.lines.count == 12)
        #expect(narrow.lines.last == "collecting node2 ... 1.2s; collected nod")
    }
}
