import CSkoopScan

/// A JSON value read in place: where it lies in bytes already checked to be well formed (by
/// ``JSONSpan/checked(_:_:depth:)``), with members and elements found on demand. Decoding from
/// spans builds no tree: a decoder that asks an object for three members pays three short scans
/// of its bytes and allocates only the strings it keeps.
///
/// Answers are those of the ``JSONValue`` the strict reader makes of the same bytes: the last of
/// repeated keys, strings with escapes decoded the same way, numbers as written.
public struct JSONSpan: @unchecked Sendable {
    // @unchecked: a view into read-only bytes that the caller keeps alive while it decodes.
    private let base: UnsafePointer<UInt8>
    /// The byte offset of the value's first character (in the buffer it was checked in).
    public let offset: Int
    /// The offset just past the value.
    public let end: Int

    private init(_ base: UnsafePointer<UInt8>, _ offset: Int, _ end: Int) {
        self.base = base
        self.offset = offset
        self.end = end
    }

    /// The value at `bytes[range]` when it is well formed and exactly fills the range (surrounding
    /// whitespace aside), nesting within ``JSONDocument/maximumDepth`` counting `depth`
    /// containers already open around it; nil otherwise. The bytes must outlive the span.
    public static func checked(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, depth: Int = 0) -> JSONSpan? {
        guard let base = bytes.baseAddress, range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
        var start = range.lowerBound
        while start < range.upperBound, isSpace(base[start]) { start += 1 }
        let end = skoop_json_value_end(base, start, range.upperBound, Int32(depth), Int32(JSONDocument.maximumDepth))
        guard end >= 0 else { return nil }
        var rest = end
        while rest < range.upperBound, isSpace(base[rest]) { rest += 1 }
        guard rest == range.upperBound else { return nil }
        return JSONSpan(base, start, end)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    private var first: UInt8 { base[offset] }

    private func skipSpace(_ at: Int) -> Int {
        var at = at
        while at < end, Self.isSpace(base[at]) { at += 1 }
        return at
    }

    /// The end of the (well-formed) value starting at `at`.
    private func valueEnd(_ at: Int) -> Int {
        switch base[at] {
        case UInt8(ascii: "\""):
            return stringEnd(at)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            return skoop_skip_container(base, at, end, Int32(JSONDocument.maximumDepth + 1))
        default:
            var stop = at
            while stop < end {
                switch base[stop] {
                case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x0A, 0x0D, 0x09: return stop
                default: stop += 1
                }
            }
            return stop
        }
    }

    private func stringEnd(_ at: Int) -> Int {
        var at = at + 1
        while true {
            switch base[at] {
            case UInt8(ascii: "\""): return at + 1
            case UInt8(ascii: "\\"): at += 2
            default: at += 1
            }
        }
    }

    /// Calls `body` with each element's (or member's key and) value start until it returns false.
    private func forEachItem(_ body: (_ key: Range<Int>?, _ value: JSONSpan) -> Bool) {
        let isObject = first == UInt8(ascii: "{")
        var at = skipSpace(offset + 1)
        guard base[at] != (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return }
        while true {
            at = skipSpace(at)
            var key: Range<Int>?
            if isObject {
                let keyEnd = stringEnd(at)
                key = (at + 1)..<(keyEnd - 1)
                at = skipSpace(skipSpace(keyEnd) + 1)
            }
            let valueEnd = valueEnd(at)
            guard body(key, JSONSpan(base, at, valueEnd)) else { return }
            at = skipSpace(valueEnd)
            guard base[at] == UInt8(ascii: ",") else { return }
            at += 1
        }
    }

    /// The text of a string whose bytes between its quotes are `inner`.
    private func text(_ range: Range<Int>) -> String {
        let inner = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        if !inner.contains(UInt8(ascii: "\\")) { return String(decoding: inner, as: UTF8.self) }
        // Escapes are rare: the strict reader decodes them, so that both agree.
        var reader = JSONReader(bytes: [UInt8(ascii: "\"")] + Array(inner) + [UInt8(ascii: "\"")])
        return (try? reader.readString()) ?? ""
    }

    private func keyEquals(_ key: Range<Int>, _ name: String) -> Bool {
        var utf8 = name
        return utf8.withUTF8 { wanted in
            if key.count == wanted.count, UnsafeBufferPointer(start: base + key.lowerBound, count: key.count).elementsEqual(wanted) {
                return true
            }
            // An escaped key (always longer than what it spells) may still spell the name.
            return key.count > wanted.count && UnsafeBufferPointer(start: base + key.lowerBound, count: key.count).contains(UInt8(ascii: "\\"))
                && text(key) == name
        }
    }

    /// The member `key` of an object (its last value if repeated); nil when absent or not an object.
    public subscript(key: String) -> JSONSpan? {
        guard first == UInt8(ascii: "{") else { return nil }
        var found: JSONSpan?
        forEachItem { name, value in
            if keyEquals(name!, key) { found = value }
            return true
        }
        return found
    }

    /// The members `keys` found in one pass (each its last value if repeated; nil when absent or
    /// not an object): what a decoder asks of an object it reads several members of.
    public func values(of keys: [String]) -> [JSONSpan?] {
        var found = [JSONSpan?](repeating: nil, count: keys.count)
        guard first == UInt8(ascii: "{") else { return found }
        forEachItem { name, value in
            for (position, key) in keys.enumerated() where keyEquals(name!, key) {
                found[position] = value
            }
            return true
        }
        return found
    }

    /// Calls `body` with each member's key (its bytes, escapes decoded) and value, in document
    /// order; nothing for other kinds. A decoder that assigns the values it wants as they pass
    /// reads an object in one scan and keeps the last of repeated keys, as the strict reader does.
    public func forEachMember(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: JSONSpan) -> Void) {
        guard first == UInt8(ascii: "{") else { return }
        forEachItem { name, value in
            let key = name!
            let raw = UnsafeBufferPointer(start: base + key.lowerBound, count: key.count)
            if raw.contains(UInt8(ascii: "\\")) {
                var decoded = text(key)
                decoded.withUTF8 { body($0, value) }
            } else {
                body(raw, value)
            }
            return true
        }
    }

