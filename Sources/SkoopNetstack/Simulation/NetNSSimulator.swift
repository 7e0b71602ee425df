import SkoopModel

/// Where a packet enters a netns.
public enum Ingress: Hashable, Sendable {
    /// Sent by a local socket.
    case generated
    /// Arrived on an interface (possibly a bridge port; the simulator decides bridged vs routed).
    case interface(String)
}

/// What a netns does with one packet: one of possibly several branches.
public struct NetNSDecision: Sendable {
    /// The fate of the packet.
    public enum Kind: Sendable, Equatable {
        /// Delivered to a local socket (or, for ICMP echo, answered by the kernel).
        case deliver
        /// Sent out of `interface` towards `nextHop` (the gateway, or the destination when on-link).
        /// For a bridge, `port` is the bridge port chosen, when the caller's resolver knew it.
        case forward(interface: String, nextHop: IPAddress, port: String?)
        /// Discarded.
        case drop
    }

    /// The fate.
    public var kind: Kind
    /// The packet as it arrived.
    public var packetIn: Packet
    /// The packet as it leaves (after NAT and marks).
    public var packet: Packet
    /// Routing decisions made, in order.
    public var routes: [RouteDecision]
    /// Netfilter rules evaluated, in order.
    public var netfilter: [NetfilterTraceEntry]
    /// Share of packets taking this branch.
    public var probability: Double
    /// True when the branch depends on something not simulated exactly.
    public var isUncertain: Bool
    /// Problems found (the reason for a drop among them).
    public var suspicions: [Suspicion]
    /// The NAT applied here to the connection's first packet: (before, after).
    public var translation: (original: Packet, translated: Packet)?
    /// True when the packet crossed a bridge at layer 2 (not routed by this netns).
    public var bridged: Bool

    init(kind: Kind, packetIn: Packet, packet: Packet) {
        self.kind = kind
        self.packetIn = packetIn
        self.packet = packet
        routes = []
        netfilter = []
        probability = 1
        isUncertain = false
        suspicions = []
        translation = nil
        bridged = false
    }
}

/// Simulates one network namespace: netfilter hooks, routing, forwarding, local delivery.
/// Pure: built from collected data, answers without I/O.
public struct NetNSSimulator: Sendable {
    /// The collected netns.
    public let info: NetNSInfo
    /// Its router.
    public let router: Router
    /// Its IPv4 netfilter (nil when no rules were collected).
    public let netfilter4: NetfilterEngine?
    /// Its IPv6 netfilter (nil when no rules were collected).
    public let netfilter6: NetfilterEngine?
    /// Its IPv4 hooks with native nft base chains among them (nil when it has none).
    public let pipeline4: NetfilterPipeline?
    /// Its IPv6 hooks with native nft base chains among them (nil when it has none).
    public let pipeline6: NetfilterPipeline?
    /// Rules Skoop could not fully parse, reported once per netns.
    public let rulesetWarnings: [String]
    let addressTypes: AddressTypeResolver
    let primaryAddress: @Sendable (String, AddressFamily) -> IPAddress?
    /// Set on the view `forReplyWithoutRequest()` returns: conntrack here never saw the request.
    var replyWithoutRequest = false

    /// This netns as a reply sees it when the request never crossed it: conntrack has no entry
    /// for the connection (INVALID for TCP and ICMP replies, NEW for UDP).
    public func forReplyWithoutRequest() -> NetNSSimulator {
        var view = self
        view.replyWithoutRequest = true
        return view
    }

