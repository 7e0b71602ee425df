/// A strict recursive-descent JSON reader (RFC 8259) that records each value's byte offset.
///
/// Offsets, not lines, are tracked while reading: turning one into a line is left to the rare
/// error. Nesting is limited to ``JSONDocument/maximumDepth`` so hostile input cannot exhaust
/// the stack.
struct JSONReader {
    let bytes: [UInt8]
    var index = 0
    var depth = 0
    /// Members and elements of the objects and arrays being read, innermost last: each container
    /// is then copied out once at its exact size instead of growing its own array step by step.
    private var pendingMembers: [JSONMember] = []
    private var pendingElements: [JSONValue] = []

    /// Reads one whole document; the error's line and excerpt are left for the caller to fill.
    static func read(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.index < bytes.count else {
            throw JSONSyntaxError(.emptyInput, at: 0, expected: "a JSON document")
        }
        let value = try reader.readValue()
        reader.skipWhitespace()
        guard reader.index >= bytes.count else {
            throw JSONSyntaxError(.trailingContent, at: reader.index, expected: "the end of the JSON document")
        }
        return value
    }

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    /// "Expected X here": truncated when the input has ended, else unexpected content.
    func failure(_ expected: String, at offset: Int? = nil) -> JSONSyntaxError {
        let offset = offset ?? index
        return JSONSyntaxError(offset < bytes.count ? .unexpectedContent : .truncated, at: offset, expected: expected)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func readValue() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        guard let byte = peek() else { throw failure("a JSON value") }
        switch byte {
        case UInt8(ascii: "{"): return JSONValue(try readObject(), offset: start)
        case UInt8(ascii: "["): return JSONValue(try readArray(), offset: start)
        case UInt8(ascii: "\""): return JSONValue(.string(try readString()), offset: start)
        case UInt8(ascii: "t"): try expectLiteral("true"); return JSONValue(.bool(true), offset: start)
        case UInt8(ascii: "f"): try expectLiteral("false"); return JSONValue(.bool(false), offset: start)
        case UInt8(ascii: "n"): try expectLiteral("null"); return JSONValue(.null, offset: start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return JSONValue(.number(try readNumber()), offset: start)
        default: throw failure("a JSON value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONSyntaxError) {
        let start = index
        for expected in UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount) {
            guard let byte = peek() else { throw failure("a JSON value") }
            guard byte == expected else { throw failure("a JSON value", at: start) }
            index += 1
        }
    }

    /// Steps into an array or object past its opening byte; true when `closing` follows at once
    /// (and is consumed). The caller leaves with `depth -= 1`.
    mutating func open(closing: UInt8) throws(JSONSyntaxError) -> Bool {
        depth += 1
        if depth > JSONDocument.maximumDepth {
            throw JSONSyntaxError(.tooDeep, at: index, expected: "JSON nested at most \(JSONDocument.maximumDepth) deep")
        }
        index += 1
        skipWhitespace()
        guard peek() == closing else { return false }
        index += 1
        return true
    }

    /// After an element: true past a ',' (another follows), false past `closing`.
    mutating func another(closing: UInt8, in container: String) throws(JSONSyntaxError) -> Bool {
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: ","): index += 1; return true
        case closing: index += 1; return false
        default: throw failure("',' or '\(Character(Unicode.Scalar(closing)))' in \(container)")
        }
    }

    private mutating func readObject() throws(JSONSyntaxError) -> JSONValue.Kind {
        defer { depth -= 1 }
        if try open(closing: UInt8(ascii: "}")) { return .object([]) }
        let base = pendingMembers.count
        defer { pendingMembers.removeSubrange(base...) }
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("a quoted member name") }
            let key = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("':' after a member name") }
            index += 1
            skipWhitespace()
            pendingMembers.append(JSONMember(key: key, value: try readValue()))
        } while try another(closing: UInt8(ascii: "}"), in: "an object")
        return .object(Array(pendingMembers[base...]))
    }

    private mutating func readArray() throws(JSONSyntaxError) -> JSONValue.Kind {
        defer { depth -= 1 }
        if try open(closing: UInt8(ascii: "]")) { return .array([]) }
        let base = pendingElements.count
        defer { pendingElements.removeSubrange(base...) }
        repeat {
            skipWhitespace()
            pendingElements.append(try readValue())
        } while try another(closing: UInt8(ascii: "]"), in: "an array")
        return .array(Array(pendingElements[base...]))
    }

    /// A number's text, checked against the grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func readNumber() throws(JSONSyntaxError) -> String {
        let start = index
        // Take the whole run of number characters so that "1-2" or "01" is one bad number.
        while let byte = peek(), Self.isNumberCharacter(byte) { index += 1 }
        guard Self.isWellFormedNumber(bytes[start..<index]) else { throw failure("a number", at: start) }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private static func isNumberCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
             UInt8(ascii: "+"), UInt8(ascii: "-"): true
        default: false
        }
    }

    private static func isWellFormedNumber(_ text: ArraySlice<UInt8>) -> Bool {
        var rest = text[...]
        func digits() -> Int {
            let count = rest.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            rest = rest.dropFirst(count)
            return count
        }
        if rest.first == UInt8(ascii: "-") { rest = rest.dropFirst() }
        let leadingZero = rest.first == UInt8(ascii: "0")
        let integerDigits = digits()
        guard integerDigits > 0, !leadingZero || integerDigits == 1 else { return false }
        if rest.first == UInt8(ascii: ".") {
            rest = rest.dropFirst()
            guard digits() > 0 else { return false }
        }
        if rest.first == UInt8(ascii: "e") || rest.first == UInt8(ascii: "E") {
            rest = rest.dropFirst()
            if rest.first == UInt8(ascii: "+") || rest.first == UInt8(ascii: "-") { rest = rest.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return rest.isEmpty
    }
}
