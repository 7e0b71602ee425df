import SkoopModel

/// What to route: the fields the kernel's FIB lookup looks at (a flowi).
public struct RouteQuery: Hashable, Sendable {
    /// The packet's destination.
    public var destination: IPAddress
    /// The packet's source; nil lets the router choose one (locally generated packets).
    public var source: IPAddress?
    /// The packet mark (skb->mark).
    public var fwmark: UInt32
    /// The interface the packet arrived on; nil for a locally generated packet.
    public var iif: String?
    /// An outgoing interface the sender insisted on (SO_BINDTODEVICE, `ip route get ... oif`).
    public var oif: String?
    /// The TOS byte (DSCP and ECN).
    public var tos: UInt8
    /// The IP protocol number (`ipproto` rules); nil when unknown.
    public var ipProtocol: UInt8?
    /// The source port (0 for protocols without ports); nil when unknown.
    public var sourcePort: UInt16?
    /// The destination port (0 for protocols without ports); nil when unknown.
    public var destinationPort: UInt16?
    /// The owner of the sending socket (`uidrange` rules), for a locally generated packet; nil when
    /// unknown. A packet that arrived on an interface is looked up as uid 0, as the kernel does.
    public var uid: UInt32?
    /// The tunnel key (`tun_id` rules); nil lets the router decide: 0, unless the packet arrived
    /// on a tunnel device that may carry one (then it is unknown).
    public var tunnelID: UInt64?
    /// The IPv6 flow label (`flowlabel` rules); nil when unknown.
    public var flowLabel: UInt32?

    /// Makes a query.
    public init(destination: IPAddress, source: IPAddress? = nil, fwmark: UInt32 = 0, iif: String? = nil,
                oif: String? = nil, tos: UInt8 = 0, ipProtocol: UInt8? = nil, sourcePort: UInt16? = nil,
                destinationPort: UInt16? = nil, uid: UInt32? = nil, tunnelID: UInt64? = nil, flowLabel: UInt32? = nil) {
        self.destination = destination
        self.source = source
        self.fwmark = fwmark
        self.iif = iif
        self.oif = oif
        self.tos = tos
        self.ipProtocol = ipProtocol
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.uid = uid
        self.tunnelID = tunnelID
        self.flowLabel = flowLabel
    }

    /// The query for `packet`: its addresses (the source only when `keepingSource`), mark, protocol
    /// and ports (0 for ICMP, whose flows carry none).
    public init(packet: Packet, keepingSource: Bool = true, iif: String? = nil, oif: String? = nil) {
        let isV6 = packet.dst.family == .inet6
        self.init(destination: packet.dst, source: keepingSource ? packet.src : nil, fwmark: packet.mark, iif: iif,
                  oif: oif, ipProtocol: packet.proto == .icmp && isV6 ? 58 : packet.proto.number,
                  sourcePort: packet.proto.hasPorts ? packet.sport : 0,
                  destinationPort: packet.proto.hasPorts ? packet.dport : 0)
    }

    /// True for a packet this netns sends itself.
    public var isLocallyGenerated: Bool { iif == nil }
}

/// How a routing decision ends.
public enum RouteOutcome: String, Hashable, Sendable, CaseIterable {
    /// Sent (or forwarded) out of an interface.
    case unicast
    /// Delivered to this netns (a local or anycast route).
    case local
    /// A broadcast address.
    case broadcast
    /// A multicast route.
    case multicast
    /// Dropped silently (blackhole route or rule; EINVAL).
    case blackhole
    /// Dropped, "no route to host" (unreachable route; EHOSTUNREACH) or "network unreachable" (rule).
    case unreachable
    /// Dropped, "administratively prohibited" (EACCES).
    case prohibit
    /// No rule's table had a route (ENETUNREACH).
    case noRoute = "no route"

    /// True when the packet continues (is sent, forwarded or delivered).
    public var delivers: Bool {
        switch self {
        case .unicast, .local, .broadcast, .multicast: true
        case .blackhole, .unreachable, .prohibit, .noRoute: false
        }
    }
}

