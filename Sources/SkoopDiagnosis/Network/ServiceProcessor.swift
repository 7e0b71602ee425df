import SkoopModel
import SkoopKubernetes

/// Checks a service the flow goes through against its endpoints (the seed's service.Processor).
/// The data path itself (DNAT, IPVS) is simulated from the node's rules; this compares what
/// kube-proxy programmed with what the API says.
public struct ServiceProcessor: Sendable {
    let cluster: ClusterState
    let proxyMode: ProxyMode

    /// Makes a processor.
    public init(cluster: ClusterState, proxyMode: ProxyMode) {
        self.cluster = cluster
        self.proxyMode = proxyMode
    }

    /// Problems of the service behind `destination`, seen from `source`, before any packet moves.
    public func suspicions(destination: Endpoint, protocol proto: TransportProtocol, source: IPAddress?) -> [Suspicion] {
        guard let frontend = cluster.serviceFrontend(ip: destination.ip, port: destination.port, protocol: proto) else {
            if !cluster.ipCache.services(ip: destination.ip).isEmpty {
                return [Suspicion(level: .fatal,
                                  message: "Service address \(destination.ip) has no port \(destination.port)/\(proto.rawValue).",
                                  evidence: cluster.ipCache.services(ip: destination.ip).map { "svc/\($0.qualifiedName) ports \($0.ports.map { "\($0.port)/\($0.protocol.rawValue)" }.joined(separator: ","))" }.joined(separator: "; "))]
            }
            return []
        }
        var found: [Suspicion] = []
        let service = frontend.service
        let backends = cluster.backends(of: service, port: frontend.port)
        let ready = backends.filter { $0.endpoint.ready }
        if ready.isEmpty {
            found.append(Suspicion(
                level: .fatal,
                message: "Service \(service.qualifiedName) has no ready endpoint: kube-proxy rejects or drops its traffic.",
                evidence: backends.isEmpty ? "no endpoints" : "endpoints not ready: \(backends.map(\.ip.description).joined(separator: ", "))",
                hint: "Check that pods match the selector \(service.selector.map { $0.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",") } ?? "(none)") and pass their readiness probes."))
        }
        if let source, !service.loadBalancerSourceRanges.isEmpty, !service.admitsLoadBalancerSource(source) {
            found.append(Suspicion(level: .warning,
                                   message: "loadBalancerSourceRanges of \(service.qualifiedName) do not include \(source).",
                                   evidence: service.loadBalancerSourceRanges.map(\.description).joined(separator: ", ")))
        }
        if frontend.kind != .clusterIP, service.externalTrafficPolicy == .local, !ready.isEmpty {
            // kube-proxy sends external traffic only to endpoints on the node it arrived at.
            let localNodes = Set(ready.compactMap(\.endpoint.nodeName))
            if frontend.kind == .nodePort, let node = cluster.ipCache.node(ip: destination.ip), !localNodes.contains(node.name) {
                found.append(Suspicion(
                    level: .critical,
                    message: "Service \(service.qualifiedName) has externalTrafficPolicy: Local and no ready endpoint on \(node.name): its NodePort there drops traffic.",
                    evidence: "ready endpoints on: \(localNodes.sorted().joined(separator: ", "))",
                    hint: "Send traffic to a node that runs a backend, or use externalTrafficPolicy: Cluster."))
            }
        }
        if service.sessionAffinityClientIP {
            found.append(Suspicion(level: .info,
                                   message: "Service \(service.qualifiedName) uses ClientIP session affinity: a client sticks to one backend; every backend is shown as a possible branch."))
        }
        return found
    }

    /// Compares the DNAT targets seen at a node with the service's ready endpoints.
    public func programmingSuspicions(service destination: Endpoint, protocol proto: TransportProtocol,
                                      translatedTo targets: Set<IPAddress>, node: String) -> [Suspicion] {
        guard let frontend = cluster.serviceFrontend(ip: destination.ip, port: destination.port, protocol: proto) else { return [] }
        // One family's rules DNAT to that family's endpoints only: a dual-stack service's other
        // family is programmed in the other table (iptables vs ip6tables).
        let ready = Set(cluster.backends(of: frontend.service, port: frontend.port)
            .filter { $0.endpoint.ready && $0.ip.family == destination.ip.family }.map(\.ip))
        var found: [Suspicion] = []
        let stale = targets.subtracting(ready)
        let missing = ready.subtracting(targets)
        if !stale.isEmpty && !targets.isEmpty {
            found.append(Suspicion(level: .critical,
                                   message: "kube-proxy on \(node) sends \(frontend.service.qualifiedName) traffic to \(stale.sorted().map(\.description).joined(separator: ", ")), not a ready endpoint (stale rules).",
                                   hint: "Check kube-proxy's logs on \(node); its rules lag behind the EndpointSlices."))
        }
        if !missing.isEmpty && !targets.isEmpty {
            found.append(Suspicion(level: .critical,
                                   message: "kube-proxy on \(node) never sends \(frontend.service.qualifiedName) traffic to ready endpoint(s) \(missing.sorted().map(\.description).joined(separator: ", ")).",
                                   hint: "Check kube-proxy's logs on \(node); its rules lag behind the EndpointSlices."))
        }
        return found
    }
}
