import SkoopModel

/// One captured frame of a pcap file.
public struct PcapRecord: Hashable, Sendable {
    /// Capture time, seconds since the epoch.
    public var seconds: UInt32
    /// Sub-second part (micro- or nanoseconds, as the file's magic says).
    public var fraction: UInt32
    /// The captured bytes (possibly fewer than were on the wire).
    public var bytes: [UInt8]
}

/// A pcap file (the classic format tcpdump -w writes): its link type and frames.
public struct PcapFile: Hashable, Sendable {
    /// The link-layer type (DLT_NFLOG = 239, DLT_EN10MB = 1, ...).
    public var linkType: UInt32
    /// The frames, in capture order.
    public var records: [PcapRecord]
    /// Whether the writer was big-endian (NFLOG TLV headers are in the writer's byte order).
    public var bigEndian: Bool

    /// DLT_NFLOG: netfilter log messages, one NFLOG header plus TLVs per frame.
    public static let nflogLinkType: UInt32 = 239

    /// Reads a pcap file (either byte order, micro- or nanosecond magic). A truncated last frame,
    /// as a capture stopped mid-write leaves, is dropped; a bad header throws `InputError`.
    public init(bytes: [UInt8], source: String) throws {
        guard bytes.count >= 24 else {
            throw InputError(source: source, line: 1, expected: "a 24-byte pcap header", found: "\(bytes.count) bytes")
        }
        let magic = ByteReader.uint32(bytes, at: 0, bigEndian: false)
        switch magic {
        case 0xa1b2_c3d4, 0xa1b2_3c4d, 0xd4c3_b2a1, 0x4d3c_b2a1: break
        default:
            throw InputError(source: source, line: 1, expected: "pcap magic a1b2c3d4", found: String(magic, radix: 16))
        }
        bigEndian = magic == 0xd4c3_b2a1 || magic == 0x4d3c_b2a1
        linkType = ByteReader.uint32(bytes, at: 20, bigEndian: bigEndian) & 0x0fff_ffff
        records = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = Int(ByteReader.uint32(bytes, at: offset + 8, bigEndian: bigEndian))
            let start = offset + 16
            guard length <= bytes.count - start else { break }
            records.append(PcapRecord(seconds: ByteReader.uint32(bytes, at: offset, bigEndian: bigEndian),
                                      fraction: ByteReader.uint32(bytes, at: offset + 4, bigEndian: bigEndian),
                                      bytes: Array(bytes[start..<start + length])))
            offset = start + length
        }
    }
}

/// Bounds-checked integer reads (callers check the length first).
enum ByteReader {
    static func uint16(_ bytes: [UInt8], at offset: Int, bigEndian: Bool) -> UInt16 {
        let (a, b) = (UInt16(bytes[offset]), UInt16(bytes[offset + 1]))
        return bigEndian ? a << 8 | b : b << 8 | a
    }

    static func uint32(_ bytes: [UInt8], at offset: Int, bigEndian: Bool) -> UInt32 {
        let high = UInt32(uint16(bytes, at: offset + (bigEndian ? 0 : 2), bigEndian: bigEndian))
        let low = UInt32(uint16(bytes, at: offset + (bigEndian ? 2 : 0), bigEndian: bigEndian))
        return high << 16 | low
    }
}
