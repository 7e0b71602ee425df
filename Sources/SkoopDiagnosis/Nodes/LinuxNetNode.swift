import SkoopModel
import SkoopNetstack
import SkoopCollector
import SkoopKubernetes

/// A pod or node: a Linux netns simulated from its collected network stack.
struct LinuxNetNode: NetNodeAction {
    let hop: Hop
    /// The Kubernetes node it lives on.
    let node: String
    /// The netns folder ("host" for the node itself).
    let netnsID: String
    let simulator: NetNSSimulator
    let network: Network
    let manager: SnapshotNetNodeManager
    /// The pod, when this is one.
    let pod: Pod?

    var info: NetNSInfo { simulator.info }
    /// Whether this is a collected router or gateway (`skoop collect --infra`), not a pod or node.
    var isInfraDevice: Bool { hop.type == .infra }

    func send(to destination: Endpoint, protocol proto: TransportProtocol) -> NodeOutcome {
        let family = destination.ip.family
        // A node's client socket does not bind: the route chooses its source (e.g. flannel.1's
        // address towards a remote pod), which the simulator does when the source is unset
        // (given as the destination itself).
        let source = (pod == nil ? network.sourceAddressOverride.flatMap { $0.family == family ? $0 : nil } : nil)
            ?? pod?.ip(family: family)
            ?? destination.ip
        let packet = Packet(src: source, sport: proto == .icmp ? 0 : network.context.sourcePort,
                            dst: destination.ip, dport: proto == .icmp ? 0 : destination.port, proto: proto)
        // Policy hook (PolicyEnforcement.swift): a CNI enforcing the objects decides egress here.
        if var denied = egressDecision(for: packet) {
            denied.suspicions = assertions() + denied.suspicions
            return denied
        }
        let decisions = simulator.process(packet, ingress: .generated, direction: .request, bridgePort: bridgePort)
        var outcome = transmissions(for: decisions, direction: .request, served: false)
        outcome.suspicions = assertions() + outcome.suspicions
        return outcome
    }

    func receive(_ link: Link) -> NodeOutcome {
        // Entering another netns scrubs the skb: marks set on the previous hop are gone.
        var packet = link.packet.withoutMarks
        let ingress = link.destinationAttributes["if"]
        // Conntrack is per netns: a reply entering a netns the request never crossed has no entry here.
        let simulator = link.direction == .reply && !link.requestHops.contains(hop)
            ? self.simulator.forReplyWithoutRequest() : self.simulator
        let l2Target = link.sourceAttributes["nexthop"].flatMap { IPAddress($0) }
        var suspicions = assertions()
        // conntrack rewrites replies of connections this netns translated, unless the frame
        // only crosses a bridge without br_netfilter (then conntrack never sees it): the
        // destination before routing, the source after.
        var conntrackSees = false
        if link.direction == .reply {
            let bridgedPast = ingress.map { willBridge($0, l2Target: l2Target) } ?? false
            conntrackSees = !bridgedPast || info.sysctls.bridgeCallsIPTables == true
            if conntrackSees {
                packet = reverseNAT(packet, link: link, undoing: .destination)
            } else if let ingress, let suspicion = conntrackBypassed(link, interface: ingress) {
                suspicions.append(suspicion)
            }
        }
        guard let ingress else {
            return NodeOutcome(transmissions: [drop(packet, direction: link.direction, uncertain: true)],
                               suspicions: suspicions + [Suspicion(level: .warning, message: "The link into \(hop.id) names no interface.")])
        }
        var decisions = simulator.process(packet, ingress: .interface(ingress), l2Target: l2Target,
                                          direction: link.direction, bridgePort: bridgePort,
                                          sourceMAC: senderMAC(of: link, interface: link.sourceAttributes["if"]))
        // VXLAN: a UDP datagram delivered to a vxlan device's port is decapsulated and the inner
        // packet arrives on that device.
        var expanded: [(decision: NetNSDecision, conntracked: Bool)] = []
        for decision in decisions {
            if decision.kind == .deliver, let inner = decision.packet.encap {
                guard let device = tunnelDevice(receiving: decision.packet) else {
                    suspicions.append(Suspicion(level: .critical, message: decision.packet.proto == .ipip
                        ? "No IPIP device (tunl0) in \(hop.id) takes IP-in-IP packets: the tunnel packet is dropped."
                        : "No VXLAN device in \(hop.id) takes UDP port \(decision.packet.dport): the tunnel packet is dropped."))
                    var dropped = decision
                    dropped.kind = .drop
                    expanded.append((dropped, false))
                    continue
                }
                // The decapsulated packet is routed by this netns: conntrack sees it.
                let innerPacket = link.direction == .reply ? reverseNAT(inner, link: link, undoing: .destination) : inner
                expanded += simulator.process(innerPacket, ingress: .interface(device.name), l2Target: nil,
                                              direction: link.direction, bridgePort: bridgePort,
                                              sourceMAC: senderMAC(of: link, interface: link.sourceAttributes["vxlan"]))
                    .map { ($0, true) }
            } else {
                expanded.append((decision, conntrackSees))
            }
        }
        decisions = expanded.map { decision, conntracked in
            guard link.direction == .reply, conntracked, decision.kind != .drop else { return decision }
            var rewritten = decision
            rewritten.packet = reverseNAT(decision.packet, link: link, undoing: .source)
            return rewritten
        }
        var outcome = transmissions(for: decisions, direction: link.direction, served: false, arrivedFrom: link)
        outcome.suspicions = suspicions + outcome.suspicions
        return outcome
    }

