import Foundation
import SkoopModel

/// One input document: its bytes (or how to read them) and the name errors should use
/// (e.g. "k8s/pods.json").
public struct SourceData: Sendable {
    /// The file name for errors.
    public var source: String
    private let reader: @Sendable () throws(InputError) -> [UInt8]
    private let mapper: (@Sendable () throws(InputError) -> SharedBytes)?

    /// Makes a source.
    public init(data: Data, source: String) {
        self.init(bytes: [UInt8](data), source: source)
    }

    /// Makes a source from bytes.
    public init(bytes: [UInt8], source: String) {
        self.source = source
        self.reader = { bytes }
        self.mapper = nil
    }

    /// A source read when it is decoded: the documents are then read side by side, each by the
    /// thread that decodes it, instead of one after the other before any decoding starts.
    /// `mapper`, when given, maps the file instead of reading it (for the big skimmed lists).
    public init(source: String, reader: @escaping @Sendable () throws(InputError) -> [UInt8],
                mapper: (@Sendable () throws(InputError) -> SharedBytes)? = nil) {
        self.source = source
        self.reader = reader
        self.mapper = mapper
    }

    /// The raw bytes (as the JSON reader takes them: a 500 MB pods.json is not copied again).
    public func bytes() throws(InputError) -> [UInt8] { try reader() }

    /// The bytes as a ``SharedBytes``: mapped when the source can be, else read.
    public func sharedBytes() throws(InputError) -> SharedBytes {
        if let mapper { return try mapper() }
        return SharedBytes(copying: try reader())
    }

    /// The raw bytes as Data.
    public func data() throws(InputError) -> Data { Data(try bytes()) }
}

/// The kubectl outputs of a snapshot; any may be missing.
public struct KubernetesDocuments: Sendable {
    public var nodes: SourceData?
    public var pods: SourceData?
    public var services: SourceData?
    public var endpointSlices: SourceData?
    /// core/v1 Endpoints, used for services that have no EndpointSlice.
    public var endpoints: SourceData?
    public var networkPolicies: SourceData?
    public var configMaps: SourceData?
    public var namespaces: SourceData?
    /// policy.networking.k8s.io/v1alpha1 AdminNetworkPolicies and BaselineAdminNetworkPolicies (absent when the API has none).
    public var adminNetworkPolicies: SourceData?
    public var baselineAdminNetworkPolicies: SourceData?
    /// Calico's crd.projectcalico.org/v1 BlockAffinities and IPAMBlocks (absent without Calico's CRDs).
    public var calicoBlockAffinities: SourceData?, calicoIPAMBlocks: SourceData?
    /// The index of pods.json (k8s/pods.index), used instead of skimming it when it is of that file.
    public var podIndex: PodIndexInput?

    /// Makes the set; pass what the snapshot has.
    public init(nodes: SourceData? = nil, pods: SourceData? = nil, services: SourceData? = nil,
                endpointSlices: SourceData? = nil, endpoints: SourceData? = nil,
                networkPolicies: SourceData? = nil, configMaps: SourceData? = nil, namespaces: SourceData? = nil,
                podIndex: PodIndexInput? = nil, adminNetworkPolicies: SourceData? = nil,
                baselineAdminNetworkPolicies: SourceData? = nil) {
        self.podIndex = podIndex
        self.adminNetworkPolicies = adminNetworkPolicies
        self.baselineAdminNetworkPolicies = baselineAdminNetworkPolicies
        self.nodes = nodes
        self.pods = pods
        self.services = services
        self.endpointSlices = endpointSlices
        self.endpoints = endpoints
        self.networkPolicies = networkPolicies
        self.configMaps = configMaps
        self.namespaces = namespaces
    }
}

