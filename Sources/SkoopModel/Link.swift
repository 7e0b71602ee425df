/// How two NetNodes are joined.
public enum LinkType: String, Sendable, Hashable, Codable, CaseIterable {
    case veth
    case bridge
    case vxlan
    case ipip
    case ipvlan
    case infra
    case vpc
    case external
    /// Within one netns: delivery to a local socket, or a terminal decision.
    case local
}

/// What a NetNode did with a packet.
public enum ActionKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The source's initiative.
    case send
    /// Passed the packet on.
    case forward
    /// Fanned out to a service's backends.
    case service
    /// Accepted the packet: the destination was reached.
    case serve
    /// Discarded the packet.
    case drop
}

/// Key-value attributes of a link at one of its ends, in a stable order.
public struct LinkAttributes: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// The pairs, in insertion order.
    public private(set) var pairs: [(key: String, value: String)]

    /// Makes attributes from pairs, keeping their order.
    public init(dictionaryLiteral elements: (String, String)...) {
        pairs = elements.map { (key: $0.0, value: $0.1) }
    }

    /// Makes attributes from pairs, keeping their order.
    public init(_ elements: [(String, String)]) {
        pairs = elements.map { (key: $0.0, value: $0.1) }
    }

    /// The value for `key`; setting nil removes it, setting a new key appends it.
    public subscript(key: String) -> String? {
        get { pairs.first(where: { $0.key == key })?.value }
        set {
            if let index = pairs.firstIndex(where: { $0.key == key }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((key: key, value: newValue))
            }
        }
    }

    /// True when there are no attributes.
    public var isEmpty: Bool { pairs.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> { pairs.makeIterator() }

    public static func == (lhs: LinkAttributes, rhs: LinkAttributes) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in pairs {
            hasher.combine(pair.key)
            hasher.combine(pair.value)
        }
    }
}

/// One edge of the diagnosis graph: a packet going from one NetNode to the next (or, for
/// serve and drop, ending at its source).
public struct Link: Hashable, Sendable, Identifiable {
    /// Position in the graph, assigned by the Diagnostor in creation order.
    public var id: Int
    /// How the nodes are joined.
    public var type: LinkType
    /// The node that sent the packet.
    public var source: Hop
    /// The node that receives it; nil when the branch ends here (drop, or final delivery).
    public var destination: Hop?
    /// What the source did to produce this link.
    public var action: ActionKind
    /// The packet as it leaves the source (after the source's NAT).
    public var packet: Packet
    /// The packet as it arrived at the source, when it differs (NAT made visible).
    public var packetIn: Packet?
    /// Attributes on the source side (outgoing interface, addresses).
    public var sourceAttributes: LinkAttributes
    /// Attributes on the destination side (incoming interface).
    public var destinationAttributes: LinkAttributes
    /// The routing decisions the source made for this packet.
    public var routes: [RouteDecision]
    /// Every netfilter rule the source evaluated for this packet, in order.
    public var netfilter: [NetfilterTraceEntry]
    /// The link that brought the packet to the source; nil for the first send.
    public var parent: Int?
    /// Depth in the walk (0 for the first send).
    public var level: Int
    /// The probability of taking this branch when a rule chose randomly (1 otherwise).
    public var probability: Double
    /// Request (towards the destination) or reply (back to the source).
    public var direction: FlowDirection
    /// True when the simulation could not be sure of this step (unsupported rule, missing data).
    public var isUncertain: Bool
    /// Address translations applied to the connection so far, for conntrack's reverse NAT.
    public var translations: [Translation]
    /// What this step rests on that collected state does not prove (the node is the link's source).
    public var assumptions: [String]
    /// The hops whose conntrack saw the request so far on this branch: a reply entering any
    /// other netns is not part of a known connection there (conntrack is per netns).
    public var requestHops: [Hop]

    /// Makes a link; the Diagnostor assigns `id`, `parent` and `level`.
    public init(type: LinkType, source: Hop, destination: Hop?, action: ActionKind, packet: Packet,
                packetIn: Packet? = nil, sourceAttributes: LinkAttributes = [:],
                destinationAttributes: LinkAttributes = [:], routes: [RouteDecision] = [],
                netfilter: [NetfilterTraceEntry] = [], probability: Double = 1,
                direction: FlowDirection = .request, isUncertain: Bool = false) {
        self.id = -1
        self.type = type
        self.source = source
        self.destination = destination
        self.action = action
        self.packet = packet
        self.packetIn = packetIn
        self.sourceAttributes = sourceAttributes
        self.destinationAttributes = destinationAttributes
        self.routes = routes
        self.netfilter = netfilter
        self.parent = nil
        self.level = 0
        self.probability = probability
        self.direction = direction
        self.isUncertain = isUncertain
        self.translations = []
        self.assumptions = []
        self.requestHops = []
    }

    /// True when nothing follows this link: it ends its branch (a drop, or a delivery with no
    /// next hop such as the reply reaching the client).
    public var isTerminal: Bool { destination == nil }
}

/// A transmit operation created by a NetNode's send or receive: the next hop and the link to it.
public struct Transmission: Hashable, Sendable {
    /// Where the packet goes next; nil when the link ends the branch.
    public var nextHop: Hop?
    /// How it gets there.
    public var link: Link

    /// Makes a transmission to the link's destination (none for a terminal link).
    public init(link: Link) {
        self.link = link
        self.nextHop = link.destination
    }
}

/// Which way a link's packet travels relative to the connection.
public enum FlowDirection: String, Sendable, Hashable, Codable {
    /// From the source towards the destination.
    case request
    /// The answer, from the destination back to the source.
    case reply
}

/// One address translation conntrack remembers: what a node rewrote, so replies are rewritten back.
public struct Translation: Hashable, Sendable {
    /// The node that translated.
    public var node: Hop
    /// The packet before translation.
    public var original: Packet
    /// The packet after translation.
    public var translated: Packet

    /// Makes a record.
    public init(node: Hop, original: Packet, translated: Packet) {
        self.node = node
        self.original = original
        self.translated = translated
    }

    /// Rewrites a reply of the translated connection into the reply of the original one:
    /// source back from the DNAT target, destination back from the SNAT source.
    public func reverse(_ reply: Packet) -> Packet {
        reverseSource(reverseDestination(reply))
    }

    /// Undoes the SNAT of the request on its reply (the destination goes back to the client):
    /// the kernel does this at PREROUTING, before the reply is routed.
    public func reverseDestination(_ reply: Packet) -> Packet {
        var packet = reply
        if reply.dst == translated.src && reply.dport == translated.sport {
            packet.dst = original.src
            packet.dport = original.sport
        }
        return packet
    }

    /// Undoes the DNAT of the request on its reply (the source goes back to the address the
    /// client connected to): the kernel does this at POSTROUTING or INPUT, after routing, so
    /// routing and rp_filter see the backend's address.
    public func reverseSource(_ reply: Packet) -> Packet {
        var packet = reply
        if reply.src == translated.dst && reply.sport == translated.dport {
            packet.src = original.dst
            packet.sport = original.dport
        }
        return packet
    }
}
