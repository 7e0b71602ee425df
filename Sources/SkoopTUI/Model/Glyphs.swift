import SkoopModel

/// The characters used for tree lines, markers and levels: Unicode, or ASCII for non-UTF-8 locales.
public struct GlyphSet: Hashable, Sendable {
    /// Branch with siblings below ("├─").
    public var tee: String
    /// Last branch ("└─").
    public var corner: String
    /// Continuing line of an ancestor ("│ ").
    public var pipe: String
    /// Arrow between hops.
    public var arrow: String
    /// Vertical pane separator.
    public var vertical: String
    /// Horizontal pane separator.
    public var horizontal: String
    /// Marker of a served branch.
    public var served: String
    /// Marker of a dropped branch.
    public var dropped: String
    /// Marker of a branch whose end is unknown.
    public var unknown: String
    /// Marker of a branch not walked yet at this step.
    public var pending: String
    /// Marker of an expanded row.
    public var expanded: String
    /// Marker of a collapsed row.
    public var collapsed: String
    /// One glyph per suspicion level, info first.
    public var levels: [String]
    /// Whether only ASCII may be drawn (the TUI's own words then avoid arrows and dashes too).
    public var asciiOnly = false

    /// Box drawing and symbols, for UTF-8 terminals.
    public static let unicode = GlyphSet(
        tee: "├─", corner: "└─", pipe: "│ ", arrow: "→", vertical: "│", horizontal: "─",
        served: "✔ served", dropped: "✖ dropped", unknown: "? unknown", pending: "… pending",
        expanded: "▾", collapsed: "▸", levels: ["i", "!", "▲", "✖"])

    /// Plain ASCII, for terminals whose locale is not UTF-8.
    public static let ascii = GlyphSet(
        tee: "|-", corner: "`-", pipe: "| ", arrow: "->", vertical: "|", horizontal: "-",
        served: "+ served", dropped: "x dropped", unknown: "? unknown", pending: ". pending",
        expanded: "v", collapsed: ">", levels: ["I", "W", "C", "F"], asciiOnly: true)

    /// The TUI's own text for this glyph set: with `asciiOnly`, arrows, dashes, ellipses and box
    /// lines become ASCII (data is left alone; only what the TUI writes itself goes through here).
    public func text(_ text: String) -> String {
        asciiOnly ? GlyphSet.asciiText(text) : text
    }

    /// `text` with the TUI's arrows, dashes, ellipses and box lines in ASCII.
    static func asciiText(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        var result = ""
        for character in text {
            switch character {
            case "→": result += "->"
            case "←": result += "<-"
            case "↑": result += "up"
            case "↓": result += "down"
            case "—", "–", "─": result += "-"
            case "│": result += "|"
            case "…": result += "..."
            case "●": result += "*"
            case "┌", "┐", "└", "┘": result += "+"
            default: result.append(character)
            }
        }
        return result
    }

    /// The glyph and short word of a level, e.g. "✖ FATAL" or "F FATAL".
    public func label(_ level: SuspicionLevel) -> String {
        levels[level.rawValue] + " " + GlyphSet.word(level)
    }

    /// The short upper-case word of a level.
    public static func word(_ level: SuspicionLevel) -> String {
        switch level {
        case .info: "INFO"
        case .warning: "WARN"
        case .critical: "CRIT"
        case .fatal: "FATAL"
        }
    }

    /// The colour role of a level.
    public static func role(_ level: SuspicionLevel) -> ColorRole {
        switch level {
        case .info: .info
        case .warning: .warning
        case .critical: .critical
        case .fatal: .fatal
        }
    }
}