/// Every Kubernetes object the diagnosis uses, indexed, plus the ``IPCache``.
///
/// Nodes, pods and EndpointSlices, the bulk of a big cluster, are catalogued from a skim and
/// decoded one by one when needed (``NodeCatalog``, ``PodCatalog``, ``EndpointSliceCatalog``);
/// the rest is decoded at once.
public struct ClusterState: Sendable {
    /// The nodes, catalogued (see ``nodes`` for all of them decoded).
    public let nodeCatalog: NodeCatalog
    /// Every node that can be decoded (decoding all of them the first time; the diagnosis asks
    /// the catalogue for the few it meets).
    public var nodes: [Node] { nodeCatalog.readable }
    /// Pods.
    public let pods: PodCatalog
    /// The Services, catalogued (see ``services`` for all of them decoded).
    public let serviceCatalog: ServiceCatalog
    /// Every Service that can be decoded (decoding all of them the first time; the diagnosis
    /// asks the catalogue for the few it meets).
    public var services: [Service] { serviceCatalog.readable }
    /// EndpointSlices.
    public let endpointSlices: EndpointSliceCatalog
    /// core/v1 Endpoints (fallback for services without slices).
    public let endpoints: [Endpoints]
    /// NetworkPolicies.
    public private(set) var networkPolicies: [NetworkPolicy]
    /// AdminNetworkPolicies and the BaselineAdminNetworkPolicy, ANPs by priority then name.
    public private(set) var adminNetworkPolicies: [AdminNetworkPolicy] = []
    /// Calico's IPAM blocks and the nodes they are affine to; nil when the snapshot has none.
    public internal(set) var calicoBlocks: [CalicoBlock]?
    /// ConfigMaps.
    public let configMaps: [ConfigMap]
    /// Namespaces by name: those given plus every namespace an object lives in.
    public let namespaces: [String: Namespace]
    /// Who owns which address.
    public let ipCache: IPCache
    /// Each node's IPv4 pod CIDRs and the address other nodes reach them through, in node order
    /// (the plugin check asks every node for all of them: annotations are read once here).
    public let podNetworks: [NodePodNetwork]

    private let nodeIndex: [String: Int]
    private let serviceIndex: [String: Int]
    private let endpointsByName: [String: [ServiceEndpoint]]

    /// Builds the state and its indexes.
    /// - Complexity: O(objects).
    public init(nodes: [Node] = [], pods: [Pod] = [], services: [Service] = [],
                endpointSlices: [EndpointSlice] = [], endpoints: [Endpoints] = [],
                networkPolicies: [NetworkPolicy] = [], configMaps: [ConfigMap] = [], namespaces: [Namespace] = []) {
        self.init(nodes: NodeCatalog(nodes), pods: PodCatalog(pods), services: ServiceCatalog(services),
                  endpointSlices: EndpointSliceCatalog(endpointSlices), endpoints: endpoints,
                  networkPolicies: networkPolicies, configMaps: configMaps, namespaces: namespaces)
    }

