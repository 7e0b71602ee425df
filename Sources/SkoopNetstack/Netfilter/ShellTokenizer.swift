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
        // Bytes, not Characters: every character the tokenizer acts on is ASCII, and walking
        // UTF-8 is many times faster than grapheme breaking on 400,000-line dumps.
        var words: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(64)
        var inWord = false
        var quote: UInt8?
        var escaping = false
        let backslash = UInt8(ascii: "\\"), single = UInt8(ascii: "'"), double = UInt8(ascii: "\"")
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")
        for byte in line.utf8 {
            if escaping {
                current.append(byte)
                escaping = false
                continue
            }
            if byte == backslash && quote != single {
                escaping = true
                inWord = true
                continue
            }
            if let open = quote {
                if byte == open { quote = nil } else { current.append(byte) }
                continue
            }
            switch byte {
            case double, single:
                quote = byte
                inWord = true
            case space, tab:
                if inWord {
                    words.append(String(decoding: current, as: UTF8.self))
                    current.removeAll(keepingCapacity: true)
                    inWord = false
                }
            default:
                current.append(byte)
                inWord = true
            }
        }
        if escaping { throw .danglingEscape }
        if quote != nil { throw .unterminatedQuote }
        if inWord { words.append(String(decoding: current, as: UTF8.self)) }
        return words
    }
}