    // MARK: - Decisions to transmissions

    func transmissions(for decisions: [NetNSDecision], direction: FlowDirection, served: Bool,
                       arrivedFrom link: Link? = nil) -> NodeOutcome {
        var outcome = NodeOutcome(suspicions: direction == .request ? serviceProgrammingChecks(decisions) : [])
        for decision in decisions {
            outcome.suspicions += decision.suspicions
            switch decision.kind {
            case .drop:
                // Policy hook (PolicyEnforcement.swift): a policy chain's drop the objects don't explain.
                outcome.suspicions += policyCrossCheck(dropped: decision, direction: direction, arrivedFrom: link)
                if let blackholed = localPodBlackholed(decision) { outcome.suspicions.append(blackholed) }
                var dropLink = Link(type: .local, source: hop, destination: nil, action: .drop, packet: decision.packet,
                                    packetIn: decision.packetIn, routes: decision.routes, netfilter: decision.netfilter,
                                    probability: decision.probability, direction: direction, isUncertain: decision.isUncertain)
                dropLink.translations = translations(of: decision, direction: direction)
                outcome.transmissions.append(Transmission(link: dropLink))
            case .deliver:
                outcome = merge(outcome, delivered(decision, direction: direction, arrivedFrom: link))
            case .forward(let interface, let nextHop, let port):
                outcome = merge(outcome, forwarded(decision, interface: interface, nextHop: nextHop, port: port,
                                                   direction: direction, action: served ? .serve : nil))
            }
        }
        return outcome
    }

