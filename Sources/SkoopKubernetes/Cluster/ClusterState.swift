import Foundation
import Synchronization
import SkoopModel

/// One input document: its bytes and the name errors should use (e.g. "k8s/pods.json").
public struct SourceData: Sendable {
    /// The raw bytes (as the JSON reader takes them: a 500 MB pods.json is not copied again).
    public var bytes: [UInt8]
    /// The file name for errors.
    public var source: String

    /// Makes a source.
    public init(data: Data, source: String) {
        self.init(bytes: [UInt8](data), source: source)
    }

    /// Makes a source from bytes.
    public init(bytes: [UInt8], source: String) {
        self.bytes = bytes
        self.source = source
    }

    /// The raw bytes as Data.
    public var data: Data { Data(bytes) }
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

    /// Makes the set; pass what the snapshot has.
    public init(nodes: SourceData? = nil, pods: SourceData? = nil, services: SourceData? = nil,
                endpointSlices: SourceData? = nil, endpoints: SourceData? = nil,
                networkPolicies: SourceData? = nil, configMaps: SourceData? = nil, namespaces: SourceData? = nil) {
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
public struct ClusterState: Sendable {
    /// Nodes.
    public let nodes: [Node]
    /// Pods.
    public let pods: [Pod]
    /// Services.
    public let services: [Service]
    /// EndpointSlices.
    public let endpointSlices: [EndpointSlice]
    /// core/v1 Endpoints (fallback for services without slices).
    public let endpoints: [Endpoints]
    /// NetworkPolicies.
    public let networkPolicies: [NetworkPolicy]
    /// ConfigMaps.
    public let configMaps: [ConfigMap]
    /// Namespaces by name: those given plus every namespace an object lives in.
    public let namespaces: [String: Namespace]
    /// Who owns which address.
    public let ipCache: IPCache

    private let podIndex: [String: Int]
    private let nodeIndex: [String: Int]
    private let serviceIndex: [String: Int]
    private let podsByNode: [String: [Int]]
    private let endpointsByService: [String: [ServiceEndpoint]]

    /// Builds the state and its indexes.
    /// - Complexity: O(objects).
    public init(nodes: [Node] = [], pods: [Pod] = [], services: [Service] = [],
                endpointSlices: [EndpointSlice] = [], endpoints: [Endpoints] = [],
                networkPolicies: [NetworkPolicy] = [], configMaps: [ConfigMap] = [], namespaces: [Namespace] = []) {
        self.nodes = nodes
        self.pods = pods
        self.services = services
        self.endpointSlices = endpointSlices
        self.endpoints = endpoints
        self.networkPolicies = networkPolicies
        self.configMaps = configMaps
        var namespaceMap: [String: Namespace] = [:]
        let implied = pods.map(\.namespace) + services.map(\.namespace) + networkPolicies.map(\.metadata.namespace)
        for name in implied where !name.isEmpty { namespaceMap[name] = Namespace(name: name) }
        for namespace in namespaces { namespaceMap[namespace.name] = namespace }
        self.namespaces = namespaceMap
        podIndex = Dictionary(pods.enumerated().map { ($1.qualifiedName, $0) }, uniquingKeysWith: { first, _ in first })
        nodeIndex = Dictionary(nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        serviceIndex = Dictionary(services.enumerated().map { ($1.qualifiedName, $0) },
                                  uniquingKeysWith: { first, _ in first })
        var byNode: [String: [Int]] = [:]
        for (index, pod) in pods.enumerated() { if let node = pod.nodeName { byNode[node, default: []].append(index) } }
        podsByNode = byNode
        endpointsByService = ClusterState.mergeEndpoints(slices: endpointSlices, endpoints: endpoints)
        ipCache = IPCache(nodes: nodes, pods: pods, services: services)
    }

    /// Decodes every document given and builds the state. The documents are independent and
    /// pods.json dominates big clusters, so they are decoded side by side; an error is reported
    /// in document order (nodes, pods, services, ...) whatever finished first.
    public static func decode(_ documents: KubernetesDocuments) throws(InputError) -> ClusterState {
        let nodes = DecodedDocument(documents.nodes, kind: "Node", plural: "nodes", Node.init(json:))
        let pods = DecodedDocument(documents.pods, kind: "Pod", plural: "pods", Pod.init(json:))
        let services = DecodedDocument(documents.services, kind: "Service", plural: "services", Service.init(json:))
        let slices = DecodedDocument(documents.endpointSlices, kind: "EndpointSlice", plural: "endpoint slices",
                                     EndpointSlice.init(json:))
        let endpoints = DecodedDocument(documents.endpoints, kind: "Endpoints", plural: "endpoints", Endpoints.init(json:))
        let policies = DecodedDocument(documents.networkPolicies, kind: "NetworkPolicy", plural: "network policies",
                                       NetworkPolicy.init(json:))
        let configMaps = DecodedDocument(documents.configMaps, kind: "ConfigMap", plural: "config maps", ConfigMap.init(json:))
        let namespaces = DecodedDocument(documents.namespaces, kind: "Namespace", plural: "namespaces", Namespace.init(json:))
        // Largest first, so the big one starts at once.
        let jobs: [any DocumentJob] = [pods, slices, services, nodes, endpoints, policies, configMaps, namespaces]
        DispatchQueue.concurrentPerform(iterations: jobs.count) { jobs[$0].run() }
        return ClusterState(
            nodes: try nodes.result(), pods: try pods.result(), services: try services.result(),
            endpointSlices: try slices.result(), endpoints: try endpoints.result(),
            networkPolicies: try policies.result(), configMaps: try configMaps.result(),
            namespaces: try namespaces.result())
    }

    /// The pod NAMESPACE/NAME.
    /// - Complexity: O(1).
    public func pod(namespace: String, name: String) -> Pod? {
        podIndex["\(namespace)/\(name)"].map { pods[$0] }
    }

    /// The node called `name`.
    /// - Complexity: O(1).
    public func node(named name: String) -> Node? { nodeIndex[name].map { nodes[$0] } }

    /// The service NAMESPACE/NAME.
    /// - Complexity: O(1).
    public func service(namespace: String, name: String) -> Service? {
        serviceIndex["\(namespace)/\(name)"].map { services[$0] }
    }

    /// The pods scheduled on node `name`, host-network pods included.
    /// - Complexity: O(pods on the node).
    public func pods(onNode name: String) -> [Pod] { (podsByNode[name] ?? []).map { pods[$0] } }

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
    /// - Complexity: O(1).
    public func endpoints(of service: Service) -> [ServiceEndpoint] {
        endpointsByService[service.qualifiedName] ?? []
    }

    private static func mergeEndpoints(slices: [EndpointSlice], endpoints: [Endpoints]) -> [String: [ServiceEndpoint]] {
        var merged: [String: [ServiceEndpoint]] = [:]
        var seen: [String: Set<IPAddress>] = [:]
        for slice in slices {
            guard let service = slice.serviceName else { continue }
            let key = "\(slice.metadata.namespace)/\(service)"
            merged[key, default: []].reserveCapacity(slice.endpoints.count)
            for endpoint in slice.endpoints where seen[key, default: []].insert(endpoint.ip).inserted {
                merged[key, default: []].append(endpoint)
            }
        }
        for object in endpoints where merged[object.metadata.qualifiedName] == nil {
            merged[object.metadata.qualifiedName] = object.serviceEndpoints
        }
        return merged
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
    private let outcome = Mutex<Result<[Object], InputError>>(.success([]))

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
            decoded = .success(try KubernetesJSON.decode(source.bytes, source: source.source, kind: kind, plural: plural,
                                                         decodeItem))
        } catch {
            decoded = .failure(error)
        }
        outcome.withLock { $0 = decoded }
    }

    func result() throws(InputError) -> [Object] {
        try outcome.withLock { $0 }.get()
    }
}
