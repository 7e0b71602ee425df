import SkoopModel

/// Builds the OSC 52 sequence that puts text on the terminal's clipboard.
public enum Clipboard {
    /// `ESC ] 52 ; c ; BASE64 BEL` for the text with every control character (but newlines)
    /// neutralized, so the sequence is the only escape that reaches the terminal.
    public static func osc52(_ text: String) -> String {
        let safe = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TerminalSafe.strip(String($0)) }.joined(separator: "\n")
        return "\u{1B}]52;c;" + base64(Array(safe.utf8)) + "\u{07}"
    }

    /// Standard base64 with padding.
    public static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let chunk = (UInt32(bytes[index]) << 16)
                | (remaining > 1 ? UInt32(bytes[index + 1]) << 8 : 0)
                | (remaining > 2 ? UInt32(bytes[index + 2]) : 0)
            output.append(alphabet[Int((chunk >> 18) & 63)])
            output.append(alphabet[Int((chunk >> 12) & 63)])
            output.append(remaining > 1 ? alphabet[Int((chunk >> 6) & 63)] : UInt8(ascii: "="))
            output.append(remaining > 2 ? alphabet[Int(chunk & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