    /// Local delivery: a request is served and answered; a reply completes the connection.
    func delivered(_ decision: NetNSDecision, direction: FlowDirection, arrivedFrom link: Link?) -> NodeOutcome {
        let packet = decision.packet
        if direction == .reply {
            var final = Link(type: .local, source: hop, destination: nil, action: .serve, packet: packet,
                             packetIn: decision.packetIn, routes: decision.routes, netfilter: decision.netfilter,
                             probability: decision.probability, direction: .reply, isUncertain: decision.isUncertain)
            // The connecting socket only takes a reply from the address it connected to.
            if let original = link?.translations.first?.original, packet.src != original.dst || packet.sport != original.dport {
                final.action = .drop
                return NodeOutcome(transmissions: [Transmission(link: final)], suspicions: [Suspicion(
                    level: .critical,
                    message: "The reply comes from \(Endpoint(ip: packet.src, type: .pod, port: packet.sport)), not from \(Endpoint(ip: original.dst, type: .service, port: original.dport)) the client connected to: conntrack's reverse NAT was skipped, so the client discards it.",
                    evidence: "reply \(packet); connection \(original)",
                    hint: "Replies must pass the node that translated the request: enable net.bridge.bridge-nf-call-iptables, or masquerade hairpin traffic.")])
            }
            return NodeOutcome(transmissions: [Transmission(link: final)])
        }
        if let wrongPlace = unintendedDelivery(decision) { return wrongPlace }
        // Policy hook (PolicyEnforcement.swift): ingress (and the client's egress to this backend)
        // decided here by a CNI enforcing the objects, or cross-checked with its rules.
        let policy = ingressDecision(for: decision, arrivedFrom: link)
        if let policy, !policy.transmissions.isEmpty { return policy }
        // Serve: the kernel answers (ICMP) or the listening socket does; the reply starts here.
        var reply = packet.reply
        reply.mark = 0
        let replies = simulator.process(reply, ingress: .generated, direction: .reply, bridgePort: bridgePort)
        var outcome = transmissions(for: replies, direction: .reply, served: true)
        for index in outcome.transmissions.indices {
            outcome.transmissions[index].link.netfilter = decision.netfilter + outcome.transmissions[index].link.netfilter
            outcome.transmissions[index].link.routes = decision.routes + outcome.transmissions[index].link.routes
            outcome.transmissions[index].link.probability *= decision.probability
            if decision.isUncertain { outcome.transmissions[index].link.isUncertain = true }
            outcome.transmissions[index].link.translations = translations(of: decision, direction: .request)
                + outcome.transmissions[index].link.translations
            if outcome.transmissions[index].link.action != .drop {
                outcome.transmissions[index].link.action = .serve
            }
        }
        outcome.suspicions += policy?.suspicions ?? []
        return outcome
    }

    /// A request delivered to a local socket of a hop that is not the destination asked for: the
    /// flow is not served. When this hop itself redirected it here (a local proxy), what the proxy
    /// does next is not simulated: the branch is unknown rather than failed.
    func unintendedDelivery(_ decision: NetNSDecision) -> NodeOutcome? {
        guard let intended = network.intendedDestinations, !intended.contains(hop) else { return nil }
        let asked = intended.map(\.id).sorted().joined(separator: ", ")
        var ended = decision
        ended.kind = .drop
        if let translation = decision.translation, info.owns(translation.translated.dst) {
            ended.isUncertain = true
            ended.suspicions.append(Suspicion(
                level: .warning,
                message: "\(hop.id) redirects the packet to its own socket \(Endpoint(ip: translation.translated.dst, type: .pod, port: translation.translated.dport)) (a local proxy?): what that socket does next is not simulated, so whether it reaches \(asked) is unknown.",
                evidence: decision.netfilter.last { $0.matched }?.rule ?? "\(translation.original) -> \(translation.translated)"))
        } else {
            ended.suspicions.append(Suspicion(
                level: .critical,
                message: "The packet is delivered to \(hop.id), not to the destination asked for (\(asked)): the connection would be made with the wrong host.",
                evidence: decision.packet.description,
                hint: "Check the routes and NAT rules that lead here; an address may be configured on two hosts."))
        }
        return transmissions(for: [ended], direction: .request, served: false)
    }

