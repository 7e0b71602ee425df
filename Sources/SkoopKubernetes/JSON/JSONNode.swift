import SkoopModel

/// The document being decoded: its bytes (for line numbers), its source and what it should hold.
struct JSONDocument: Sendable {
    let bytes: [UInt8]
    let source: String
    /// What the whole document should be, e.g. "a Kubernetes List of pods".
    let expectation: String

    /// The 1-based line holding `offset`.
    func line(at offset: Int) -> Int {
        var line = 1
        for byte in bytes[0..<min(offset, bytes.count)] where byte == 0x0A { line += 1 }
        return line
    }

    /// At most one line of raw text starting at `offset`.
    func excerpt(at offset: Int) -> String? {
        guard offset < bytes.count else { return nil }
        let end = bytes[offset...].prefix(80).firstIndex(of: 0x0A) ?? min(bytes.count, offset + 80)
        return String(decoding: bytes[offset..<end], as: UTF8.self)
    }

    /// An error naming the path inside the document and what was expected there.
    func error(path: String, offset: Int, expected: String, found: String?) -> InputError {
        let place = path.isEmpty ? "the document" : path
        return InputError(source: source, line: line(at: offset),
                          expected: "\(expectation) (\(place): \(expected))", found: found)
    }
}

/// A position in a parsed document: a value (or its absence) with its readable coding path.
struct JSONNode {
    /// The value, nil when the member is missing.
    let value: JSONValue?
    /// Where to point when the value is missing: its parent's offset.
    let fallbackOffset: Int
    /// The coding path, e.g. `items[3].metadata.name`.
    let path: String
    let document: JSONDocument

    init(root: JSONValue, document: JSONDocument) {
        self.value = root
        self.fallbackOffset = root.offset
        self.path = ""
        self.document = document
    }

    private init(value: JSONValue?, fallbackOffset: Int, path: String, document: JSONDocument) {
        self.value = value
        self.fallbackOffset = fallbackOffset
        self.path = path
        self.document = document
    }

    /// The member `key` of an object (absent when this is not an object or lacks it).
    subscript(key: String) -> JSONNode {
        var member: JSONValue?
        if case .object(let members)? = value?.kind { member = members[key] }
        let plain = key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
        }
        let component = plain ? key : "[\"\(key)\"]"
        let childPath = path.isEmpty ? component : (plain ? path + "." + component : path + component)
        return JSONNode(value: member, fallbackOffset: value?.offset ?? fallbackOffset,
                        path: childPath, document: document)
    }

    /// True when the member is missing or null: optional fields then take their defaults.
    var isAbsent: Bool {
        guard let value else { return true }
        if case .null = value.kind { return true }
        return false
    }

    /// An error at this position: "expected <what> here".
    func error(_ expected: String) -> InputError {
        let offset = value?.offset ?? fallbackOffset
        let found: String? = value.flatMap { document.excerpt(at: $0.offset) }
        let what = value == nil ? expected + " (missing)" : expected
        return document.error(path: path, offset: offset, expected: what, found: found)
    }

    /// The string value; throws when missing or not a string.
    func string() throws(InputError) -> String {
        guard case .string(let text)? = value?.kind else { throw error("a string") }
        return text
    }

    /// The string value, nil when absent; throws when of another type.
    func optionalString() throws(InputError) -> String? {
        if isAbsent { return nil }
        return try string()
    }

    /// The integer value, nil when absent; throws when not an integer.
    func optionalInt() throws(InputError) -> Int? {
        if isAbsent { return nil }
        guard case .number(let number)? = value?.kind, let integer = Int(exactly: number) else {
            throw error("an integer")
        }
        return integer
    }

    /// The boolean value, nil when absent; throws when of another type.
    func optionalBool() throws(InputError) -> Bool? {
        if isAbsent { return nil }
        guard case .bool(let flag)? = value?.kind else { throw error("true or false") }
        return flag
    }

    /// The elements of an array; empty when absent; throws when of another type.
    func array() throws(InputError) -> [JSONNode] {
        if isAbsent { return [] }
        guard case .array(let elements)? = value?.kind else { throw error("an array") }
        return elements.enumerated().map { index, element in
            JSONNode(value: element, fallbackOffset: element.offset, path: path + "[\(index)]", document: document)
        }
    }

    /// Decodes every element of an array; empty when absent.
    func list<T>(_ decode: (JSONNode) throws(InputError) -> T) throws(InputError) -> [T] {
        var result: [T] = []
        for element in try array() { result.append(try decode(element)) }
        return result
    }

    /// Checks that the value is an object (absent is allowed).
    func requireObject() throws(InputError) {
        if isAbsent { return }
        guard case .object? = value?.kind else { throw error("an object") }
    }

    /// True when the value is an object that has `key`.
    func has(_ key: String) -> Bool {
        if case .object(let members)? = value?.kind { return members[key] != nil }
        return false
    }

    /// A map of strings such as labels; empty when absent.
    func stringMap() throws(InputError) -> [String: String] {
        if isAbsent { return [:] }
        guard case .object(let members)? = value?.kind else { throw error("an object of strings") }
        var result: [String: String] = [:]
        for key in members.keys { result[key] = try self[key].string() }
        return result
    }

    /// An array of strings; empty when absent.
    func strings() throws(InputError) -> [String] {
        try list { node throws(InputError) in try node.string() }
    }

    /// An IP address, nil when absent or empty; throws when not an address.
    func optionalIP() throws(InputError) -> IPAddress? {
        guard let text = try optionalString(), !text.isEmpty else { return nil }
        guard let address = IPAddress(text) else { throw error("an IPv4 or IPv6 address") }
        return address
    }

    /// An address prefix such as 10.0.0.0/8; throws when missing or malformed.
    func prefix() throws(InputError) -> IPPrefix {
        guard let prefix = IPPrefix(try string()) else { throw error("an address prefix such as 10.0.0.0/8") }
        return prefix
    }

    /// A port number (0-65535), nil when absent.
    func optionalPort() throws(InputError) -> UInt16? {
        guard let number = try optionalInt() else { return nil }
        guard let port = UInt16(exactly: number) else { throw error("a port number (0-65535)") }
        return port
    }
}
