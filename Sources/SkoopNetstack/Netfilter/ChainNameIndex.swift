#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chain positions by name, for the chains of one scanned table: an open-addressing table keyed
/// by a hash of the name's bytes where they sit in the dump. kube-proxy declares 100,000 chains;
/// hashing each name with Swift's Hasher into a `[String: Int]` was half of scanning a dump.
struct ChainNameIndex: Sendable {
    /// One slot holds all a lookup needs besides the name's bytes, so a lookup among 100,000
    /// chains costs two cache misses (the slot, the name in the dump), not three.
    private struct Slot {
        /// The upper half of the name's hash (the lower half chose the slot).
        var tag: UInt32 = 0
        /// The position + 1 of the chain here, 0 when empty.
        var position: Int32 = 0
        /// Where the name sits in the dump.
        var start: UInt32 = 0
        var count: UInt32 = 0
    }

    private var slots: [Slot]
    private(set) var count = 0

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: Slot(), count: size)
    }

    /// A multiply-and-rotate hash, eight bytes at a time (chain names are ASCII words of 5-30 bytes).
    static func hash(_ bytes: UnsafePointer<UInt8>, count: Int) -> UInt64 {
        var hash: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
        let raw = UnsafeRawPointer(bytes)
        var offset = 0
        while offset + 8 <= count {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 31
            offset += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return hash ^ (hash >> 29)
    }

    /// Adds the chain named by `name` (a range of `dump`) at the next position; returns the
    /// position of an earlier chain with the same name instead when there is one.
    mutating func insert(_ name: Range<Int>, in dump: UnsafeBufferPointer<UInt8>) -> Int? {
        let base = dump.baseAddress!
        let hash = Self.hash(base + name.lowerBound, count: name.count)
        if let earlier = find(base + name.lowerBound, count: name.count, hash: hash, in: base) { return earlier }
        if (count + 1) * 2 > slots.count { grow(base) }
        place(Slot(tag: UInt32(truncatingIfNeeded: hash >> 32), position: Int32(count + 1), start: UInt32(name.lowerBound),
                   count: UInt32(name.count)), hash: hash)
        count += 1
        return nil
    }

    /// The position of the chain whose name is the `count` bytes at `name`.
    func position(of name: UnsafePointer<UInt8>, count: Int, in dump: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = dump.baseAddress else { return nil }
        return find(name, count: count, hash: Self.hash(name, count: count), in: base)
    }

    /// The position of the chain called `name`.
    func position(of name: String, in dump: UnsafeBufferPointer<UInt8>) -> Int? {
        var name = name
        return name.withUTF8 { bytes in
            guard let start = bytes.baseAddress else { return nil }
            return position(of: start, count: bytes.count, in: dump)
        }
    }

    private func find(_ name: UnsafePointer<UInt8>, count: Int, hash: UInt64, in base: UnsafePointer<UInt8>) -> Int? {
        let mask = slots.count - 1
        let tag = UInt32(truncatingIfNeeded: hash >> 32)
        var index = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[index]
            if slot.position == 0 { return nil }
            if slot.tag == tag, Int(slot.count) == count, memcmp(base + Int(slot.start), name, count) == 0 {
                return Int(slot.position) - 1
            }
            index = (index + 1) & mask
        }
    }

    /// Puts `slot` in the first free slot from its hash's.
    private mutating func place(_ slot: Slot, hash: UInt64) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index].position != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    /// Doubles the slots, re-placing each chain by its name's hash (hashed again from the dump:
    /// a slot keeps only the upper half).
    private mutating func grow(_ base: UnsafePointer<UInt8>) {
        let old = slots
        slots = Array(repeating: Slot(), count: old.count * 2)
        for slot in old where slot.position != 0 {
            place(slot, hash: Self.hash(base + Int(slot.start), count: Int(slot.count)))
        }
    }
}
