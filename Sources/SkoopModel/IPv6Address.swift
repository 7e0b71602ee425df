/// An IPv6 address held as two 64-bit halves in host byte order.
public struct IPv6Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The most significant 64 bits.
    public var high: UInt64
    /// The least significant 64 bits.
    public var low: UInt64

    /// Makes an address from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses RFC 4291 text ("fd00::1", "::ffff:10.0.0.1"); nil when it is anything else.
    /// A zone suffix ("%eth0") is not accepted.
    /// - Complexity: O(n) in the length of the text, without allocating.
    @inlinable public init?<S: StringProtocol>(_ text: S) {
        var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var gapAt = -1
        var current: UInt32 = 0
        var digits = 0
        var previous: UInt8 = 0
        let utf8 = text.utf8
        var index = utf8.startIndex
        var groupStart = index
        func store(_ value: UInt16, at position: Int) {
            withUnsafeMutableBytes(of: &groups) { raw in
                raw.storeBytes(of: value, toByteOffset: position * 2, as: UInt16.self)
            }
        }
        if utf8.isEmpty { return nil }
        while index != utf8.endIndex {
            let byte = utf8[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
                 UInt8(ascii: "A")...UInt8(ascii: "F"):
                let nibble: UInt32
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
                default: nibble = UInt32(byte - UInt8(ascii: "A") + 10)
                }
                if digits == 0 { groupStart = index }
                current = current << 4 | nibble
                digits += 1
                if digits > 4 { return nil }
            case UInt8(ascii: ":"):
                if previous == UInt8(ascii: ":") {
                    if gapAt >= 0 { return nil }
                    gapAt = count
                } else if digits > 0 {
                    if count == 8 { return nil }
                    store(UInt16(current), at: count)
                    count += 1
                    current = 0
                    digits = 0
                } else if index != utf8.startIndex {
                    return nil
                } else {
                    // A leading ':' must be the start of '::'.
                    let next = utf8.index(after: index)
                    if next == utf8.endIndex || utf8[next] != UInt8(ascii: ":") { return nil }
                }
            case UInt8(ascii: "."):
                // Embedded IPv4 tail: parse the rest from the start of this group.
                guard digits > 0, let v4 = IPv4Address(text[groupStart...]), count <= 6 else { return nil }
                store(UInt16(v4.value >> 16), at: count)
                store(UInt16(truncatingIfNeeded: v4.value), at: count + 1)
                count += 2
                digits = 0
                index = utf8.endIndex
                previous = 0
                continue
            default:
                return nil
            }
            previous = byte
            index = utf8.index(after: index)
        }
        if digits > 0 {
            if count == 8 { return nil }
            store(UInt16(current), at: count)
            count += 1
        } else if previous == UInt8(ascii: ":") && gapAt != count {
            return nil
        }
        var result: (UInt64, UInt64) = (0, 0)
        if gapAt >= 0 {
            if count >= 8 { return nil }
        } else if count != 8 {
            return nil
        }
        let shift = gapAt >= 0 ? 8 - count : 0
        withUnsafeBytes(of: groups) { raw in
            for position in 0..<8 {
                let source: Int
                if gapAt < 0 || position < gapAt {
                    source = position
                } else if position < gapAt + shift {
                    continue
                } else {
                    source = position - shift
                }
                let word = UInt64(raw.load(fromByteOffset: source * 2, as: UInt16.self))
                if position < 4 {
                    result.0 |= word << UInt64((3 - position) * 16)
                } else {
                    result.1 |= word << UInt64((7 - position) * 16)
                }
            }
        }
        high = result.0
        low = result.1
    }

    /// The eight 16-bit groups, most significant first.
    public var groups: [UInt16] {
        (0..<8).map { position in
            let half = position < 4 ? high : low
            return UInt16(truncatingIfNeeded: half >> UInt64((3 - position % 4) * 16))
        }
    }

    /// RFC 5952 text: lowercase, the longest run of two or more zero groups as "::".
    public var description: String {
        let words = groups
        var bestStart = -1, bestLength = 0, runStart = -1
        for position in 0...8 {
            if position < 8 && words[position] == 0 {
                if runStart < 0 { runStart = position }
            } else if runStart >= 0 {
                let length = position - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        var text = ""
        var position = 0
        while position < 8 {
            if position == bestStart {
                text += "::"
                position += bestLength
                continue
            }
            if !text.isEmpty && !text.hasSuffix(":") { text += ":" }
            text += String(words[position], radix: 16)
            position += 1
        }
        return text
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    /// ::.
    public static let any = IPv6Address(high: 0, low: 0)
    /// True for ::1.
    public var isLoopback: Bool { high == 0 && low == 1 }
    /// True for fe80::/10.
    public var isLinkLocal: Bool { high >> 54 == 0x3FA }
    /// True for ff00::/8.
    public var isMulticast: Bool { high >> 56 == 0xFF }
}
