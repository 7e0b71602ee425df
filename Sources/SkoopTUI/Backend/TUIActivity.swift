import SkoopModel

/// The status line of work that blocks the TUI inside a step: the nodes of a live cluster being
/// collected ("collecting node2 ... 3.2s"), and those collected or failed since the step began.
///
/// Events may come from any thread; drawing (`refresh()`) happens on the TUI's thread only.
public final class TUIActivity: Sendable {
    private struct Item: Sendable {
        var name: String
        var start: ContinuousClock.Instant
        var seconds: Double?
        var failure: String?
    }

    private let items = Locked<[Item]>([])
    private let display = Locked<(@Sendable (String?) -> Void)?>(nil)

    /// Makes an activity; `runTUI` connects it to the screen.
    public init() {}

    /// Records that collecting `name` started.
    public func started(_ name: String, at instant: ContinuousClock.Instant = .now) {
        let clean = TerminalSafe.strip(name)
        items.withLock { items in
            items.removeAll { $0.name == clean }
            items.append(Item(name: clean, start: instant))
        }
    }

    /// Records that collecting `name` ended after `seconds` (nil `failure`: it succeeded).
    public func finished(_ name: String, seconds: Double, failure: String? = nil) {
        let clean = TerminalSafe.strip(name)
        items.withLock { items in
            if let index = items.lastIndex(where: { $0.name == clean && $0.seconds == nil }) {
                items[index].seconds = seconds
                items[index].failure = failure.map(TerminalSafe.strip)
            } else {
                items.append(Item(name: clean, start: .now, seconds: seconds, failure: failure.map(TerminalSafe.strip)))
            }
        }
    }

    /// Forgets the finished items (a new step begins); running ones stay.
    public func clearFinished() {
        items.withLock { $0.removeAll { $0.seconds != nil } }
    }

    /// Whether anything is running or finished since the last `clearFinished()`.
    public var isEmpty: Bool { items.withLock { $0.isEmpty } }

    /// The status line at `now`: "collecting a ... 1.2s, b ... 0.3s; collected c in 2.0s; no data
    /// for node d after 5.0s: why"; nil when there is nothing to say.
    public func statusText(at now: ContinuousClock.Instant = .now) -> String? {
        let items = self.items.withLock { $0 }
        var parts: [String] = []
        let running = items.filter { $0.seconds == nil }
        if !running.isEmpty {
            parts.append("collecting " + running.map { "\($0.name) ... \(Self.format(seconds: Self.seconds(now - $0.start)))" }
                .joined(separator: ", "))
        }
        let collected = items.filter { $0.seconds != nil && $0.failure == nil }
        if !collected.isEmpty {
            parts.append("collected " + collected.map { "\($0.name) in \(Self.format(seconds: $0.seconds ?? 0))" }
                .joined(separator: ", "))
        }
        for item in items where item.seconds != nil {
            guard let failure = item.failure else { continue }
            parts.append("no data for node \(item.name) after \(Self.format(seconds: item.seconds ?? 0)): \(failure)")
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Redraws the status line now, if the TUI runs (and lets a pending signal end it). Call it
    /// only on the TUI's thread (from inside a step, e.g. while waiting for a node).
    public func refresh() {
        display.withLock { $0 }?(statusText())
    }

    /// The frame shown while a step blocks: `state` as it was before the step, with `status`
    /// on its status line.
    public static func frame(of state: TUIState, status: String, size: Size) -> CellGrid {
        var shown = state
        // Redrawn several times a second while the step blocks: one line, never over the screen.
        shown.post(status, wraps: false)
        return shown.render(size: size)
    }

    /// "0.4s", "59.9s", "1m05s", "61m40s".
    public static func format(seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "0.0s" }
        if seconds < 60 {
            let tenths = Int((seconds * 10).rounded(.down))
            return "\(tenths / 10).\(tenths % 10)s"
        }
        let whole = Int(seconds.rounded(.down))
        let remainder = whole % 60
        return "\(whole / 60)m" + (remainder < 10 ? "0" : "") + "\(remainder)s"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    func setDisplay(_ show: (@Sendable (String?) -> Void)?) {
        display.withLock { $0 = show }
    }
}
