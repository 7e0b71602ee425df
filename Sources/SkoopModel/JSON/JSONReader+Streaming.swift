extension JSONReader {
    /// Reads one whole document; when it is an object with an array member `key`, each element
    /// of that array goes to `each` (with its index) as soon as it is read instead of into the
    /// tree, where the member is left as an empty array. A 500 MB `kubectl get pods -o json` is
    /// then never held as one tree. Errors from `each` end the reading and are rethrown as they are.
    static func read(_ bytes: [UInt8], streamingElementsOf key: String,
                     _ each: (JSONValue, Int) throws -> Void) throws -> JSONValue {
        var reader = JSONReader(bytes: bytes)
        reader.skipWhitespace()
        guard reader.index < bytes.count else {
            throw JSONSyntaxError(.emptyInput, at: 0, expected: "a JSON document")
        }
        let value = reader.peek() == UInt8(ascii: "{") ? try reader.readRootStreaming(key, each) : try reader.readValue()
        reader.skipWhitespace()
        guard reader.index >= bytes.count else {
            throw JSONSyntaxError(.trailingContent, at: reader.index, expected: "the end of the JSON document")
        }
        return value
    }

    /// The top-level object, streaming the elements of member `key`.
    private mutating func readRootStreaming(_ key: String, _ each: (JSONValue, Int) throws -> Void) throws -> JSONValue {
        let start = index
        defer { depth -= 1 }
        if try open(closing: UInt8(ascii: "}")) { return JSONValue(.object([]), offset: start) }
        var members: [JSONMember] = []
        repeat {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw failure("a quoted member name") }
            let name = try readString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw failure("':' after a member name") }
            index += 1
            skipWhitespace()
            if name == key, peek() == UInt8(ascii: "[") {
                let arrayStart = index
                try streamArray(each)
                members.append(JSONMember(key: name, value: JSONValue(.array([]), offset: arrayStart)))
            } else {
                members.append(JSONMember(key: name, value: try readValue()))
            }
        } while try another(closing: UInt8(ascii: "}"), in: "an object")
        return JSONValue(.object(members), offset: start)
    }

    private mutating func streamArray(_ each: (JSONValue, Int) throws -> Void) throws {
        defer { depth -= 1 }
        if try open(closing: UInt8(ascii: "]")) { return }
        var position = 0
        repeat {
            skipWhitespace()
            try each(try readValue(), position)
            position += 1
        } while try another(closing: UInt8(ascii: "]"), in: "an array")
    }
}

extension JSONDocument {
    /// Parses a whole document like `init(parsing:source:)`, handing each element of the
    /// top-level array member `key` to `each` instead of keeping it (see
    /// ``JSONReader/read(_:streamingElementsOf:_:)``); when `key` repeats, its elements are
    /// streamed again from index 0. Syntax errors are located; errors from `each` pass unchanged.
    public init(parsing bytes: [UInt8], source: String, streamingElementsOf key: String,
                _ each: (JSONValue, Int) throws -> Void) throws {
        do {
            self.init(bytes: bytes, source: source, root: try JSONReader.read(bytes, streamingElementsOf: key, each))
        } catch let error as JSONSyntaxError {
            throw JSONDocument.located(error, in: bytes, source: source)
        }
    }
}