    /// The first member of an object and how many it has; nil for any other kind.
    public var firstMember: (key: String, value: JSONSpan, count: Int)? {
        guard first == UInt8(ascii: "{") else { return nil }
        var firstKey: Range<Int>?, firstValue: JSONSpan?, count = 0
        forEachItem { name, value in
            if count == 0 { firstKey = name; firstValue = value }
            count += 1
            return true
        }
        guard let firstKey, let firstValue else { return nil }
        return (text(firstKey), firstValue, count)
    }

    /// True for an object without members.
    public var isEmptyObject: Bool {
        first == UInt8(ascii: "{") && base[skipSpace(offset + 1)] == UInt8(ascii: "}")
    }

    /// The elements of an array; nil for any other kind.
    public var elements: [JSONSpan]? {
        guard first == UInt8(ascii: "[") else { return nil }
        var list: [JSONSpan] = []
        forEachItem { _, value in
            list.append(value)
            return true
        }
        return list
    }

    /// How many elements an array has; nil for any other kind.
    public var elementCount: Int? {
        guard first == UInt8(ascii: "[") else { return nil }
        var count = 0
        forEachItem { _, _ in
            count += 1
            return true
        }
        return count
    }

    /// The first element of an array; nil for any other kind or an empty array.
    public var firstElement: JSONSpan? {
        guard first == UInt8(ascii: "[") else { return nil }
        var found: JSONSpan?
        forEachItem { _, value in
            found = value
            return false
        }
        return found
    }

    /// The text of a string; nil for any other kind.
    public var string: String? {
        guard first == UInt8(ascii: "\"") else { return nil }
        return text((offset + 1)..<(end - 1))
    }

    /// The bytes between a string's quotes when it has no escapes (its text exactly); nil for
    /// other kinds and escaped strings. Valid while the checked bytes are.
    public var plainStringBytes: UnsafeBufferPointer<UInt8>? {
        guard first == UInt8(ascii: "\"") else { return nil }
        let inner = UnsafeBufferPointer(start: base + offset + 1, count: end - offset - 2)
        return inner.contains(UInt8(ascii: "\\")) ? nil : inner
    }

    /// The value of `true` or `false`; nil for any other kind.
    public var bool: Bool? {
        switch first {
        case UInt8(ascii: "t"): true
        case UInt8(ascii: "f"): false
        default: nil
        }
    }

    /// True for `null`.
    public var isNull: Bool { first == UInt8(ascii: "n") }

    /// A number's text as written; nil for any other kind.
    public var number: String? {
        guard first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        return String(decoding: UnsafeBufferPointer(start: base + offset, count: end - offset), as: UTF8.self)
    }

    /// A number that is an exact integer ("80", also "80.0" or "8e1"); nil otherwise.
    public var integer: Int? {
        guard let text = number else { return nil }
        if let exact = Int(text) { return exact }
        return Double(text).flatMap { Int(exactly: $0) }
    }

    /// True for an array.
    public var isArray: Bool { first == UInt8(ascii: "[") }

    /// True for an object.
    public var isObject: Bool { first == UInt8(ascii: "{") }

    /// As ``JSONValue/summary``: scalars as written (strings quoted), else the type.
    public var summary: String {
        switch first {
        case UInt8(ascii: "n"): "null"
        case UInt8(ascii: "t"): "true"
        case UInt8(ascii: "f"): "false"
        case UInt8(ascii: "\""): "\"\(string!)\""
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "{"): "an object"
        default: number!
        }
    }
}
