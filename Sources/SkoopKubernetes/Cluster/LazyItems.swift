import Foundation
import SkoopModel

/// The items of a big Kubernetes List that was skimmed, not parsed: each is decoded in full,
/// strictly and once, the first time it is asked for. A diagnosis touches a handful of the
/// 150,000 pods of a large cluster; decoding them all would be most of its cost.
final class LazyItems<Object: Sendable>: Sendable {
    let bytes: SharedBytes
    let source: String
    let skim: JSONListSkim
    private let kind: String
    private let expectation: String
    private let decodeItem: @Sendable (JSONNode) throws(InputError) -> Object
    private let decoded = Locked<[Int: Result<Object, InputError>]>([:])
    private let failed = Locked<[InputError]>([])

    init(bytes: SharedBytes, source: String, skim: JSONListSkim, kind: String, plural: String,
         decodeItem: @escaping @Sendable (JSONNode) throws(InputError) -> Object) {
        self.bytes = bytes
        self.source = source
        self.skim = skim
        self.kind = kind
        self.expectation = "a Kubernetes List of \(plural)"
        self.decodeItem = decodeItem
    }

    /// Skims `document` with `pick`; nil when it is not a List (then it is decoded the strict way).
    static func skim(_ document: SourceData, kind: String, plural: String, pick: JSONPick,
                     decodeItem: @escaping @Sendable (JSONNode) throws(InputError) -> Object) throws(InputError) -> LazyItems? {
        let bytes = try document.sharedBytes()
        guard let skim = try DecodingContext.skim(bytes, source: document.source,
                                                  expectation: "a Kubernetes List of \(plural)",
                                                  listMember: "items", pick: pick) else { return nil }
        return LazyItems(bytes: bytes, source: document.source, skim: skim, kind: kind, plural: plural,
                         decodeItem: decodeItem)
    }

    var count: Int { skim.itemOffsets.count }

    /// Item `index`, decoded (once) with the same checks and errors as an eager decode.
    func object(at index: Int) throws(InputError) -> Object {
        if let cached = decoded.withLock({ $0[index] }) { return try cached.get() }
        let result: Result<Object, InputError>
        do throws(InputError) {
            result = .success(try decodeWithoutKeeping(at: index))
        } catch {
            result = .failure(error)
        }
        decoded.withLock { $0[index] = result }
        return try result.get()
    }

    /// Item `index` decoded strictly, not kept (a list decoded whole keeps the objects itself).
    func decodeWithoutKeeping(at index: Int) throws(InputError) -> Object {
        let start = skim.itemOffsets[index]
        let item = try DecodingContext.item(bytes[start..<skim.itemEnds[index]], position: index, key: "items",
                                            source: source, expectation: expectation) { [bytes] in
            bytes.line(at: start) - 1
        }
        try KubernetesJSON.checkKind(item, kind: kind)
        return try decodeItem(item)
    }

    /// Every item decoded strictly, in pieces side by side; the first failure in list order is
    /// thrown, as decoding the list item after item would.
    func decodeAll() throws(InputError) -> [Object] {
        let pieces = min(max(count / 256, 1), 2 * ProcessInfo.processInfo.activeProcessorCount)
        let results = Locked<[Result<[Object], InputError>?]>(Array(repeating: nil, count: pieces))
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            var objects: [Object] = []
            let result: Result<[Object], InputError>
            do throws(InputError) {
                for index in (count * piece / pieces)..<(count * (piece + 1) / pieces) {
                    objects.append(try decodeWithoutKeeping(at: index))
                }
                result = .success(objects)
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[piece] = result }
        }
        var objects: [Object] = []
        objects.reserveCapacity(count)
        for piece in results.withLock({ $0 }) { objects += try piece!.get() }
        return objects
    }

    /// Item `index`, or nil when it cannot be decoded: the error is kept in ``failures`` for the
    /// caller to report (a diagnosis asks for items deep inside lookups that cannot throw).
    func objectIfReadable(at index: Int) -> Object? {
        do {
            return try object(at: index)
        } catch {
            failed.withLock { failures in if !failures.contains(error) { failures.append(error) } }
            return nil
        }
    }

    /// Items that were asked for but could not be decoded.
    var failures: [InputError] { failed.withLock { $0 } }

    /// The captured value of `capture` as a string (nil for null); nil when it is not a string.
    func string(_ capture: JSONCapture) -> String?? {
        JSONListSkim.string(in: bytes, capture.range)
    }

    /// The captured value as a boolean (nil for null); nil when it is neither.
    func bool(_ capture: JSONCapture) -> Bool?? {
        let value = bytes.buffer[capture.range]
        if value.elementsEqual("true".utf8) { return .some(true) }
        if value.elementsEqual("false".utf8) { return .some(false) }
        if value.elementsEqual("null".utf8) { return .some(nil) }
        return nil
    }

    /// The captured value as an address (nil for null or ""); nil when it is not one.
    func address(_ capture: JSONCapture) -> IPAddress?? {
        // Most are plain IPv4 strings: read from the file's bytes, without making a String.
        let range = capture.range
        if range.count > 2, bytes.buffer[range.lowerBound] == UInt8(ascii: "\""),
           let v4 = IPv4Address(utf8: bytes.buffer[(range.lowerBound + 1)..<(range.upperBound - 1)]) {
            return .some(.v4(v4))
        }
        guard let text = string(capture) else { return nil }
        guard let text, !text.isEmpty else { return .some(nil) }
        return IPAddress(text).map { .some($0) }
    }

    /// True when the item's captured `kind` (field `kindField`), if any, names the wrong kind.
    func hasWrongKind(_ capture: JSONCapture) -> Bool {
        // Mostly exactly "Kind": compared as bytes, without making a String.
        let value = bytes.buffer[capture.range]
        if value.count == kind.utf8.count + 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\""),
           value.dropFirst().dropLast().elementsEqual(kind.utf8) {
            return false
        }
        guard let found = string(capture) else { return true }
        return found.map { $0 != kind } ?? false
    }
}

/// A catalogue's objects: decoded already (tests, the lab, a single-object document), or items
/// of a skimmed list decoded on first use.
enum CatalogStorage<Object: Sendable>: Sendable {
    case decoded([Object])
    case lazy(LazyItems<Object>)

    var count: Int {
        switch self {
        case .decoded(let objects): objects.count
        case .lazy(let items): items.count
        }
    }

    /// Object `index`; nil when it cannot be decoded (see ``failures``).
    func object(at index: Int) -> Object? {
        switch self {
        case .decoded(let objects): objects[index]
        case .lazy(let items): items.objectIfReadable(at: index)
        }
    }

    /// Every object; the first that cannot be decoded is thrown.
    func all() throws(InputError) -> [Object] {
        switch self {
        case .decoded(let objects):
            return objects
        case .lazy(let items):
            var objects: [Object] = []
            objects.reserveCapacity(items.count)
            for index in 0..<items.count { objects.append(try items.object(at: index)) }
            return objects
        }
    }

    /// Objects asked for that could not be decoded.
    var failures: [InputError] {
        if case .lazy(let items) = self { return items.failures }
        return []
    }
}