    /// Builds the simulator of `info` from its collected routes, rules, rulesets and ipsets;
    /// `netfilterOptions` tune rule dispatch (the benchmarks compare indexed and linear walks).
    public init(info: NetNSInfo, netfilterOptions: NetfilterEngine.Options = NetfilterEngine.Options()) {
        self.info = info
        self.router = Router(interfaces: info.interfaces, addresses: info.addresses, rules: info.rules, routes: info.routes)
        self.netfilter4 = info.iptables.map { NetfilterEngine(ruleset: $0, ipsets: info.ipsets, options: netfilterOptions) }
        self.netfilter6 = info.ip6tables.map { NetfilterEngine(ruleset: $0, ipsets: info.ipsets, options: netfilterOptions) }
        let nft = info.nftables.map { NftEngine(ruleset: $0, excludedTables: info.nftablesReadElsewhere, maxDepth: netfilterOptions.maxDepth) }
        func pipeline(_ family: AddressFamily, _ xtables: NetfilterEngine?) -> NetfilterPipeline? {
            guard let nft, !nft.linkChains.isEmpty || Hook.allCases.contains(where: { !nft.baseChains(at: $0, family: family).isEmpty }) else {
                return nil
            }
            return NetfilterPipeline(xtables: xtables, nftables: nft, family: family)
        }
        self.pipeline4 = pipeline(.inet, netfilter4)
        self.pipeline6 = pipeline(.inet6, netfilter6)
        self.rulesetWarnings = info.rulesetWarnings
        var table: [IPAddress: AddressType] = [:]
        for address in info.addresses {
            table[address.local] = .local
            if let broadcast = address.broadcast { table[broadcast] = .broadcast }
        }
        let localPrefixes = info.routes.filter { $0.type == .local }.map(\.destination)
        let base = PacketContext.addressTypes(table)
        addressTypes = { address, interface in
            if localPrefixes.contains(where: { $0.contains(address) }) { return .local }
            return base(address, interface)
        }
        let addresses = info.addresses
        primaryAddress = { name, family in
            if family == .inet6 {
                // The kernel masquerades IPv6 to a global address of the out interface
                // (ipv6_dev_get_saddr), never to one of another family.
                return addresses.first { $0.interface == name && $0.family == .inet6 && $0.scope == .global && !$0.tentative }?.local
                    ?? addresses.first { $0.interface == name && $0.family == .inet6 }?.local
            }
            return addresses.first { $0.interface == name && $0.family == .inet && !$0.secondary }?.local
                ?? addresses.first { $0.interface == name }?.local
        }
    }

    /// What happens to `packet` entering at `ingress`.
    /// - Parameters:
    ///   - l2Target: for a packet arriving on an interface, the address whose MAC the sender used
    ///     (its next hop). When that is not an address of this netns and the interface is a bridge
    ///     port, the frame is bridged instead of routed.
    ///   - direction: request (the connection's original direction) or reply.
    ///   - bridgePort: finds the port of `bridge` leading to `address` (the caller knows the peers).
    ///   - sourceMAC: the MAC address of the previous hop's interface, for the mac match (nil: unknown).
    public func process(_ packet: Packet, ingress: Ingress, l2Target: IPAddress? = nil,
                        direction: FlowDirection = .request,
                        bridgePort: (_ bridge: String, _ address: IPAddress) -> String? = { _, _ in nil },
                        sourceMAC: String? = nil) -> [NetNSDecision] {
        switch ingress {
        case .generated:
            return output(packet, direction: direction, bridgePort: bridgePort)
        case .interface(let name):
            guard let interface = info.interface(named: name) else {
                var drop = NetNSDecision(kind: .drop, packetIn: packet, packet: packet)
                drop.isUncertain = true
                drop.suspicions.append(Suspicion(level: .warning, message: "Interface \(name) is not in the collected data of \(info.id)."))
                return [drop]
            }
            if !interface.isUp {
                return [NetNSDecision(kind: .drop, packetIn: packet, packet: packet).dropped(Suspicion(
                    level: .fatal, message: "Interface \(name) is down: packets arriving on it are discarded.",
                    evidence: interfaceEvidence(interface), hint: "ip link set \(name) up"))]
            }
            if let bridge = interface.master, info.interface(named: bridge)?.kind == "bridge",
               let target = l2Target, !info.owns(target) {
                return bridged(packet, bridge: bridge, inPort: name, target: target, direction: direction, bridgePort: bridgePort,
                               sourceMAC: sourceMAC)
            }
            let routedIn = interface.master.flatMap { info.interface(named: $0)?.kind == "bridge" ? $0 : nil } ?? name
            return input(packet, iif: routedIn, physdevIn: routedIn == name ? nil : name, direction: direction,
                         bridgePort: bridgePort, sourceMAC: sourceMAC)
        }
    }

    // MARK: - Paths through the stack

    /// A packet arriving on `iif` and routed by this netns (PREROUTING, routing, INPUT or FORWARD).
    func input(_ packet: Packet, iif: String, physdevIn: String?, direction: FlowDirection,
               bridgePort: (String, IPAddress) -> String?, sourceMAC: String? = nil) -> [NetNSDecision] {
        var results: [NetNSDecision] = []
        let context = makeContext(packet, inInterface: iif, outInterface: nil, direction: direction, physdevIn: physdevIn,
                                  sourceMAC: sourceMAC)
        let link = LinkPath(arrival: physdevIn ?? iif, bridge: physdevIn == nil ? nil : iif,
                            bridgeCallsIP: bridgeCallsIP(packet.dst.family))
        for pre in traverse(hooks: [.prerouting], context, link: link) {
            var base = NetNSDecision(kind: .drop, packetIn: packet, packet: packet)
            base.absorb(pre)
            if pre.verdict != .accept {
                results.append(base.droppedBy(pre.verdict, hook: .prerouting))
                continue
            }
            let route = router.lookup(RouteQuery(packet: pre.packet, iif: iif))
            base.routes.append(route.decision)
            base.noteUncertainty(of: route, in: info.id)
            switch route.outcome {
            case .local, .broadcast, .multicast:
                if route.outcome != .multicast, let problem = sourceValidationProblem(base, iif: iif, forwardedThrough: nil, direction: direction) {
                    results.append(base.dropped(problem))
                    continue
                }
                results += deliverLocally(base, context: pre.context, iif: iif, direction: direction, bridgePort: bridgePort)
            case .unicast:
                results += forward(base, context: pre.context, route: route, iif: iif, direction: direction, bridgePort: bridgePort)
            case .blackhole, .unreachable, .prohibit, .noRoute:
                results.append(base.dropped(routeFailure(route)))
            }
        }
        return results
    }

