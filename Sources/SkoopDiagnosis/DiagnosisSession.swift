import SkoopModel
import SkoopKubernetes
import SkoopCollector

/// Why a diagnosis could not start (bad query or data); the CLI maps it to a usage exit code.
public struct DiagnosisSetupError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, naming the flag or file.
    public var description: String
}

/// A ready-to-run diagnosis of one query on one snapshot: resolution, network detection,
/// cluster-level checks, and the steppable Diagnostor.
public struct DiagnosisSession: Sendable {
    /// The query.
    public let query: DiagnosisQuery
    /// The network.
    public let network: Network
    /// The source as resolved.
    public let source: ResolvedTarget
    /// The destination as resolved.
    public let destination: ResolvedTarget
    /// The destination endpoint the first packet is sent to.
    public let destinationEndpoint: Endpoint
    /// The Diagnostor, not yet run.
    public var diagnostor: Diagnostor

    /// Resolves `query` on `collector`'s snapshot and prepares the walk.
    /// `shared` carries simulators and checks between diagnoses of the same collector and context.
    public init(query: DiagnosisQuery, collector: any NodeDataProvider, context: DiagnosisContext = DiagnosisContext(),
                provider: any Provider = GenericProvider(), shared: SharedNetstacks = SharedNetstacks()) throws(DiagnosisSetupError) {
        self.query = query
        var network = provider.network(collector: collector, context: context)
        let cluster = collector.cluster
        do {
            source = try cluster.resolve(query.src)
        } catch {
            throw DiagnosisSetupError(description: "-s/--src: \(error.message)")
        }
        do {
            destination = try cluster.resolve(query.dst)
        } catch {
            throw DiagnosisSetupError(description: "-d/--dst: \(error.message)")
        }
        let family = try DiagnosisSession.family(query: query, destination: destination, source: source)
        try DiagnosisSession.requireSourceAddress(source, family: family, query: query)
        // An address given as such stays the destination: a LoadBalancer IP or externalIP is
        // handled by kube-proxy's rules for that address, not by its ClusterIP's.
        guard let destinationAddress = DiagnosisSession.queriedAddress(query.dst).flatMap({ $0.family == family ? $0 : nil })
                ?? destination.address(family: family) else {
            throw DiagnosisSetupError(description: "-d/--dst: \(destination) has no \(family.displayName) address (its addresses: \(DiagnosisSession.addressList(destination))); choose the family with --ip-family")
        }
        if query.proto != .icmp && query.dport == 0 {
            throw DiagnosisSetupError(description: "-p/--dport: a port is needed for \(query.proto.rawValue)")
        }
        destinationEndpoint = Endpoint(ip: destinationAddress, type: destination.endpointType, port: query.dport)
        network.intendedDestinations = DiagnosisSession.intendedDestinations(
            of: destination, endpoint: destinationEndpoint, proto: query.proto, network: network)
        try DiagnosisSession.applyEntryOptions(query, source: source, to: &network)
        self.network = network
        let sourceHop: Hop
        switch source {
        case .pod(let pod): sourceHop = network.hop(of: pod)
        case .node(let node): sourceHop = Hop(type: .node, id: node.name)
        case .service(let service):
            throw DiagnosisSetupError(description: "-s/--src: svc/\(service.qualifiedName) is a service; a flow starts at a pod, node or address")
        case .external(let address): sourceHop = Hop(type: .external, id: address.description)
        }
        var clusterSuspicions = collector.warnings.map { Suspicion(level: .warning, message: "Snapshot: \($0).") }
        clusterSuspicions += ServiceProcessor(cluster: cluster, proxyMode: network.proxyMode)
            .suspicions(destination: destinationEndpoint, protocol: query.proto, source: source.address(family: family))
        // Where policies are decided or cross-checked hop by hop (PolicyEnforcement.swift), the
        // pre-translation cluster-level check would repeat them on the wrong addresses.
        if !PolicyEnforcement(plugin: network.plugin.kind).isEvaluatedOnThePath {
            clusterSuspicions += DiagnosisSession.policySuspicions(cluster: cluster, source: source.address(family: family),
                                                                   destination: destinationEndpoint, proto: query.proto,
                                                                   enforced: network.plugin.enforcesNetworkPolicy)
        }
        let manager = SnapshotNetNodeManager(network: network, shared: shared)
        // The nodes the path will cross are read, simulated and checked in the background
        // while the walk starts: on a 5,000-node cluster each takes tens of milliseconds.
        collector.prefetch(hostsOf: DiagnosisSession.nodesOnThePath(source: source, destination: destination, cluster: cluster),
                           then: manager.warmHost)
        diagnostor = Diagnostor(source: sourceHop, destination: destinationEndpoint, protocol: query.proto,
                                manager: manager, limits: context.limits,
                                clusterSuspicions: clusterSuspicions)
    }

