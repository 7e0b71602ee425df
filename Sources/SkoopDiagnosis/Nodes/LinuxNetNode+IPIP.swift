import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// Calico IPIP: the route's gateway is the remote node itself (`via NODE dev tunl0 onlink`);
    /// the inner packet travels inside an IP-in-IP packet from this node's address to it.
    func encapsulateIPIP(_ decision: NetNSDecision, device: String, nextHop: IPAddress, direction: FlowDirection,
                         action: ActionKind?, suspicions: [Suspicion]) -> NodeOutcome {
        if let loop = tunnelLoop(decision, device: device, direction: direction) { return loop }
        let tunnel = info.interface(named: device)
        guard tunnel?.isUp == true else {
            var failed = decision
            failed.kind = .drop
            failed.suspicions = [Suspicion(level: .fatal, message: "IPIP device \(device) in \(hop.id) is down.", hint: "ip link set \(device) up")]
            return transmissions(for: [failed], direction: direction, served: false)
        }
        let local = info.routableAddresses.first { address in
            address.family == nextHop.family && info.addresses.contains { $0.local == address && $0.subnet?.contains(nextHop) == true }
        } ?? info.routableAddresses.first { $0.family == nextHop.family } ?? nextHop
        let outer = Packet(src: local, dst: nextHop, proto: .ipip, mark: 0, encap: decision.packet)
        var outcome = sendThroughTunnel(decision, outer: outer, type: .ipip, attributes: [("ipip", device)],
                                        direction: direction, action: action)
        outcome.suspicions = suspicions + outcome.suspicions
        return outcome
    }

    /// The tunnel device that decapsulates `outer`: a vxlan device on its UDP port, or an IPIP device.
    func tunnelDevice(receiving outer: Packet) -> NetInterface? {
        if outer.proto == .ipip {
            return info.interfaces.first { $0.kind == "ipip" && $0.isUp }
        }
        return info.interfaces.first { $0.vxlan != nil && UInt16($0.vxlan?.port ?? 8472) == outer.dport }
    }

    /// A tunnel's own outer packet routed into a tunnel again: the kernel drops it (a route loop)
    /// rather than nest encapsulations without end.
    func tunnelLoop(_ decision: NetNSDecision, device: String, direction: FlowDirection) -> NodeOutcome? {
        guard let inner = decision.packet.encap else { return nil }
        var dropped = decision
        dropped.kind = .drop
        dropped.suspicions.append(Suspicion(
            level: .critical,
            message: "The tunnel packet to \(decision.packet.dst) is routed into tunnel device \(device) again in \(hop.id): a route loop, which the kernel drops.",
            evidence: "\(decision.routes.last?.route ?? "route to \(decision.packet.dst)") (carrying \(inner))",
            hint: "The route to the remote tunnel endpoint \(decision.packet.dst) must leave through the underlay, not a tunnel device."))
        return transmissions(for: [dropped], direction: direction, served: false)
    }
}
