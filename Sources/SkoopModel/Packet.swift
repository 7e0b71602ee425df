/// A packet as the simulation carries it from hop to hop.
public struct Packet: Hashable, Sendable, CustomStringConvertible {
    /// Source address.
    public var src: IPAddress
    /// Source port (0 for ICMP).
    public var sport: UInt16
    /// Destination address.
    public var dst: IPAddress
    /// Destination port (0 for ICMP).
    public var dport: UInt16
    /// Transport protocol.
    public var proto: TransportProtocol
    /// The firewall mark (skb->mark) set by netfilter and read by policy routing.
    public var mark: UInt32
    /// The IP packet's total length in bytes (what the length match reads); nil when unknown.
    public var length: UInt32?
    private var encapsulated: Box?

    /// Makes a packet; without a `length`, the typical length of the packet a diagnosis sends
    /// (see `typicalLength`).
    public init(src: IPAddress, sport: UInt16 = 0, dst: IPAddress, dport: UInt16 = 0,
                proto: TransportProtocol, mark: UInt32 = 0, encap: Packet? = nil, length: UInt32? = nil) {
        self.src = src
        self.sport = sport
        self.dst = dst
        self.dport = dport
        self.proto = proto
        self.mark = mark
        self.encapsulated = encap.map(Box.init)
        self.length = length ?? Self.typicalLength(proto: proto, family: dst.family, encap: encap)
    }

    /// The length of the first packet each way of the connection a diagnosis simulates: a TCP SYN
    /// or SYN-ACK with Linux's default options (MSS, SACK, timestamps, window scale: 20 option
    /// bytes), an ICMP echo with ping's default 56-byte payload, a tunnel packet its inner packet
    /// plus the encapsulation (VXLAN: outer IP, UDP, VXLAN and inner Ethernet headers; IPIP: an
    /// outer IP header). A UDP datagram's size is the application's: unknown.
    public static func typicalLength(proto: TransportProtocol, family: AddressFamily, encap: Packet?) -> UInt32? {
        let ipHeader: UInt32 = family == .inet ? 20 : 40
        if let inner = encap {
            guard let innerLength = inner.length else { return nil }
            switch proto {
            case .udp: return innerLength + ipHeader + 8 + 8 + 14
            case .ipip: return innerLength + ipHeader
            case .tcp, .icmp: return nil
            }
        }
        switch proto {
        case .tcp: return ipHeader + 20 + 20
        case .icmp: return ipHeader + 8 + 56
        case .udp, .ipip: return nil
        }
    }

    /// For an encapsulating packet (VXLAN, IPIP), the packet it carries.
    public var encap: Packet? {
        get { encapsulated?.packet }
        set { encapsulated = newValue.map(Box.init) }
    }

    /// The same connection seen from the other side: addresses and ports swapped, mark cleared.
    /// An ICMP echo reply has its request's length; other answers their own typical length.
    public var reply: Packet {
        Packet(src: dst, sport: dport, dst: src, dport: sport, proto: proto, length: proto == .icmp ? length : nil)
    }

    public var description: String {
        let body: String
        if proto == .icmp {
            body = "\(src) > \(dst) icmp"
        } else {
            body = "\(Endpoint(ip: src, type: .external, port: sport)) > \(Endpoint(ip: dst, type: .external, port: dport)) \(proto.rawValue)"
        }
        let marked = mark == 0 ? body : body + " mark 0x" + String(mark, radix: 16)
        if let inner = encap { return marked + " [\(inner)]" }
        return marked
    }

    private final class Box: Hashable, Sendable {
        let packet: Packet
        init(_ packet: Packet) { self.packet = packet }
        static func == (lhs: Box, rhs: Box) -> Bool { lhs.packet == rhs.packet }
        func hash(into hasher: inout Hasher) { hasher.combine(packet) }
    }
}
