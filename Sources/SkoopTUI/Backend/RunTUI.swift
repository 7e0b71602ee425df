import SkoopModel
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything `runTUI` needs from the executable.
public struct TUIConfiguration {
    /// Makes the diagnosis driver for a query (throws a user-facing error, e.g. an unknown pod).
    public var makeDriver: (TUIQuery) throws -> any DiagnosisDriver
    /// The snapshot's name, shown in the header.
    public var snapshotTitle: String
    /// The query to start with; nil opens the start screen.
    public var initialQuery: TUIQuery?
    /// Queries the start screen offers.
    public var suggestedQueries: [SuggestedQuery]
    /// Names `:diag` completes with tab.
    public var completionNames: [String]
    /// The full ruleset behind a hop, for the rules browser's `a` view.
    public var rulesetProvider: RulesetProvider?
    /// No colours (also when the NO_COLOR environment variable is set and not empty).
    public var noColor: Bool
    /// Don't enable the mouse.
    public var noMouse: Bool
    /// ASCII glyphs even on a UTF-8 terminal.
    public var ascii: Bool
    /// Where `e` writes its report (a file path); default "skoop-report.txt".
    public var exportPath: String
    /// Where `y` also writes the copied text, besides OSC 52; nil for OSC 52 only.
    public var clipboardPath: String?
    /// Lets slow work inside a step (collecting a live node) show a status line meanwhile.
    public var activity: TUIActivity?

    /// Makes a configuration.
    public init(makeDriver: @escaping (TUIQuery) throws -> any DiagnosisDriver, snapshotTitle: String,
                initialQuery: TUIQuery? = nil, suggestedQueries: [SuggestedQuery] = [], completionNames: [String] = [],
                rulesetProvider: RulesetProvider? = nil, noColor: Bool = false, noMouse: Bool = false,
                ascii: Bool = false, exportPath: String = "skoop-report.txt", clipboardPath: String? = nil) {
        self.makeDriver = makeDriver
        self.snapshotTitle = snapshotTitle
        self.initialQuery = initialQuery
        self.suggestedQueries = suggestedQueries
        self.completionNames = completionNames
        self.rulesetProvider = rulesetProvider
        self.noColor = noColor
        self.noMouse = noMouse
        self.ascii = ascii
        self.exportPath = exportPath
        self.clipboardPath = clipboardPath
    }
}

/// A status line for work that blocks the TUI inside a step (e.g. "collecting node2 ... 3.2s").
public final class TUIActivity: Sendable {
    private let display = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Makes an activity; `runTUI` connects it to the screen.
    public init() {}

    /// Shows `text` on the bottom line now. Call it only on the TUI's thread (from inside a step).
    public func post(_ text: String) {
        display.withLock { $0 }?(TerminalSafe.strip(text))
    }

    fileprivate func setDisplay(_ show: (@Sendable (String) -> Void)?) {
        display.withLock { $0 = show }
    }
}

/// Why the TUI could not run.
public enum TUIError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Standard input or output is not a terminal.
    case notATerminal
    /// curses could not start on this terminal (unknown $TERM).
    case terminalUnavailable

    public var description: String {
        switch self {
        case .notATerminal: "the TUI needs a terminal on standard input and output"
        case .terminalUnavailable: "cannot start the terminal UI: is $TERM set to a known terminal?"
        }
    }
}

/// Runs the TUI until the user quits; the terminal is restored on every way out.
public func runTUI(configuration: TUIConfiguration) throws {
    guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else { throw TUIError.notATerminal }
    let environmentNoColor = getenv("NO_COLOR").map { String(cString: $0).isEmpty == false } ?? false
    let terminal = try NCursesTerminal(noColor: configuration.noColor || environmentNoColor, mouse: !configuration.noMouse)
    defer { terminal.close() }
    nonisolated(unsafe) let drawingTerminal = terminal
    configuration.activity?.setDisplay { text in drawingTerminal.drawStatusLine(text) }
    defer { configuration.activity?.setDisplay(nil) }
    var state = TUIState(title: configuration.snapshotTitle, suggestions: configuration.suggestedQueries,
                         completionNames: configuration.completionNames, rulesetProvider: configuration.rulesetProvider,
                         glyphs: terminal.isUTF8 && !configuration.ascii ? .unicode : .ascii)
    var pending: [Effect] = configuration.initialQuery.map { [.startDiagnosis($0)] } ?? []
    while true {
        for effect in pending {
            switch effect {
            case .quit:
                return
            case .startDiagnosis(let query):
                do {
                    state.begin(query: query, driver: try configuration.makeDriver(query))
                } catch {
                    state.post("cannot diagnose \(query): \(error)", isError: true)
                }
            case .copy(let text):
                let raw = Clipboard.osc52(text)
                if let path = configuration.clipboardPath { _ = writeFile(path, text) }
                state.post("copied \(text.count) characters (OSC 52)")
                terminal.draw(state.render(size: terminal.size))
                terminal.writeRaw(raw)
                continue
            case .export(let report):
                if writeFile(configuration.exportPath, report) {
                    state.post("report written to \(configuration.exportPath)")
                } else {
                    state.post("cannot write \(configuration.exportPath)", isError: true)
                }
            }
        }
        var size = terminal.size
        state.resize(to: size)
        terminal.draw(state.render(size: size))
        var key = terminal.readKey()
        terminal.dieIfSignalled()
        while key == nil {
            // No key within the read timeout: redraw only when the terminal changed size.
            if terminal.size != size { break }
            key = terminal.readKey()
            terminal.dieIfSignalled()
        }
        size = terminal.size
        guard let key else { pending = []; continue }
        pending = state.handle(key)
    }
}

private func writeFile(_ path: String, _ text: String) -> Bool {
    guard let file = fopen(path, "w") else { return false }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } == bytes.count
}
