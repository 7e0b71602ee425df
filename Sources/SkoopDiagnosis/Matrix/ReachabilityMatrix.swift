import Foundation
import SkoopModel
import SkoopKubernetes
import SkoopCollector

/// Pods the datapath and the policies cannot tell apart: same namespace, same values of every
/// label a policy selects on, same node (the node-local datapath), same declared ports (named
/// ports resolve on them), same host-network flag. One representative stands for all.
public struct PodClass: Hashable, Sendable {
    /// "c1", "c2", ... in order of first member.
    public var id: String
    public var namespace: String
    /// The policy-relevant labels the members share.
    public var labels: [String: String]
    public var node: String?
    public var hostNetwork: Bool
    /// Members, "NAMESPACE/NAME", sorted; the first is the representative.
    public var members: [String]

    /// The representative pod.
    public var representative: String { members[0] }

    /// Makes a class from its parts.
    public init(id: String, namespace: String, labels: [String: String], node: String?, hostNetwork: Bool, members: [String]) {
        self.id = id
        self.namespace = namespace
        self.labels = labels
        self.node = node
        self.hostNetwork = hostNetwork
        self.members = members
    }
}

/// A column of the matrix: a pod class or a Service.
public enum MatrixDestination: Hashable, Sendable, CustomStringConvertible {
    case podClass(String)
    case service(String)

    /// The class id, or "svc/NAMESPACE/NAME".
    public var description: String {
        switch self {
        case .podClass(let id): id
        case .service(let name): "svc/\(name)"
        }
    }
}

/// The answer for one source class and one destination.
public struct MatrixCell: Hashable, Sendable {
    /// What the full diagnosis of the representative pair concluded.
    public enum Result: String, Hashable, Sendable {
        case allowed, denied, partial, unknown
        /// The only pair of a one-member class with itself: not diagnosed (loopback, as upstream).
        case loopback

        init(_ verdict: Verdict?) {
            switch verdict {
            case .reachable?: self = .allowed
            case .unreachable?: self = .denied
            case .partial?: self = .partial
            case .unknown?, nil: self = .unknown
            }
        }

        /// One character for the grid (the text says what each means).
        public var glyph: Character {
            switch self {
            case .allowed: "+"
            case .denied: "x"
            case .partial: "~"
            case .unknown: "?"
            case .loopback: "."
            }
        }
    }

    public var source: String
    public var destination: MatrixDestination
    public var result: Result
    /// The representative pair diagnosed ("x/a", "y/b" or "svc/y/web").
    public var pair: (source: String, destination: String)?
    /// Where a denied (or partial) branch was dropped, and the first reason given there.
    public var decidingHop: String?
    public var reason: String?
    /// True when `pair` belongs to other classes whose nodes and pods the diagnosis cannot tell
    /// apart from this cell's (`NodeEquivalence`): its simulation answers this cell too.
    public var reused = false

    /// Makes a cell.
    public init(source: String, destination: MatrixDestination, result: Result, pair: (source: String, destination: String)? = nil,
                decidingHop: String? = nil, reason: String? = nil) {
        self.source = source
        self.destination = destination
        self.result = result
        self.pair = pair
        self.decidingHop = decidingHop
        self.reason = reason
    }

    public static func == (lhs: MatrixCell, rhs: MatrixCell) -> Bool {
        lhs.source == rhs.source && lhs.destination == rhs.destination && lhs.result == rhs.result
            && lhs.pair?.source == rhs.pair?.source && lhs.pair?.destination == rhs.pair?.destination
            && lhs.decidingHop == rhs.decidingHop && lhs.reason == rhs.reason && lhs.reused == rhs.reused
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(source)
        hasher.combine(destination)
        hasher.combine(result)
    }
}

/// Who can reach whom on one port: classes of pods, Services, and a full diagnosis per
/// representative pair through routes, rules, services and policies.
public struct ReachabilityMatrix: Sendable {
    public var port: UInt16
    public var proto: TransportProtocol
    public var classes: [PodClass]
    /// The Services in the namespaces asked for that serve the port.
    public var services: [String]
    /// Row-major: classes × (classes + services).
    public var cells: [MatrixCell]
    /// Pairs diagnosed (simulated).
    public var diagnosed: Int
    /// Cells answered by the simulation of an equivalent cell (`MatrixCell.reused`).
    public var reused: Int { cells.lazy.filter(\.reused).count }

