import Foundation
import SkoopModel

/// A parsed document and what it should hold, so every error reads the same way.
///
/// A class so that the many nodes of a decode share it for the price of one reference.
final class DecodingContext: Sendable {
    let document: JSONDocument
    /// What the whole document should be, e.g. "a Kubernetes List of pods".
    let expectation: String
    /// The path of `document.root` inside the whole document (`items[3]` for a streamed item).
    let rootPath: String

    private init(document: JSONDocument, expectation: String, rootPath: String = "") {
        self.document = document
        self.expectation = expectation
        self.rootPath = rootPath
    }

    /// Parses `data`, handing each element of its top-level array `key` to `each` as soon as it
    /// is read (a node whose errors name `key[N]`), and returns the root without them.
    static func root(of bytes: [UInt8], source: String, expectation: String, streamingElementsOf key: String,
                     _ each: (JSONNode) throws(InputError) -> Void) throws(InputError) -> JSONNode {
        do {
            let document = try JSONDocument(parsing: bytes, source: source, streamingElementsOf: key) { element, position in
                let item = JSONDocument(bytes: bytes, source: source, root: element)
                let context = DecodingContext(document: item, expectation: expectation, rootPath: "\(key)[\(position)]")
                try each(JSONNode(root: element, context: context))
            }
            return JSONNode(root: document.root, context: DecodingContext(document: document, expectation: expectation))
        } catch let error as InputError {
            throw error
        } catch let error as JSONSyntaxError {
            throw syntaxError(error, empty: bytes.isEmpty, source: source, expectation: expectation)
        } catch {
            throw InputError(source: source, expected: expectation, found: "\(error)")
        }
    }

    /// An item of a skimmed list (the `position`th element of member `key`), given as its own
    /// bytes, read strictly; its errors name `key[position]` and the line in the whole document,
    /// which has `linesBefore()` lines before the item.
    static func item(_ bytes: [UInt8], position: Int, key: String, source: String, expectation: String,
                     linesBefore: @escaping @Sendable () -> Int) throws(InputError) -> JSONNode {
        do {
            let document = try JSONDocument(parsing: bytes, source: source, linesBefore: linesBefore)
            let context = DecodingContext(document: document, expectation: expectation, rootPath: "\(key)[\(position)]")
            return JSONNode(root: document.root, context: context)
        } catch {
            throw syntaxError(error, empty: false, source: source, expectation: expectation)
        }
    }

    /// Skims `bytes` as a list with array member `key` (see ``JSONListSkim``); nil when it is not
    /// such a document. Syntax errors are worded like every decoding error.
    static func skim(_ bytes: SharedBytes, source: String, expectation: String, listMember key: String,
                     pick: JSONPick) throws(InputError) -> JSONListSkim? {
        do {
            // Twice the cores: the other documents are decoded meanwhile, so pieces keep threads busy.
            return try JSONListSkim.skim(bytes, source: source, listMember: key, pick: pick,
                                         threads: 2 * ProcessInfo.processInfo.activeProcessorCount)
        } catch {
            throw syntaxError(error, empty: bytes.count == 0, source: source, expectation: expectation)
        }
    }

    /// Parses `data` and returns its root; syntax errors are worded like every decoding error.
    static func root(of data: Data, source: String, expectation: String) throws(InputError) -> JSONNode {
        do {
            let document = try JSONDocument(parsing: [UInt8](data), source: source)
            return JSONNode(root: document.root, context: DecodingContext(document: document, expectation: expectation))
        } catch {
            throw syntaxError(error, empty: data.isEmpty, source: source, expectation: expectation)
        }
    }

    /// A syntax error worded like every decoding error.
    private static func syntaxError(_ error: JSONSyntaxError, empty: Bool, source: String, expectation: String) -> InputError {
        var expected = error.expected
        switch error.problem {
        case .unterminatedString: expected += " (the string never ends)"
        case .tooDeep: expected = "at most \(JSONDocument.maximumDepth) levels of nesting"
        default: break
        }
        let found = empty ? "an empty file" : error.inputError.found
        return InputError(source: source, line: error.line, expected: "\(expectation) (the document: \(expected))",
                          found: found)
    }

    /// An error naming the path inside the document and what was expected there.
    func error(path: String, offset: Int, expected: String, found: String?) -> InputError {
        let place = path.isEmpty ? "the document" : path
        return InputError(source: document.source, line: document.line(at: offset),
                          expected: "\(expectation) (\(place): \(expected))", found: found)
    }
}

