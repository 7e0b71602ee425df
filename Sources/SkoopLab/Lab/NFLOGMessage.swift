import SkoopModel

/// One netfilter log message as a DLT_NFLOG frame carries it: the fields the legacy trace needs.
public struct NFLOGMessage: Hashable, Sendable {
    /// The address family (2: IPv4).
    public var family: UInt8
    /// The netfilter hook number (0 PREROUTING, 1 INPUT, 2 FORWARD, 3 OUTPUT, 4 POSTROUTING).
    public var hook: UInt8?
    /// The log prefix ("TRACE: nat:KUBE-SERVICES:rule:3 "), without its terminating NUL.
    public var prefix: String?
    /// The network-layer packet as the hook saw it.
    public var payload: [UInt8]

    /// The hook's chain name, nil for an unknown number.
    public var hookName: String? {
        guard let hook, hook < 5 else { return nil }
        return ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"][Int(hook)]
    }

    /// TLV types of nfnetlink_log (linux/netfilter/nfnetlink_log.h).
    enum Attribute: UInt16 {
        case packetHeader = 1, payload = 9, prefix = 10
    }

    /// Decodes one frame: a 4-byte header (family, version, resource id), then TLVs whose length
    /// and type are in the capturing host's byte order (`bigEndian`), each padded to 4 bytes.
    /// A frame too short for its header or a TLV running past the end throws `InputError`
    /// (`line` is the frame's 1-based number).
    public init(frame: [UInt8], bigEndian: Bool, source: String, frameNumber: Int) throws {
        guard frame.count >= 4 else {
            throw InputError(source: source, line: frameNumber, expected: "a 4-byte NFLOG header", found: "\(frame.count) bytes")
        }
        family = frame[0]
        payload = []
        var offset = 4
        while offset + 4 <= frame.count {
            let length = Int(ByteReader.uint16(frame, at: offset, bigEndian: bigEndian))
            let type = ByteReader.uint16(frame, at: offset + 2, bigEndian: bigEndian) & 0x7fff  // NLA_F_NESTED off
            guard length >= 4, length <= frame.count - offset else {
                throw InputError(source: source, line: frameNumber, expected: "an NFLOG TLV within the frame",
                                 found: "length \(length) at byte \(offset) of \(frame.count)")
            }
            let value = frame[(offset + 4)..<(offset + length)]
            switch Attribute(rawValue: type) {
            case .packetHeader where value.count >= 3: hook = value[value.startIndex + 2]
            case .payload: payload = Array(value)
            case .prefix: prefix = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
            default: break
            }
            offset += (length + 3) & ~3
        }
    }

    /// The IPv4 packet of the payload as the trace matcher sees it: tuple, TCP flags, IP id.
    /// Nil for a payload that is not IPv4 or too short for its headers.
    public var packet: XtablesTracePacket? {
        let bytes = payload
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return nil }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        let proto = bytes[9]
        let address = { (at: Int) in bytes[at..<at + 4].map(String.init).joined(separator: ".") }
        var tuple = LabTuple(src: address(12), dst: address(16), sport: 0, dport: 0)
        var flags: [String] = []
        let fragmentOffset = ByteReader.uint16(bytes, at: 6, bigEndian: true) & 0x1fff
        if (proto == 6 || proto == 17) && fragmentOffset == 0 && bytes.count >= headerLength + 4 {
            tuple.sport = Int(ByteReader.uint16(bytes, at: headerLength, bigEndian: true))
            tuple.dport = Int(ByteReader.uint16(bytes, at: headerLength + 2, bigEndian: true))
        }
        if proto == 6 && fragmentOffset == 0 && bytes.count >= headerLength + 14 {
            let bits = bytes[headerLength + 13]
            let names: [(UInt8, String)] = [(0x02, "SYN"), (0x10, "ACK"), (0x01, "FIN"), (0x04, "RST"),
                                            (0x08, "PSH"), (0x20, "URG"), (0x40, "ECE"), (0x80, "CWR")]
            flags = names.filter { bits & $0.0 != 0 }.map(\.1)
        }
        return XtablesTracePacket(tuple: tuple, flags: flags, ipID: String(ByteReader.uint16(bytes, at: 4, bigEndian: true)))
    }
}