    /// Makes a matrix from its parts (`build` is how a snapshot's matrix is made).
    public init(port: UInt16, proto: TransportProtocol, classes: [PodClass], services: [String], cells: [MatrixCell], diagnosed: Int) {
        self.port = port
        self.proto = proto
        self.classes = classes
        self.services = services
        self.cells = cells
        self.diagnosed = diagnosed
    }

    /// The columns, classes then Services.
    public var destinations: [MatrixDestination] { classes.map { .podClass($0.id) } + services.map { .service($0) } }

    /// The cell of a source class and a destination.
    public func cell(_ source: String, _ destination: MatrixDestination) -> MatrixCell? {
        cells.first { $0.source == source && $0.destination == destination }
    }

    /// The class a pod belongs to.
    public func podClass(of pod: String) -> PodClass? { classes.first { $0.members.contains(pod) } }

    /// Builds the matrix of the pods (and Services) of `namespaces` (all when empty).
    /// - Throws: an input error for a pods.json that cannot be decoded.
    public static func build(collector: any NodeDataProvider, namespaces: [String] = [], port: UInt16,
                             protocol proto: TransportProtocol, context: DiagnosisContext = DiagnosisContext())
        throws(InputError) -> ReachabilityMatrix {
        let cluster = collector.cluster
        let wanted = Set(namespaces)
        let pods = try cluster.pods.all().filter { pod in
            (wanted.isEmpty || wanted.contains(pod.namespace)) && !pod.podIPs.isEmpty
                && pod.phase != "Succeeded" && pod.phase != "Failed"
        }
        let classes = classify(pods, relevantKeys: policyLabelKeys(cluster))
        let kubeProtocol = KubeProtocol(proto)
        let services = cluster.services.filter { service in
            (wanted.isEmpty || wanted.contains(service.namespace)) && !service.clusterIPs.isEmpty
                && kubeProtocol.map { service.port(port, protocol: $0) != nil } ?? false
        }.map(\.qualifiedName).sorted()
        // One job per cell; cells alike (NodeEquivalence) share one simulation.
        // Node equivalence compares the collected files themselves, so it needs a snapshot on disk;
        // any other provider (a test double, an overlay) has every cell simulated.
        let equivalence = (collector as? CollectorManager).map {
            NodeEquivalence.compute(collector: $0, pods: pods, relevantKeys: policyLabelKeys(cluster))
        } ?? NodeEquivalence()
        var jobs: [(source: PodClass, destination: MatrixDestination, target: String?)] = []
        var keys: [CellKey?] = []
        let backendNodes = Dictionary(uniqueKeysWithValues: cluster.services.filter { services.contains($0.qualifiedName) }
            .map { ($0.qualifiedName, cluster.endpoints(of: $0).map(\.nodeName)) })
        for source in classes {
            let sourceSide = equivalence.side(source.representative, node: source.node)
            for target in classes {
                let destination: String?
                if source.id == target.id {
                    destination = source.members.count > 1 ? source.members[1] : nil
                } else {
                    destination = target.representative
                }
                jobs.append((source, .podClass(target.id), destination))
                keys.append(destination.flatMap { equivalence.side($0, node: target.node) }.flatMap { targetSide in
                    sourceSide.map { CellKey.pods($0, targetSide, sameNode: source.node == target.node) }
                })
            }
            for service in services {
                jobs.append((source, .service(service), "svc/\(service)"))
                keys.append(sourceSide.map { CellKey.service($0, service, local: (backendNodes[service] ?? []).map { $0 == source.node }) })
            }
        }
        // The first cell of each key is simulated; the others take its answer.
        var simulatedIndex: [CellKey: Int] = [:]
        var simulated: [Int] = []
        for (index, key) in keys.enumerated() {
            guard let key else { simulated.append(index); continue }
            if simulatedIndex[key] == nil {
                simulatedIndex[key] = index
                simulated.append(index)
            }
        }
        let results = Locked([MatrixCell?](repeating: nil, count: jobs.count))
        let work = jobs, order = simulated
        let shared = SharedNetstacks()
        DispatchQueue.concurrentPerform(iterations: order.count) { position in
            let index = order[position]
            let job = work[index]
            let cell = diagnose(job.source, job.destination, target: job.target, port: port, proto: proto,
                                collector: collector, context: context, shared: shared)
            results.withLock { $0[index] = cell }
        }
        var cells = results.withLock { $0 }
        for (index, key) in keys.enumerated() where cells[index] == nil {
            var cell = cells[simulatedIndex[key!]!]!
            cell.source = jobs[index].source.id
            cell.destination = jobs[index].destination
            cell.reused = true
            cells[index] = cell
        }
        let answered = cells.map { $0! }
        return ReachabilityMatrix(port: port, proto: proto, classes: classes, services: services, cells: answered,
                                  diagnosed: answered.filter { $0.pair != nil && !$0.reused }.count)
    }