    /// The nodes the flow will cross for sure: the source's, the destination's, a service's
    /// backends' (in that order, without repeats).
    static func nodesOnThePath(source: ResolvedTarget, destination: ResolvedTarget, cluster: ClusterState) -> [String] {
        func nodes(of target: ResolvedTarget) -> [String] {
            switch target {
            case .pod(let pod): [pod.nodeName].compactMap { $0 }
            case .node(let node): [node.name]
            case .service(let service): cluster.endpoints(of: service).compactMap(\.nodeName)
            case .external: []
            }
        }
        var seen: Set<String> = []
        return (nodes(of: source) + nodes(of: destination)).filter { seen.insert($0).inserted }
    }

    /// The source's address in the flow's family.
    public var sourceAddress: IPAddress? { source.address(family: destinationEndpoint.ip.family) }

    /// A report of the diagnosis as it stands.
    public var report: DiagnosisReport {
        DiagnosisReport(query: query, sourceAddress: sourceAddress, destinationAddress: destinationEndpoint.ip,
                        path: diagnostor.path, verdict: diagnostor.verdict)
    }

    /// The flow's address family: --ip-family, else that of an address the query names, else the
    /// destination's primary one; an address that contradicts --ip-family is an error.
    static func family(query: DiagnosisQuery, destination: ResolvedTarget, source: ResolvedTarget) throws(DiagnosisSetupError) -> AddressFamily {
        let given = queriedAddress(query.dst) ?? { if case .external(let address) = destination { address } else { nil } }()
        if let wanted = query.ipFamily {
            if let given, given.family != wanted {
                throw DiagnosisSetupError(description: "-d/--dst: \(given) is an \(given.family.displayName) address, but --ip-family asks for \(wanted.displayName)")
            }
            return wanted
        }
        if let given { return given.family }
        if case .external(let address) = source { return address.family }
        // The destination's primary family (its first address), as a dual-stack client's resolver picks.
        return destination.addresses.first?.family ?? .inet
    }

    /// NetworkPolicy verdicts for the flow: to the destination pod, or to each backend of a service.
    static func policySuspicions(cluster: ClusterState, source: IPAddress?, destination: Endpoint,
                                 proto: TransportProtocol, enforced: Bool?) -> [Suspicion] {
        guard let source, !cluster.networkPolicies.isEmpty || !cluster.adminNetworkPolicies.isEmpty else { return [] }
        var targets: [(IPAddress, UInt16)] = [(destination.ip, destination.port)]
        if let frontend = cluster.serviceFrontend(ip: destination.ip, port: destination.port, protocol: proto) {
            targets = cluster.backends(of: frontend.service, port: frontend.port).map { ($0.ip, $0.port ?? destination.port) }
        }
        var found: [Suspicion] = []
        for (ip, port) in targets {
            let decision = cluster.evaluateNetworkPolicies(PolicyFlow(
                source: cluster.policyFlowEnd(ip: source), destination: cluster.policyFlowEnd(ip: ip), port: port, protocol: proto))
            if var suspicion = decision.suspicion {
                switch enforced {
                case false?:
                    // The CNI ignores policies: worth knowing, but it does not break the flow.
                    suspicion.level = .info
                    suspicion.message += " (not enforced: the CNI does not implement NetworkPolicy)"
                case nil:
                    suspicion.hint = suspicion.hint ?? "Enforced only if the CNI implements NetworkPolicy."
                case true?:
                    break
                }
                if !found.contains(suspicion) { found.append(suspicion) }
            }
        }
        return found
    }
}
