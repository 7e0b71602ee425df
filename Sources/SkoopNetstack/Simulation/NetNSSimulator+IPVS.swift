import SkoopModel

extension NetNSSimulator {
    /// IPVS (kube-proxy's ipvs mode): the virtual service rewrites the destination to each real
    /// server (one branch per schedulable server, weighted), then the packet is routed out and
    /// meets POSTROUTING (where kube-proxy masquerades) like locally sent traffic.
    func ipvsForward(_ base: NetNSDecision, context: PacketContext, service: IPVSService,
                     bridgePort: (String, IPAddress) -> String?) -> [NetNSDecision] {
        let servers = service.schedulableServers
        guard !servers.isEmpty else {
            return [base.dropped(Suspicion(
                level: .fatal,
                message: "IPVS virtual service \(service.key) in \(info.id) has no real server that takes connections.",
                evidence: service.realServers.isEmpty ? "-A \(service.key): no -a lines"
                    : service.realServers.map { "\($0.address):\($0.port) weight \($0.weight)" }.joined(separator: ", "),
                hint: "kube-proxy adds a real server per ready endpoint; check the service's endpoints and kube-proxy's logs."))]
        }
        var results: [NetNSDecision] = []
        for (server, share) in servers {
            var decision = base
            let before = decision.packet
            var packet = before
            packet.dst = server.address
            if server.port != 0 { packet.dport = server.port }
            decision.packet = packet
            decision.probability *= share
            decision.translation = (decision.translation?.original ?? before, packet)
            decision.netfilter.append(NetfilterTraceEntry(
                hook: "INPUT", table: "ipvs", chain: "\(service.key)",
                rule: "-a \(service.key) -r \(Endpoint(ip: server.address, type: .pod, port: server.port)) \(server.forwarding.rawValue) -w \(server.weight)",
                matched: true, verdict: "DNAT", note: "IPVS \(service.scheduler): share \(Int((share * 100).rounded()))%"))
            if service.persistence != nil {
                decision.suspicions.append(Suspicion(level: .info,
                    message: "IPVS service \(service.key) is persistent: a client sticks to one real server; each is shown as a branch."))
            }
            let route = router.lookup(RouteQuery(destination: packet.dst, source: packet.src, fwmark: packet.mark))
            decision.routes.append(route.decision)
            guard route.outcome == .unicast, let branch = route.branches.first, let oif = branch.oif else {
                if route.outcome == .local {
                    decision.kind = .deliver
                    results.append(decision)
                } else {
                    results.append(decision.dropped(routeFailure(route)))
                }
                continue
            }
            if let problem = egressProblem(oif) {
                results.append(decision.dropped(problem))
                continue
            }
            var postContext = context
            postContext.packet = packet
            postContext.outInterface = oif
            let nextHop = branch.gateway ?? packet.dst
            let port = info.interface(named: oif)?.kind == "bridge" ? bridgePort(oif, nextHop) : nil
            results += leave(decision, hooks: [.postrouting], context: postContext, interface: oif, nextHop: nextHop, port: port,
                             link: departure(oif, port: port))
        }
        return results
    }
}