/// A position in a parsed document: a value (or its absence) that can name its coding path,
/// e.g. `items[3].metadata.name`, when an error needs it (building paths eagerly would cost an
/// allocation per field read).
struct JSONNode {
    /// The value, nil when the member is missing.
    let value: JSONValue?
    /// The offset of the value, or of its nearest present ancestor when it is missing.
    private let anchorOffset: Int
    /// The keys below that ancestor to a missing value, e.g. `spec`, `ports`; empty when present.
    /// Kept as the keys themselves: most optional members are missing, and formatting their
    /// path for every lookup cost an allocation and a scan of the key (services.json: 22 per
    /// service), where only an error needs it.
    private let missingKeys: MissingKeys
    let context: DecodingContext

    init(root: JSONValue, context: DecodingContext) {
        self.init(value: root, anchorOffset: root.offset, missingKeys: .none, context: context)
    }

    private init(value: JSONValue?, anchorOffset: Int, missingKeys: MissingKeys, context: DecodingContext) {
        self.value = value
        self.anchorOffset = anchorOffset
        self.missingKeys = missingKeys
        self.context = context
    }

    /// The member `key` of an object (absent when this is not an object or lacks it).
    subscript(key: String) -> JSONNode {
        member(key, value?[key])
    }

    /// The node of member `key` holding `member`.
    private func member(_ key: String, _ member: JSONValue?) -> JSONNode {
        if let member { return JSONNode(value: member, anchorOffset: member.offset, missingKeys: .none, context: context) }
        return JSONNode(value: nil, anchorOffset: anchorOffset, missingKeys: missingKeys.appending(key), context: context)
    }

    /// The coding path, e.g. `items[3].metadata.name`; empty for the document itself.
    var path: String {
        let anchorPath = context.document.root.path(to: anchorOffset) ?? []
        let text = context.rootPath + (anchorPath + missingKeys.keys.map(JSONPathComponent.key)).map(JSONNode.component).joined()
        return text.first == "." ? String(text.dropFirst()) : text
    }

    /// A path component: `.name` for plain keys, `["kubernetes.io/name"]` for others, `[3]` for indices.
    private static func component(_ step: JSONPathComponent) -> String {
        switch step {
        case .index(let index):
            return "[\(index)]"
        case .key(let key):
            let plain = key.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x5F
            }
            return plain ? "." + key : "[\"\(key)\"]"
        }
    }

    /// True when the member is missing or null: optional fields then take their defaults.
    var isAbsent: Bool {
        guard let value else { return true }
        if case .null = value.kind { return true }
        return false
    }

    /// An error at this position: "expected <what> here".
    func error(_ expected: String) -> InputError {
        let offset = value?.offset ?? anchorOffset
        let found: String? = value.flatMap { context.document.excerpt(at: $0.offset) }
        let what = value == nil ? expected + " (missing)" : expected
        return context.error(path: path, offset: offset, expected: what, found: found)
    }

    /// The string value; throws when missing or not a string.
    func string() throws(InputError) -> String {
        guard let text = value?.string else { throw error("a string") }
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
        guard let integer = value?.integer else { throw error("an integer") }
        return integer
    }

    /// The boolean value, nil when absent; throws when of another type.
    func optionalBool() throws(InputError) -> Bool? {
        if isAbsent { return nil }
        guard let flag = value?.bool else { throw error("true or false") }
        return flag
    }

    /// The elements of an array; empty when absent; throws when of another type.
    func array() throws(InputError) -> [JSONNode] {
        if isAbsent { return [] }
        guard let elements = value?.elements else { throw error("an array") }
        return elements.map { element in
            JSONNode(value: element, anchorOffset: element.offset, missingKeys: .none, context: context)
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
        guard value?.members != nil else { throw error("an object") }
    }

    /// True when the value is an object that has `key`.
    func has(_ key: String) -> Bool {
        value?[key] != nil
    }

    /// A map of strings such as labels; empty when absent.
    func stringMap() throws(InputError) -> [String: String] {
        if isAbsent { return [:] }
        guard let members = value?.members else { throw error("an object of strings") }
        var result: [String: String] = [:]
        // Backwards, so that a repeated key takes its last value and earlier ones are ignored.
        for entry in members.reversed() where result[entry.key] == nil {
            result[entry.key] = try member(entry.key, entry.value).string()
        }
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

/// The keys of a missing member's path below its nearest present ancestor; one key (the common
/// case) holds the caller's string without allocating.
private enum MissingKeys {
    case none
    case one(String)
    case many([String])

    func appending(_ key: String) -> MissingKeys {
        switch self {
        case .none: .one(key)
        case .one(let first): .many([first, key])
        case .many(let keys): .many(keys + [key])
        }
    }

    var keys: [String] {
        switch self {
        case .none: []
        case .one(let key): [key]
        case .many(let keys): keys
        }
    }
}
