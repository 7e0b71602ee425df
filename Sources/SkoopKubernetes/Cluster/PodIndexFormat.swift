import SkoopModel

/// A file's size and modification time: what pods.json looked like when its index was made.
public struct PodIndexStamp: Sendable, Equatable {
    /// Size in bytes.
    public var size: Int
    /// Modification time: seconds since the epoch and nanoseconds within the second.
    public var seconds: Int
    public var nanoseconds: Int

    /// Makes a stamp.
    public init(size: Int, seconds: Int, nanoseconds: Int) {
        (self.size, self.seconds, self.nanoseconds) = (size, seconds, nanoseconds)
    }
}

extension PodIndexStamp {
    /// True when this file was modified strictly after `other`.
    func isNewer(than other: PodIndexStamp) -> Bool {
        (seconds, nanoseconds) > (other.seconds, other.nanoseconds)
    }
}

/// A pod index a snapshot holds (k8s/pods.index), with the stamps of pods.json and of the index.
public struct PodIndexInput: Sendable {
    /// The index's name for messages ("k8s/pods.index").
    public var source: String
    /// The stamp of the pods.json being loaded.
    public var podsStamp: PodIndexStamp
    /// The stamp of the index file itself.
    public var indexStamp: PodIndexStamp
    /// Reads the index (nil when it vanished).
    public var read: @Sendable () throws(InputError) -> [UInt8]?

    /// Makes an input.
    public init(source: String, podsStamp: PodIndexStamp, indexStamp: PodIndexStamp,
                read: @escaping @Sendable () throws(InputError) -> [UInt8]?) {
        (self.source, self.podsStamp, self.indexStamp, self.read) = (source, podsStamp, indexStamp, read)
    }
}

/// Little-endian fixed-width fields appended to a byte array (the pod index's writer).
struct IndexWriter {
    var bytes: [UInt8] = []

    mutating func append<Value: FixedWidthInteger>(_ value: Value) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ text: CatalogText?) {
        append(Int64(text?.offset ?? 0))
        append(Int32(text?.count ?? IndexReader.absentText))
    }

    mutating func append(_ address: IPAddress) {
        switch address {
        case .v4(let v4):
            append(UInt8(4))
            append(UInt64(v4.value))
            append(UInt64(0))
        case .v6(let v6):
            append(UInt8(6))
            append(v6.high)
            append(v6.low)
        }
    }

    mutating func append(string: String) {
        append(UInt32(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }
}

/// Reads what ``IndexWriter`` wrote; every read is bounds-checked, so a truncated index reads as
/// nil, never past the end (damage elsewhere is caught by the body's hash).
struct IndexReader {
    /// The `count` of a text that is absent (`nodeName` or `phase` not given).
    static let absentText = Int(Int32.min)

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func integer<Value: FixedWidthInteger>(_: Value.Type = Value.self) -> Value? {
        guard offset + MemoryLayout<Value>.size <= bytes.count else { return nil }
        defer { offset += MemoryLayout<Value>.size }
        return Value(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Value.self))
    }

    /// A count of records, each at least `minimumSize` bytes: nil when the rest cannot hold them.
    mutating func count(ofRecords minimumSize: Int) -> Int? {
        guard let value = integer(UInt64.self), value <= UInt64((bytes.count - offset) / max(minimumSize, 1)) else {
            return nil
        }
        return Int(value)
    }

    mutating func text() -> CatalogText?? {
        guard let offset = integer(Int64.self), let count = integer(Int32.self) else { return nil }
        if Int(count) == Self.absentText { return .some(nil) }
        return .some(CatalogText(offset: Int(offset), count: Int(count)))
    }

    mutating func address() -> IPAddress? {
        guard let family = integer(UInt8.self), let high = integer(UInt64.self), let low = integer(UInt64.self) else {
            return nil
        }
        switch family {
        case 4: return high <= UInt64(UInt32.max) && low == 0 ? .v4(IPv4Address(value: UInt32(high))) : nil
        case 6: return .v6(IPv6Address(high: high, low: low))
        default: return nil
        }
    }

    mutating func string() -> String? {
        guard let length = integer(UInt32.self).map(Int.init), offset + length <= bytes.count else { return nil }
        defer { offset += length }
        return String(validating: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), as: UTF8.self)
    }
}
