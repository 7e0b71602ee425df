import SkoopModel

/// A netfilter hook, in the order a packet can meet them.
public enum Hook: String, Hashable, Sendable, CaseIterable {
    case prerouting = "PREROUTING"
    case input = "INPUT"
    case forward = "FORWARD"
    case output = "OUTPUT"
    case postrouting = "POSTROUTING"

    /// The tables registered at this hook with their kernel priorities, lowest (first) first:
    /// raw -300, mangle -150, nat -100 (DNAT) or 100 (SNAT), filter 0, security 50.
    public var tables: [(name: String, priority: Int)] {
        switch self {
        case .prerouting: [("raw", -300), ("mangle", -150), ("nat", -100)]
        case .input: [("mangle", -150), ("filter", 0), ("security", 50), ("nat", 100)]
        case .forward: [("mangle", -150), ("filter", 0), ("security", 50)]
        case .output: [("raw", -300), ("mangle", -150), ("nat", -100), ("filter", 0), ("security", 50)]
        case .postrouting: [("mangle", -150), ("nat", 100)]
        }
    }

    /// Hooks a forwarded packet meets (routing between PREROUTING and FORWARD is the caller's).
    public static let forwarded: [Hook] = [.prerouting, .forward, .postrouting]
    /// Hooks a packet delivered to a local socket meets.
    public static let locallyDelivered: [Hook] = [.prerouting, .input]
    /// Hooks a locally generated packet meets.
    public static let locallyGenerated: [Hook] = [.output, .postrouting]
}

/// Which way a packet travels along its connection.
public enum ConnectionDirection: String, Hashable, Sendable {
    /// The direction of the connection's first packet.
    case original
    /// The answer.
    case reply
}

extension ConnectionDirection {
    /// The ICMP types that report an error about another packet (ICMPv4: 3, 11, 12; ICMPv6: 1-4).
    static func icmpErrorTypes(_ family: AddressFamily) -> Set<UInt8> {
        family == .inet ? [3, 11, 12] : [1, 2, 3, 4]
    }
}

/// Answers the addrtype match: the type of `address`, optionally limited to `interface`
/// (`--limit-iface-in/out`); nil when unknown.
public typealias AddressTypeResolver = @Sendable (_ address: IPAddress, _ interface: String?) -> AddressType?

/// Everything the engine needs to know about a packet besides its fields.
public struct PacketContext: Sendable {
    /// The packet (its mark is skb->mark); NAT targets rewrite it.
    public var packet: Packet
    /// The incoming interface (nil in OUTPUT).
    public var inInterface: String?
    /// The outgoing interface (nil in PREROUTING and INPUT).
    public var outInterface: String?
    /// The bridge port the packet came in on, when it is bridged (br_netfilter).
    public var physdevIn: String?
    /// The bridge port it leaves by, when bridged.
    public var physdevOut: String?
    /// The packet's direction along its connection.
    public var direction: ConnectionDirection
    /// True for the first packet of the connection (NEW; NAT tables are consulted only for it).
    public var isFirstPacket: Bool
    /// The connection's mark (ct mark), read by connmark and written by CONNMARK.
    public var conntrackMark: UInt32
    /// True once NOTRACK/CT --notrack applied: state UNTRACKED, no NAT.
    public var untracked: Bool
    /// NAT already applied to this connection (`.dnat`, `.snat`), seen by `--ctstate DNAT/SNAT`.
    public var natStatus: Set<ConntrackState>
    /// For a later packet of a NATed connection: the rewrite conntrack applies at the nat hooks
    /// (DNAT in PREROUTING/OUTPUT, SNAT in INPUT/POSTROUTING) instead of consulting the nat table.
    public var connectionNAT: ConnectionNAT?
    /// The NAT bindings conntrack already set up for this connection: the nat table is consulted
    /// once per binding (destination at PREROUTING/OUTPUT, source at INPUT/POSTROUTING), so a
    /// looped-back packet skips nat PREROUTING after OUTPUT. The engine fills it in as hooks run.
    public var natBindings: NATBindings
    /// TCP flags; nil assumes SYN for a first packet, ACK otherwise.
    public var tcpFlags: TCPFlags?
    /// ICMP type and code; nil assumes echo-request (reply: echo-reply).
    public var icmpType: UInt8?
    public var icmpCode: UInt8?
    /// The IP packet length for the length match; nil: the packet's own `length` (when that is
    /// nil too, a length match that depends on it explores both outcomes).
    public var length: UInt32?
    /// Source MAC for the mac match, lower case; nil: unknown.
    public var sourceMAC: String?
    /// A fixed rpfilter answer (whatever the match's options); nil: computed with `reversePath`.
    public var reversePathValid: Bool?
    /// True for a reply entering a netns whose conntrack never saw the request (conntrack is per
    /// netns): TCP and ICMP replies are INVALID there, a UDP one starts a NEW connection.
    public var replyWithoutRequest: Bool = false
    /// The routing lookup rpfilter makes; nil: not supplied (an rpfilter match is uncertain).
    public var reversePath: ReversePathResolver?
    /// The socket an arriving packet belongs to (the socket match); nil: not supplied.
    public var receivingSocket: SocketResolver?
    /// The socket that sent a locally generated packet (the owner match); nil: not supplied.
    public var sendingSocket: SocketResolver?
    /// Address types for addrtype; the default knows nothing (both outcomes explored).
    public var addressType: AddressTypeResolver
    /// The primary address of an interface, for MASQUERADE and REDIRECT.
    public var interfaceAddress: @Sendable (_ interface: String) -> IPAddress?

