import SkoopModel

/// An inclusive port range; a single port has `low == high`.
public struct PortRange: Hashable, Sendable, CustomStringConvertible {
    /// First port.
    public var low: UInt16
    /// Last port.
    public var high: UInt16

    /// Makes a range.
    public init(_ low: UInt16, _ high: UInt16) {
        self.low = low
        self.high = high
    }

    /// One port.
    public init(_ port: UInt16) { self.init(port, port) }

    /// Parses "80", "1000:2000" or "1000-2000".
    public init?<S: StringProtocol>(_ text: S) {
        let parts = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == "-" }
        guard (1...2).contains(parts.count), let low = UInt16(parts[0]) else { return nil }
        let high = parts.count == 2 ? UInt16(parts[1]) : low
        guard let high, low <= high else { return nil }
        self.init(low, high)
    }

    /// True when `port` lies in the range.
    public func contains(_ port: UInt16) -> Bool { low <= port && port <= high }

    public var description: String { low == high ? "\(low)" : "\(low):\(high)" }
}

/// Which end of the packet a match or set flag looks at.
public enum PacketSide: String, Hashable, Sendable {
    case source = "src"
    case destination = "dst"
}

/// An address type as the addrtype match and the kernel's routing tables name it.
public enum AddressType: String, Hashable, Sendable, CaseIterable {
    case unspec = "UNSPEC"
    case unicast = "UNICAST"
    case local = "LOCAL"
    case broadcast = "BROADCAST"
    case anycast = "ANYCAST"
    case multicast = "MULTICAST"
    case blackhole = "BLACKHOLE"
    case unreachable = "UNREACHABLE"
    case prohibit = "PROHIBIT"
    case throwRoute = "THROW"
    case nat = "NAT"
    case xresolve = "XRESOLVE"
}

/// A connection tracking state as `--ctstate`/`--state` lists them.
public enum ConntrackState: String, Hashable, Sendable, CaseIterable {
    case new = "NEW"
    case established = "ESTABLISHED"
    case related = "RELATED"
    case invalid = "INVALID"
    case untracked = "UNTRACKED"
    case snat = "SNAT"
    case dnat = "DNAT"
}

/// TCP flags as a bit set (FIN=1, SYN=2, RST=4, PSH=8, ACK=16, URG=32).
public struct TCPFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let fin = TCPFlags(rawValue: 1)
    public static let syn = TCPFlags(rawValue: 2)
    public static let rst = TCPFlags(rawValue: 4)
    public static let psh = TCPFlags(rawValue: 8)
    public static let ack = TCPFlags(rawValue: 16)
    public static let urg = TCPFlags(rawValue: 32)
    public static let all = TCPFlags(rawValue: 63)

    /// Parses "SYN,ACK", "ALL" or "NONE".
    public init?<S: StringProtocol>(names: S) {
        var flags: TCPFlags = []
        for name in names.split(separator: ",") {
            switch name.uppercased() {
            case "FIN": flags.insert(.fin)
            case "SYN": flags.insert(.syn)
            case "RST": flags.insert(.rst)
            case "PSH": flags.insert(.psh)
            case "ACK": flags.insert(.ack)
            case "URG": flags.insert(.urg)
            case "ALL": flags.formUnion(.all)
            case "NONE": break
            default: return nil
            }
        }
        self = flags
    }
}

/// The recent match's command: `--set` records, the others look up (session affinity).
public enum RecentCommand: String, Hashable, Sendable {
    case set = "--set"
    case rcheck = "--rcheck"
    case update = "--update"
    case remove = "--remove"
}

/// One match of a rule, with whether it was negated by `!`.
public struct Match: Hashable, Sendable {
    /// What the match tests.
    public var kind: MatchKind
    /// True when written with `!`.
    public var negated: Bool

    /// Makes a match.
    public init(_ kind: MatchKind, negated: Bool = false) {
        self.kind = kind
        self.negated = negated
    }
}