    /// A packet leaving through `interface` towards `nextHop`: find who receives it.
    func forwarded(_ decision: NetNSDecision, interface: String, nextHop: IPAddress, port: String?,
                   direction: FlowDirection, action: ActionKind?) -> NodeOutcome {
        var suspicions: [Suspicion] = []
        let device = info.interface(named: interface)
        var attributes: LinkAttributes = ["if": interface, "nexthop": nextHop.description]
        if let mtu = device?.mtu { attributes["mtu"] = String(mtu) }
        let packet = decision.packet
        func link(_ type: LinkType, to destination: Hop, peerInterface: String?) -> Transmission {
            var destinationAttributes: LinkAttributes = [:]
            if let peerInterface { destinationAttributes["if"] = peerInterface }
            var result = Link(type: type, source: hop, destination: destination,
                              action: action ?? (decision.translation != nil && decision.probability < 1 ? .service : .forward),
                              packet: packet, packetIn: decision.packetIn, sourceAttributes: attributes,
                              destinationAttributes: destinationAttributes, routes: decision.routes,
                              netfilter: decision.netfilter, probability: decision.probability, direction: direction,
                              isUncertain: decision.isUncertain)
            result.translations = translations(of: decision, direction: direction)
            return Transmission(link: result)
        }
        func unresolved(_ message: String) -> NodeOutcome {
            unresolvedBy(Suspicion(level: .critical, message: message))
        }
        func unresolvedBy(_ suspicion: Suspicion) -> NodeOutcome {
            var dropped = decision
            dropped.kind = .drop
            dropped.suspicions = suspicions + [suspicion]
            return transmissions(for: [dropped], direction: direction, served: false)
        }
        if let neighbor = info.neighbors.first(where: { $0.destination == nextHop && $0.dev == interface }),
           neighbor.isFailed || neighbor.states.contains("INCOMPLETE") {
            suspicions.append(Suspicion(level: .critical, message: "ARP/NDP for \(nextHop) on \(interface) has failed in \(hop.id).",
                                        evidence: "\(nextHop) dev \(interface) \(neighbor.states.joined(separator: ","))"))
        }
        // Bridge: the port leads to a pod's veth.
        if device?.kind == "bridge" {
            attributes["port"] = port ?? "?"
            guard let port, let portDevice = info.interface(named: port) else {
                return unresolved("No port of bridge \(interface) in \(hop.id) leads to \(nextHop)."
                                  + ((hostVethProblem(for: nextHop) ?? addresslessPodProblem(for: nextHop)).map { " \($0)" } ?? ""))
            }
            guard let (peerNetns, peerInterface) = vethPeer(of: portDevice) else {
                return unresolved("The peer of bridge port \(port) in \(hop.id) was not found in the node's collected netns.")
            }
            var outcome = NodeOutcome(transmissions: [link(.bridge, to: manager.hop(node: node, netns: peerNetns), peerInterface: peerInterface)])
            outcome.suspicions = suspicions
            return outcome
        }
        if let device, device.kind == "veth" {
            if let (peerNetns, peerInterface) = vethPeer(of: device) {
                var outcome = NodeOutcome(transmissions: [link(.veth, to: manager.hop(node: node, netns: peerNetns), peerInterface: peerInterface)])
                outcome.suspicions = suspicions
                return outcome
            }
            // A node's uplink may be a veth whose peer is outside the cluster (a lab, a VM's
            // network): it is the underlay. A pod's veth must end on its node.
            if netnsID != "host" {
                return unresolved("The veth peer of \(interface) in \(hop.id) was not found in the collected netns of node \(node).")
            }
        }
        if device?.kind == "ipip" {
            return encapsulateIPIP(decision, device: interface, nextHop: nextHop, direction: direction, action: action,
                                   suspicions: suspicions)
        }
        if let vxlan = device?.vxlan {
            return encapsulate(decision, device: interface, vxlan: vxlan, nextHop: nextHop, direction: direction,
                               action: action, suspicions: suspicions)
        }
        // The underlay: another node on the link, a collected router, or a router/external host.
        let owner = network.owner(ofUnderlayAddress: nextHop)
        var outcome: NodeOutcome
        if let device = network.infraDevice(owning: nextHop), Hop.infraDevice(device) != hop {
            if nextHop != packet.dst, let problem = ownPodAddressSentAway(packet, gateway: nextHop, route: decision.routes.last) {
                return unresolvedBy(problem)
            }
            let key = InfraDevice.key(device)
            outcome = NodeOutcome(transmissions: [link(.infra, to: .infraDevice(device), peerInterface: underlayInterface(of: key, facing: nextHop))])
        } else if owner.type == .node, owner.id != node {
            outcome = NodeOutcome(transmissions: [link(.infra, to: owner, peerInterface: underlayInterface(of: owner.id, facing: nextHop))])
        } else if nextHop == packet.dst, owner.type == .external {
            outcome = NodeOutcome(transmissions: [link(.external, to: owner, peerInterface: nil)])
        } else {
            var toRouter = link(.infra, to: .router(nextHop), peerInterface: nil)
            switch underlayProblem(for: packet, gateway: nextHop, interface: interface, route: decision.routes.last) {
            case .lost(let problem):
                return unresolvedBy(problem)
            case .dependsOnGateway(let problem, let assumption):
                toRouter.link.isUncertain = true
                toRouter.link.assumptions.append(assumption)
                suspicions.append(problem)
            case nil:
                break
            }
            outcome = NodeOutcome(transmissions: [toRouter])
        }
        outcome.suspicions = suspicions
        return outcome
    }

