import SkoopModel
#if canImport(Glibc)
import Glibc
#endif

/// A string field of a catalogued object, kept without making a String: 150,000 pods would make
/// 600,000 of them just to be indexed. It is either the bytes of a plain ASCII JSON string in the
/// mapped file, or a string decoded apart (escapes, other scripts, objects decoded already).
struct CatalogText: Sendable {
    /// With `count` ≥ 0, the text is `count` bytes of the file from `offset`; otherwise it is
    /// string `offset` of the strings decoded apart.
    var offset: Int
    var count: Int

    static func decoded(_ position: Int) -> CatalogText { CatalogText(offset: position, count: -1) }
}

/// What catalogued texts point into: the file, and the strings decoded apart.
struct CatalogTexts: Sendable {
    let bytes: SharedBytes?
    var decoded: [String] = []

    init(bytes: SharedBytes?) { self.bytes = bytes }

    /// A text for `string`, decoded apart.
    mutating func append(_ string: String) -> CatalogText {
        decoded.append(string)
        return .decoded(decoded.count - 1)
    }

    /// The text of a captured JSON value: `.some(nil)` for null, nil when it is not a string.
    /// Only a string of printable ASCII without escapes stays in the file: its bytes are then
    /// exactly the String the strict decoder makes, so bytes can be compared for strings.
    mutating func text(ofCaptured range: Range<Int>, in bytes: SharedBytes) -> CatalogText?? {
        let buffer = bytes.buffer
        if let first = range.first, buffer[first] == UInt8(ascii: "\""), range.count >= 2 {
            let inner = (range.lowerBound + 1)..<(range.upperBound - 1)
            if !buffer[inner].contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 || $0 >= 0x80 }) {
                return .some(CatalogText(offset: inner.lowerBound, count: inner.count))
            }
        }
        guard let string = JSONListSkim.string(in: bytes, range) else { return nil }
        return .some(string.map { append($0) })
    }

    /// The text as a String.
    func string(_ text: CatalogText) -> String {
        if text.count < 0 { return decoded[text.offset] }
        return withBytes(text) { String(decoding: $0, as: UTF8.self) }
    }

    /// The text's UTF-8 bytes.
    @inline(__always) func withBytes<Result>(_ text: CatalogText, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if text.count >= 0, let bytes {
            return body(UnsafeBufferPointer(rebasing: bytes.buffer[text.offset..<(text.offset + text.count)]))
        }
        var string = decoded[text.offset]
        return string.withUTF8(body)
    }

    /// True when the text is `string`.
    func equals(_ text: CatalogText, _ string: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount)
        return withBytes(text) { Self.same($0, expected) }
    }

    /// True when the two texts are the same bytes.
    func equals(_ text: CatalogText, _ other: CatalogText) -> Bool {
        withBytes(text) { a in withBytes(other) { Self.same(a, $0) } }
    }

    /// Byte equality, length first (the generic element loop cost more than the rest of an index).
    @inline(__always) static func same(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        guard let x = a.baseAddress, let y = b.baseAddress else { return true }
        return memcmp(x, y, a.count) == 0
    }

    /// True when the text is `string`.
    func equals(_ text: CatalogText, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { expected in withBytes(text) { Self.same($0, expected) } }
    }
}

/// Pods by namespace and name: each pod's name hash (made while its bytes were at hand) with
/// its position, sorted. A hash table of 150,000 pods is written at random places, and on a
/// virtual machine each of those misses costs more than sorting the whole list.
struct PodNameIndex: Sendable {
    /// hash << 32 | position, ascending: the pods of one hash in file order.
    let sorted: [UInt64]

    init(_ entries: UnsafeBufferPointer<PodCatalog.Entry>) {
        sorted = entries.indices.map { UInt64(entries[$0].nameHash) << 32 | UInt64($0) }.sorted()
    }

    /// An index read back (from a pod index).
    init(sorted: [UInt64]) { self.sorted = sorted }

    /// The position of the first pod `namespace`/`name`.
    func position(namespace: String, name: String, in entries: UnsafeBufferPointer<PodCatalog.Entry>,
                  texts: CatalogTexts) -> Int? {
        var namespace = namespace, name = name
        return namespace.withUTF8 { namespace in
            name.withUTF8 { name -> Int? in
                let hash = UInt64(Self.hash(namespace, name))
                var low = sorted.firstIndex(withKey: hash)
                while low < sorted.count, sorted[low] >> 32 == hash {
                    let index = Int(sorted[low] & 0xFFFF_FFFF)
                    if texts.withBytes(entries[index].name, { CatalogTexts.same($0, name) }),
                       texts.withBytes(entries[index].namespace, { CatalogTexts.same($0, namespace) }) {
                        return index
                    }
                    low += 1
                }
                return nil
            }
        }
    }

    /// The hash of a pod's namespace and name, the same from a file's bytes and from a String's,
    /// and the same in every process: a pod index (k8s/pods.index) keeps these hashes, so not
    /// `Hasher`, which is seeded afresh for each run.
    static func hash(_ namespace: UnsafeBufferPointer<UInt8>, _ name: UnsafeBufferPointer<UInt8>) -> UInt32 {
        // The name seeded by the namespace's hash: "a/bc" and "ab/c" differ.
        let combined = ContentHash.xxh64(UnsafeRawBufferPointer(name), seed: ContentHash.xxh64(UnsafeRawBufferPointer(namespace)))
        return UInt32(truncatingIfNeeded: combined ^ (combined >> 32))
    }

    static func hash(_ namespace: CatalogText, _ name: CatalogText, _ texts: CatalogTexts) -> UInt32 {
        texts.withBytes(namespace) { namespace in texts.withBytes(name) { hash(namespace, $0) } }
    }
}

extension Array where Element == UInt64 {
    /// In a sorted list of `key << 32 | position`, the index of the first element of `key`
    /// (or where it would be).
    /// - Complexity: O(log n).
    func firstIndex(withKey key: UInt64) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] >> 32 < key { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
