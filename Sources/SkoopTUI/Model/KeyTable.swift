import SkoopModel

/// What a key does: the handler a binding names, performed by `TUIState.perform(_:)`.
public enum Command: Hashable, Sendable {
    case stepForward, runToEnd, stepBack, firstStep, lastStep
    case moveUp, moveDown, pageUp, pageDown, moveHome, moveEnd
    case expand, collapse, cyclePane, back
    case toggleWrap, scrollLeft, scrollRight, narrowTree, widenTree, autoSplit
    case openRules, openRuleset, toggleRuleset, openSuspicions, activate, nextMatch, previousMatch
    case cycleFilter, setFilter(SuspicionLevel)
    case search, commandMode, copy, export, help, quit
    case toggleRule, undo
    /// The reachability matrix (`M`), and a column left or right in it.
    case openMatrix, moveLeft, moveRight
}

/// One key binding: the keys, how they are written, what they do, and whether the status line shows it.
public struct KeyBinding: Hashable, Sendable {
    /// The keys that trigger it.
    public var keys: [Key]
    /// How the keys are written in hints and help ("n/space").
    public var label: String
    /// What it does, in a few words.
    public var description: String
    /// The handler.
    public var command: Command
    /// Whether the status line lists it.
    public var showInStatus: Bool

    /// Makes a binding; the label defaults to the keys' labels joined with "/".
    public init(_ keys: [Key], _ description: String, _ command: Command, status: Bool = false, label: String? = nil) {
        self.keys = keys
        self.label = label ?? keys.map(\.label).joined(separator: "/")
        self.description = description
        self.command = command
        self.showInStatus = status
    }
}

/// The screens of the TUI.
public enum Screen: Hashable, Sendable {
    /// Suggested queries, when opened without one.
    case start
    /// The path tree and detail pane.
    case main
    /// The netfilter trace (or full ruleset) of one hop.
    case rules
    /// Every suspicion, filtered by level.
    case suspicions
    /// The what-if edits and what they changed (`:edits`).
    case edits
    /// The current query on two snapshots, side by side (`:diff DIR`).
    case diff
    /// Who can reach whom: source classes by destinations (`M`, `:matrix`).
    case matrix
}

/// The key tables, one per screen: they drive key handling, the status line and the help overlay.
public enum KeyTable {
    private static let filterKeys: [KeyBinding] = [
        KeyBinding([.char("f")], "cycle minimum level", .cycleFilter, status: true),
        KeyBinding([.char("1")], "show all levels", .setFilter(.info)),
        KeyBinding([.char("2")], "warning and worse", .setFilter(.warning)),
        KeyBinding([.char("3")], "critical and worse", .setFilter(.critical)),
        KeyBinding([.char("4")], "fatal only", .setFilter(.fatal)),
    ]

    private static let common: [KeyBinding] = [
        KeyBinding([.char(":")], "command line (:diag ...)", .commandMode),
        KeyBinding([.char("?")], "help", .help, status: true),
        KeyBinding([.char("q")], "quit", .quit, status: true),
    ]

    private static let movement: [KeyBinding] = [
        KeyBinding([.up, .char("k")], "move up", .moveUp),
        KeyBinding([.down, .char("j")], "move down", .moveDown),
        KeyBinding([.pageUp, .pageDown], "page up/down", .pageUp, label: "PgUp/PgDn"),
        KeyBinding([.home, .end], "top/bottom", .moveHome, label: "Home/End"),
    ]

    /// Lists also go to the top and bottom with g and G.
    private static let listMovement: [KeyBinding] = movement + [
        KeyBinding([.char("g")], "top", .moveHome),
        KeyBinding([.char("G")], "bottom", .moveEnd),
        KeyBinding([.char("<"), .char(">")], "scroll sideways", .scrollLeft, label: "</>"),
    ]