/// What a match tests, independent of iptables spelling. Options of one `-m` module that carry
/// their own `!` become separate matches so each keeps its negation.
public enum MatchKind: Hashable, Sendable {
    /// `-s`, `-d`.
    case address(PacketSide, IPPrefix)
    /// `-i`, `-o` with the `+` wildcard kept in the name.
    case inInterface(String)
    case outInterface(String)
    /// `-p`: an IP protocol number; 0 means all.
    case proto(UInt8)
    /// tcp/udp/sctp `--sport`/`--dport`.
    case port(PacketSide, PortRange)
    /// `--tcp-flags MASK COMP` (`--syn` is FIN,SYN,RST,ACK SYN).
    case tcpFlags(mask: TCPFlags, set: TCPFlags)
    /// multiport `--sports`/`--dports` (`side` nil for `--ports`: either end).
    case multiport(PacketSide?, [PortRange])
    /// `--icmp-type TYPE[/CODE]` (or icmpv6); nil code matches any.
    case icmpType(UInt8, code: UInt8?)
    /// `-m set --match-set NAME src,dst`.
    case set(name: String, flags: [PacketSide])
    /// `-m mark --mark value/mask`.
    case mark(value: UInt32, mask: UInt32)
    /// `-m connmark --mark value/mask`.
    case connmark(value: UInt32, mask: UInt32)
    /// addrtype `--src-type`/`--dst-type` with `--limit-iface-in`/`-out`.
    case addressType(PacketSide, [AddressType], limitInterfaceIn: Bool, limitInterfaceOut: Bool)
    /// `-m comment --comment TEXT` (always holds).
    case comment(String)
    /// nfacct `--nfacct-name NAME`: counts the packet in an accounting object and always matches
    /// (kube-proxy counts its INVALID drops and localhost NodePort packets this way).
    case accountingObject(String)
    /// conntrack `--ctstate` or state `--state`.
    case conntrackState(Set<ConntrackState>)
    /// statistic `--mode random --probability P`.
    case statisticRandom(probability: Double)
    /// statistic `--mode nth --every N --packet P`.
    case statisticNth(every: UInt32, packet: UInt32)
    /// iprange `--src-range`/`--dst-range` LOW-HIGH.
    case addressRange(PacketSide, IPAddress, IPAddress)
    /// physdev `--physdev-in`/`--physdev-out` NAME.
    case physdevIn(String)
    case physdevOut(String)
    /// physdev `--physdev-is-in`, `--physdev-is-out`, `--physdev-is-bridged`.
    case physdevIsIn
    case physdevIsOut
    case physdevIsBridged
    /// rpfilter with its options (`--loose`, `--validmark`, `--accept-local`, `--invert`).
    case reversePathFilter([String])
    /// length `--length LOW[:HIGH]` (IP packet length).
    case length(ClosedRange<UInt32>)
    /// recent: the list name, the command and the remaining options.
    case recent(name: String, command: RecentCommand, options: [String])
    /// mac `--mac-source`.
    case macSource(String)
    /// owner `--uid-owner`, `--gid-owner`, `--socket-exists`, each with its own `!`.
    case owner(OwnerMatch)
    /// socket `--transparent`, `--nowildcard`.
    case socket(transparent: Bool, noWildcard: Bool)
    /// Anything Skoop does not model: the module and its arguments as written.
    case unsupported(module: String, arguments: [String])
}

/// The owner match's options; each option carries its own `!` (xt_owner inverts them one by one).
public struct OwnerMatch: Hashable, Sendable {
    /// `--uid-owner LOW[-HIGH]` and whether it was negated.
    public var uid: (range: ClosedRange<UInt32>, negated: Bool)?
    /// `--gid-owner LOW[-HIGH]` and whether it was negated.
    public var gid: (range: ClosedRange<UInt32>, negated: Bool)?
    /// `--suppl-groups`: the gid may also be a supplementary group.
    public var supplementaryGroups: Bool
    /// Present when `--socket-exists` was given: whether it was negated.
    public var socketExists: Bool?

    /// Makes the options.
    public init(uid: (range: ClosedRange<UInt32>, negated: Bool)? = nil, gid: (range: ClosedRange<UInt32>, negated: Bool)? = nil,
                supplementaryGroups: Bool = false, socketExists: Bool? = nil) {
        self.uid = uid
        self.gid = gid
        self.supplementaryGroups = supplementaryGroups
        self.socketExists = socketExists
    }

    /// True when every option given is negated: what xt_owner answers for a packet without a socket.
    var allNegated: Bool {
        [uid?.negated, gid?.negated, socketExists].compactMap { $0 }.allSatisfy { $0 }
    }

    public static func == (lhs: OwnerMatch, rhs: OwnerMatch) -> Bool {
        lhs.uid?.range == rhs.uid?.range && lhs.uid?.negated == rhs.uid?.negated
            && lhs.gid?.range == rhs.gid?.range && lhs.gid?.negated == rhs.gid?.negated
            && lhs.supplementaryGroups == rhs.supplementaryGroups && lhs.socketExists == rhs.socketExists
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(uid?.range)
        hasher.combine(uid?.negated)
        hasher.combine(gid?.range)
        hasher.combine(gid?.negated)
        hasher.combine(supplementaryGroups)
        hasher.combine(socketExists)
    }
}