    init(nodes: NodeCatalog, pods: PodCatalog, services: ServiceCatalog, endpointSlices: EndpointSliceCatalog,
         endpoints: [Endpoints], networkPolicies: [NetworkPolicy], configMaps: [ConfigMap], namespaces: [Namespace]) {
        self.nodeCatalog = nodes
        self.pods = pods
        self.serviceCatalog = services
        self.endpointSlices = endpointSlices
        self.endpoints = endpoints
        self.networkPolicies = networkPolicies
        self.configMaps = configMaps
        // Each walks 150,000 pods at the envelope: side by side.
        let podIndexes = Locked<(namespaces: Set<String>, ips: IPCache?)>(([], nil))
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                pods.buildNameIndex()
                let implied = pods.namespaces()
                podIndexes.withLock { $0.namespaces = implied }
            } else {
                let cache = IPCache(nodes: nodes, pods: pods, services: services)
                podIndexes.withLock { $0.ips = cache }
            }
        }
        let built = podIndexes.withLock { $0 }
        var namespaceMap: [String: Namespace] = [:]
        let implied = built.namespaces.union(services.entries.map(\.namespace)).union(networkPolicies.map(\.metadata.namespace))
        for name in implied where !name.isEmpty { namespaceMap[name] = Namespace(name: name) }
        for namespace in namespaces { namespaceMap[namespace.name] = namespace }
        self.namespaces = namespaceMap
        nodeIndex = Dictionary(nodes.entries.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        serviceIndex = Dictionary(services.entries.enumerated().map { ($1.qualifiedName, $0) },
                                  uniquingKeysWith: { first, _ in first })
        var byName: [String: [ServiceEndpoint]] = [:]
        for object in endpoints where byName[object.metadata.qualifiedName] == nil {
            byName[object.metadata.qualifiedName] = object.serviceEndpoints
        }
        endpointsByName = byName
        ipCache = built.ips!
        podNetworks = nodes.entries.compactMap { node in
            guard let remote = node.flannelPublicIP ?? node.primaryIP(family: .inet) ?? node.primaryIP(family: .inet6) else { return nil }
            return NodePodNetwork(node: node.name, remoteIP: remote, remoteIP6: node.primaryIP(family: .inet6), cidrs: node.podCIDRs)
        }
    }

    /// Decodes every document given and builds the state. The documents are independent and
    /// pods.json dominates big clusters, so they are read side by side; an error is reported
    /// in document order (nodes, pods, services, ...) whatever finished first.
    public static func decode(_ documents: KubernetesDocuments) throws(InputError) -> ClusterState {
        let nodes = CataloguedDocument(documents.nodes, skim: NodeCatalog.skim) { document throws(InputError) in
            NodeCatalog(try KubernetesJSON.decode(document.bytes(), source: document.source, kind: "Node", plural: "nodes",
                                                  Node.init(json:)))
        }
        let podIndex = documents.podIndex
        let pods = CataloguedDocument(documents.pods, skim: { document throws(InputError) -> PodCatalog? in
            if let podIndex, let indexed = try PodCatalog.indexed(podIndex, pods: document) { return indexed }
            return try PodCatalog.skim(document)
        }) { document throws(InputError) in
            PodCatalog(try KubernetesJSON.decode(document.bytes(), source: document.source, kind: "Pod", plural: "pods",
                                                 Pod.init(json:)))
        }
        let services = CataloguedDocument(documents.services, skim: ServiceCatalog.skim) { document throws(InputError) in
            ServiceCatalog(try KubernetesJSON.decode(document.bytes(), source: document.source, kind: "Service", plural: "services",
                                                     Service.init(json:)))
        }
        let slices = CataloguedDocument(documents.endpointSlices, skim: EndpointSliceCatalog.skim) { document throws(InputError) in
            EndpointSliceCatalog(try KubernetesJSON.decode(document.bytes(), source: document.source, kind: "EndpointSlice",
                                                           plural: "endpoint slices", EndpointSlice.init(json:)))
        }
        let endpoints = DecodedDocument(documents.endpoints, kind: "Endpoints", plural: "endpoints", Endpoints.init(json:))
        let policies = DecodedDocument(documents.networkPolicies, kind: "NetworkPolicy", plural: "network policies",
                                       NetworkPolicy.init(json:))
        let admin = DecodedDocument(documents.adminNetworkPolicies, kind: "AdminNetworkPolicy", plural: "admin network policies") {
            json throws(InputError) in try AdminNetworkPolicy(json: json, baseline: false)
        }
        let baseline = DecodedDocument(documents.baselineAdminNetworkPolicies, kind: "BaselineAdminNetworkPolicy",
                                       plural: "baseline admin network policies") {
            json throws(InputError) in try AdminNetworkPolicy(json: json, baseline: true)
        }
        let configMaps = DecodedDocument(documents.configMaps, kind: "ConfigMap", plural: "config maps", ConfigMap.init(json:))
        let namespaces = DecodedDocument(documents.namespaces, kind: "Namespace", plural: "namespaces", Namespace.init(json:))
        let affinities = DecodedDocument(documents.calicoBlockAffinities, kind: "BlockAffinity", plural: "block affinities",
                                         CalicoBlock.init(affinity:))
        let blocks = DecodedDocument(documents.calicoIPAMBlocks, kind: "IPAMBlock", plural: "IPAM blocks", CalicoBlock.ipamBlock(json:))
        // Largest first, so the big one starts at once.
        let jobs: [any DocumentJob] = [pods, slices, services, nodes, endpoints, policies, configMaps, namespaces, admin, baseline,
                                       affinities, blocks]
        // A thread per document, not concurrentPerform or a global queue: the skim of pods.json
        // splits it between threads with concurrentPerform, which runs serially when nested in
        // another, and a global queue may get a single thread while Swift concurrency holds one.
        let group = DispatchGroup()
        for job in jobs {
            group.enter()
            Thread { job.run(); group.leave() }.start()
        }
        group.wait()
        return ClusterState(
            nodes: try nodes.result() ?? NodeCatalog([]), pods: try pods.result() ?? PodCatalog([]),
            services: try services.result() ?? ServiceCatalog([]),
            endpointSlices: try slices.result() ?? EndpointSliceCatalog([]), endpoints: try endpoints.result(),
            networkPolicies: try policies.result(), configMaps: try configMaps.result(),
            namespaces: try namespaces.result())
            .with(adminNetworkPolicies: try admin.result() + baseline.result())
            .with(calicoBlocks: documents.calicoBlockAffinities == nil && documents.calicoIPAMBlocks == nil ? nil
                  : CalicoBlock.merged(affinities: try affinities.result(), ipamBlocks: try blocks.result().compactMap { $0 }))
    }

    /// The same state with these admin policies (ANPs sorted by priority, then name: the API leaves
    /// equal priorities undefined, a stable order keeps answers reproducible).
    public func with(adminNetworkPolicies policies: [AdminNetworkPolicy]) -> ClusterState {
        var copy = self
        copy.adminNetworkPolicies = policies.sorted { ($0.priority ?? Int.max, $0.name) < ($1.priority ?? Int.max, $1.name) }
        return copy
    }

    /// The same state with these NetworkPolicies instead (a what-if edit adds or removes some).
    public func with(networkPolicies policies: [NetworkPolicy]) -> ClusterState {
        var copy = self
        copy.networkPolicies = policies
        return copy
    }

    /// Objects the diagnosis asked for that could not be decoded (catalogued objects are decoded
    /// on first use): input errors to report.
    public var decodeFailures: [InputError] {
        nodeCatalog.failures + pods.failures + serviceCatalog.failures + endpointSlices.failures
    }

    /// The pod NAMESPACE/NAME.
    /// - Complexity: O(log pods).
    public func pod(namespace: String, name: String) -> Pod? {
        pods.position(namespace: namespace, name: name).flatMap(pods.pod(at:))
    }

    /// True when pod NAMESPACE/NAME is listed (even if it cannot be decoded).
    func hasPod(namespace: String, name: String) -> Bool {
        pods.position(namespace: namespace, name: name) != nil
    }

    /// The node called `name`.
    /// - Complexity: O(1).
    public func node(named name: String) -> Node? { nodeIndex[name].flatMap(nodeCatalog.node(at:)) }

    /// The node whose pod CIDRs hold `address` (the first in file order).
    /// - Complexity: O(nodes), without decoding any but the one returned.
    public func node(owningPodAddress address: IPAddress) -> Node? {
        nodeCatalog.entries.firstIndex { $0.podCIDRs.contains { $0.contains(address) } }.flatMap(nodeCatalog.node(at:))
    }

    /// Every node's pod CIDRs, in file order.
    public var podCIDRs: [IPPrefix] { nodeCatalog.entries.flatMap(\.podCIDRs) }

    /// The service NAMESPACE/NAME.
    /// - Complexity: O(1).
    public func service(namespace: String, name: String) -> Service? {
        serviceIndex["\(namespace)/\(name)"].flatMap(serviceCatalog.service(at:))
    }

    /// Why the listed service NAMESPACE/NAME cannot be decoded; nil when it can, or is not listed.
    func serviceFailure(namespace: String, name: String) -> InputError? {
        serviceIndex["\(namespace)/\(name)"].flatMap(serviceCatalog.failure(at:))
    }

    /// The pods scheduled on node `name`, host-network pods included.
    /// - Complexity: O(pods): no diagnosis asks, so no index is kept for it.
    public func pods(onNode name: String) -> [Pod] {
        pods.positions(onNode: name).compactMap(pods.pod(at:))
    }

    /// The IPv4 address of every pod with its own netns, grouped by node, without decoding pods.
    public func podAddressesByNode() -> [String: [IPAddress]] { pods.podAddressesByNode() }

    /// The node a pod runs on.
    public func node(of pod: Pod) -> Node? { pod.nodeName.flatMap(node(named:)) }

    /// The labels of namespace `name` (with the implied `kubernetes.io/metadata.name`).
    public func namespaceLabels(_ name: String) -> [String: String] {
        namespaces[name]?.labels ?? Namespace(name: name).labels
    }

    /// Services in the pod's namespace whose non-empty selector matches the pod's labels.
    /// - Complexity: O(services).
    public func services(selecting pod: Pod) -> [Service] {
        services.filter { service in
            guard service.namespace == pod.namespace, let selector = service.selector, !selector.isEmpty else {
                return false
            }
            return selector.allSatisfy { pod.labels[$0.key] == $0.value }
        }
    }

    /// The service's endpoints merged from all its EndpointSlices; from its core Endpoints
    /// object when it has no slice. One entry per address (the first slice's wins).
    /// - Complexity: O(its slices) the first time, O(1) after.
    public func endpoints(of service: Service) -> [ServiceEndpoint] {
        endpointSlices.endpoints(ofService: service.qualifiedName) ?? endpointsByName[service.qualifiedName] ?? []
    }
}

