import SkoopModel
import SkoopDiagnosis
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
    /// Where `e` offers to write its report (the user may edit it first); default "skoop-report.txt".
    public var exportPath: String
    /// Where `y` also writes the copied text, besides OSC 52; nil for OSC 52 only.
    public var clipboardPath: String?
    /// Lets slow work inside a step (collecting a live node) show a status line meanwhile.
    public var activity: TUIActivity?
    /// Runs when a signal (SIGINT, SIGTERM, SIGHUP) ends the TUI, after the terminal is restored
    /// and before the process dies (e.g. deleting a live cluster's collector pods, bounded).
    public var onSignal: (@Sendable (Int32) -> Void)?
    /// Turns an edit asked for on a hop into a checked edit (errors name what exists); nil: no what-if.
    public var makeEdit: ((WhatIfRequest) throws -> WhatIfEdit)?
    /// Makes the driver of a query on the state the edits leave (Skoop's copy; nothing is applied).
    public var makeWhatIfDriver: ((TUIQuery, [WhatIfEdit]) throws -> any DiagnosisDriver)?
    /// Diagnoses a query on this snapshot and on another one (`:diff DIR`).
    public var makeDiff: ((TUIQuery, String) throws -> FlowDiff)?
    /// Builds the reachability matrix asked for (`M`, `:matrix`); nil: no matrix here.
    public var makeMatrix: ((MatrixRequest) throws -> ReachabilityMatrix)?
    /// Edits to start with (`--what-if FILE`).
    public var initialEdits: [WhatIfEdit] = []

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
    let onSignal = configuration.onSignal
    var state = TUIState(configuration: configuration, glyphs: terminal.isUTF8 && !configuration.ascii ? .unicode : .ascii)
    // While a step blocks (a live node is collected), the activity redraws the screen as it was
    // before the step with its status line, and a signal still ends the TUI (the step's state
    // cannot be touched meanwhile: it is being mutated).
    let frameBeforeStep = FrameBeforeStep(state)
    nonisolated(unsafe) let drawingTerminal = terminal
    configuration.activity?.setDisplay { text in
        drawingTerminal.dieIfSignalled(then: onSignal)
        guard let text else { return }
        drawingTerminal.draw(TUIActivity.frame(of: frameBeforeStep.state, status: text, size: drawingTerminal.size))
    }
    defer { configuration.activity?.setDisplay(nil) }
    /// Runs a step that may block in the activity, then shows what the activity did meanwhile.
    func blocking(_ step: () -> Void) {
        guard let activity = configuration.activity else { return step() }
        frameBeforeStep.state = state
        activity.clearFinished()
        step()
        if state.message == nil, let text = activity.statusText() { state.post(text) }
        activity.clearFinished()
    }
    var pending = TUIState.openingEffects(configuration)
    while true {
        for effect in pending {
            switch effect {
            case .quit:
                return
            case .startDiagnosis, .makeEdit, .rediagnose, .openDiff, .openMatrix:
                // Making a driver may collect a live node already.
                blocking { state.performDiagnosis(effect, configuration: configuration) }
            case .write(let path, let text, let what):
                if writeFile(path, text) {
                    state.post("wrote \(what) to \(path)")
                } else {
                    state.post("cannot write \(path): \(String(cString: strerror(errno)))", isError: true)
                }
            case .copy(let text):
                let raw = Clipboard.osc52(text)
                if let path = configuration.clipboardPath { _ = writeFile(path, text) }
                state.post("copied \(text.count) characters (OSC 52)")
                terminal.draw(state.render(size: terminal.size))
                terminal.writeRaw(raw)
                continue
            case .export(let path, let report):
                if writeFile(path, report) {
                    state.post("report written to \(path)")
                } else {
                    state.post("cannot write \(path): \(String(cString: strerror(errno)))", isError: true)
                }
            }
        }
        var size = terminal.size
        state.resize(to: size)
        terminal.draw(state.render(size: size))
        var key = terminal.readKey()
        terminal.dieIfSignalled(then: onSignal)
        while key == nil {
            // No key within the read timeout: redraw only when the terminal changed size.
            if terminal.size != size { break }
            key = terminal.readKey()
            terminal.dieIfSignalled(then: onSignal)
        }
        size = terminal.size
        guard let key else { pending = []; continue }
        var effects: [Effect] = []
        blocking { effects = state.handle(key) }
        pending = effects
    }
}