    /// What makes two cells answer alike: the pod signatures and node classes of both ends
    /// and whether they share a node; for a Service, which of its backends share the source's node.
    private enum CellKey: Hashable {
        case pods(NodeEquivalence.Side, NodeEquivalence.Side, sameNode: Bool)
        case service(NodeEquivalence.Side, String, local: [Bool])
    }

    private static func diagnose(_ source: PodClass, _ destination: MatrixDestination, target: String?, port: UInt16,
                                 proto: TransportProtocol, collector: any NodeDataProvider, context: DiagnosisContext,
                                 shared: SharedNetstacks) -> MatrixCell {
        guard let target else {
            return MatrixCell(source: source.id, destination: destination, result: .loopback)
        }
        let pair = (source.representative, target)
        do {
            var session = try DiagnosisSession(query: DiagnosisQuery(src: source.representative, dst: target, dport: port, proto: proto),
                                               collector: collector, context: context, shared: shared)
            session.diagnostor.run()
            let report = session.report
            let result = MatrixCell.Result(report.verdict)
            var cell = MatrixCell(source: source.id, destination: destination, result: result, pair: pair)
            if result == .denied || result == .partial || result == .unknown {
                (cell.decidingHop, cell.reason) = deciding(report)
            }
            return cell
        } catch {
            return MatrixCell(source: source.id, destination: destination, result: .unknown, pair: pair,
                              reason: error.description)
        }
    }

    /// The hop where the first failed branch ended and the worst suspicion found there (else anywhere).
    private static func deciding(_ report: DiagnosisReport) -> (String?, String?) {
        let dropped = report.path.links.first { $0.action == .drop }
        let hop = dropped?.source
        let there = hop.flatMap { report.path.node($0) }?.suspicions.max { $0.level < $1.level }
        let anywhere = report.suspicions().map(\.suspicion).max { $0.level < $1.level }
        return (hop?.id, (there ?? anywhere)?.message)
    }

    /// Every label key any policy selects pods on: the labels that can make two pods differ.
    static func policyLabelKeys(_ cluster: ClusterState) -> Set<String> {
        var keys: Set<String> = []
        func add(_ selector: LabelSelector?) {
            guard let selector else { return }
            keys.formUnion(selector.matchLabels.keys)
            keys.formUnion(selector.matchExpressions.map(\.key))
        }
        for policy in cluster.networkPolicies {
            add(policy.podSelector)
            for rule in policy.ingress + policy.egress { rule.peers.forEach { add($0.podSelector) } }
        }
        for policy in cluster.adminNetworkPolicies {
            add(policy.subject.podSelector)
            for rule in policy.ingress + policy.egress {
                for case .pods(let set) in rule.peers { add(set.podSelector) }
            }
        }
        return keys
    }

    static func classify(_ pods: [Pod], relevantKeys: Set<String>) -> [PodClass] {
        struct Key: Hashable {
            var namespace: String
            var labels: [String: String]
            var node: String?
            var hostNetwork: Bool
            var ports: [String]
        }
        var order: [Key] = []
        var members: [Key: [String]] = [:]
        for pod in pods.sorted(by: { $0.qualifiedName < $1.qualifiedName }) {
            let ports = pod.containers.flatMap(\.ports).map { "\($0.name ?? "")/\($0.containerPort)/\($0.protocol.rawValue)" }.sorted()
            let key = Key(namespace: pod.namespace, labels: pod.labels.filter { relevantKeys.contains($0.key) },
                          node: pod.nodeName, hostNetwork: pod.hostNetwork, ports: ports)
            if members[key] == nil { order.append(key) }
            members[key, default: []].append(pod.qualifiedName)
        }
        return order.enumerated().map { index, key in
            PodClass(id: "c\(index + 1)", namespace: key.namespace, labels: key.labels, node: key.node,
                     hostNetwork: key.hostNetwork, members: members[key]!)
        }
    }
}
