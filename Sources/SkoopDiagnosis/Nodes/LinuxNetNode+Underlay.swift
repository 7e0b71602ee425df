import SkoopModel
import SkoopNetstack
import SkoopCollector

extension LinuxNetNode {
    /// What handing a packet to an uncollected router on the underlay means for it.
    enum UnderlayProblem {
        /// The snapshot shows it can't arrive.
        case lost(Suspicion)
        /// Whether it arrives depends on the gateway's routes, which were not collected: the
        /// branch goes on through the gateway, uncertain, resting on `assumption`.
        case dependsOnGateway(Suspicion, assumption: String)
    }

    /// Why a packet handed to a router on the underlay may not arrive: a gateway nobody owns
    /// (ARP fails: lost), a pod address that no pod can hold or that belongs to this node (lost),
    /// or a remote node's pod address sent to a gateway instead of the CNI's route (it arrives
    /// only if the gateway routes pod CIDRs, which only its collected state can tell).
    func underlayProblem(for packet: Packet, gateway: IPAddress, interface: String, route: RouteDecision?) -> UnderlayProblem? {
        let routeText = route.map { $0.route ?? "\($0.destination) via \(gateway) dev \(interface)" }
        if gateway != packet.dst, !isKnownUnderlayHost(gateway) {
            return .lost(Suspicion(
                level: .fatal,
                message: "No known host owns the gateway \(gateway) on \(interface) in \(hop.id): ARP for it fails and packets to \(packet.dst) are lost.",
                evidence: routeText,
                hint: "Route through a node or router that exists; a gateway is known when it is a node, another route's gateway, or a resolved neighbour."))
        }
        // A router's own routes are its business; the pod-CIDR reasoning is about nodes.
        guard !isInfraDevice, !network.plugin.underlayRoutesPodAddresses else { return nil }
        guard let range = network.podRange(holding: packet.dst) else {
            // No node claims the address, but it is in the pod network: no pod can answer there.
            guard let cidr = network.clusterCIDRs.first(where: { $0.contains(packet.dst) }) else { return nil }
            let ranges = network.plugin.kind == .calico
                ? "it is in no node's IPAM block" + (network.cluster.calicoBlocks == nil ? " and no pod holds it" : "")
                : "node pod CIDRs: \(network.cluster.podCIDRs.map(\.description).joined(separator: ", "))"
            return .lost(Suspicion(
                level: .fatal,
                message: "\(packet.dst) is in the pod network \(cidr) but in no node's \(network.plugin.kind == .calico ? "IPAM block" : "pod CIDR"): \(hop.id) sends it to the underlay router \(gateway), which does not route pod addresses under \(network.plugin.name).",
                evidence: routeText,
                hint: "Check the address: no pod can hold it; \(ranges)."))
        }
        let owner = range.node, podCIDR = range.prefix
        if owner.name == node, let problem = ownPodAddressSentAway(packet, gateway: gateway, route: route) {
            return .lost(problem)
        }
        return .dependsOnGateway(Suspicion(
            level: .critical,
            message: "\(hop.id) has no route for \(podCIDR) (\(range.described)): packets to \(packet.dst) take the route to the underlay router \(gateway) instead. \(network.plugin.name) does not rely on the underlay routing pod addresses, and \(gateway) was not collected: whether it delivers them is unknown.",
            evidence: routeText,
            hint: "Restore the CNI's route for \(podCIDR) (\(network.plugin.name) installs one per remote node); to see what the gateway does, collect it (skoop collect --infra NAME --host-netns NS)."),
            assumption: "the gateway \(gateway) was not collected: that it routes the \(range.kind) \(podCIDR) to \(owner.name) is assumed (collect it with skoop collect --infra).")
    }

    /// A pod address of this very node sent to a router (collected or not): its own route is
    /// missing, and whatever the router does, the packet can only come back here. Nil when the
    /// address is no pod address of this node, or the CNI lets the underlay route pod CIDRs.
    func ownPodAddressSentAway(_ packet: Packet, gateway: IPAddress, route: RouteDecision?) -> Suspicion? {
        guard !isInfraDevice, !network.plugin.underlayRoutesPodAddresses,
              network.podRange(holding: packet.dst)?.node.name == node else { return nil }
        let routeText = route.map { $0.route ?? "\($0.destination) via \(gateway)" }
        return Suspicion(
            level: .fatal,
            message: "\(packet.dst) is a pod address of \(node) itself, yet \(hop.id) sends it to the underlay router \(gateway): the pod's own route is missing."
                + (hostVethProblem(for: packet.dst).map { " \($0)" } ?? ""),
            evidence: routeText,
            hint: "The CNI installs a route to each local pod through its host-side veth (or the bridge); check that veth and the CNI's logs.")
    }

