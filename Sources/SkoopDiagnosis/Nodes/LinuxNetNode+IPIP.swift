import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// Calico IPIP: the route's gateway is the remote node itself (`via NODE dev tunl0 onlink`);
    /// the inner packet travels inside an IP-in-IP packet from this node's address to it.
    func encapsulateIPIP(_ decision: NetNSDecision, device: String, nextHop: IPAddress, direction: FlowDirection,
                         action: ActionKind?, suspicions: [Suspicion]) -> NodeOutcome {
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
}
