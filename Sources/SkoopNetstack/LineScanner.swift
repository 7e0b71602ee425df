import SkoopModel

/// Splits line-oriented tool output into numbered, non-empty lines without copying the text.
struct NumberedLines: Sequence {
    let text: String

    func makeIterator() -> AnyIterator<(number: Int, line: Substring)> {
        var number = 0
        var rest = text[...]
        return AnyIterator {
            while !rest.isEmpty {
                number += 1
                let line: Substring
                if let newline = rest.firstIndex(where: \.isLineBreak) {
                    line = rest[..<newline]
                    rest = rest[rest.index(after: newline)...]
                } else {
                    line = rest
                    rest = rest[rest.endIndex...]
                }
                let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
                if !trimmed.allSatisfy(\.isWhitespace) { return (number, trimmed) }
            }
            return nil
        }
    }
}

extension Character {
    /// "\n", or "\r\n" — one Character in Swift, so `split(separator: "\n")` misses it.
    var isLineBreak: Bool { self == "\n" || self == "\r\n" }
}

extension StringProtocol {
    /// The lines of the text, LF or CRLF terminated, empty ones kept (line numbers stay right).
    var lineBreakSplit: [SubSequence] { split(omittingEmptySubsequences: false, whereSeparator: \.isLineBreak) }
}

extension Substring {
    /// The whitespace-separated fields of the line.
    var fields: [Substring] { split(whereSeparator: { $0 == " " || $0 == "\t" }) }
}

/// Rejects input that is not text: NUL bytes mean binary garbage, not a tool's output.
func requireText(_ text: String, source: String, expected: String) throws(InputError) {
    var line = 1
    for scalar in text.unicodeScalars {
        if scalar == "\n" { line += 1 }
        if scalar.value == 0 {
            throw InputError(source: source, line: line, expected: expected, found: "binary data (NUL byte)")
        }
    }
}
