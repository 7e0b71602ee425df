extension JSONReader {
    /// Reads a string from its opening quote. Runs without escapes are decoded in one piece, so a
    /// plain string costs one allocation (none when short enough to be stored inline).
    mutating func readString() throws(JSONSyntaxError) -> String {
        if let plain = readPlainString() { return plain }
        index += 1
        var runStart = index
        var decoded = String.UnicodeScalarView()
        var hasEscapes = false
        while true {
            guard let byte = peek() else {
                throw JSONSyntaxError(.unterminatedString, at: index, expected: "a closing '\"'")
            }
            switch byte {
            case UInt8(ascii: "\""):
                let run = String(decoding: bytes[runStart..<index], as: UTF8.self)
                index += 1
                guard hasEscapes else { return run }
                decoded.append(contentsOf: run.unicodeScalars)
                return String(decoded)
            case UInt8(ascii: "\\"):
                hasEscapes = true
                decoded.append(contentsOf: String(decoding: bytes[runStart..<index], as: UTF8.self).unicodeScalars)
                decoded.append(try readEscape())
                runStart = index
            case 0..<0x20:
                throw failure("no raw control characters in a string")
            default:
                index += 1
            }
        }
    }

    /// A string without escapes or control characters (nearly every string), read from its
    /// opening quote by looking at eight bytes at a time; nil, with nothing consumed, otherwise.
    private mutating func readPlainString() -> String? {
        let start = index + 1
        let end = bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let base = buffer.baseAddress else { return nil }
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            let quotes = ones &* 0x22, backslashes = ones &* 0x5C, controls = ones &* 0x20
            var position = start
            while position + 8 <= buffer.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                let q = word ^ quotes, b = word ^ backslashes
                // Bytes equal to '"' or '\\', or below 0x20: the lowest flagged one is exact.
                let found = ((q &- ones) & ~q | (b &- ones) & ~b | (word &- controls) & ~word) & highs
                if found != 0 {
                    position += found.trailingZeroBitCount >> 3
                    return buffer[position] == UInt8(ascii: "\"") ? position : nil
                }
                position += 8
            }
            while position < buffer.count {
                let byte = buffer[position]
                if byte == UInt8(ascii: "\"") { return position }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                position += 1
            }
            return nil
        }
        guard let end else { return nil }
        index = end + 1
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// Reads an escape from its backslash; a UTF-16 surrogate pair becomes one scalar, and a
    /// surrogate without its partner becomes U+FFFD (as in most decoders) rather than an error.
    private mutating func readEscape() throws(JSONSyntaxError) -> Unicode.Scalar {
        let start = index
        index += 1
        guard let byte = peek() else { throw failure("an escape sequence") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try readHex4(escapeStart: start)
            guard (0xD800...0xDBFF).contains(unit) else { return Unicode.Scalar(unit) ?? "\u{FFFD}" }
            // A high surrogate: combine it with a following \u low surrogate, else leave that escape be.
            let afterHigh = index
            guard peek() == UInt8(ascii: "\\"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "u") else {
                return "\u{FFFD}"
            }
            index += 2
            let low = try readHex4(escapeStart: afterHigh)
            guard (0xDC00...0xDFFF).contains(low) else {
                index = afterHigh
                return "\u{FFFD}"
            }
            return Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
        default:
            throw failure("a valid escape sequence", at: start)
        }
    }

    private mutating func readHex4(escapeStart: Int) throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek() else { throw failure("four hex digits after \\u") }
            guard let digit = Self.hexDigitValue(byte) else { throw failure("four hex digits after \\u", at: escapeStart) }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }
}
