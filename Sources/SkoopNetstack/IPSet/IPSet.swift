import SkoopModel

/// The set types Skoop models; others are kept as `.other` and answer membership as unknown.
public enum IPSetType: Hashable, Sendable, CustomStringConvertible {
    case hashIP
    case hashIPPort
    case hashIPPortIP
    case hashIPPortNet
    case hashNet
    case hashNetPort
    case bitmapPort
    case listSet
    case other(String)

    /// Reads the type name `ipset save` prints ("hash:ip,port").
    public init(name: String) {
        switch name {
        case "hash:ip": self = .hashIP
        case "hash:ip,port": self = .hashIPPort
        case "hash:ip,port,ip": self = .hashIPPortIP
        case "hash:ip,port,net": self = .hashIPPortNet
        case "hash:net": self = .hashNet
        case "hash:net,port": self = .hashNetPort
        case "bitmap:port": self = .bitmapPort
        case "list:set": self = .listSet
        default: self = .other(name)
        }
    }

    public var description: String {
        switch self {
        case .hashIP: "hash:ip"
        case .hashIPPort: "hash:ip,port"
        case .hashIPPortIP: "hash:ip,port,ip"
        case .hashIPPortNet: "hash:ip,port,net"
        case .hashNet: "hash:net"
        case .hashNetPort: "hash:net,port"
        case .bitmapPort: "bitmap:port"
        case .listSet: "list:set"
        case .other(let name): name
        }
    }

    /// How many packet fields (flags) one member covers.
    var dimensions: Int {
        switch self {
        case .hashIP, .hashNet, .bitmapPort, .listSet, .other: 1
        case .hashIPPort, .hashNetPort: 2
        case .hashIPPortIP, .hashIPPortNet: 3
        }
    }
}

/// One dimension of a set member.
public enum IPSetComponent: Hashable, Sendable {
    /// An address or network (a plain address is a host prefix).
    case net(IPPrefix)
    /// A protocol (number, 0 for any) and port.
    case port(proto: UInt8, port: UInt16)
    /// A member set of a list:set.
    case setName(String)
}

/// One member of a set with its `nomatch` flag.
public struct IPSetMember: Hashable, Sendable {
    /// The member's dimensions in order.
    public var components: [IPSetComponent]
    /// True for `nomatch` entries (an exception inside a larger net).
    public var noMatch: Bool

    /// Makes a member.
    public init(components: [IPSetComponent], noMatch: Bool = false) {
        self.components = components
        self.noMatch = noMatch
    }
}

/// One ipset with its members.
public struct IPSet: Hashable, Sendable {
    /// The set name.
    public var name: String
    /// The set type.
    public var type: IPSetType
    /// inet or inet6.
    public var family: AddressFamily
    /// The creation options other than family, as written ("hashsize 1024", ...).
    public var options: [String]
    /// The members.
    public var members: [IPSetMember]

    /// Makes a set.
    public init(name: String, type: IPSetType, family: AddressFamily = .inet, options: [String] = [],
                members: [IPSetMember] = []) {
        self.name = name
        self.type = type
        self.family = family
        self.options = options
        self.members = members
    }
}

/// The fields of a packet a set match looks at.
public struct IPSetPacketFields: Hashable, Sendable {
    public var src: IPAddress
    public var dst: IPAddress
    public var sport: UInt16
    public var dport: UInt16
    /// IP protocol number.
    public var proto: UInt8

    /// Makes the fields.
    public init(src: IPAddress, dst: IPAddress, sport: UInt16, dport: UInt16, proto: UInt8) {
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
        self.proto = proto
    }

    /// The fields of a model packet.
    public init(_ packet: Packet) {
        self.init(src: packet.src, dst: packet.dst, sport: packet.sport, dport: packet.dport, proto: packet.ipProtocolNumber)
    }
}

/// All sets of one network namespace, by name.
public struct IPSetCollection: Hashable, Sendable {
    /// The sets by name.
    public var sets: [String: IPSet]

    /// Makes a collection.
    public init(_ sets: [IPSet] = []) {
        self.sets = Dictionary(sets.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Whether the packet is in set `name` under `flags` (src/dst per dimension, as
    /// `--match-set NAME src,dst`); nil when the set is missing or of an unmodelled type.
    public func contains(_ fields: IPSetPacketFields, inSet name: String, flags: [PacketSide]) -> Bool? {
        contains(fields, inSet: name, flags: flags, depth: 0)
    }

    private func contains(_ fields: IPSetPacketFields, inSet name: String, flags: [PacketSide], depth: Int) -> Bool? {
        guard let set = sets[name], depth < 8 else { return nil }
        switch set.type {
        case .other: return nil
        case .listSet:
            var unknown = false
            for member in set.members {
                guard case .setName(let inner)? = member.components.first else { continue }
                switch contains(fields, inSet: inner, flags: flags, depth: depth + 1) {
                case true?: return true
                case nil: unknown = true
                case false?: break
                }
            }
            return unknown ? nil : false
        default:
            // The kernel needs at least as many flags as dimensions; extra flags are ignored.
            guard flags.count >= set.type.dimensions else { return false }
            let hits = set.members.filter { matches($0, fields: fields, flags: flags, family: set.family) }
            // The most specific entry decides, so a nomatch inside a wider net excludes.
            guard let best = hits.max(by: { specificity($0) < specificity($1) }) else { return false }
            return !best.noMatch
        }
    }

    private func specificity(_ member: IPSetMember) -> Int {
        member.components.reduce(0) { total, component in
            if case .net(let prefix) = component { return total + Int(prefix.length) }
            return total
        }
    }

    private func matches(_ member: IPSetMember, fields: IPSetPacketFields, flags: [PacketSide],
                         family: AddressFamily) -> Bool {
        for (component, side) in zip(member.components, flags) {
            let address = side == .source ? fields.src : fields.dst
            let port = side == .source ? fields.sport : fields.dport
            switch component {
            case .net(let prefix):
                guard prefix.contains(address) else { return false }
            case .port(let proto, let wanted):
                guard proto == 0 || proto == fields.proto, wanted == port else { return false }
                if proto == 0 && fields.proto != 6 && fields.proto != 17 && fields.proto != 132 { return false }
            case .setName:
                return false
            }
        }
        return true
    }
}
