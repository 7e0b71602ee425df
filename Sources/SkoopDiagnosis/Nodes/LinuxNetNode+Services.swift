import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// Compares where this node's kube-proxy rules (iptables DNAT or IPVS) send a service's
    /// traffic with the service's ready endpoints: stale or missing backends are suspicions.
    func serviceProgrammingChecks(_ decisions: [NetNSDecision]) -> [Suspicion] {
        // A router or gateway runs no kube-proxy: it forwards service addresses as any other.
        guard !isInfraDevice else { return [] }
        var targets: [Endpoint: Set<IPAddress>] = [:]
        var untranslated: [Suspicion] = []
        // A rule that dropped or rejected the packet is kube-proxy's own answer (e.g. no endpoints): not a gap.
        let ruled = { (decision: NetNSDecision) in
            decision.netfilter.contains { $0.matched && ($0.verdict.hasPrefix("DROP") || $0.verdict.hasPrefix("REJECT")) }
        }
        for decision in decisions where decision.translation == nil && netnsID == "host" && !ruled(decision) {
            if let problem = untranslatedService(decision.packetIn), !untranslated.contains(problem) { untranslated.append(problem) }
        }
        for decision in decisions {
            guard let translation = decision.translation, translation.original.dst != translation.translated.dst else { continue }
            let frontend = Endpoint(ip: translation.original.dst, type: .service, port: translation.original.dport)
            targets[frontend, default: []].insert(translation.translated.dst)
        }
        let processor = ServiceProcessor(cluster: network.cluster, proxyMode: network.proxyMode)
        return untranslated + targets.sorted { $0.key.description < $1.key.description }.flatMap { frontend, addresses in
            processor.programmingSuspicions(service: frontend, protocol: decisions.first?.packetIn.proto ?? .tcp,
                                            translatedTo: addresses, node: node)
        }
    }

    /// A packet to a service with ready endpoints that this node's kube-proxy did not translate.
    func untranslatedService(_ packet: Packet) -> Suspicion? {
        guard let frontend = network.cluster.serviceFrontend(ip: packet.dst, port: packet.dport, protocol: packet.proto),
              !network.cluster.backends(of: frontend.service, port: frontend.port).filter(\.endpoint.ready).isEmpty else {
            return nil
        }
        // kube-proxy takes a NodePort only on the node that owns the address (`--dst-type LOCAL`):
        // another node rightly routes it on untouched.
        if frontend.kind == .nodePort, !info.owns(packet.dst) { return nil }
        let service = frontend.service.qualifiedName
        let target = Endpoint(ip: packet.dst, type: .service, port: packet.dport)
        if network.proxyMode == .ipvs {
            return Suspicion(level: .critical,
                             message: "kube-proxy (ipvs) on \(node) has no IPVS virtual service for \(service) at \(target): its traffic is not balanced.",
                             evidence: info.ipvs.services.isEmpty ? "ipvsadm -Sn: no virtual services" : "ipvsadm -Sn: \(info.ipvs.services.count) virtual services, none for \(target)",
                             hint: "Check kube-proxy on \(node) (and that --proxy-mode matches the cluster).")
        }
        return Suspicion(level: .critical,
                         message: "kube-proxy (\(network.proxyMode)) on \(node) has no rule translating \(service) at \(target): the packet goes on to the service address itself.",
                         evidence: network.proxyMode == .nftables ? "no dnat for \(target) in \(node)'s nftables rules (table kube-proxy)"
                             : "no DNAT for \(target) in \(node)'s nat table",
                         hint: "Check kube-proxy on \(node) (and that --proxy-mode matches the cluster).")
    }
}
