import SkoopModel

extension NetNSSimulator {
    /// A netfilter context for `packet` with this netns's address types, interface addresses,
    /// reverse-path lookup and sockets; `sourceMAC` is the previous hop's, when the caller knows it.
    func makeContext(_ packet: Packet, inInterface: String?, outInterface: String?, direction: FlowDirection,
                     physdevIn: String?, physdevOut: String? = nil, sourceMAC: String? = nil) -> PacketContext {
        var context = PacketContext(packet: packet, inInterface: inInterface, outInterface: outInterface,
                                    physdevIn: physdevIn, physdevOut: physdevOut,
                                    direction: direction == .request ? .original : .reply,
                                    isFirstPacket: direction == .request, sourceMAC: sourceMAC?.lowercased(),
                                    addressType: addressTypes,
                                    interfaceAddress: { [primaryAddress] in primaryAddress($0, packet.dst.family) })
        context.reversePath = NetfilterLookups.reversePath(router)
        context.replyWithoutRequest = replyWithoutRequest && direction == .reply
        if info.socketsKnown {
            let lookups = NetfilterLookups(sockets: info.sockets, addresses: Set(info.addresses.map(\.local)))
            context.receivingSocket = lookups.receivingSocket
            context.sendingSocket = lookups.sendingSocket
        }
        return context
    }

    /// The engine for the packet's family, or a pass-through when none was collected.
    func traverse(_ hook: Hook, _ context: PacketContext) -> [NetfilterOutcome] {
        traverse(hooks: [hook], context)
    }

    /// Several hooks in a row (the engine joins probabilities and traces). Where this netns's
    /// rules are unknown, every outcome is unproven: the packet is followed as accepted, uncertain.
    /// `link` places bridge and netdev chains around the hooks.
    func traverse(hooks: [Hook], _ context: PacketContext, link: LinkPath? = nil) -> [NetfilterOutcome] {
        var walked: [NetfilterOutcome]?
        var unknown = info.netfilterUnknown
        if let pipeline = context.packet.dst.family == .inet ? pipeline4 : pipeline6 {
            let outcomes = hooks.count == 1 ? pipeline.traverse(hook: hooks[0], packet: context, link: link)
                : pipeline.traverse(hooks: hooks, packet: context, link: link)
            if let unreadable = NftEngine.unreadableRules(in: outcomes) {
                // A chain the packet reached does not decode: as when the whole file does not,
                // the native rules are unknown and only the xtables rules are walked.
                unknown = (unknown.map { $0 + "; " } ?? "") + "\(unreadable) (whether native nftables rules decide packets here is unknown)"
            } else {
                walked = outcomes
            }
        }
        var outcomes: [NetfilterOutcome]
        if let walked {
            outcomes = walked
        } else if let engine = context.packet.dst.family == .inet ? netfilter4 : netfilter6 {
            outcomes = hooks.count == 1 ? engine.traverse(hook: hooks[0], packet: context)
                : engine.traverse(hooks: hooks, packet: context)
        } else {
            outcomes = [NetfilterOutcome(verdict: .accept, context: context)]
        }
        if let unknown {
            let warning = "Netfilter rules of \(info.id) are unknown: \(unknown). The packet is followed as accepted, unproven."
            for index in outcomes.indices {
                outcomes[index].flags.insert(.uncertain)
                if !outcomes[index].warnings.contains(warning) { outcomes[index].warnings.append(warning) }
            }
        }
        return outcomes
    }

    /// bridge-nf-call-iptables (ip6tables for IPv6): br_netfilter runs the IP hooks for bridged frames.
    func bridgeCallsIP(_ family: AddressFamily) -> Bool {
        family == .inet ? info.sysctls.bridgeCallsIPTables == true
            : info.sysctls.integer("net.bridge.bridge-nf-call-ip6tables").map { $0 != 0 } ?? (info.sysctls.bridgeCallsIPTables == true)
    }

    /// The link-layer way out through `device` (for a bridge, through `port` when known).
    func departure(_ device: String, port: String?) -> LinkPath {
        LinkPath(departure: device, departureIsBridge: info.interface(named: device)?.kind == "bridge", departurePort: port)
    }

    /// Why a route lookup failed, as a suspicion.
    func routeFailure(_ route: RouteResult) -> Suspicion {
        let evidence = route.route.map { _ in route.decision.route ?? route.description } ?? route.description
        switch route.outcome {
        case .blackhole:
            return Suspicion(level: .fatal, message: "A blackhole route in \(info.id) discards packets to \(route.query.destination).",
                             evidence: evidence, hint: "Remove the blackhole route if the destination should be reachable.")
        case .unreachable, .prohibit:
            return Suspicion(level: .fatal, message: "An \(route.outcome.rawValue) route in \(info.id) rejects packets to \(route.query.destination).",
                             evidence: evidence)
        case .noRoute:
            return Suspicion(level: .fatal, message: "No route to \(route.query.destination) in \(info.id).",
                             evidence: "table \(route.table.map { "\($0)" } ?? "main"): no matching route",
                             hint: "Add the route the CNI should have installed for this destination.")
        default:
            return Suspicion(level: .critical, message: "The route to \(route.query.destination) leads nowhere usable in \(info.id).",
                             evidence: evidence)
        }
    }