    // MARK: - Topology

    /// The netns and interface at the other end of a veth, searched among the node's collected netns.
    func vethPeer(of device: NetInterface) -> (netns: String, interface: String)? {
        guard let peerIndex = device.peerIndex else { return nil }
        for id in network.collector.netnsIDs(node: node) where id != netnsID {
            guard let other = network.collector.addressing(node: node, id: id),
                  let peer = other.interface(index: peerIndex), peer.kind == "veth" else { continue }
            if peer.peerIndex == nil || peer.peerIndex == device.index { return (id, peer.name) }
        }
        return nil
    }

    /// The port of `bridge` whose veth peer holds `address`.
    func bridgePort(_ bridge: String, _ address: IPAddress) -> String? {
        for port in info.interfaces where port.master == bridge {
            if let (peerNetns, _) = vethPeer(of: port),
               let peer = network.collector.addressing(node: node, id: peerNetns), peer.owns(address) {
                return port.name
            }
        }
        return nil
    }

    /// Whether a packet arriving on `interface` addressed (at layer 2) to `l2Target` is bridged.
    func willBridge(_ interface: String, l2Target: IPAddress?) -> Bool {
        guard let master = info.interface(named: interface)?.master, info.interface(named: master)?.kind == "bridge",
              let l2Target else { return false }
        return !info.owns(l2Target)
    }

    /// The interface of `node`'s host netns on the subnet of `address`.
    func underlayInterface(of node: String, facing address: IPAddress) -> String? {
        guard let host = try? network.collector.netns(node: node, id: "host") else { return nil }
        return host.addresses.first { $0.local == address }?.interface
            ?? host.addresses.first { $0.subnet?.contains(address) == true }?.interface
    }

    /// Which half of conntrack's reverse NAT: the destination (undoing SNAT, before routing) or
    /// the source (undoing DNAT, after routing).
    enum ReverseNATPart { case destination, source }

    /// A reply rewritten by the connections this hop translated (conntrack's reverse NAT).
    func reverseNAT(_ reply: Packet, link: Link, undoing part: ReverseNATPart) -> Packet {
        var packet = reply
        for translation in link.translations.reversed() where translation.node == hop {
            packet = part == .destination ? translation.reverseDestination(packet) : translation.reverseSource(packet)
        }
        return packet
    }

    func translations(of decision: NetNSDecision, direction: FlowDirection) -> [Translation] {
        guard direction == .request, let translation = decision.translation else { return [] }
        return [Translation(node: hop, original: translation.original, translated: translation.translated)]
    }

    func drop(_ packet: Packet, direction: FlowDirection, uncertain: Bool) -> Transmission {
        Transmission(link: Link(type: .local, source: hop, destination: nil, action: .drop, packet: packet,
                                direction: direction, isUncertain: uncertain))
    }

    func merge(_ first: NodeOutcome, _ second: NodeOutcome) -> NodeOutcome {
        NodeOutcome(transmissions: first.transmissions + second.transmissions,
                    suspicions: first.suspicions + second.suspicions)
    }

    /// Checks of this netns and its Kubernetes object, reported on every visit (the Diagnostor
    /// keeps one copy) but made once.
    func assertions() -> [Suspicion] {
        manager.assertions(node: node, netns: netnsID) {
            let netstack = NetstackAssertion(info: info, isPod: pod != nil, rulesetWarnings: simulator.rulesetWarnings).suspicions()
            // A router or gateway is no Kubernetes node: neither the node's objects nor the CNI's routes apply.
            if isInfraDevice { return netstack }
            return netstack
                + KubernetesAssertion(cluster: network.cluster).suspicions(pod: pod, node: node)
                + (netnsID == "host" ? PluginAssertion(plugin: network.plugin, cluster: network.cluster, node: node, router: simulator.router).suspicions() : [])
        }
    }
}
