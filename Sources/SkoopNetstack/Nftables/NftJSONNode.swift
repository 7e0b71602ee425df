#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import SkoopModel

/// What nft.json's decoders ask of a JSON value. Two kinds answer alike: a ``JSONValue`` of a
/// document read whole (the strict path, the reference for errors) and a ``JSONSpan`` read in
/// place from checked bytes (the fast path: no tree is built).
protocol NftJSONNode {
    subscript(key: String) -> Self? { get }
    /// The members `keys` (each its last value if repeated; nil when absent or not an object).
    func values(of keys: [String]) -> [Self?]
    /// Each member's key bytes and value, in order (nothing for other kinds): one pass over an
    /// object whatever the number of keys a decoder wants from it.
    func forEachMember(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: Self) -> Void)
    var string: String? { get }
    /// The text of a string, shared through `strings` when the node can (see ``NftStrings``).
    func string(sharing strings: NftStrings?) -> String?
    var integer: Int? { get }
    var number: String? { get }
    var bool: Bool? { get }
    var isNull: Bool { get }
    var elements: [Self]? { get }
    /// The first member of an object and how many it has; nil for other kinds and `{}`.
    var firstMember: (key: String, value: Self, count: Int)? { get }
    /// The byte offset of the value in its document, for errors.
    var offset: Int { get }
    var summary: String { get }
}

extension NftJSONNode {
    /// The member `key` (its last value if repeated), found by its bytes.
    func member(_ key: StaticString) -> Self? {
        var found: Self?
        forEachMember { name, value in if name.spells(key) { found = value } }
        return found
    }

    /// The members `first` and `second` found in one pass.
    func members(_ first: StaticString, _ second: StaticString) -> (Self?, Self?) {
        var found: (Self?, Self?)
        forEachMember { name, value in
            if name.spells(first) { found.0 = value } else if name.spells(second) { found.1 = value }
        }
        return found
    }
}

extension JSONValue: NftJSONNode {
    func values(of keys: [String]) -> [JSONValue?] {
        keys.map { self[$0] }
    }

    func string(sharing strings: NftStrings?) -> String? { string }

    func forEachMember(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ value: JSONValue) -> Void) {
        for member in members ?? [] {
            var key = member.key
            key.withUTF8 { body($0, member.value) }
        }
    }

    var firstMember: (key: String, value: JSONValue, count: Int)? {
        guard let members, let first = members.first else { return nil }
        return (first.key, first.value, members.count)
    }
}

extension JSONSpan: NftJSONNode {
    func string(sharing strings: NftStrings?) -> String? {
        if let strings, let bytes = plainStringBytes { return strings.string(bytes) }
        return string
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Whether these bytes spell `name` (a member key compared without making a String).
    func spells(_ name: StaticString) -> Bool {
        count == name.utf8CodeUnitCount && (count == 0 || memcmp(baseAddress!, name.utf8Start, count) == 0)
    }
}

/// Words the errors of one item: located in `document` on the strict path; on the fast path
/// (no document) any error only sends the file back to the strict path, which words it.
struct NftJSONErrors {
    let document: JSONDocument?
    /// The item's index in the `nftables` array.
    let index: Int

    func error(_ value: some NftJSONNode, _ expected: String) -> InputError {
        guard let document else { return InputError(source: "", expected: expected, found: nil) }
        return InputError(source: document.source, line: document.line(at: value.offset),
                          expected: "\(expected) (nftables[\(index)])", found: document.excerpt(at: value.offset))
    }
}