    /// The main screen: path tree and detail pane.
    public static let main: [KeyBinding] = [
        KeyBinding([.char("n"), .char(" ")], "next step", .stepForward, status: true),
        KeyBinding([.char("p"), .backspace], "step back", .stepBack, status: true),
        KeyBinding([.char("N"), .char("r")], "run to end", .runToEnd, status: true),
        KeyBinding([.char("g")], "first step", .firstStep),
        KeyBinding([.char("G")], "last step", .lastStep),
    ] + movement + [
        KeyBinding([.enter, .char("l"), .right], "expand/collapse hop", .expand, status: true, label: "enter/l"),
        KeyBinding([.char("h"), .left], "collapse / parent", .collapse),
        KeyBinding([.tab], "switch pane", .cyclePane),
        KeyBinding([.char("<"), .char(">")], "scroll pane sideways", .scrollLeft, label: "</>"),
        KeyBinding([.char("w")], "wrap detail lines on/off", .toggleWrap),
        KeyBinding([.char("["), .char("]")], "narrower/wider tree", .narrowTree, label: "[/]"),
        KeyBinding([.char("=")], "tree size to fit", .autoSplit),
        KeyBinding([.escape], "back (to query picker)", .back),
        KeyBinding([.char("i")], "rules of hop", .openRules, status: true),
        KeyBinding([.char("a")], "whole ruleset of hop", .openRuleset),
        KeyBinding([.char("s")], "suspicion list", .openSuspicions, status: true),
        KeyBinding([.char("M")], "reachability matrix", .openMatrix),
    ] + filterKeys + [
        KeyBinding([.char("/")], "search hops, addresses", .search),
        KeyBinding([.char("y")], "copy hop", .copy),
        KeyBinding([.char("e")], "export report", .export),
        KeyBinding([.char("u")], "undo last what-if edit", .undo),
    ] + common

    /// The rules browser.
    public static let rules: [KeyBinding] = listMovement + [
        KeyBinding([.enter], "open jump target or set", .activate, status: true),
        KeyBinding([.char("a")], "trace / whole ruleset", .toggleRuleset, status: true),
        KeyBinding([.char("/")], "search rules", .search, status: true),
        KeyBinding([.char("n")], "next match", .nextMatch),
        KeyBinding([.char("N")], "previous match", .previousMatch),
        KeyBinding([.char("y")], "copy rule", .copy),
        KeyBinding([.char("x")], "disable/re-enable rule (what-if)", .toggleRule, status: true),
        KeyBinding([.char("u")], "undo last what-if edit", .undo),
        KeyBinding([.escape, .char("h"), .left], "back", .back, status: true, label: "esc"),
    ] + common

    /// The suspicion list.
    public static let suspicions: [KeyBinding] = listMovement + [
        KeyBinding([.enter], "jump to hop", .activate, status: true),
        KeyBinding([.escape, .char("h"), .left], "back", .back, status: true, label: "esc"),
    ] + filterKeys + [
        KeyBinding([.char("y")], "copy suspicion (its fix YAML, if any)", .copy),
    ] + common

    /// The start screen.
    public static let start: [KeyBinding] = listMovement + [
        KeyBinding([.enter], "diagnose this query", .activate, status: true),
        KeyBinding([.escape], "back to the diagnosis", .back),
        KeyBinding([.char("M")], "reachability matrix", .openMatrix),
    ] + common

    /// The what-if edits list.
    public static let edits: [KeyBinding] = listMovement + [
        KeyBinding([.char("u")], "undo last edit", .undo, status: true),
        KeyBinding([.escape, .char("h"), .left], "back", .back, status: true, label: "esc"),
    ] + common

    /// The snapshot diff.
    public static let diff: [KeyBinding] = listMovement + [
        KeyBinding([.escape, .char("h"), .left], "back", .back, status: true, label: "esc"),
    ] + common

    /// The reachability matrix: rows are sources, columns destinations.
    public static let matrix: [KeyBinding] = movement + [
        KeyBinding([.char("g")], "first row", .moveHome),
        KeyBinding([.char("G")], "last row", .moveEnd),
        KeyBinding([.left, .char("h")], "previous column", .moveLeft),
        KeyBinding([.right, .char("l")], "next column", .moveRight),
        KeyBinding([.char("<"), .char(">")], "page of columns", .scrollLeft, label: "</>"),
        KeyBinding([.enter], "step through the cell's diagnosis", .activate, status: true),
        KeyBinding([.char("y")], "copy cell (skoop diagnose line)", .copy),
        KeyBinding([.escape], "back", .back, status: true, label: "esc"),
    ] + common

    /// The table of a screen.
    public static func bindings(for screen: Screen) -> [KeyBinding] {
        switch screen {
        case .start: start
        case .main: main
        case .rules: rules
        case .suspicions: suspicions
        case .edits: edits
        case .diff: diff
        case .matrix: matrix
        }
    }

    /// The command a key triggers on a screen, if any.
    public static func command(for key: Key, on screen: Screen) -> Command? {
        // A pair binding ("PgUp/PgDn") names its first command; the second key does the opposite.
        let pairs: [Key: (first: Command, second: Command)] = [
            .pageDown: (.pageUp, .pageDown), .end: (.moveHome, .moveEnd), .char(">"): (.scrollLeft, .scrollRight),
            .char("]"): (.narrowTree, .widenTree),
        ]
        if let pair = pairs[key] {
            return bindings(for: screen).contains { $0.command == pair.first } ? pair.second : nil
        }
        return bindings(for: screen).first { $0.keys.contains(key) }?.command
    }
}