/// A node's IPv4 pod CIDRs and the address they are reached through (flannel's public IP
/// annotation, else the node's first IPv4 address).
public struct NodePodNetwork: Sendable {
    /// The node's name.
    public var node: String
    /// Where other nodes send traffic for its pods (IPv4, unless the node has only IPv6 addresses).
    public var remoteIP: IPAddress
    /// Its IPv6 address, where other nodes send IPv6 traffic for its pods.
    public var remoteIP6: IPAddress?
    /// Its pod CIDRs, of both families.
    public var cidrs: [IPPrefix]

    /// Where other nodes send traffic for its pods in `family`.
    public func remoteIP(_ family: AddressFamily) -> IPAddress {
        family == .inet6 ? remoteIP6 ?? remoteIP : remoteIP
    }
}

/// Something ClusterState.decode runs on a worker thread.
private protocol DocumentJob: Sendable {
    func run()
}

/// One document decoded on a worker thread: the decoding, then its outcome.
private final class DecodedDocument<Object: Sendable>: DocumentJob {
    private let source: SourceData?
    private let kind: String
    private let plural: String
    private let decodeItem: @Sendable (JSONNode) throws(InputError) -> Object
    private let outcome = Locked<Result<[Object], InputError>>(.success([]))

    init(_ source: SourceData?, kind: String, plural: String,
         _ decodeItem: @escaping @Sendable (JSONNode) throws(InputError) -> Object) {
        self.source = source
        self.kind = kind
        self.plural = plural
        self.decodeItem = decodeItem
    }

