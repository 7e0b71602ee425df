/// Neutralizes text from untrusted data before it reaches a terminal.
public enum TerminalSafe {
    /// Replaces control characters (C0, DEL, C1 — so ESC, CSI, OSC and DCS can't start) with
    /// U+FFFD-free visible escapes such as "\u{1B}" → "^[", keeping ordinary text unchanged.
    public static func strip(_ text: String) -> String {
        if !text.unicodeScalars.contains(where: isControl) { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) {
                if scalar.value < 0x20 {
                    result.append("^")
                    result.append(Unicode.Scalar(UInt8(scalar.value) + 0x40))
                } else {
                    result.append("?")
                }
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// True for C0 controls, DEL, C1 controls and bidi/format overrides that reorder text.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
