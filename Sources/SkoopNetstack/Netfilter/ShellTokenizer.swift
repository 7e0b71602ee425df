/// Splits a line into words the way a shell would for iptables-save output: whitespace
/// separates, double or single quotes group, a backslash escapes the next character.
enum ShellTokenizer {
    /// Why a line could not be split.
    enum Failure: Error {
        case unterminatedQuote
        case danglingEscape
    }

    /// The words of `line`.
    static func split(_ line: Substring) throws(Failure) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaping = false
        for character in line {
            if escaping {
                current.append(character)
                escaping = false
                continue
            }
            if character == "\\" && quote != "'" {
                escaping = true
                inWord = true
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
                continue
            }
            switch character {
            case "\"", "'":
                quote = character
                inWord = true
            case " ", "\t":
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                current.append(character)
                inWord = true
            }
        }
        if escaping { throw .danglingEscape }
        if quote != nil { throw .unterminatedQuote }
        if inWord { words.append(current) }
        return words
    }
}