    func run() {
        guard let source else { return }
        let decoded: Result<[Object], InputError>
        do throws(InputError) {
            // A List is skimmed for its items, decoded strictly on all cores. Anything else, or a
            // list the skim finds broken, is read item after item: its error is then the one
            // that reading gives first.
            if let items = try? LazyItems<Object>.skim(source, kind: kind, plural: plural, pick: .members([]),
                                                       decodeItem: decodeItem) {
                decoded = .success(try items.decodeAll())
            } else {
                decoded = .success(try KubernetesJSON.decode(source.bytes(), source: source.source, kind: kind,
                                                             plural: plural, decodeItem))
            }
        } catch {
            decoded = .failure(error)
        }
        outcome.withLock { $0 = decoded }
    }

    func result() throws(InputError) -> [Object] {
        try outcome.withLock { $0 }.get()
    }
}

/// A document catalogued from a skim on a worker thread (decoded the strict way when it is not a List).
private final class CataloguedDocument<Catalog: Sendable>: DocumentJob {
    private let source: SourceData?
    private let skim: @Sendable (SourceData) throws(InputError) -> Catalog?
    private let decode: @Sendable (SourceData) throws(InputError) -> Catalog
    private let outcome = Locked<Result<Catalog?, InputError>>(.success(nil))

    init(_ source: SourceData?, skim: @escaping @Sendable (SourceData) throws(InputError) -> Catalog?,
         decode: @escaping @Sendable (SourceData) throws(InputError) -> Catalog) {
        self.source = source
        self.skim = skim
        self.decode = decode
    }

    func run() {
        guard let source else { return }
        let catalogued: Result<Catalog?, InputError>
        do throws(InputError) {
            if let skimmed = try skim(source) {
                catalogued = .success(skimmed)
            } else {
                catalogued = .success(try decode(source))
            }
        } catch {
            catalogued = .failure(error)
        }
        outcome.withLock { $0 = catalogued }
    }

    func result() throws(InputError) -> Catalog? {
        try outcome.withLock { $0 }.get()
    }
}
