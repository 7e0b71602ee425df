import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// VXLAN: the VTEP's MAC from the neighbour table, the remote from the FDB, then the outer packet.
    func encapsulate(_ decision: NetNSDecision, device: String, vxlan: VXLANInfo, nextHop: IPAddress,
                     direction: FlowDirection, action: ActionKind?, suspicions: [Suspicion]) -> NodeOutcome {
        var failed = decision
        failed.kind = .drop
        if let loop = tunnelLoop(decision, device: device, direction: direction) { return loop }
        guard let neighbor = info.neighbors.first(where: { $0.destination == nextHop && $0.dev == device }),
              let mac = neighbor.lladdr, neighbor.isResolved else {
            failed.suspicions = [Suspicion(level: .critical,
                message: "No neighbour entry for the VTEP \(nextHop) on \(device) in \(hop.id): the inner packet can't be addressed.",
                evidence: "ip neigh show dev \(device): no \(nextHop)",
                hint: "The CNI (flannel) installs a permanent neighbour for each remote VTEP; check its logs.")]
            return transmissions(for: [failed], direction: direction, served: false)
        }
        // Compared ignoring ASCII case without a lowercased copy per entry (5,000 at 5,000 nodes).
        func sameMAC(_ other: String) -> Bool {
            other.utf8.count == mac.utf8.count && other.utf8.elementsEqual(mac.utf8) { $0 | 0x20 == $1 | 0x20 }
        }
        guard let entry = info.fdb.first(where: { $0.ifname == device && sameMAC($0.mac) }),
              let remote = entry.dst ?? vxlan.remote else {
            failed.suspicions = [Suspicion(level: .critical,
                message: "No FDB entry on \(device) in \(hop.id) maps the VTEP MAC \(mac) to a remote node: the tunnel packet has nowhere to go.",
                evidence: "bridge fdb show dev \(device): no \(mac)",
                hint: "The CNI installs an FDB entry per remote node (bridge fdb append MAC dev \(device) dst NODE_IP).")]
            return transmissions(for: [failed], direction: direction, served: false)
        }
        var mtuSuspicions = suspicions
        if let tunnelMTU = info.interface(named: device)?.mtu, let podMTU = pod.flatMap({ _ in info.interface(named: "eth0")?.mtu }),
           podMTU > tunnelMTU {
            mtuSuspicions.append(Suspicion(level: .warning, message: "MTU \(podMTU) of the pod is larger than the tunnel's \(tunnelMTU): large packets will be dropped or fragmented."))
        }
        let local = vxlan.local ?? info.routableAddresses.first { $0.family == remote.family } ?? remote
        let outer = Packet(src: local, sport: 0, dst: remote, dport: UInt16(vxlan.port ?? 8472), proto: .udp, mark: 0,
                           encap: decision.packet)
        var outcome = sendThroughTunnel(decision, outer: outer, type: .vxlan, attributes: [("vxlan", device), ("vtep", nextHop.description)],
                                        direction: direction, action: action)
        outcome.suspicions = mtuSuspicions + outcome.suspicions
        return outcome
    }

    /// Sends the outer packet of a tunnel from this netns and dresses its links as tunnel links
    /// that carry the inner packet's history (NAT, traces, probability).
    func sendThroughTunnel(_ decision: NetNSDecision, outer: Packet, type: LinkType, attributes: [(String, String)],
                           direction: FlowDirection, action: ActionKind?) -> NodeOutcome {
        let outerDecisions = simulator.process(outer, ingress: .generated, direction: direction, bridgePort: bridgePort)
        var outcome = transmissions(for: outerDecisions, direction: direction, served: action == .serve)
        for index in outcome.transmissions.indices {
            var link = outcome.transmissions[index].link
            if link.destination != nil {
                link.type = type
                if link.action == .forward && decision.translation != nil && decision.probability < 1 { link.action = .service }
            }
            link.packetIn = decision.packetIn
            link.netfilter = decision.netfilter + link.netfilter
            link.routes = decision.routes + link.routes
            link.probability *= decision.probability
            link.translations = translations(of: decision, direction: direction) + link.translations
            for (key, value) in attributes { link.sourceAttributes[key] = value }
            outcome.transmissions[index].link = link
        }
        return outcome
    }
}
