import SkoopModel

/// A parsed JSON value that remembers the 1-based line each object started on, so that
/// errors about an element's content can point at it.
///
/// A small parser of its own (rather than JSONSerialization) because it gives exact line
/// numbers on every platform, keeps numbers as their text (iproute2 prints 64-bit counters),
/// and is trivially `Sendable`.
indirect enum JSONTree: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number, as written.
    case number(String)
    case string(String)
    case array([JSONTree], line: Int)
    case object(JSONObject)

    /// A short name of the value's kind, for "found" in errors.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n
        case .string(let s): "\"\(s)\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// Parses a whole document; `source` names it in errors.
    static func parse(_ bytes: [UInt8], source: String) throws(InputError) -> JSONTree {
        var reader = JSONReader(bytes: bytes, source: source)
        reader.skipWhitespace()
        guard !reader.atEnd else {
            throw InputError(source: source, line: 1, expected: "a JSON document", found: "empty input")
        }
        let value = try reader.readValue(depth: 0)
        reader.skipWhitespace()
        guard reader.atEnd else { throw reader.error("the end of the JSON document") }
        return value
    }
}

/// A JSON object with its keys in order and the line it started on.
struct JSONObject: Sendable, Equatable {
    /// The members; later duplicates win on lookup.
    var members: [String: JSONTree]
    /// The 1-based line of the opening brace.
    var line: Int

    subscript(key: String) -> JSONTree? { members[key] }
}

/// A byte-level recursive-descent JSON reader that tracks lines.
private struct JSONReader {
    let bytes: [UInt8]
    let source: String
    var index = 0
    var line = 1

    /// Nesting beyond this is refused rather than risking the stack.
    static let maximumDepth = 128

    init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    var atEnd: Bool { index >= bytes.count }

    func error(_ expected: String) -> InputError {
        guard index < bytes.count else {
            return InputError(source: source, line: line, expected: expected, found: "end of input")
        }
        let end = min(bytes.count, index + 40)
        var excerpt = String(decoding: bytes[index..<end], as: UTF8.self)
        if let newline = excerpt.firstIndex(of: "\n") { excerpt = String(excerpt[..<newline]) }
        return InputError(source: source, line: line, expected: expected, found: excerpt)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): break
            default: return
            }
            index += 1
        }
    }

    mutating func expectLiteral(_ literal: String, _ value: JSONTree) throws(InputError) -> JSONTree {
        for byte in literal.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw error("a JSON value") }
            index += 1
        }
        return value
    }

    mutating func readValue(depth: Int) throws(InputError) -> JSONTree {
        guard depth < JSONReader.maximumDepth else { throw error("JSON nested at most \(JSONReader.maximumDepth) deep") }
        skipWhitespace()
        guard index < bytes.count else { throw error("a JSON value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try readObject(depth: depth)
        case UInt8(ascii: "["): return try readArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try readString())
        case UInt8(ascii: "t"): return try expectLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try expectLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try expectLiteral("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try readNumber()
        default: throw error("a JSON value")
        }
    }

    mutating func readObject(depth: Int) throws(InputError) -> JSONTree {
        let startLine = line
        index += 1
        var members: [String: JSONTree] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject(members: members, line: startLine))
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("an object key string") }
            let key = try readString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("':' after an object key") }
            index += 1
            members[key] = try readValue(depth: depth + 1)
            skipWhitespace()
            guard index < bytes.count else { throw error("',' or '}' in an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error("',' or '}' in an object")
        }
        return .object(JSONObject(members: members, line: startLine))
    }

    mutating func readArray(depth: Int) throws(InputError) -> JSONTree {
        let startLine = line
        index += 1
        var elements: [JSONTree] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements, line: startLine)
        }
        while true {
            elements.append(try readValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw error("',' or ']' in an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("',' or ']' in an array")
        }
        return .array(elements, line: startLine)
    }

    mutating func readString() throws(InputError) -> String {
        index += 1  // opening quote
        var start = index
        var pending: [UInt8] = []
        func flush(_ upTo: Int) {
            if upTo > start { pending.append(contentsOf: bytes[start..<upTo]) }
        }
        while true {
            guard index < bytes.count else { throw error("a closing '\"'") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flush(index)
                index += 1
                break
            }
            if byte < 0x20 { throw error("a character allowed in a JSON string") }
            if byte == UInt8(ascii: "\\") {
                flush(index)
                index += 1
                guard index < bytes.count else { throw error("an escape sequence") }
                let escaped = bytes[index]
                index += 1
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): pending.append(escaped)
                case UInt8(ascii: "b"): pending.append(8)
                case UInt8(ascii: "f"): pending.append(12)
                case UInt8(ascii: "n"): pending.append(10)
                case UInt8(ascii: "r"): pending.append(13)
                case UInt8(ascii: "t"): pending.append(9)
                case UInt8(ascii: "u"):
                    let code = try readHex4()
                    // Surrogates that do not pair up become U+FFFD rather than an error.
                    let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                    pending.append(contentsOf: Array(String(Character(scalar)).utf8))
                default:
                    index -= 1
                    throw error("a valid escape sequence")
                }
                start = index
                continue
            }
            index += 1
        }
        return String(decoding: pending, as: UTF8.self)
    }

    mutating func readHex4() throws(InputError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count else { throw error("four hex digits") }
            let byte = bytes[index]
            let nibble: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw error("four hex digits")
            }
            value = value << 4 | nibble
            index += 1
        }
        return value
    }

    mutating func readNumber() throws(InputError) -> JSONTree {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        var digits = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): break
            default:
                guard digits > 0 else { throw error("a number") }
                return .number(String(decoding: bytes[start..<index], as: UTF8.self))
            }
            index += 1
        }
        guard digits > 0 else { throw error("a number") }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }
}