    /// INPUT, then delivery to a socket (or the kernel's ICMP echo reply).
    func deliverLocally(_ base: NetNSDecision, context: PacketContext, iif: String, direction: FlowDirection,
                        bridgePort: (String, IPAddress) -> String? = { _, _ in nil }) -> [NetNSDecision] {
        var results: [NetNSDecision] = []
        var inputContext = context
        inputContext.outInterface = nil
        for verdict in traverse(.input, inputContext) {
            var decision = base
            decision.absorb(verdict)
            if verdict.verdict != .accept {
                results.append(decision.droppedBy(verdict.verdict, hook: .input))
                continue
            }
            decision.kind = .deliver
            // IPVS sits at LOCAL_IN: a virtual service takes the packet before any socket does.
            if direction == .request, let service = info.ipvs.service(for: decision.packet) {
                results += ipvsForward(decision, context: verdict.context, service: service, bridgePort: bridgePort)
                continue
            }
            if direction == .request, let problem = listenerProblem(for: decision.packet, iif: iif) {
                results.append(decision.dropped(problem))
                continue
            }
            if direction == .request, let unknown = unknownListener(for: decision.packet) {
                decision.isUncertain = true
                decision.suspicions.append(unknown)
            }
            results.append(decision)
        }
        return results
    }

    /// Forwarding checks, FORWARD, POSTROUTING, then out of the route's interface.
    func forward(_ base: NetNSDecision, context: PacketContext, route: RouteResult, iif: String,
                 direction: FlowDirection, bridgePort: (String, IPAddress) -> String?) -> [NetNSDecision] {
        let packet = base.packet
        if info.sysctls.forwardingEnabled(family: packet.dst.family) == false {
            let key = packet.dst.family == .inet ? "net.ipv4.ip_forward" : "net.ipv6.conf.all.forwarding"
            return [base.dropped(Suspicion(level: .fatal, message: "Forwarding is off in \(info.id) (\(key) = 0): the packet can't be routed on.",
                                           evidence: "\(key) = 0", hint: "sysctl -w \(key)=1"))]
        }
        if let problem = sourceValidationProblem(base, iif: iif, forwardedThrough: route.oif, direction: direction) {
            return [base.dropped(problem)]
        }
        var results: [NetNSDecision] = []
        for branch in route.branches {
            guard let oif = branch.oif else { continue }
            var decision = base
            if route.branches.count > 1 {
                let total = Double(route.branches.reduce(0) { $0 + max($1.weight, 1) })
                decision.probability *= Double(max(branch.weight, 1)) / total
            }
            if let problem = egressProblem(oif) {
                results.append(decision.dropped(problem))
                continue
            }
            var forwardContext = context
            forwardContext.packet = decision.packet
            forwardContext.outInterface = oif
            let nextHop = branch.gateway ?? decision.packet.dst
            let port = info.interface(named: oif)?.kind == "bridge" ? bridgePort(oif, nextHop) : nil
            if let port, port == context.physdevIn, info.interface(named: port)?.bridgePort?.hairpin != true {
                results.append(decision.dropped(hairpinProblem(port)))
                continue
            }
            results += leave(decision, hooks: [.forward, .postrouting], context: forwardContext,
                             interface: oif, nextHop: nextHop, port: port, link: departure(oif, port: port))
        }
        if results.isEmpty { results.append(base.dropped(routeFailure(route))) }
        return results
    }