    /// Makes a context; only the packet is required.
    public init(packet: Packet, inInterface: String? = nil, outInterface: String? = nil,
                physdevIn: String? = nil, physdevOut: String? = nil,
                direction: ConnectionDirection = .original, isFirstPacket: Bool = true,
                conntrackMark: UInt32 = 0, untracked: Bool = false, natStatus: Set<ConntrackState> = [],
                connectionNAT: ConnectionNAT? = nil, natBindings: NATBindings = [], tcpFlags: TCPFlags? = nil, icmpType: UInt8? = nil, icmpCode: UInt8? = nil,
                length: UInt32? = nil, sourceMAC: String? = nil, reversePathValid: Bool? = nil,
                addressType: @escaping AddressTypeResolver = { _, _ in nil },
                interfaceAddress: @escaping @Sendable (String) -> IPAddress? = { _ in nil }) {
        self.packet = packet
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.physdevIn = physdevIn
        self.physdevOut = physdevOut
        self.direction = direction
        self.isFirstPacket = isFirstPacket
        self.conntrackMark = conntrackMark
        self.untracked = untracked
        self.natStatus = natStatus
        self.connectionNAT = connectionNAT
        self.natBindings = natBindings
        self.tcpFlags = tcpFlags
        self.icmpType = icmpType
        self.icmpCode = icmpCode
        self.length = length
        self.sourceMAC = sourceMAC
        self.reversePathValid = reversePathValid
        self.reversePath = nil
        self.receivingSocket = nil
        self.sendingSocket = nil
        self.addressType = addressType
        self.interfaceAddress = interfaceAddress
    }

    /// The conntrack states the packet shows, and the assumption behind them.
    var conntrackStates: (states: Set<ConntrackState>, assumption: String) {
        if untracked { return ([.untracked], "conntrack state UNTRACKED (NOTRACK applied)") }
        if replyWithoutRequest {
            return packet.proto == .udp
                ? ([.new], "conntrack state NEW (a reply whose request this netns never saw starts a connection here)")
                : ([.invalid], "conntrack state INVALID (a reply whose request this netns never saw)")
        }
        // An ICMP error (destination unreachable, time exceeded, parameter problem) about a
        // connection conntrack knows is RELATED to it, whichever way it travels.
        if packet.proto == .icmp, let type = icmpType, ConnectionDirection.icmpErrorTypes(packet.dst.family).contains(type) {
            return (natStatus.union([.related]), "conntrack state RELATED (an ICMP error about a tracked connection)")
        }
        if direction == .reply {
            return (natStatus.union([.established]), "conntrack state ESTABLISHED assumed (reply direction)")
        }
        if isFirstPacket {
            return (natStatus.union([.new]), "conntrack state NEW assumed (first packet of the connection)")
        }
        return (natStatus.union([.established]), "conntrack state ESTABLISHED assumed (later packet)")
    }

    /// A resolver from a table of addresses: listed ones get their type, multicast and
    /// 255.255.255.255 are recognised, every other address is UNICAST.
    public static func addressTypes(_ table: [IPAddress: AddressType],
                                    byInterface: [String: [IPAddress: AddressType]] = [:]) -> AddressTypeResolver {
        { address, interface in
            if let interface, let perInterface = byInterface[interface] {
                if let type = perInterface[address] { return type }
            } else if let type = table[address] {
                return type
            }
            switch address {
            case .v4(let a) where a.isMulticast: return .multicast
            case .v4(let a) where a == .broadcast: return .broadcast
            case .v6(let a) where a.isMulticast: return .multicast
            default: return .unicast
            }
        }
    }
}

/// The address translation conntrack recorded for a connection, replayed on its later packets.
public struct ConnectionNAT: Hashable, Sendable {
    /// The new destination (DNAT), when the connection was DNATed.
    public var destination: IPAddress?
    /// The new destination port.
    public var destinationPort: UInt16?
    /// The new source (SNAT/MASQUERADE), when the connection was SNATed.
    public var source: IPAddress?
    /// The new source port.
    public var sourcePort: UInt16?

    /// Makes a record.
    public init(destination: IPAddress? = nil, destinationPort: UInt16? = nil, source: IPAddress? = nil,
                sourcePort: UInt16? = nil) {
        self.destination = destination
        self.destinationPort = destinationPort
        self.source = source
        self.sourcePort = sourcePort
    }
}

/// Which NAT bindings of a connection are set up.
public struct NATBindings: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Destination binding (nat PREROUTING or OUTPUT ran).
    public static let destination = NATBindings(rawValue: 1)
    /// Source binding (nat INPUT or POSTROUTING ran).
    public static let source = NATBindings(rawValue: 2)

    /// The binding a hook's nat chain sets up.
    public static func bound(at hook: Hook) -> NATBindings {
        hook == .prerouting || hook == .output ? .destination : .source
    }
}
