import SkoopModel

/// One socket from `ss -H -tuanp`.
public struct Socket: Hashable, Sendable {
    /// tcp or udp.
    public var proto: TransportProtocol
    /// LISTEN, ESTAB, UNCONN, TIME-WAIT, ...
    public var state: String
    /// The bound local address; nil for a wildcard ("*", 0.0.0.0, ::).
    public var localAddress: IPAddress?
    /// The family the wildcard belongs to ("0.0.0.0" is inet, "::" inet6, "*" both).
    public var wildcardFamily: AddressFamily?
    /// The local port.
    public var localPort: UInt16
    /// The device the socket is bound to (`%dev` in ss output).
    public var boundDevice: String?
    /// The peer address, when connected.
    public var peerAddress: IPAddress?
    /// The peer port (0 when none).
    public var peerPort: UInt16
    /// The owning processes as ss prints them (`users:((...))`), if known.
    public var process: String?

    /// The owner's uid, when ss printed it (`uid:1337`, with `-e`).
    public var uid: UInt32? {
        guard let process, let range = process.hasPrefix("uid:") ? process.range(of: "uid:") : process.range(of: " uid:") else {
            return nil
        }
        return UInt32(process[range.upperBound...].prefix { $0.isNumber })
    }

    /// True for sockets that accept new connections (TCP LISTEN) or datagrams (UDP unconnected).
    public var isListening: Bool {
        switch proto {
        case .tcp: state == "LISTEN"
        case .udp: state == "UNCONN" && peerAddress == nil
        case .icmp, .ipip: false
        }
    }

    /// True when this listening socket would take a packet for `address`:`port` arriving on `device`.
    public func accepts(_ address: IPAddress, port: UInt16, device: String?) -> Bool {
        guard isListening, localPort == port else { return false }
        if let boundDevice, let device, boundDevice != device { return false }
        if let localAddress { return localAddress == address }
        switch wildcardFamily {
        case .inet: return address.family == .inet
        // An IPv6 wildcard also takes IPv4 unless the socket is v6only, which ss does not show;
        // Linux's default (bindv6only=0) is dual-stack.
        case .inet6, nil: return true
        }
    }
}

/// Parses `ss -H -tuanp` output.
public enum SocketTableParser {
    /// Parses every line; a malformed line is an error naming its number.
    public static func parse(_ text: String, source: String) throws(InputError) -> [Socket] {
        try requireText(text, source: source, expected: "`ss -H -tuanp` output")
        var sockets: [Socket] = []
        for (number, line) in NumberedLines(text: text) {
            let fields = line.fields
            guard fields.count >= 6, let proto = TransportProtocol(rawValue: String(fields[0])), proto.hasPorts else {
                throw InputError(source: source, line: number,
                                 expected: "NETID STATE RECV-Q SEND-Q LOCAL PEER [PROCESS] with NETID tcp or udp",
                                 found: String(line))
            }
            guard let local = parseSocketAddress(fields[4]), let peer = parseSocketAddress(fields[5]) else {
                throw InputError(source: source, line: number, expected: "ADDRESS:PORT pairs in columns 5 and 6",
                                 found: String(line))
            }
            let process = fields.count > 6 ? fields[6...].joined(separator: " ") : nil
            sockets.append(Socket(proto: proto, state: String(fields[1]), localAddress: local.address,
                                  wildcardFamily: local.wildcard, localPort: local.port, boundDevice: local.device,
                                  peerAddress: peer.address, peerPort: peer.port, process: process))
        }
        return sockets
    }

    struct SocketAddress {
        var address: IPAddress?
        var wildcard: AddressFamily?
        var port: UInt16
        var device: String?
    }

    /// "10.0.0.1:80", "[fd00::1]:80", "*:53", "0.0.0.0%eth0:67", "[::]:*", "*:*".
    static func parseSocketAddress(_ field: Substring) -> SocketAddress? {
        guard let colon = field.lastIndex(of: ":") else { return nil }
        let portText = field[field.index(after: colon)...]
        var host = field[..<colon]
        let port: UInt16
        if portText == "*" {
            port = 0
        } else {
            guard let value = UInt16(portText) else { return nil }
            port = value
        }
        var device: String?
        if let percent = host.lastIndex(of: "%"), !host.hasSuffix("]") || host.first != "[" {
            device = String(host[host.index(after: percent)...])
            host = host[..<percent]
        }
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = host.dropFirst().dropLast()
            if let percent = host.firstIndex(of: "%") {
                device = String(host[host.index(after: percent)...])
                host = host[..<percent]
            }
        }
        switch host {
        case "*": return SocketAddress(address: nil, wildcard: nil, port: port, device: device)
        case "0.0.0.0": return SocketAddress(address: nil, wildcard: .inet, port: port, device: device)
        case "::": return SocketAddress(address: nil, wildcard: .inet6, port: port, device: device)
        default:
            guard let address = IPAddress(host) else { return nil }
            return SocketAddress(address: address, wildcard: nil, port: port, device: device)
        }
    }
}
