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
        if let entry = network.entryNode {
            // --via-node: the network hands the packet to that node, destination unchanged.
            var link = Link(type: .external, source: hop, destination: Hop(type: .node, id: entry), action: .send,
                            packet: packet, sourceAttributes: ["nexthop": entry],
                            destinationAttributes: network.ingressInterface(of: entry, for: packet).map { ["if": $0] } ?? [:])
            link.assumptions = ["not a collected host: that the network delivers its packet for \(packet.dst) to node \(entry) is assumed (--via-node)."]
            return NodeOutcome(transmissions: [Transmission(link: link)])
        }
        if let (device, interface) = network.infraDevice(onLinkWith: source) {
            // A collected router on the host's own subnet: its routes decide where the packet goes.
            var link = Link(type: .external, source: hop, destination: .infraDevice(device), action: .send,
                            packet: packet, sourceAttributes: ["nexthop": "infra/\(device)"], destinationAttributes: ["if": interface])
            link.assumptions = ["not a collected host: that it sends its packet for \(packet.dst) to infra/\(device), the collected router on its subnet (\(interface)), is assumed."]
            return NodeOutcome(transmissions: [Transmission(link: link)])
        }
        let next = network.infraShim.nextHop(for: packet, gateway: nil, network: network)
        var link = Link(type: .external, source: hop, destination: .network, action: .send,
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
            return dropped(packet, direction: link.direction, because: Suspicion(
                    level: .fatal,
                    message: "A packet for the ClusterIP \(packet.dst) of svc/\(service.qualifiedName) left the cluster's nodes untranslated: no host answers a ClusterIP.",
                    evidence: packet.description,
                    hint: "kube-proxy's rules on the sending node must translate it to a backend; check them (and the service's endpoints)."))
        }
        // In the service network but owned by no Service: kube-proxy translates nothing, and no host has it.
        if let serviceNetwork = network.serviceNetwork, let prefix = serviceNetwork.prefix(containing: packet.dst),
           network.cluster.ipCache.services(ip: packet.dst).isEmpty {
            return dropped(packet, direction: link.direction, because: Suspicion(
                    level: .fatal,
                    message: "No Service owns \(packet.dst): it is in the service network \(prefix) (from \(serviceNetwork.source)), so no kube-proxy rule translates it and no host answers it.",
                    evidence: packet.description,
                    hint: "Check the address: `kubectl get svc -A` lists the ClusterIPs in use."))
        }
        if let intended = network.intendedDestinations, !intended.contains(hop) {
            return dropped(packet, direction: link.direction, because: Suspicion(
                    level: .critical,
                    message: "The packet leaves the collected hosts for \(packet.dst), which is not the destination asked for (\(intended.map(\.id).sorted().joined(separator: ", "))).",
                    evidence: packet.description))
        }
        // Assumed to answer; the reply goes back the way the request came.
        var reply = Link(type: .external, source: hop, destination: link.source, action: .serve, packet: packet.reply,
                         packetIn: packet, sourceAttributes: ["nexthop": packet.src.description],
                         destinationAttributes: link.sourceAttributes["if"].map { ["if": $0] } ?? [:], direction: .reply)
        reply.assumptions = ["not a collected host: that it accepts \(packet.proto == .icmp ? "ICMP echo" : "\(packet.proto.rawValue) port \(packet.dport)") and replies is assumed (collect it, or test from it)."]
        return NodeOutcome(transmissions: [Transmission(link: reply)])
    }
}

extension ExternalNode {
    /// The branch ends here, for the reason `suspicion` gives.
    func dropped(_ packet: Packet, direction: FlowDirection, because suspicion: Suspicion) -> NodeOutcome {
        NodeOutcome(transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop,
                                                             packet: packet, direction: direction))],
                    suspicions: [suspicion])
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
        if link.direction == .request, let balanced = loadBalanced(packet) { return balanced }
        let gateway: IPAddress? = if case .router(let address) = hop.identity { address } else { nil }
        let next = network.infraShim.nextHop(for: packet, gateway: gateway, network: network)
        var destinationAttributes: LinkAttributes = [:]
        if next.type == .node, let interface = network.ingressInterface(of: next.id, for: packet) {
            destinationAttributes["if"] = interface
        }
        let type: LinkType = next.type == .external ? .external : .infra
        var forward = Link(type: type, source: hop, destination: next, action: .forward, packet: packet,
                           sourceAttributes: ["nexthop": packet.dst.description], destinationAttributes: destinationAttributes,
                           direction: link.direction)
        forward.assumptions = network.infraShim.assumptions(for: packet, at: hop, next: next)
        return NodeOutcome(transmissions: [Transmission(link: forward)], suspicions: network.infraShim.suspicions(for: packet))
    }

    /// A packet for a LoadBalancer ingress IP: the cloud's load balancer hands it, destination
    /// unchanged and source preserved, to every Ready node (externalTrafficPolicy Cluster), or to
    /// the nodes with a ready local endpoint (Local: what its health check on healthCheckNodePort
    /// decides); one branch per node.
    func loadBalanced(_ packet: Packet) -> NodeOutcome? {
        guard let frontend = network.cluster.serviceFrontend(ip: packet.dst, port: packet.dport, protocol: packet.proto),
              frontend.kind == .loadBalancer else { return nil }
        let service = frontend.service
        let local = service.externalTrafficPolicy == .local
        let readyEndpointNodes = Set(network.cluster.backends(of: service, port: frontend.port)
            .filter(\.endpoint.ready).compactMap(\.endpoint.nodeName))
        let nodes = network.cluster.nodes.filter { node in
            node.isReady != false && (!local || readyEndpointNodes.contains(node.name))
        }.map(\.name).sorted()
        guard !nodes.isEmpty else {
            return NodeOutcome(
                transmissions: [Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop,
                                                        packet: packet, direction: .request))],
                suspicions: [Suspicion(
                    level: .fatal,
                    message: "The load balancer of svc/\(service.qualifiedName) has no node to send \(packet.dst) to: "
                        + (local ? "externalTrafficPolicy is Local and no Ready node runs a ready endpoint." : "no node is Ready."),
                    evidence: "ready endpoints on: \(readyEndpointNodes.sorted().joined(separator: ", "))")])
        }
        let rule = local ? "nodes with a ready local endpoint (externalTrafficPolicy Local: its health check on healthCheckNodePort)"
            : "every Ready node (externalTrafficPolicy Cluster)"
        return NodeOutcome(transmissions: nodes.map { node in
            var link = Link(type: .infra, source: hop, destination: Hop(type: .node, id: node), action: .forward, packet: packet,
                            sourceAttributes: ["nexthop": node, "lb": service.qualifiedName],
                            destinationAttributes: network.ingressInterface(of: node, for: packet).map { ["if": $0] } ?? [:],
                            probability: 1 / Double(nodes.count), direction: .request)
            link.assumptions = ["the load balancer of svc/\(service.qualifiedName) (not collected) is assumed to send \(packet.dst) to \(rule), destination unchanged, source preserved."]
            return Transmission(link: link)
        })
    }
}
