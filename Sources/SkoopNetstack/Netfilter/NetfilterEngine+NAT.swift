import SkoopModel

extension NetfilterEngine {
    /// Rewrites the packet for a NAT target; returns the trace verdict and a note.
    func applyNAT(_ target: Target, to walk: inout Walk, scope: Scope) -> (String, String) {
        var packet = walk.context.packet
        let before = packet.description
        var remarks: [String] = []
        let verdict: String
        switch target {
        case .dnat(let ranges, _, _):
            verdict = "DNAT"
            if let chosen = choose(ranges, remarks: &remarks) {
                if let address = chosen.low { packet.dst = address }
                if let ports = chosen.ports { packet.dport = ports.low }
            }
            walk.context.natStatus.insert(.dnat)
        case .snat(let ranges, _, let randomFully, _):
            verdict = "SNAT"
            if let chosen = choose(ranges, remarks: &remarks) {
                if let address = chosen.low { packet.src = address }
                if let ports = chosen.ports { packet.sport = ports.low }
            }
            if randomFully { remarks.append("--random-fully picks a random source port; kept \(packet.sport)") }
            walk.context.natStatus.insert(.snat)
        case .masquerade(let toPorts, _, let randomFully):
            verdict = "MASQUERADE"
            if let interface = walk.context.outInterface, let address = walk.context.interfaceAddress(interface) {
                packet.src = address
            } else {
                let interface = walk.context.outInterface ?? "(no out interface)"
                walk.warn("MASQUERADE: address of \(interface) not supplied; source left unchanged")
                walk.flags.insert(.uncertain)
                remarks.append("out interface address unknown")
            }
            if let toPorts { packet.sport = toPorts.low }
            if randomFully { remarks.append("--random-fully picks a random source port; kept \(packet.sport)") }
            walk.context.natStatus.insert(.snat)
        case .redirect(let toPorts, _):
            verdict = "REDIRECT"
            let loopback: IPAddress = packet.dst.family == .inet ? .v4(IPv4Address(127, 0, 0, 1)) : .v6(IPv6Address(high: 0, low: 1))
            if scope.hook == .output {
                packet.dst = loopback
            } else if let interface = walk.context.inInterface, let address = walk.context.interfaceAddress(interface) {
                packet.dst = address
            } else {
                walk.warn("REDIRECT: address of the in interface not supplied; destination left unchanged")
                walk.flags.insert(.uncertain)
            }
            if let toPorts { packet.dport = toPorts.low }
            walk.context.natStatus.insert(.dnat)
        default:
            return ("CONTINUE", "")
        }
        walk.context.packet = packet
        return (verdict, ([before + " -> " + packet.description] + remarks).joined(separator: "; "))
    }

    /// The first range, noting when the kernel could have picked another address or port.
    func choose(_ ranges: [NATRange], remarks: inout [String]) -> NATRange? {
        guard let first = ranges.first else { return nil }
        if ranges.count > 1 || first.low != first.high || (first.ports.map { $0.low != $0.high } ?? false) {
            remarks.append("range \(ranges.map(\.description).joined(separator: ",")): first address and port assumed")
        }
        return first
    }
}
