#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chain positions by name, for the chains of one scanned table: an open-addressing table keyed
/// by a hash of the name's bytes where they sit in the dump. kube-proxy declares 100,000 chains;
/// hashing each name with Swift's Hasher into a `[String: Int]` was half of scanning a dump.
struct ChainNameIndex: Sendable {
    /// Per slot: the position + 1 of the chain there, 0 when empty.
    private var slots: [Int32]
    /// Per chain position: its name's hash and where the name sits in the dump.
    private var entries: [(hash: UInt64, start: UInt32, count: UInt32)] = []

    init(capacity: Int = 64) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
    }

    var count: Int { entries.count }

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
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append((hash, UInt32(name.lowerBound), UInt32(name.count)))
        place(entries.count - 1, hash: hash)
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
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let occupant = Int(slots[slot]) - 1
            if occupant < 0 { return nil }
            let entry = entries[occupant]
            if entry.hash == hash, Int(entry.count) == count, memcmp(base + Int(entry.start), name, count) == 0 {
                return occupant
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func place(_ position: Int, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = Int32(position + 1)
    }

    private mutating func grow() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for (position, entry) in entries.enumerated() { place(position, hash: entry.hash) }
    }
}
