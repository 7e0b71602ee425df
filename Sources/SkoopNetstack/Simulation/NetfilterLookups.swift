import SkoopModel

/// What the netfilter engine asks a netns about a packet beyond its fields: the reverse-path
/// route (rpfilter) and the local sockets (socket, owner), answered from the collected data.
struct NetfilterLookups: Sendable {
    /// The netns's sockets (`ss -H -tuanp`, with uids when `ss -e` was used).
    let sockets: [Socket]
    /// Its own addresses.
    let addresses: Set<IPAddress>

    /// rpfilter's lookup: the route back to the source, as a packet sent from here would take it.
    static func reversePath(_ router: Router) -> ReversePathResolver {
        { destination, source, mark in
            let result = router.lookup(RouteQuery(destination: destination, source: source, fwmark: mark), choosingSource: false)
            let interfaces = Set(result.branches.compactMap(\.oif))
            switch result.outcome {
            case .unicast: return ReversePathRoute(type: .unicast, interfaces: interfaces)
            case .local: return ReversePathRoute(type: .local, interfaces: interfaces)
            case .broadcast: return ReversePathRoute(type: .broadcast, interfaces: interfaces)
            case .multicast: return ReversePathRoute(type: .multicast, interfaces: interfaces)
            case .blackhole: return ReversePathRoute(type: .blackhole)
            case .unreachable: return ReversePathRoute(type: .unreachable)
            case .prohibit: return ReversePathRoute(type: .prohibit)
            case .noRoute: return nil
            }
        }
    }

    /// The socket an arriving packet is delivered to: the established one of its 4-tuple, else the
    /// listener taking its destination (one bound to that address before a wildcard one).
    var receivingSocket: SocketResolver {
        { [sockets, addresses] packet, direction, inInterface in
            let candidates = sockets.filter { $0.proto == packet.proto }
            if let connected = candidates.first(where: {
                !$0.isListening && $0.localAddress == packet.dst && $0.localPort == packet.dport
                    && $0.peerAddress == packet.src && $0.peerPort == packet.sport
            }) {
                return .found(Self.local(connected))
            }
            if direction == .reply && addresses.contains(packet.dst) {
                return .unknown("the connection's own socket (port \(packet.dport)) is not in sockets.txt")
            }
            let listeners = candidates.filter { $0.accepts(packet.dst, port: packet.dport, device: inInterface) }
            if let listener = listeners.first(where: { $0.localAddress != nil }) ?? listeners.first {
                return .found(Self.local(listener))
            }
            return .none
        }
    }

    /// The socket that sent a locally generated packet: the connected one of its 4-tuple; for a
    /// reply, the server's listener (an accepted socket belongs to the process that listens).
    var sendingSocket: SocketResolver {
        { [sockets] packet, direction, _ in
            let candidates = sockets.filter { $0.proto == packet.proto }
            if let connected = candidates.first(where: {
                !$0.isListening && $0.localAddress == packet.src && $0.localPort == packet.sport
                    && $0.peerAddress == packet.dst && $0.peerPort == packet.dport
            }) {
                return .found(Self.local(connected))
            }
            if direction == .reply {
                let listeners = candidates.filter { $0.accepts(packet.src, port: packet.sport, device: nil) }
                if let listener = listeners.first(where: { $0.localAddress != nil }) ?? listeners.first {
                    return .found(Self.local(listener))
                }
                return .none
            }
            return .unknown("the client's socket (port \(packet.sport)) is not in sockets.txt")
        }
    }

    /// The engine's view of a collected socket: ss shows neither IP_TRANSPARENT nor the gid.
    static func local(_ socket: Socket) -> LocalSocket {
        let local = "\(socket.localAddress?.description ?? "*"):\(socket.localPort)"
        var description = "\(socket.proto.rawValue) \(socket.state) \(local)"
        if let process = socket.process { description += " \(process)" }
        return LocalSocket(boundToWildcard: socket.localAddress == nil, transparent: nil, uid: socket.uid, gid: nil,
                           description: description)
    }
}