/// One way a packet may leave: a single-path route has one, a multipath route one per next hop.
public struct RouteBranch: Hashable, Sendable {
    /// The next-hop gateway; nil when the destination is on the link.
    public var gateway: IPAddress?
    /// The outgoing interface ("lo" for local delivery).
    public var oif: String?
    /// The ECMP weight.
    public var weight: Int

    /// Makes a branch.
    public init(gateway: IPAddress?, oif: String?, weight: Int = 1) {
        self.gateway = gateway
        self.oif = oif
        self.weight = weight
    }
}

/// The routing decision for one query, with how it was reached.
public struct RouteResult: Hashable, Sendable, CustomStringConvertible {
    /// The query answered.
    public var query: RouteQuery
    /// How it ends.
    public var outcome: RouteOutcome
    /// Every possible way out; several for a multipath route (the kernel picks one by hash).
    public var branches: [RouteBranch]
    /// The source address a locally generated packet gets (the query's source if it had one,
    /// else the route's prefsrc, else the kernel's choice of address); nil for forwarded packets.
    public var source: IPAddress?
    /// The policy rule that decided (the one whose table answered, or a blackhole/unreachable/prohibit rule).
    public var rule: PolicyRule?
    /// The table the route came from.
    public var table: RouteTable?
    /// The route that matched.
    public var route: Route?
    /// Why the answer may be wrong: rules whose selectors or actions the query or the collected data
    /// could not decide (each was assumed not to match), naming the rule.
    public var uncertainties: [String] = []

    /// Makes a result.
    public init(query: RouteQuery, outcome: RouteOutcome, branches: [RouteBranch] = [], source: IPAddress? = nil,
                rule: PolicyRule? = nil, table: RouteTable? = nil, route: Route? = nil) {
        self.query = query
        self.outcome = outcome
        self.branches = branches
        self.source = source
        self.rule = rule
        self.table = table
        self.route = route
    }

    /// True when a rule could not be decided (see `uncertainties`).
    public var isUncertain: Bool { !uncertainties.isEmpty }

    /// The outgoing interface of the first branch.
    public var oif: String? { branches.first?.oif }
    /// The gateway of the first branch.
    public var gateway: IPAddress? { branches.first?.gateway }

    /// The decision as recorded in traces.
    public var decision: RouteDecision {
        RouteDecision(destination: query.destination.description, rule: rule?.description,
                      table: table?.description ?? "", route: route?.description, outcome: outcome.rawValue,
                      outInterface: oif, gateway: gateway?.description, preferredSource: source?.description)
    }

    /// The answer shaped like `ip route get`, e.g. "10.244.2.2 via 192.168.56.12 dev ens4 src 192.168.56.11".
    public var description: String {
        var words: [String] = []
        switch outcome {
        case .unicast: break
        case .noRoute: return "\(query.destination): no route to host (Network is unreachable)"
        default: words.append(outcome.rawValue)
        }
        words.append(query.destination.description)
        if let from = query.source { words.append("from \(from)") }
        if outcome.delivers {
            if branches.count > 1 {
                for branch in branches {
                    var hop = ["nexthop"]
                    if let gateway = branch.gateway { hop.append("via \(gateway)") }
                    if let oif = branch.oif { hop.append("dev \(oif)") }
                    hop.append("weight \(branch.weight)")
                    words.append(hop.joined(separator: " "))
                }
            } else {
                if let gateway { words.append("via \(gateway)") }
                if let oif { words.append("dev \(oif)") }
            }
        }
        if let table, table != .main { words.append("table \(table)") }
        if let source, source != query.source { words.append("src \(source)") }
        if query.fwmark != 0 { words.append("mark 0x" + String(query.fwmark, radix: 16)) }
        if let iif = query.iif { words.append("iif \(iif)") }
        return words.joined(separator: " ")
    }
}

/// The rp_filter mode of the interface a packet arrived on.
public enum ReversePathMode: Int, Hashable, Sendable {
    /// No check (0).
    case off = 0
    /// The route back to the source must leave through the arrival interface (1).
    case strict = 1
    /// Some route back to the source must exist (2).
    case loose = 2
}
