/// A parsed JSON value that remembers where it started, so errors can name a line.
struct JSONValue: Sendable {
    /// What the value is.
    enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([String: JSONValue])
    }

    /// The value.
    var kind: Kind
    /// Byte offset of the value's first character in the document.
    var offset: Int

    /// A short name of the value's JSON type, for error messages.
    var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A syntax error found while parsing JSON, at a byte offset.
struct JSONSyntaxError: Error {
    var offset: Int
    var expected: String
}
