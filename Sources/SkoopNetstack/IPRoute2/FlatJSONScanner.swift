import Foundation

/// The fast path of the iproute2 parsers: one pass over the bytes of a top-level array of flat
/// objects, handing each object to a decoder as byte offsets, without building a JSON tree.
///
/// It reads a subset of JSON (values: strings without escapes of printable ASCII, `-?[0-9]+`,
/// true/false/null, arrays of such strings; whitespace wherever JSON allows it) and gives up
/// on anything else, valid or not, so that the strict reader decides.
struct FlatJSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    /// The members of the object being read.
    private var members = FlatMemberTable()
    /// Held here, as elements hold it unowned: the scanner lives until the last one is decoded.
    private let recentArrays = FlatRecentStringArrays()

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Each object of the array in `data`, decoded; nil when the scanner or `decode` gives up.
    static func decodeArray<T>(_ data: Data, _ decode: (FlatIPRoute2Element) throws(FlatGiveUp) -> T) -> [T]? {
        data.withUnsafeBytes { raw in
            var scanner = FlatJSONScanner(bytes: raw.assumingMemoryBound(to: UInt8.self))
            defer { scanner.members.deallocate() }
            return scanner.decodeArray(decode)
        }
    }

    private mutating func decodeArray<T>(_ decode: (FlatIPRoute2Element) throws(FlatGiveUp) -> T) -> [T]? {
        var results: [T] = []
        skipWhitespace()
        guard take(UInt8(ascii: "[")) else { return nil }
        skipWhitespace()
        if !take(UInt8(ascii: "]")) {
            repeat {
                skipWhitespace()
                guard readObject() else { return nil }
                let element = FlatIPRoute2Element(bytes: bytes, members: members, recentArrays: recentArrays)
                do {
                    results.append(try decode(element))
                } catch {
                    return nil
                }
                if results.count == 1 { reserveForAll(&results, firstEnding: index) }
                skipWhitespace()
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")) else { return nil }
        }
        skipWhitespace()
        return index == bytes.count ? results : nil
    }

    /// Room for as many results as objects of the first one's size fit in the input (tables
    /// are regular), so that thousands of them are not copied again and again as the array grows.
    private func reserveForAll<T>(_ results: inout [T], firstEnding end: Int) {
        results.reserveCapacity(bytes.count / max(end, 32))
    }

    /// The byte at `index`, 0 past the end (0 is never valid where the scanner looks).
    private func peek() -> UInt8 {
        index < bytes.count ? bytes[index] : 0
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return false }
        index += 1
        return true
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x09, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Reads `{...}` into `members`; false for anything but a flat object of plain values.
    private mutating func readObject() -> Bool {
        members.removeAll()
        guard take(UInt8(ascii: "{")) else { return false }
        skipWhitespace()
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipWhitespace()
            guard let key = readPlainString() else { return false }
            skipWhitespace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipWhitespace()
            guard readValue(key: key) else { return false }
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// Reads one value and appends it to `members` under `key`.
    private mutating func readValue(key: Range<Int>) -> Bool {
        let start = index
        let kind: FlatMember.Kind
        var value = start..<start
        var count = 0
        switch peek() {
        case UInt8(ascii: "\""):
            guard let text = readPlainString() else { return false }
            (kind, value) = (.string, text)
        case UInt8(ascii: "["):
            guard let (inside, strings) = readStringArray() else { return false }
            (kind, value, count) = (.stringArray, inside, strings)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard readInteger() else { return false }
            (kind, value) = (.integer, start..<index)
        case UInt8(ascii: "t"):
            guard readLiteral("true") else { return false }
            kind = .true
        case UInt8(ascii: "f"):
            guard readLiteral("false") else { return false }
            kind = .false
        case UInt8(ascii: "n"):
            guard readLiteral("null") else { return false }
            kind = .null
        default:
            return false
        }
        members.append(FlatMember(key: key, kind: kind, value: value, count: count), in: bytes)
        return true
    }

    /// The bytes inside a string's quotes; nil for an escape, a control character or non-ASCII.
    private mutating func readPlainString() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                index = end + 1
                return start..<end
            }
            // Below 0x20 or from 0x80 on, in one comparison.
            guard byte &- 0x20 < 0x60, byte != UInt8(ascii: "\\") else { return nil }
            end += 1
        }
        return nil
    }

    /// `[` plain strings separated by commas `]`: the bytes inside the brackets, and how many strings.
    private mutating func readStringArray() -> (Range<Int>, Int)? {
        guard take(UInt8(ascii: "[")) else { return nil }
        let start = index
        skipWhitespace()
        if take(UInt8(ascii: "]")) { return (start..<(index - 1), 0) }
        var count = 0
        repeat {
            skipWhitespace()
            guard readPlainString() != nil else { return nil }
            count += 1
            skipWhitespace()
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? (start..<(index - 1), count) : nil
    }

    /// `-?(0|[1-9][0-9]*)`: a fraction or exponent that follows is left for the caller to refuse.
    private mutating func readInteger() -> Bool {
        _ = take(UInt8(ascii: "-"))
        let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
        guard digit.contains(peek()) else { return false }
        // After a leading 0 another digit is refused by the caller, as JSON refuses "01".
        if take(UInt8(ascii: "0")) { return true }
        while digit.contains(peek()) { index += 1 }
        return true
    }

    private mutating func readLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }
}
