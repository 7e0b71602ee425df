/// The transport protocol of a query or packet (the seed's `Protocol`).
public enum TransportProtocol: String, Sendable, Hashable, Codable, CaseIterable {
    case tcp
    case udp
    case icmp
    /// IP-in-IP: only the outer packet of a tunnel (Calico IPIP); never a query's protocol.
    case ipip

    /// The protocols a user can ask about.
    public static let queryable: [TransportProtocol] = [.tcp, .udp, .icmp]

    /// The IP protocol number (IPv4 protocol / IPv6 next header).
    public var number: UInt8 {
        switch self {
        case .tcp: 6
        case .udp: 17
        case .icmp: 1
        case .ipip: 4
        }
    }

    /// True when packets of this protocol carry ports.
    public var hasPorts: Bool { self == .tcp || self == .udp }
}

/// What kind of thing an endpoint address belongs to.
public enum EndpointType: String, Sendable, Hashable, Codable, CaseIterable {
    case pod
    case node
    case service
    case loadBalancer = "lb"
    case external
}

/// An endpoint on the network layer: an address, what owns it, and a port.
public struct Endpoint: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The address.
    public var ip: IPAddress
    /// What the address belongs to.
    public var type: EndpointType
    /// The transport port (0 when none applies).
    public var port: UInt16

    /// Makes an endpoint.
    public init(ip: IPAddress, type: EndpointType, port: UInt16 = 0) {
        self.ip = ip
        self.type = type
        self.port = port
    }

    public var description: String {
        let host = ip.family == .inet6 ? "[\(ip)]" : ip.description
        return port == 0 ? host : "\(host):\(port)"
    }
}
