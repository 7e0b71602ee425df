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
    private var encapsulated: Box?

    /// Makes a packet.
    public init(src: IPAddress, sport: UInt16 = 0, dst: IPAddress, dport: UInt16 = 0,
                proto: TransportProtocol, mark: UInt32 = 0, encap: Packet? = nil) {
        self.src = src
        self.sport = sport
        self.dst = dst
        self.dport = dport
        self.proto = proto
        self.mark = mark
        self.encapsulated = encap.map(Box.init)
    }

    /// For an encapsulating packet (VXLAN, IPIP), the packet it carries.
    public var encap: Packet? {
        get { encapsulated?.packet }
        set { encapsulated = newValue.map(Box.init) }
    }

    /// The same connection seen from the other side: addresses and ports swapped, mark cleared.
    public var reply: Packet {
        Packet(src: dst, sport: dport, dst: src, dport: sport, proto: proto)
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
