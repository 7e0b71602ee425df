import SkoopModel

/// The route back to a packet's source as the rpfilter match looks it up: its type and the
/// devices its next hops leave through.
public struct ReversePathRoute: Hashable, Sendable {
    /// UNICAST for a route out of an interface, LOCAL for one of our own addresses, BLACKHOLE,
    /// UNREACHABLE or PROHIBIT for routes that discard.
    public var type: AddressType
    /// The devices the route's next hops use.
    public var interfaces: Set<String>

    /// Makes a route answer.
    public init(type: AddressType, interfaces: Set<String> = []) {
        self.type = type
        self.interfaces = interfaces
    }
}

/// Looks up the route to `destination` as a locally generated packet from `source` (nil: any
/// source) with firewall mark `mark` would take; nil when no route exists (the lookup fails).
public typealias ReversePathResolver = @Sendable (_ destination: IPAddress, _ source: IPAddress?, _ mark: UInt32) -> ReversePathRoute?

/// A socket of the netns as the socket and owner matches see it.
public struct LocalSocket: Hashable, Sendable {
    /// True when bound to the wildcard address (0.0.0.0 or ::).
    public var boundToWildcard: Bool
    /// Whether the socket has IP_TRANSPARENT; nil when the collected data does not say.
    public var transparent: Bool?
    /// The owner's user id (the file's fsuid); nil when not collected.
    public var uid: UInt32?
    /// The owner's group id; nil when not collected.
    public var gid: UInt32?
    /// How the socket is described in notes (`tcp LISTEN 10.0.0.1:80 users:(("nginx",...))`).
    public var description: String

    /// Makes a socket record.
    public init(boundToWildcard: Bool, transparent: Bool? = false, uid: UInt32? = nil, gid: UInt32? = nil,
                description: String) {
        self.boundToWildcard = boundToWildcard
        self.transparent = transparent
        self.uid = uid
        self.gid = gid
        self.description = description
    }
}

/// The result of looking a packet's socket up.
public enum SocketLookup: Hashable, Sendable {
    /// This socket.
    case found(LocalSocket)
    /// No socket of the netns takes (or sent) the packet.
    case none
    /// The collected data cannot tell, and why.
    case unknown(String)
}

/// Finds the local socket of a packet: for a packet arriving, the socket it would be delivered
/// to (an established one by the 4-tuple, else a listener); for a locally generated packet, the
/// socket that sent it.
public typealias SocketResolver = @Sendable (_ packet: Packet, _ direction: ConnectionDirection, _ inInterface: String?) -> SocketLookup