/// The first frame `runTUI` draws for `configuration` at `size`, made the same way without a
/// terminal: the state the configuration gives, its opening query diagnosed (the first step
/// taken), the frame rendered. The state is returned with it (e.g. to tell an error on the
/// status line from a diagnosis shown).
public func renderFirstFrame(configuration: TUIConfiguration, size: Size, glyphs: GlyphSet = .unicode) -> (state: TUIState, frame: CellGrid) {
    var state = TUIState(configuration: configuration, glyphs: glyphs)
    for effect in TUIState.openingEffects(configuration) { state.performDiagnosis(effect, configuration: configuration) }
    state.resize(to: size)
    return (state, state.render(size: size))
}

extension TUIState {
    /// The state `runTUI` starts from.
    init(configuration: TUIConfiguration, glyphs: GlyphSet) {
        self.init(title: configuration.snapshotTitle, suggestions: configuration.suggestedQueries,
                  completionNames: configuration.completionNames, rulesetProvider: configuration.rulesetProvider,
                  glyphs: glyphs, exportPath: configuration.exportPath, edits: configuration.initialEdits)
    }

    /// What `runTUI` does before its first frame: diagnose the initial query, if any.
    static func openingEffects(_ configuration: TUIConfiguration) -> [Effect] {
        configuration.initialQuery.map { [.startDiagnosis($0)] } ?? []
    }

    /// Performs an effect that diagnoses (a query, an edit, an undo, a diff) with the caller's
    /// drivers; a failure is shown on the status line.
    mutating func performDiagnosis(_ effect: Effect, configuration: TUIConfiguration) {
        do {
            switch effect {
            case .startDiagnosis(let query):
                do {
                    try diagnose(query, edits: edits, configuration: configuration)
                } catch {
                    post("cannot diagnose \(query): \(error)", isError: true)
                }
            case .makeEdit(let request):
                guard let makeEdit = configuration.makeEdit else { throw WhatIfUnavailable() }
                try rediagnose(edits + [try makeEdit(request)], configuration: configuration)
            case .rediagnose(let edits):
                try rediagnose(edits, configuration: configuration)
            case .openDiff(let snapshot, let query):
                guard let makeDiff = configuration.makeDiff else { throw WhatIfUnavailable() }
                do {
                    showDiff(try makeDiff(query, snapshot), snapshot: snapshot)
                } catch {
                    post("cannot diff with \(snapshot): \(error)", isError: true)
                }
            case .openMatrix(let request):
                guard let makeMatrix = configuration.makeMatrix else {
                    throw TUIUnavailable(description: "the reachability matrix needs a snapshot")
                }
                do {
                    showMatrix(try makeMatrix(request), request: request)
                } catch {
                    post("cannot build the matrix (\(request)): \(error)", isError: true)
                }
            default:
                break
            }
        } catch {
            post("\(error)", isError: true)
        }
    }

    /// Diagnoses `query` on the state `edits` leave, compared with the unedited diagnosis.
    private mutating func diagnose(_ query: TUIQuery, edits: [WhatIfEdit], configuration: TUIConfiguration) throws {
        guard !edits.isEmpty || (whatIf != nil && self.query == query) else {
            return begin(query: query, driver: try configuration.makeDriver(query))
        }
        guard let makeWhatIfDriver = configuration.makeWhatIfDriver else { throw WhatIfUnavailable() }
        let baseline = needsBaseline(for: query) ? try configuration.makeDriver(query) : nil
        let driver = edits.isEmpty ? try configuration.makeDriver(query) : try makeWhatIfDriver(query, edits)
        begin(query: query, edits: edits, driver: driver, baseline: baseline)
    }

    /// Re-runs the current query with `edits` (or keeps them for the next diagnosis).
    private mutating func rediagnose(_ edits: [WhatIfEdit], configuration: TUIConfiguration) throws {
        guard let query else { return keepEdits(edits) }
        try diagnose(query, edits: edits, configuration: configuration)
    }
}

/// What-if and diff need a snapshot (the caller gives no edit maker).
private struct WhatIfUnavailable: Error, CustomStringConvertible {
    var description: String { "what-if edits and diffs are not available here" }
}

/// A feature the caller did not provide.
private struct TUIUnavailable: Error, CustomStringConvertible {
    var description: String
}

/// The state shown while a step blocks; only the TUI's thread touches it.
private final class FrameBeforeStep: @unchecked Sendable {
    var state: TUIState
    init(_ state: TUIState) { self.state = state }
}

private func writeFile(_ path: String, _ text: String) -> Bool {
    guard let file = fopen(path, "w") else { return false }
    defer { fclose(file) }
    let bytes = Array(text.utf8)
    return bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) } == bytes.count
}
