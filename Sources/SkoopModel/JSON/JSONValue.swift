/// A parsed JSON value that remembers the byte offset it starts at, so that an error about it
/// can name its line (see ``JSONDocument/line(at:)``).
public struct JSONValue: Hashable, Sendable {
    /// What the value is.
    public enum Kind: Hashable, Sendable {
        case null
        case bool(Bool)
        /// A number exactly as written: iproute2 prints 64-bit counters that a Double would round.
        case number(String)
        case string(String)
        case array([JSONValue])
        /// The members in document order; when a key repeats, lookups find its last value.
        case object([JSONMember])
    }

    /// The value.
    public var kind: Kind
    /// The byte offset of the value's first character in its document.
    public var offset: Int

    /// Makes a value, e.g. for tests.
    public init(_ kind: Kind, offset: Int = 0) {
        self.kind = kind
        self.offset = offset
    }
}

/// One member of a JSON object: a key and its value.
public struct JSONMember: Hashable, Sendable {
    /// The member's name.
    public var key: String
    /// The member's value.
    public var value: JSONValue

    /// Makes a member.
    public init(key: String, value: JSONValue) {
        self.key = key
        self.value = value
    }
}

extension JSONValue {
    /// The member `key` of an object (its last value if repeated); nil when absent or not an object.
    ///
    /// - Complexity: O(members): a linear scan beats hashing on the small objects JSON holds.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.last { $0.key == key }?.value
    }

    /// The members of an object; nil for any other kind.
    public var members: [JSONMember]? {
        if case .object(let members) = kind { return members }
        return nil
    }

    /// The elements of an array; nil for any other kind.
    public var elements: [JSONValue]? {
        if case .array(let elements) = kind { return elements }
        return nil
    }

    /// The text of a string; nil for any other kind.
    public var string: String? {
        if case .string(let text) = kind { return text }
        return nil
    }

    /// The value of `true` or `false`; nil for any other kind.
    public var bool: Bool? {
        if case .bool(let flag) = kind { return flag }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = kind { return true }
        return false
    }

    /// A number's text as written; nil for any other kind.
    public var number: String? {
        if case .number(let text) = kind { return text }
        return nil
    }

    /// A number that is an exact integer ("80", also "80.0" or "8e1"); nil otherwise.
    public var integer: Int? {
        guard let text = number else { return nil }
        if let exact = Int(text) { return exact }
        return Double(text).flatMap { Int(exactly: $0) }
    }

    /// A short name of the value's JSON type, such as "a string", for error messages.
    public var typeName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value for "found" in error messages: scalars as written (strings quoted), else the type.
    public var summary: String {
        switch kind {
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .number(let text): text
        case .string(let text): "\"\(text)\""
        case .array, .object: typeName
        }
    }
}

/// One step from an array or object down to one of its values.
public enum JSONPathComponent: Hashable, Sendable {
    /// A member of an object.
    case key(String)
    /// An element of an array, 0-based.
    case index(Int)
}

extension JSONValue {
    /// The steps from this value down to the value that starts at byte `offset`; empty for this
    /// value itself, nil when no value starts there. Lets decoders build a path only for an error.
    ///
    /// - Complexity: O(depth × log(width)): members and elements are in offset order.
    public func path(to offset: Int) -> [JSONPathComponent]? {
        var path: [JSONPathComponent] = []
        var current = self
        while current.offset != offset {
            let step: (JSONPathComponent, JSONValue)?
            switch current.kind {
            case .array(let elements):
                step = JSONValue.last(in: elements, startingBefore: offset) { $0.offset }
                    .map { (.index($0), elements[$0]) }
            case .object(let members):
                step = JSONValue.last(in: members, startingBefore: offset) { $0.value.offset }
                    .map { (.key(members[$0].key), members[$0].value) }
            default:
                step = nil
            }
            guard let (component, child) = step else { return nil }
            path.append(component)
            current = child
        }
        return path
    }

    /// The index of the last item whose offset is at most `offset`, by binary search.
    private static func last<T>(in items: [T], startingBefore offset: Int, _ start: (T) -> Int) -> Int? {
        var low = 0
        var high = items.count
        while low < high {
            let middle = (low + high) / 2
            if start(items[middle]) <= offset { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? low - 1 : nil
    }
}
