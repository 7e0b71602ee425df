import SkoopModel

/// A host outside the cluster: not simulated; it answers whatever reaches its address.
struct ExternalNode: NetNodeAction {
    let hop: Hop
    let network: Network

    var address: IPAddress? { IPAddress(hop.id) }

    func send(to destination: Endpoint, protocol proto: TransportProtocol) -> NodeOutcome {
        let source = address ?? destination.ip
        let packet = Packet(src: source, sport: proto == .icmp ? 0 : network.context.sourcePort, dst: destination.ip,
                            dport: proto == .icmp ? 0 : destination.port, proto: proto)
        let next = network.infraShim.nextHop(for: packet, gateway: nil, network: network)
        var link = Link(type: .external, source: hop, destination: Hop(type: .infra, id: "network"), action: .send,
                        packet: packet, sourceAttributes: ["nexthop": next.id])
        link.assumptions = ["not a collected host: that it sends the packet into the network towards \(next.id) is assumed."]
        return NodeOutcome(transmissions: [Transmission(link: link)])
    }

    func receive(_ link: Link) -> NodeOutcome {
        let packet = link.packet
        guard packet.dst == address else {
            return NodeOutcome(transmissions: [Transmission(link: Link(
                type: .local, source: hop, destination: nil, action: .drop, packet: packet, direction: link.direction,
                isUncertain: true))],
                suspicions: [Suspicion(level: .warning, message: "\(hop.id) received a packet for \(packet.dst), which it does not own.")])
        }
        if link.direction == .reply {
            return NodeOutcome(transmissions: [Transmission(link: Link(
                type: .local, source: hop, destination: nil, action: .serve, packet: packet, direction: .reply))])
        }
        // No host owns a ClusterIP: only kube-proxy's rules answer for it, on the node.
        if case .service(let service, .clusterIP) = network.cluster.ipCache.owner(of: packet.dst) {
            return NodeOutcome(
                transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop,
                                                        packet: packet, direction: link.direction))],
                suspicions: [Suspicion(
                    level: .fatal,
                    message: "A packet for the ClusterIP \(packet.dst) of svc/\(service.qualifiedName) left the cluster's nodes untranslated: no host answers a ClusterIP.",
                    evidence: packet.description,
                    hint: "kube-proxy's rules on the sending node must translate it to a backend; check them (and the service's endpoints).")])
        }
        // In the service network but owned by no Service: kube-proxy translates nothing, and no host has it.
        if let serviceNetwork = network.serviceNetwork, let prefix = serviceNetwork.prefix(containing: packet.dst),
           network.cluster.ipCache.services(ip: packet.dst).isEmpty {
            return NodeOutcome(
                transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop,
                                                        packet: packet, direction: link.direction))],
                suspicions: [Suspicion(
                    level: .fatal,
                    message: "No Service owns \(packet.dst): it is in the service network \(prefix) (from \(serviceNetwork.source)), so no kube-proxy rule translates it and no host answers it.",
                    evidence: packet.description,
                    hint: "Check the address: `kubectl get svc -A` lists the ClusterIPs in use.")])
        }
        if let intended = network.intendedDestinations, !intended.contains(hop) {
            return NodeOutcome(
                transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop,
                                                        packet: packet, direction: link.direction))],
                suspicions: [Suspicion(
                    level: .critical,
                    message: "The packet leaves the collected hosts for \(packet.dst), which is not the destination asked for (\(intended.map(\.id).sorted().joined(separator: ", "))).",
                    evidence: packet.description)])
        }
        // Assumed to answer; the reply goes back the way the request came.
        var reply = Link(type: .external, source: hop, destination: link.source, action: .serve, packet: packet.reply,
                         packetIn: packet, sourceAttributes: ["nexthop": packet.src.description],
                         destinationAttributes: link.sourceAttributes["if"].map { ["if": $0] } ?? [:], direction: .reply)
        reply.assumptions = ["not a collected host: that it accepts \(packet.proto == .icmp ? "ICMP echo" : "\(packet.proto.rawValue) port \(packet.dport)") and replies is assumed (collect it, or test from it)."]
        return NodeOutcome(transmissions: [Transmission(link: reply)])
    }
}

/// The network between nodes (a router, a cloud VPC), as the InfraShim describes it.
struct InfraNode: NetNodeAction {
    let hop: Hop
    let network: Network

    func send(to destination: Endpoint, protocol: TransportProtocol) -> NodeOutcome {
        NodeOutcome(suspicions: [Suspicion(level: .warning, message: "The infrastructure can't start a flow.")])
    }

    func receive(_ link: Link) -> NodeOutcome {
        let packet = link.packet
        let next = network.infraShim.nextHop(for: packet, gateway: IPAddress(hop.id.split(separator: " ").last ?? ""), network: network)
        var destinationAttributes: LinkAttributes = [:]
        if next.type == .node, let host = try? network.collector.netns(node: next.id, id: "host"),
           let interface = host.addresses.first(where: { $0.local == packet.dst })?.interface
            ?? host.addresses.first(where: { $0.family == packet.dst.family && $0.scope == .global })?.interface {
            destinationAttributes["if"] = interface
        }
        let type: LinkType = next.type == .external ? .external : .infra
        var forward = Link(type: type, source: hop, destination: next, action: .forward, packet: packet,
                           sourceAttributes: ["nexthop": packet.dst.description], destinationAttributes: destinationAttributes,
                           direction: link.direction)
        forward.assumptions = network.infraShim.assumptions(for: packet, at: hop, next: next)
        return NodeOutcome(transmissions: [Transmission(link: forward)], suspicions: network.infraShim.suspicions(for: packet))
    }
}
