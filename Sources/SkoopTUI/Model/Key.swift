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
