/// JSON that is not well formed: where (byte offset and 1-based line), what was expected there and
/// what was found instead.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of mistake it is, for callers that word some of them their own way.
    public enum Problem: Hashable, Sendable {
        /// The input holds nothing but whitespace.
        case emptyInput
        /// The input stops before the document is complete.
        case truncated
        /// The input stops inside a string: its closing quote is missing.
        case unterminatedString
        /// Something other than what was expected stands at the offset.
        case unexpectedContent
        /// Something follows the complete document, e.g. a tool's error message.
        case trailingContent
        /// Arrays and objects are nested deeper than ``JSONDocument/maximumDepth``.
        case tooDeep
    }

    /// What kind of mistake it is.
    public var problem: Problem
    /// The name of the input, for messages.
    public var source: String
    /// The byte offset of the mistake (the input's length when it ends early).
    public var offset: Int
    /// The 1-based line of the mistake.
    public var line: Int
    /// What was expected there, e.g. "',' or ']' in an array".
    public var expected: String
    /// Raw text from the offset to the end of its line; nil at the end of the input.
    public var found: String?

    init(_ problem: Problem, at offset: Int, expected: String) {
        self.problem = problem
        self.source = ""
        self.offset = offset
        self.line = 1
        self.expected = expected
        self.found = nil
    }

    /// The error as Skoop reports bad input: "empty input" or "end of input" when nothing was found.
    public var inputError: InputError {
        let nothing = problem == .emptyInput ? "empty input" : "end of input"
        return InputError(source: source, line: line, expected: expected, found: found ?? nothing)
    }

    /// "SOURCE:LINE: expected X, found \"Y\"".
    public var description: String { inputError.description }
}
