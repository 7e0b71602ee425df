/// Input that Skoop cannot read: names where it is and what was expected there.
public struct InputError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file (or flag, or source) the input came from.
    public var source: String
    /// The 1-based line, when the input is line-oriented or the position is known.
    public var line: Int?
    /// What was expected at that place.
    public var expected: String
    /// A short excerpt of what was found instead, already safe to print.
    public var found: String?

    /// Makes an input error.
    public init(source: String, line: Int? = nil, expected: String, found: String? = nil) {
        self.source = source
        self.line = line
        self.expected = expected
        self.found = found.map { InputError.excerpt($0) }
    }

    /// The same error attributed to another source (a parser learns its file name late).
    public func located(in source: String) -> InputError {
        var copy = self
        copy.source = source
        return copy
    }

    /// One line: "FILE:LINE: expected X, found \"Y\"".
    public var description: String {
        var text = source
        if let line { text += ":\(line)" }
        text += ": expected \(expected)"
        if let found { text += ", found \"\(found)\"" }
        return text
    }

    /// At most 60 printable characters of `text`.
    static func excerpt(_ text: String) -> String {
        let printable = TerminalSafe.strip(text)
        return printable.count > 60 ? String(printable.prefix(57)) + "..." : printable
    }
}
