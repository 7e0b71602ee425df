import SkoopModel

/// What nft.json's decoders ask of a JSON value. Two kinds answer alike: a ``JSONValue`` of a
/// document read whole (the strict path, the reference for errors) and a ``JSONSpan`` read in
/// place from checked bytes (the fast path: no tree is built).
protocol NftJSONNode {
    subscript(key: String) -> Self? { get }
    /// The members `keys` (each its last value if repeated; nil when absent or not an object).
    func values(of keys: [String]) -> [Self?]
    var string: String? { get }
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

extension JSONValue: NftJSONNode {
    func values(of keys: [String]) -> [JSONValue?] {
        keys.map { self[$0] }
    }

    var firstMember: (key: String, value: JSONValue, count: Int)? {
        guard let members, let first = members.first else { return nil }
        return (first.key, first.value, members.count)
    }
}

extension JSONSpan: NftJSONNode {}

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
