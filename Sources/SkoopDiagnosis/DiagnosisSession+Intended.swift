import SkoopModel
import SkoopKubernetes

extension DiagnosisSession {
    /// The hops where serving the flow counts: the pod or node asked for, and the backends of any
    /// Service frontend at the destination address and port (ClusterIP, NodePort, LoadBalancer,
    /// externalIP). Nil when the destination is an address no object owns: whoever holds it serves.
    static func intendedDestinations(of destination: ResolvedTarget, endpoint: Endpoint, proto: TransportProtocol,
                                     network: Network) -> Set<Hop>? {
        let cluster = network.cluster
        var hops: Set<Hop> = []
        switch destination {
        case .pod(let pod): hops.insert(network.hop(of: pod))
        case .node(let node): hops.insert(Hop(type: .node, id: node.name))
        case .service: break
        case .external(let address):
            if let pod = cluster.ipCache.pod(ip: address) {
                hops.insert(network.hop(of: pod))
            } else if let node = cluster.ipCache.node(ip: address) {
                hops.insert(Hop(type: .node, id: node.name))
            }
        }
        if let frontend = cluster.serviceFrontend(ip: endpoint.ip, port: endpoint.port, protocol: proto) {
            for backend in cluster.backends(of: frontend.service, port: frontend.port) {
                hops.insert(hop(ofBackend: backend, network: network))
            }
        }
        if hops.isEmpty, case .external = destination { return nil }
        return hops
    }

    /// Where a backend is served: its pod (its node for host-network pods), else whatever owns
    /// its address (a node, or a host outside the cluster).
    static func hop(ofBackend backend: ServiceBackend, network: Network) -> Hop {
        if let pod = backend.pod ?? network.cluster.ipCache.pod(ip: backend.ip) { return network.hop(of: pod) }
        return network.owner(ofUnderlayAddress: backend.ip)
    }
}