    /// Why an interface can't send, if it can't.
    func egressProblem(_ name: String) -> Suspicion? {
        guard let interface = info.interface(named: name) else {
            return Suspicion(level: .critical, message: "The route leaves through \(name), which is not in the collected interfaces of \(info.id).")
        }
        if !interface.isUp {
            return Suspicion(level: .fatal, message: "Interface \(name) in \(info.id) is down: packets routed through it are lost.",
                             evidence: interfaceEvidence(interface), hint: "ip link set \(name) up")
        }
        return nil
    }

    /// Nothing listening where the packet is delivered.
    func listenerProblem(for packet: Packet, iif: String) -> Suspicion? {
        // Tunnel packets (VXLAN, IPIP) are taken by the kernel's tunnel device, not by a socket.
        if packet.encap != nil { return nil }
        guard packet.proto != .icmp else {
            if info.sysctls.integer("net.ipv4.icmp_echo_ignore_all") == 1 && packet.dst.family == .inet {
                return Suspicion(level: .critical, message: "\(info.id) ignores ICMP echo requests (net.ipv4.icmp_echo_ignore_all = 1).")
            }
            return nil
        }
        if !info.socketsKnown { return nil }
        if info.sockets.contains(where: { $0.proto == packet.proto && $0.accepts(packet.dst, port: packet.dport, device: iif) }) {
            return nil
        }
        let listening = info.sockets.filter { $0.isListening && $0.proto == packet.proto }
            .map { "\($0.localAddress?.description ?? "*"):\($0.localPort)" }
        return Suspicion(
            level: .fatal,
            message: "Nothing listens on \(Endpoint(ip: packet.dst, type: .pod, port: packet.dport)) (\(packet.proto.rawValue)) in \(info.id).",
            evidence: listening.isEmpty ? "no \(packet.proto.rawValue) listeners" : "\(packet.proto.rawValue) listeners: \(listening.joined(separator: ", "))",
            hint: "Check that the application is running and bound to this port and address.")
    }

    /// Without the socket table, whether a TCP/UDP packet delivered here finds a listener is unknown.
    func unknownListener(for packet: Packet) -> Suspicion? {
        guard !info.socketsKnown, packet.encap == nil, packet.proto != .icmp else { return nil }
        return Suspicion(
            level: .warning,
            message: "Whether anything listens on \(Endpoint(ip: packet.dst, type: .pod, port: packet.dport)) (\(packet.proto.rawValue)) in \(info.id) is unknown: its socket table (sockets.txt) was not collected.",
            evidence: "sockets.txt missing in \(info.id)",
            hint: "Collect it: `ss -H -tuanp` inside this netns (skoop collect does), then diagnose again.")
    }

    /// A packet leaving a bridge port it came in on, without hairpin mode.
    func hairpinProblem(_ port: String) -> Suspicion {
        Suspicion(level: .critical,
                  message: "The packet must leave bridge port \(port) it arrived on, but hairpin mode is off: the bridge drops it.",
                  evidence: "bridge port \(port) hairpin off",
                  hint: "Enable hairpin on the pod's bridge port (ip link set \(port) type bridge_slave hairpin on), as kubelet's hairpin-mode does.")
    }

    /// The ports of `bridge`.
    func ports(of bridge: String) -> [String] {
        info.interfaces.filter { $0.master == bridge }.map(\.name)
    }

    /// One line describing an interface's state.
    func interfaceEvidence(_ interface: NetInterface) -> String {
        var parts = ["\(interface.index): \(interface.name)"]
        if let kind = interface.kind { parts.append(kind) }
        parts.append("<\(interface.flags.joined(separator: ","))>")
        if let mtu = interface.mtu { parts.append("mtu \(mtu)") }
        if let master = interface.master { parts.append("master \(master)") }
        if let state = interface.operState { parts.append("state \(state)") }
        return parts.joined(separator: " ")
    }
}

extension NetNSDecision {
    /// Takes over a netfilter outcome's packet, trace, probability and uncertainty.
    mutating func absorb(_ outcome: NetfilterOutcome) {
        let before = packet
        packet = outcome.packet
        netfilter += outcome.trace
        probability *= outcome.probability
        if outcome.flags.contains(.uncertain) { isUncertain = true }
        for warning in outcome.warnings {
            let suspicion = Suspicion(level: .warning, message: warning)
            if !suspicions.contains(suspicion) { suspicions.append(suspicion) }
        }
        if before.dst != packet.dst || before.dport != packet.dport || before.src != packet.src || before.sport != packet.sport {
            let original = translation?.original ?? before
            translation = (original, packet)
        }
    }

    /// This branch, ended by `suspicion`.
    func dropped(_ suspicion: Suspicion) -> NetNSDecision {
        var copy = self
        copy.kind = .drop
        copy.suspicions.append(suspicion)
        return copy
    }

    /// This branch, ended by a netfilter verdict; the deciding rule is the evidence.
    func droppedBy(_ verdict: NetfilterVerdict, hook: Hook) -> NetNSDecision {
        let decisive = netfilter.last { $0.matched }
        let where_ = decisive.map { "\($0.table)/\($0.chain)" } ?? hook.rawValue
        return dropped(Suspicion(
            level: .critical,
            message: "Netfilter \(verdict) in \(where_) (\(hook.rawValue)): the packet is discarded here.",
            evidence: decisive?.rule,
            hint: decisive?.family != nil
                ? "Check why this rule matches the flow; `nft -a list ruleset` shows it with its handle."
                : "Check why this rule matches the flow; `iptables-save -c` shows its counters."))
    }
}
