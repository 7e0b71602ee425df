import SkoopModel

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
    func withBytes<Result>(_ text: CatalogText, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if text.count >= 0, let bytes {
            return body(UnsafeBufferPointer(rebasing: bytes.buffer[text.offset..<(text.offset + text.count)]))
        }
        var string = decoded[text.offset]
        return string.withUTF8(body)
    }

    /// True when the text is `string`.
    func equals(_ text: CatalogText, _ string: String) -> Bool {
        var string = string
        return string.withUTF8 { expected in withBytes(text) { $0.elementsEqual(expected) } }
    }
}

/// Pods by namespace and name, hashed from their bytes: open addressing over entry positions.
struct PodNameIndex: Sendable {
    private var slots: [Int32]
    private let mask: Int

    /// Indexes `count` pods; the first pod of a name wins, as in the strict decoder's order.
    init(count: Int, namespace: (Int) -> CatalogText, name: (Int) -> CatalogText, texts: CatalogTexts) {
        var capacity = 16
        while capacity < count * 2 { capacity <<= 1 }
        slots = Array(repeating: -1, count: capacity)
        mask = capacity - 1
        for index in 0..<count {
            let key = (namespace(index), name(index))
            let hash = texts.withBytes(key.0) { ns in texts.withBytes(key.1) { Self.hash(ns, $0) } }
            var slot = hash & mask
            var duplicate = false
            while slots[slot] >= 0 {
                let other = Int(slots[slot])
                if texts.withBytes(namespace(other), { a in texts.withBytes(key.0) { a.elementsEqual($0) } }),
                   texts.withBytes(name(other), { a in texts.withBytes(key.1) { a.elementsEqual($0) } }) {
                    duplicate = true
                    break
                }
                slot = (slot + 1) & mask
            }
            if !duplicate { slots[slot] = Int32(index) }
        }
    }

    /// The position of pod `namespace`/`name`.
    func position(namespace: String, name: String, namespaceOf: (Int) -> CatalogText, nameOf: (Int) -> CatalogText,
                  texts: CatalogTexts) -> Int? {
        var namespace = namespace, name = name
        return namespace.withUTF8 { ns in
            name.withUTF8 { nm -> Int? in
                var slot = Self.hash(ns, nm) & mask
                while slots[slot] >= 0 {
                    let index = Int(slots[slot])
                    if texts.withBytes(nameOf(index), { $0.elementsEqual(nm) }),
                       texts.withBytes(namespaceOf(index), { $0.elementsEqual(ns) }) {
                        return index
                    }
                    slot = (slot + 1) & mask
                }
                return nil
            }
        }
    }

    private static func hash(_ namespace: UnsafeBufferPointer<UInt8>, _ name: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(namespace))
        hasher.combine(UInt8(ascii: "/"))
        hasher.combine(bytes: UnsafeRawBufferPointer(name))
        return hasher.finalize()
    }
}
