/// One member of a flat object, as byte offsets into the input: nothing is copied until asked for.
struct FlatMember {
    enum Kind: UInt8 { case string, integer, `true`, `false`, null, stringArray }

    var key: Range<Int>
    var kind: Kind
    /// A string's bytes without the quotes, an integer's digits, an array's bytes inside its brackets.
    var value: Range<Int>
    /// How many strings an array holds.
    var count: Int
}

/// The members of the flat object being read, in storage reused from one object to the next,
/// with an index by one of 64 bits of each key: a parser asks for a dozen keys per object, most
/// of them absent, and each lookup then compares at most one key, unless two keys share a bit.
struct FlatMemberTable {
    private var members = UnsafeMutableBufferPointer<FlatMember>.allocate(capacity: 16)
    private(set) var count = 0
    /// The bits of the keys present.
    private var keyBits: UInt64 = 0
    /// The bits more than one key has (a repeated key among them).
    private var sharedBits: UInt64 = 0
    /// For each bit of `keyBits`, the member that has it; stale for the other bits.
    private let slots = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)

    /// Frees the storage: the table and every copy of it are then unusable.
    func deallocate() {
        members.deallocate()
        slots.deallocate()
    }

    mutating func removeAll() {
        count = 0
        keyBits = 0
        sharedBits = 0
    }

    /// Adds `member`, whose key is in `bytes`.
    mutating func append(_ member: FlatMember, in bytes: UnsafeBufferPointer<UInt8>) {
        if count == members.count {
            let larger = UnsafeMutableBufferPointer<FlatMember>.allocate(capacity: 2 * members.count)
            _ = larger.initialize(fromContentsOf: members)
            members.deallocate()
            members = larger
        }
        members.initializeElement(at: count, to: member)
        let bit = Self.bit(of: bytes[member.key])
        if keyBits & (1 << bit) != 0 { sharedBits |= 1 << bit }
        keyBits |= 1 << bit
        slots[Int(bit)] = count
        count += 1
    }

    /// The member named `key`, the last one when it repeats, as JSONValue's subscript picks it.
    /// Inlined, so that the bit of a literal key is worked out once, when compiling.
    @inline(__always)
    func member(_ key: UnsafeBufferPointer<UInt8>, in bytes: UnsafeBufferPointer<UInt8>) -> FlatMember? {
        let bit = Self.bit(of: key)
        guard keyBits & (1 << bit) != 0 else { return nil }
        if sharedBits & (1 << bit) == 0 {
            let member = members[slots[Int(bit)]]
            return Self.same(key, bytes[member.key]) ? member : nil
        }
        var index = count
        while index > 0 {
            index -= 1
            if Self.same(key, bytes[members[index].key]) { return members[index] }
        }
        return nil
    }

    /// One of 64 bits chosen by a key's length and its first and last bytes.
    @inline(__always)
    private static func bit<Key: BidirectionalCollection<UInt8>>(of key: Key) -> UInt64 {
        guard let first = key.first, let last = key.last else { return 0 }
        return UInt64(truncatingIfNeeded: key.count &* 7 &+ Int(first) &+ Int(last) &* 3) & 63
    }

    @inline(__always)
    private static func same(_ key: UnsafeBufferPointer<UInt8>, _ other: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        key.count == other.count && zip(key, other).allSatisfy { $0 == $1 }
    }
}
