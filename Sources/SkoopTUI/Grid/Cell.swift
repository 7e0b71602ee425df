import SkoopModel

/// A terminal size in cells.
public struct Size: Hashable, Sendable, CustomStringConvertible {
    /// Width in columns.
    public var columns: Int
    /// Height in rows.
    public var rows: Int

    /// Makes a size.
    public init(columns: Int, rows: Int) {
        self.columns = columns
        self.rows = rows
    }

    public var description: String { "\(columns)x\(rows)" }
}

/// What a cell's colour means; the backend maps each role to a colour pair (or to nothing).
public enum ColorRole: Int, Hashable, Sendable, CaseIterable {
    case normal
    case dim
    case accent
    case title
    case key
    case newest
    case fatal
    case critical
    case warning
    case info
    case served
    case dropped
    case unknown
    case matched
    case error
}

/// How a cell is drawn: colour roles plus attributes that work without colour.
public struct CellStyle: Hashable, Sendable {
    /// Foreground role.
    public var foreground: ColorRole
    /// Background role; nil keeps the terminal's own background.
    public var background: ColorRole?
    /// Bold.
    public var bold: Bool
    /// Reverse video (selection, header bar).
    public var reverse: Bool
    /// Underline.
    public var underline: Bool

    /// Makes a style.
    public init(_ foreground: ColorRole = .normal, background: ColorRole? = nil, bold: Bool = false,
                reverse: Bool = false, underline: Bool = false) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.reverse = reverse
        self.underline = underline
    }

    /// The terminal's default look.
    public static let plain = CellStyle()

    /// This style in bold.
    public var bolded: CellStyle { var copy = self; copy.bold = true; return copy }
    /// This style with reverse video toggled on.
    public var reversed: CellStyle { var copy = self; copy.reverse = true; return copy }
}

/// One screen cell: a character and its style.
public struct Cell: Hashable, Sendable {
    /// The character shown.
    public var character: Character
    /// How it is drawn.
    public var style: CellStyle
    /// True for the right half of a double-width character (the backend skips it).
    public var isContinuation: Bool

    /// Makes a cell.
    public init(character: Character = " ", style: CellStyle = .plain, isContinuation: Bool = false) {
        self.character = character
        self.style = style
        self.isContinuation = isContinuation
    }

    /// Columns a character takes on a terminal: 2 for East Asian wide and emoji, else 1.
    public static func displayWidth(of character: Character) -> Int {
        guard let scalar = character.unicodeScalars.first else { return 0 }
        switch scalar.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }
}

/// A run of text in one style.
public struct Span: Hashable, Sendable {
    /// The text (stripped of control characters when placed in a grid).
    public var text: String
    /// Its style.
    public var style: CellStyle

    /// Makes a span.
    public init(_ text: String, _ style: CellStyle = .plain) {
        self.text = text
        self.style = style
    }
}

/// A line of styled spans.
public typealias StyledLine = [Span]
