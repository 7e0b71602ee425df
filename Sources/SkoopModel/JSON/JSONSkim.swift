/// What to capture from each element of a big JSON list while skimming it: the members to step
/// into, the arrays whose elements to visit, and the values to capture (by field number).
public indirect enum JSONPick: Sendable {
    /// An object: these members are visited, every other member is skipped.
    case members([(key: String, pick: JSONPick)])
    /// The same, noting an empty capture of field `Int` where the object starts: a member met
    /// twice (whose last value alone counts for the strict reader) is then seen as two captures.
    case markedMembers(Int, [(key: String, pick: JSONPick)])
    /// An array: every element is visited.
    case elements(JSONPick)
    /// The same, noting an empty capture of field `Int` where the array starts.
    case markedElements(Int, JSONPick)
    /// The value is captured (its raw bytes) as field `Int`.
    case capture(Int)
}

/// A value captured while skimming: which item, which field, where its raw bytes are.
public struct JSONCapture: Sendable, Equatable {
    /// The field number given in the ``JSONPick``, or ``JSONCapture/mismatch``.
    public var field: Int
    /// The raw value's bytes (a string with its quotes, a number, `null`, ...).
    public var range: Range<Int>

    /// The field number of a capture recording that a picked member was not of the picked shape
    /// (e.g. "metadata" not an object): the item must be decoded in full to word the error.
    public static let mismatch = -1
}

/// A JSON list skimmed, not parsed: the byte offset of each element of the root object's array
/// member, and the values picked out of each. Structure is checked (strings end, brackets match,
/// nesting stays within ``JSONDocument/maximumDepth``), but skipped values are not validated: a
/// caller decodes an element in full, with the strict reader, when it needs it.
///
/// This is how a 500 MB `kubectl get pods -o json` is indexed at memory speed: most bytes are
/// walked past by a loop that looks only for quotes and brackets.
public struct JSONListSkim: Sendable, Equatable {
    /// The offset where each element starts.
    public let itemOffsets: [Int]
    /// The offset just past each element.
    public let itemEnds: [Int]
    /// Captures of all items, item after item.
    public let captures: [JSONCapture]
    /// `captures[captureStarts[n]..<captureStarts[n + 1]]` are item n's.
    public let captureStarts: [Int]

    /// The captures of item `index`.
    public func captures(ofItem index: Int) -> ArraySlice<JSONCapture> {
        captures[captureStarts[index]..<captureStarts[index + 1]]
    }

    /// Skims `bytes`: nil when the document is not an object with an array member `key` (the
    /// caller then reads it the strict way). When `key` repeats, the last array counts.
    /// A list of more than `splittingAbove` bytes is split between `threads` threads; the result
    /// is the same as one thread's.
    /// - Throws: a located ``JSONSyntaxError`` for broken structure.
    public static func skim(_ bytes: SharedBytes, source: String, listMember key: String, pick: JSONPick,
                            threads: Int = 1, splittingAbove: Int = 8 << 20) throws(JSONSyntaxError) -> JSONListSkim? {
        do {
            var skimmer = JSONSkimmer(bytes.buffer, picks: CompiledPick.compile(pick), chunkCount: threads,
                                      chunkThreshold: splittingAbove)
            skimmer.prefault = bytes.prefault
            return try skimmer.skimRoot(listMember: Array(key.utf8))
        } catch {
            throw JSONDocument.located(error, in: bytes.buffer, source: source)
        }
    }

    /// A capture's value as a string: nil for `null`; nil itself when it is not a string.
    public static func string(in bytes: SharedBytes, _ range: Range<Int>) -> String?? {
        let buffer = bytes.buffer
        guard let first = range.first.map({ buffer[$0] }) else { return .some(nil) }
        if first == UInt8(ascii: "n") { return buffer[range].elementsEqual("null".utf8) ? .some(nil) : nil }
        guard first == UInt8(ascii: "\""), range.count >= 2 else { return nil }
        let inner = buffer[(range.lowerBound + 1)..<(range.upperBound - 1)]
        if !inner.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) {
            return .some(String(decoding: UnsafeBufferPointer(rebasing: inner), as: UTF8.self))
        }
        var reader = JSONReader(bytes: bytes[range])
        guard let text = try? reader.readString() else { return nil }
        return .some(text)
    }
}

extension JSONListSkim {
    /// Items located elsewhere (a pod index gives them), without captures.
    public init(itemOffsets: [Int], itemEnds: [Int]) {
        self.init(itemOffsets: itemOffsets, itemEnds: itemEnds, captures: [],
                  captureStarts: Array(repeating: 0, count: itemOffsets.count + 1))
    }
}

/// A ``JSONPick`` flattened into plain values: nodes, member entries and one pool of key bytes.
/// Nothing in it is reference-counted, so threads reading it share no counter to fight over.
struct CompiledPick: Sendable {
    enum Kind: UInt8, Sendable { case members, elements, capture }

    struct Node: Sendable {
        var kind: Kind
        var field = 0
        /// `.members`, `.elements`: an empty capture of `field` is noted where the value starts.
        var marked = false
        /// `.members`: its entries in `members`; `.elements`: `child` is the element's node.
        var firstMember = 0
        var memberCount = 0
        var child = 0
    }

    struct Member: Sendable {
        var keyStart: Int
        var keyCount: Int
        var child: Int
    }

    var nodes: [Node] = []
    var members: [Member] = []
    var keyBytes: [UInt8] = []

    static func compile(_ pick: JSONPick) -> CompiledPick {
        var compiled = CompiledPick()
        _ = compiled.add(pick)
        return compiled
    }

    private mutating func add(_ pick: JSONPick) -> Int {
        let index = nodes.count
        switch pick {
        case .capture(let field):
            nodes.append(Node(kind: .capture, field: field))
        case .elements(let element):
            nodes.append(Node(kind: .elements))
            let child = add(element)
            nodes[index].child = child
        case .markedElements(let field, let element):
            nodes.append(Node(kind: .elements, field: field, marked: true))
            let child = add(element)
            nodes[index].child = child
        case .members(let entries):
            return addMembers(entries, marker: nil)
        case .markedMembers(let field, let entries):
            return addMembers(entries, marker: field)
        }
        return index
    }

    private mutating func addMembers(_ entries: [(key: String, pick: JSONPick)], marker: Int?) -> Int {
        let index = nodes.count
        nodes.append(Node(kind: .members, field: marker ?? 0, marked: marker != nil))
        var compiledEntries: [Member] = []
        for entry in entries {
            let start = keyBytes.count
            keyBytes.append(contentsOf: entry.key.utf8)
            compiledEntries.append(Member(keyStart: start, keyCount: keyBytes.count - start, child: add(entry.pick)))
        }
        nodes[index].firstMember = members.count
        nodes[index].memberCount = compiledEntries.count
        members.append(contentsOf: compiledEntries)
        return index
    }
}
