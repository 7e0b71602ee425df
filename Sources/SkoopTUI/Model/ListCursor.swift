/// A selection in a scrolling list: the selected index and the first visible index.
struct ListCursor: Hashable {
    var selection = 0
    var top = 0

    /// Moves by `delta` within `count` items.
    mutating func move(by delta: Int, count: Int) {
        selection = count == 0 ? 0 : min(max(0, selection + delta), count - 1)
    }

    /// Scrolls so the selection is inside a window of `height` rows.
    mutating func reveal(height: Int) {
        guard height > 0 else { return }
        if selection < top { top = selection }
        if selection >= top + height { top = selection - height + 1 }
        top = max(0, top)
    }

    /// The first visible index for a window of `height` rows over `count` items.
    func visibleTop(height: Int, count: Int) -> Int {
        var first = top
        if selection < first { first = selection }
        if selection >= first + height { first = selection - height + 1 }
        return max(0, min(first, max(0, count - height)))
    }
}

/// An incremental search in progress.
struct SearchState: Hashable {
    /// What was typed.
    var query = ""
    /// The selection when the search started (restored by esc).
    var origin: Int
    /// How many rows match.
    var matches = 0
}

/// A one-line prompt on the status line, its text editable (enter accepts, esc cancels).
public struct Prompt: Hashable, Sendable {
    /// What the answer is for.
    public enum Purpose: Hashable, Sendable {
        /// The file `e` writes the report to.
        case exportPath
    }

    /// What is asked, e.g. "export report to: ".
    public var label: String
    /// The answer so far (starts as the default).
    public var text: String
    /// What accepting it does.
    public var purpose: Purpose
}

/// A line on the status bar until the next key.
public struct StatusMessage: Hashable, Sendable {
    /// The text.
    public var text: String
    /// Whether it reports a problem.
    public var isError: Bool
    /// Whether a long message wraps upwards over the screen (else it is cut at the edge).
    public var wraps: Bool

    /// Makes a message.
    public init(text: String, isError: Bool, wraps: Bool = true) {
        self.text = text
        self.isError = isError
        self.wraps = wraps
    }
}

/// Which pane of the main screen has the focus.
public enum Pane: Hashable, Sendable {
    /// The path tree.
    case tree
    /// The detail pane of the selected hop.
    case detail
}
