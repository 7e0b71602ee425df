import SkoopModel

/// How IPVS forwards to a real server.
public enum IPVSForwarding: String, Sendable, Hashable {
    case masquerade = "-m"
    case route = "-g"
    case tunnel = "-i"
}

/// One IPVS real server (a backend).
public struct IPVSRealServer: Hashable, Sendable {
    /// The backend address.
    public var address: IPAddress
    /// The backend port (0 for fwmark services that keep the port).
    public var port: UInt16
    /// How packets reach it.
    public var forwarding: IPVSForwarding
    /// Its scheduling weight; 0 means it takes no new connections.
    public var weight: Int
}

/// What selects packets for an IPVS virtual service.
public enum IPVSServiceKey: Hashable, Sendable, CustomStringConvertible {
    case address(TransportProtocol, IPAddress, UInt16)
    case sctp(IPAddress, UInt16)
    case firewallMark(UInt32)

    public var description: String {
        switch self {
        case .address(let proto, let address, let port):
            return "\(proto.rawValue) \(Endpoint(ip: address, type: .service, port: port))"
        case .sctp(let address, let port):
            return "sctp \(Endpoint(ip: address, type: .service, port: port))"
        case .firewallMark(let mark): return "fwmark \(mark)"
        }
    }
}

/// One IPVS virtual service with its real servers.
public struct IPVSService: Hashable, Sendable {
    /// What it matches.
    public var key: IPVSServiceKey
    /// The scheduler (rr, wrr, lc, sh, ...).
    public var scheduler: String
    /// Session persistence timeout in seconds, when persistent.
    public var persistence: Int?
    /// The backends.
    public var realServers: [IPVSRealServer]

    /// The backends that take new connections (weight above zero), each with its share.
    public var schedulableServers: [(server: IPVSRealServer, share: Double)] {
        let live = realServers.filter { $0.weight > 0 }
        let total = Double(live.reduce(0) { $0 + $1.weight })
        return live.map { ($0, total > 0 ? Double($0.weight) / total : 0) }
    }
}

/// The IPVS table of one netns.
public struct IPVSTable: Hashable, Sendable {
    /// Every virtual service, in the order listed.
    public var services: [IPVSService]

    /// Makes a table.
    public init(services: [IPVSService] = []) { self.services = services }

    /// The virtual service that takes `packet`: by fwmark first, then by protocol, address and port.
    public func service(for packet: Packet) -> IPVSService? {
        if packet.mark != 0, let marked = services.first(where: { $0.key == .firewallMark(packet.mark) }) {
            return marked
        }
        return services.first { $0.key == .address(packet.proto, packet.dst, packet.dport) }
    }
}

/// Parses `ipvsadm -Sn` output.
public enum IPVSParser {
    /// Parses every line; malformed lines are errors naming their number.
    public static func parse(_ text: String, source: String) throws(InputError) -> IPVSTable {
        try requireText(text, source: source, expected: "`ipvsadm -Sn` output")
        var services: [IPVSService] = []
        for (number, line) in NumberedLines(text: text) {
            let fields = line.fields
            func fail(_ expected: String) -> InputError {
                InputError(source: source, line: number, expected: expected, found: String(line))
            }
            guard fields.count >= 3, fields[0] == "-A" || fields[0] == "-a" else {
                throw fail("a line starting with -A (virtual service) or -a (real server)")
            }
            guard let key = parseKey(flag: fields[1], value: fields[2]) else {
                throw fail("-t|-u|--sctp-service ADDRESS:PORT or -f MARK")
            }
            var options: [Substring: Substring] = [:]
            var forwarding = IPVSForwarding.route
            var index = 3
            while index < fields.count {
                let flag = fields[index]
                if let mode = IPVSForwarding(rawValue: String(flag)) {
                    forwarding = mode
                    index += 1
                } else if index + 1 < fields.count {
                    options[flag] = fields[index + 1]
                    index += 2
                } else {
                    // Flags without values (e.g. -p with the default timeout) carry no data we need.
                    options[flag] = ""
                    index += 1
                }
            }
            if fields[0] == "-A" {
                let persistence = options["-p"].map { Int($0) ?? 300 }
                services.append(IPVSService(key: key, scheduler: String(options["-s"] ?? "wlc"),
                                            persistence: persistence, realServers: []))
            } else {
                guard let serviceIndex = services.lastIndex(where: { $0.key == key }) else {
                    throw fail("a real server after its virtual service's -A line")
                }
                guard let target = options["-r"], let server = parseEndpoint(target) else {
                    throw fail("-r ADDRESS[:PORT] for the real server")
                }
                let weight = options["-w"].flatMap { Int($0) } ?? 1
                services[serviceIndex].realServers.append(
                    IPVSRealServer(address: server.address, port: server.port, forwarding: forwarding, weight: weight))
            }
        }
        return IPVSTable(services: services)
    }

    static func parseKey(flag: Substring, value: Substring) -> IPVSServiceKey? {
        switch flag {
        case "-f", "--fwmark-service":
            return UInt32(value).map(IPVSServiceKey.firewallMark)
        case "-t", "--tcp-service", "-u", "--udp-service", "--sctp-service":
            // A virtual service always has a port; a bare address is only valid for real servers.
            guard IPAddress(value) == nil, !value.hasSuffix("]"), let endpoint = parseEndpoint(value) else { return nil }
            switch flag {
            case "-t", "--tcp-service": return .address(.tcp, endpoint.address, endpoint.port)
            case "-u", "--udp-service": return .address(.udp, endpoint.address, endpoint.port)
            default: return .sctp(endpoint.address, endpoint.port)
            }
        default:
            return nil
        }
    }

    /// "10.0.0.1:80", "[fd00::1]:80" or a bare address (port 0).
    static func parseEndpoint(_ text: Substring) -> (address: IPAddress, port: UInt16)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), let address = IPAddress(text[text.index(after: text.startIndex)..<close])
            else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (address, 0) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        if let address = IPAddress(text) { return (address, 0) }
        guard let colon = text.lastIndex(of: ":"), let address = IPAddress(text[..<colon]),
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (address, port)
    }
}