    /// Whether an underlay address is known to answer ARP: a node, a collected host's address,
    /// a collected node's default gateway, or a resolved neighbour there.
    func isKnownUnderlayHost(_ address: IPAddress) -> Bool {
        if network.owner(ofUnderlayAddress: address).type == .node { return true }
        for name in network.collector.collectedNodes + network.collector.infraDevices.map(InfraDevice.key) {
            guard let host = try? network.collector.netns(node: name, id: "host") else { continue }
            if host.owns(address) { return true }
            if host.neighbors.contains(where: { $0.destination == address && $0.isResolved }) { return true }
            if host.routes.contains(where: { $0.gateway == address && $0.destination.length == 0 }) { return true }
        }
        return false
    }

    /// What is wrong with the host side of the veth of the pod holding `address` on this node:
    /// down (its routes went with it), or not attached to the bridge its siblings use.
    func hostVethProblem(for address: IPAddress) -> String? {
        guard netnsID == "host", let podNetns = network.collector.netns(node: node, owning: address),
              let pod = try? network.collector.netns(node: node, id: podNetns),
              let podSide = pod.addresses.first(where: { $0.local == address })?.interface,
              let peerIndex = pod.interface(named: podSide)?.peerIndex,
              let hostSide = info.interface(index: peerIndex) else { return nil }
        let evidence = "\(hostSide.index): \(hostSide.name) <\(hostSide.flags.joined(separator: ","))>" + (hostSide.master.map { " master \($0)" } ?? "")
        if !hostSide.isUp {
            return "Its host-side veth \(hostSide.name) is down (\(evidence)); a down device also loses its routes."
        }
        let bridges = Set(info.interfaces.filter { $0.kind == "veth" && $0.master != nil }.compactMap(\.master))
        if hostSide.master == nil, let bridge = bridges.first {
            return "Its host-side veth \(hostSide.name) is not attached to bridge \(bridge) (\(evidence))."
        }
        return nil
    }

    /// Why no netns of this node holds `address`, the address of one of its pods: a pod netns whose
    /// veth is down and that holds no address of that family (a link going down loses its IPv6
    /// addresses, keep_addr_on_down being 0, so the pod's netns can no longer be found by address).
    /// Nil when a netns holds the address, or no pod netns fits.
    func addresslessPodProblem(for address: IPAddress) -> String? {
        guard netnsID == "host", let pod = network.cluster.ipCache.pod(ip: address), pod.nodeName == node,
              network.collector.netns(node: node, owning: address) == nil else { return nil }
        let candidates = network.collector.netnsIDs(node: node).filter { $0 != "host" }.compactMap { id -> (String, NetInterface)? in
            guard let netns = network.collector.addressing(node: node, id: id),
                  let down = netns.interfaces.first(where: { $0.kind == "veth" && !$0.isUp }),
                  !netns.addresses.contains(where: { $0.interface == down.name && $0.local.family == address.family }) else { return nil }
            return (id, down)
        }
        guard candidates.count == 1, let (id, down) = candidates.first else { return nil }
        return "No netns of \(node) holds \(address), the address of pod \(pod.namespace)/\(pod.name): in netns \(id), \(down.name) is down"
            + (address.family == .inet6 ? ", and a link that goes down loses its IPv6 addresses." : " and holds no address.")
    }

    /// A reply that crosses this netns's bridge at layer 2 while this netns translated the
    /// connection: without br_netfilter, conntrack never sees it and the NAT is not reversed.
    func conntrackBypassed(_ link: Link, interface: String) -> Suspicion? {
        guard let translation = link.translations.first(where: { $0.node == hop }) else { return nil }
        let bridge = info.interface(named: interface)?.master ?? interface
        let value = info.sysctls.integer("net.bridge.bridge-nf-call-iptables").map(String.init) ?? "unset (br_netfilter not loaded)"
        return Suspicion(
            level: .critical,
            message: "The reply crosses bridge \(bridge) of \(hop.id) at layer 2 and net.bridge.bridge-nf-call-iptables is \(value): conntrack never sees it, so the NAT \(hop.id) applied (\(translation.original.dst):\(translation.original.dport) -> \(translation.translated.dst):\(translation.translated.dport)) is not reversed.",
            evidence: "net.bridge.bridge-nf-call-iptables = \(value)",
            hint: "sysctl -w net.bridge.bridge-nf-call-iptables=1 (kube-proxy needs it for backends on the client's bridge).")
    }

    /// The source MAC of a frame that arrived over `link`: the sending interface's address in the
    /// previous hop's collected netns (its tunnel device for a decapsulated packet); nil when the
    /// sender was not collected (a mac match is then uncertain). Through a bridge the frame may
    /// have been switched rather than routed, keeping the first sender's MAC: unknown too.
    func senderMAC(of link: Link, interface: String?) -> String? {
        guard let interface, link.type != .bridge, let sender = network.netns(of: link.source) else { return nil }
        return sender.interface(named: interface)?.address
    }
}