    /// A locally generated packet: routing, OUTPUT (DNAT may re-route), POSTROUTING.
    func output(_ packet: Packet, direction: FlowDirection, bridgePort: (String, IPAddress) -> String?) -> [NetNSDecision] {
        let first = router.lookup(RouteQuery(packet: packet, keepingSource: false))
        var source = packet
        // A socket that didn't bind takes the route's preferred source.
        if source.src == source.dst || !info.owns(source.src), let chosen = first.source, direction == .request,
           !info.owns(packet.src) {
            source.src = chosen
        }
        var base = NetNSDecision(kind: .drop, packetIn: source, packet: source)
        base.routes.append(first.decision)
        base.noteUncertainty(of: first, in: info.id)
        guard first.outcome.delivers else { return [base.dropped(routeFailure(first))] }
        var results: [NetNSDecision] = []
        let context = makeContext(source, inInterface: nil, outInterface: first.oif, direction: direction, physdevIn: nil)
        for out in traverse(.output, context) {
            var decision = base
            decision.absorb(out)
            if out.verdict != .accept {
                results.append(decision.droppedBy(out.verdict, hook: .output))
                continue
            }
            var route = first
            if out.packet.dst != source.dst || out.packet.mark != source.mark {
                // DNAT or a mark changed the destination: the kernel routes again.
                route = router.lookup(RouteQuery(packet: out.packet))
                decision.routes.append(route.decision)
                decision.noteUncertainty(of: route, in: info.id)
            }
            switch route.outcome {
            case .local, .broadcast, .multicast:
                results += deliverLocally(decision, context: out.context, iif: info.interfaces.first(where: \.isLoopback)?.name ?? "lo",
                                          direction: direction, bridgePort: bridgePort)
            case .unicast:
                for branch in route.branches {
                    guard let oif = branch.oif else { continue }
                    let leaving = decision
                    if let problem = egressProblem(oif) {
                        results.append(leaving.dropped(problem))
                        continue
                    }
                    var postContext = out.context
                    postContext.outInterface = oif
                    let nextHop = branch.gateway ?? out.packet.dst
                    let port = info.interface(named: oif)?.kind == "bridge" ? bridgePort(oif, nextHop) : nil
                    results += leave(leaving, hooks: [.postrouting], context: postContext,
                                     interface: oif, nextHop: nextHop, port: port, link: departure(oif, port: port))
                }
            default:
                results.append(decision.dropped(routeFailure(route)))
            }
        }
        return results
    }

    /// A frame bridged between two ports of `bridge` (br_netfilter runs FORWARD when enabled).
    func bridged(_ packet: Packet, bridge: String, inPort: String, target: IPAddress, direction: FlowDirection,
                 bridgePort: (String, IPAddress) -> String?, sourceMAC: String? = nil) -> [NetNSDecision] {
        var base = NetNSDecision(kind: .drop, packetIn: packet, packet: packet)
        base.bridged = true
        guard let bridgeInterface = info.interface(named: bridge), bridgeInterface.isUp else {
            return [base.dropped(Suspicion(level: .fatal, message: "Bridge \(bridge) is down: frames between its ports are not forwarded.",
                                           hint: "ip link set \(bridge) up"))]
        }
        guard let outPort = bridgePort(bridge, target) else {
            return [base.dropped(Suspicion(level: .critical,
                                           message: "No port of bridge \(bridge) leads to \(target): its neighbour can't be reached.",
                                           evidence: "bridge \(bridge) ports: \(ports(of: bridge).joined(separator: ", "))"))]
        }
        if outPort == inPort, info.interface(named: inPort)?.bridgePort?.hairpin != true {
            return [base.dropped(hairpinProblem(inPort))]
        }
        if let problem = egressProblem(outPort) { return [base.dropped(problem)] }
        let callsIP = bridgeCallsIP(packet.dst.family)
        let pipeline = packet.dst.family == .inet ? pipeline4 : pipeline6
        guard callsIP || pipeline?.hasLinkChains == true else {
            base.kind = .forward(interface: bridge, nextHop: target, port: outPort)
            return [base]
        }
        let context = makeContext(packet, inInterface: bridge, outInterface: bridge, direction: direction,
                                  physdevIn: inPort, physdevOut: outPort, sourceMAC: sourceMAC)
        let link = LinkPath(arrival: inPort, bridge: bridge, bridged: true, bridgeCallsIP: callsIP, departure: outPort)
        return leave(base, hooks: [.prerouting, .forward, .postrouting], context: context,
                     interface: bridge, nextHop: target, port: outPort, dropHook: .forward, link: link)
    }

    /// The last hooks before a packet leaves `interface`: each accepted outcome becomes a forward
    /// decision towards `nextHop`, each other one a drop naming the deciding rule.
    func leave(_ decision: NetNSDecision, hooks: [Hook], context: PacketContext, interface: String,
               nextHop: IPAddress, port: String?, dropHook: Hook? = nil, link: LinkPath? = nil) -> [NetNSDecision] {
        traverse(hooks: hooks, context, link: link).map { outcome in
            var result = decision
            result.absorb(outcome)
            guard outcome.verdict == .accept else {
                return result.droppedBy(outcome.verdict, hook: dropHook ?? hooks[0])
            }
            result.kind = .forward(interface: interface, nextHop: nextHop, port: port)
            return result
        }
    }
}
