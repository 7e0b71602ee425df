/// A key press (or terminal event) as the view model sees it, independent of curses.
public enum Key: Hashable, Sendable {
    case char(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab
    /// The terminal changed size (the caller passes the new size with `TUIState.resize(to:)`).
    case resize
    /// A left click at a screen position.
    case click(row: Int, column: Int)

    /// How the key is written in hints and help.
    public var label: String {
        switch self {
        case .char(" "): "space"
        case .char(let character): String(character)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "enter"
        case .escape: "esc"
        case .backspace: "bksp"
        case .tab: "tab"
        case .backTab: "S-tab"
        case .resize: "resize"
        case .click: "click"
        }
    }
}

/// Escape sequences curses did not turn into keys: when TERM does not describe the terminal
/// (TERM=xterm-256color inside tmux, which sends Home as ESC [ 1 ~), curses hands over ESC and
/// then the rest, which would read as esc followed by stray keys.
public enum EscapeSequence {
    /// Whether `text` (what followed ESC so far) needs more characters to be a whole sequence.
    public static func isIncomplete(_ text: String) -> Bool {
        guard let first = text.first else { return true }
        switch first {
        case "[": return text.count < 2 || !isFinal(text.last)
        case "O": return text.count < 2
        default: return false
        }
    }

    /// The keys that ESC followed by `text` means: a cursor or editing key for a CSI/SS3
    /// sequence (nothing for one the TUI does not use), esc alone, or esc and then the keys typed.
    public static func keys(after text: String) -> [Key] {
        guard let first = text.first else { return [.escape] }
        guard first == "[" || first == "O", text.count >= 2 else {
            return [.escape] + text.map { Key.char($0) }
        }
        let body = text.dropFirst()
        if body.last == "~" {
            // ESC [ n ~ (modifiers after a semicolon are ignored).
            let number = body.dropLast().split(separator: ";").first.map(String.init) ?? ""
            let byNumber: [String: Key] = ["1": .home, "7": .home, "4": .end, "8": .end, "5": .pageUp, "6": .pageDown]
            return byNumber[number].map { [$0] } ?? []
        }
        let byFinal: [Character: Key] = ["A": .up, "B": .down, "C": .right, "D": .left, "H": .home, "F": .end,
                                         "Z": .backTab, "M": .enter]
        return body.last.flatMap { byFinal[$0] }.map { [$0] } ?? []
    }

    private static func isFinal(_ character: Character?) -> Bool {
        guard let value = character?.unicodeScalars.first?.value else { return false }
        return (0x40...0x7E).contains(value)
    }
}
