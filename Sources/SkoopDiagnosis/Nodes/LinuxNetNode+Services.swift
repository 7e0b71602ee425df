import SkoopModel
import SkoopNetstack

extension LinuxNetNode {
    /// Compares where this node's kube-proxy rules (iptables DNAT or IPVS) send a service's
    /// traffic with the service's ready endpoints: stale or missing backends are suspicions.
    func serviceProgrammingChecks(_ decisions: [NetNSDecision]) -> [Suspicion] {
        var targets: [Endpoint: Set<IPAddress>] = [:]
        for decision in decisions {
            guard let translation = decision.translation, translation.original.dst != translation.translated.dst else { continue }
            let frontend = Endpoint(ip: translation.original.dst, type: .service, port: translation.original.dport)
            targets[frontend, default: []].insert(translation.translated.dst)
        }
        let processor = ServiceProcessor(cluster: network.cluster, proxyMode: network.proxyMode)
        return targets.sorted { $0.key.description < $1.key.description }.flatMap { frontend, addresses in
            processor.programmingSuspicions(service: frontend, protocol: decisions.first?.packetIn.proto ?? .tcp,
                                            translatedTo: addresses, node: node)
        }
    }
}
