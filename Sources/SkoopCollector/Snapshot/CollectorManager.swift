import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// The cluster as a snapshot describes it: Kubernetes objects read once, node network stacks
/// read on demand and cached (the seed's CollectorManager). Thread-safe.
public final class CollectorManager: Sendable {
    /// The snapshot directory.
    public let directory: SnapshotDirectory
    /// snapshot.json's hints.
    public let hints: SnapshotHints
    /// The Kubernetes objects and the IPCache.
    public let cluster: ClusterState
    /// Nodes with collected data (folders under nodes/).
    public let collectedNodes: [String]
    /// Collected routers and gateways (folders under infra/), by name; their netns are read
    /// through the node API with `InfraDevice.key(name)`.
    public let infraDevices: [String]
    /// Problems met while loading the Kubernetes files.
    public let warnings: [String]

    /// Collects nodes on demand (live clusters); nil: everything comes from files.
    public let nodeSource: (any NodeDataSource)?

    private let cache = Locked<[String: NetNSInfo]>([:])
    private let addressing = Locked<[String: NetNSAddressing]>([:])
    private let rulesets: ParsedRulesetCache
    private let netnsLists = Locked<[String: [String]]>([:])
    private let failures = Locked<[String: InputError]>([:])
    private let gates = Locked<[String: NetNSGate]>([:])
    private let materialized = Locked<[String: NodeCollectionFailure?]>([:])

    /// Opens the snapshot at `path`: reads snapshot.json and the Kubernetes files now, nodes later
    /// (from `nodeSource`, when given, the first time a node is needed). `nftRulesOnFirstUse`
    /// false decodes each nft.json whole (the reference the lazy read is checked against).
    public init(snapshot path: String, nodeSource: (any NodeDataSource)? = nil, nftRulesOnFirstUse: Bool = true) throws(InputError) {
        self.nodeSource = nodeSource
        rulesets = ParsedRulesetCache(nftRulesOnFirstUse: nftRulesOnFirstUse)
        let directory = try SnapshotDirectory(path: path)
        self.directory = directory
        // Any other directory would read as an empty cluster with warnings, and an empty cluster
        // "reaches" whatever is asked of it.
        guard nodeSource != nil || ["snapshot.json", "k8s", "nodes", InfraDevice.folder].contains(where: directory.exists) else {
            throw InputError(source: path, expected: "a snapshot directory (with snapshot.json, k8s/ and nodes/, or infra/)",
                             found: "a directory with none of them")
        }
        var warnings: [String] = []
        if let data = try directory.read("snapshot.json") {
            hints = try SnapshotHints.decode(data, source: "snapshot.json")
        } else {
            hints = SnapshotHints()
            warnings.append("snapshot.json is missing: the CNI and kube-proxy mode are detected from the data")
        }
        func document(_ name: String, required: Bool = true) throws(InputError) -> SourceData? {
            let path = "k8s/\(name)"
            guard directory.exists(path) else {
                if required { warnings.append("\(path) is missing") }
                return nil
            }
            let vanished = InputError(source: path, expected: "a file that stays while the snapshot is read", found: "no such file")
            // Read by the thread that decodes it (pods.json alone is 500 MB at 150,000 pods);
            // the lists that are skimmed, not parsed, are mapped.
            return SourceData(source: path, reader: { () throws(InputError) -> [UInt8] in
                guard let bytes = try directory.readBytes(path) else { throw vanished }
                return bytes
            }, mapper: { () throws(InputError) -> SharedBytes in
                guard let bytes = try directory.map(path, populate: false) else { throw vanished }
                return bytes
            })
        }
        let slices = try document("endpointslices.json", required: false)
        let endpoints = try document("endpoints.json", required: false)
        if slices == nil && endpoints == nil {
            warnings.append("k8s/endpointslices.json is missing (and no k8s/endpoints.json): services have no known endpoints")
        }
        var documents = KubernetesDocuments(
            nodes: try document("nodes.json"), pods: try document("pods.json"), services: try document("services.json"),
            endpointSlices: slices, endpoints: endpoints,
            networkPolicies: try document("networkpolicies.json"), configMaps: try document("configmaps.json"),
            namespaces: try document("namespaces.json", required: false),
            podIndex: PodIndexWriter.input(in: directory),
            adminNetworkPolicies: try document("adminnetworkpolicies.json", required: false),
            baselineAdminNetworkPolicies: try document("baselineadminnetworkpolicies.json", required: false))
        documents.calicoBlockAffinities = try document("blockaffinities.json", required: false)
        documents.calicoIPAMBlocks = try document("ipamblocks.json", required: false)
        cluster = try ClusterState.decode(documents)
        if documents.podIndex != nil, !cluster.pods.isFromIndex {
            warnings.append("\(PodIndexWriter.path) is not an index of this k8s/pods.json (edited since, damaged, or from "
                            + "another Skoop): pods.json was skimmed instead; rebuild it with skoop index --snapshot \(path)")
        }
        collectedNodes = Array(Set(try directory.subdirectories("nodes") + (nodeSource?.nodes ?? []))).sorted()
        if collectedNodes.isEmpty { warnings.append("nodes/ holds no node: no network stack can be simulated") }
        infraDevices = directory.exists(InfraDevice.folder) ? try directory.subdirectories(InfraDevice.folder).sorted() : []
        self.warnings = warnings
    }

    /// The netns folders collected for `node` ("host" first), listed once.
    public func netnsIDs(node: String) -> [String] {
        try? prepare(node: node)
        // Cached: veth peers and pod addresses are looked up per hop, and listing a node's
        // netns stats every entry.
        if let cached = netnsLists.withLock({ $0[node] }) { return cached }
        let ids = (try? directory.subdirectories(NetNSLoader.netnsRoot(node: node))) ?? []
        let ordered = ids.filter { $0 == "host" } + ids.filter { $0 != "host" }
        netnsLists.withLock { $0[node] = ordered }
        return ordered
    }

    /// The collected netns `id` of `node`, read on first use.
    public func netns(node: String, id: String) throws(InputError) -> NetNSInfo {
        try netns(node: node, id: id, recordingFailure: true)
    }

    /// Reads the netns once even when several threads ask at the same time (a prefetch and the
    /// walk): the second waits for the first. A prefetch does not record a failure: only a
    /// netns the walk really reached may make the diagnosis fail.
    private func netns(node: String, id: String, recordingFailure: Bool) throws(InputError) -> NetNSInfo {
        let key = "\(node)/\(id)"
        if let cached = cache.withLock({ $0[key] }) { return cached }
        if let failure = failures.withLock({ $0[key] }) { throw failure }
        let gate = gates.withLock { gates in
            if let gate = gates[key] { return gate }
            let gate = NetNSGate()
            gates[key] = gate
            return gate
        }
        return try gate.lock.withLock { () throws(InputError) -> NetNSInfo in
            if let cached = cache.withLock({ $0[key] }) { return cached }
            if let failure = failures.withLock({ $0[key] }) { throw failure }
            do throws(NodeCollectionFailure) {
                try prepare(node: node)
            } catch {
                throw InputError(source: NetNSLoader.netnsRoot(node: node), expected: "data collected from node \(node)", found: error.reason)
            }
            do throws(InputError) {
                let info = try NetNSLoader(directory: directory, rulesets: rulesets).load(node: node, netns: id)
                cache.withLock { $0[key] = info }
                return info
            } catch {
                if recordingFailure { failures.withLock { $0[key] = error } }
                throw error
            }
        }
    }

    /// Starts reading the host netns of `nodes` in the background, in order, while the walk goes
    /// on: the nodes a path will cross (a service's backends) are known before the walk reaches
    /// them. Snapshots only: a live cluster collects a node when it is reached.
    /// Two background threads share the nodes, so that one can read a node's tables while the
    /// other waits for a ruleset (rulesets are parsed one at a time) or the walk holds a core.
    /// `then` runs after each node is read, on the same background thread (e.g. to build what
    /// the walk will need from it).
    /// The group returned is done when every node is read (nothing waits for it but tests).
    @discardableResult
    public func prefetch(hostsOf nodes: [String], then: @escaping @Sendable (String) -> Void = { _ in }) -> DispatchGroup {
        let group = DispatchGroup()
        guard nodeSource == nil else { return group }
        let queues = (0..<2).map { DispatchQueue(label: "skoop.prefetch.\($0)", qos: .userInitiated) }
        for (position, node) in nodes.filter(collectedNodes.contains).enumerated() {
            queues[position % queues.count].async(group: group) { [self] in
                guard (try? netns(node: node, id: "host", recordingFailure: false)) != nil else { return }
                then(node)
            }
        }
        return group
    }

    /// The interfaces and addresses of a netns, read from ip-link.json and ip-addr.json alone
    /// (cached): finding a veth peer or the netns that owns an address must not read every
    /// netns of a node in full (their rulesets, sockets, ...). Nil when the netns cannot be read;
    /// the full read then records why, as a diagnosis reaching it would.
    public func addressing(node: String, id: String) -> NetNSAddressing? {
        let key = "\(node)/\(id)"
        if let cached = cache.withLock({ $0[key] }) { return NetNSAddressing(cached) }
        if let peeked = addressing.withLock({ $0[key] }) { return peeked }
        guard (try? prepare(node: node)) != nil,
              let peeked = try? NetNSLoader(directory: directory, rulesets: rulesets).loadAddressing(node: node, netns: id) else {
            return (try? netns(node: node, id: id)).map(NetNSAddressing.init)
        }
        addressing.withLock { $0[key] = peeked }
        return peeked
    }

    /// The files that could not be read so far (malformed or unreadable), in path order:
    /// what a lazy diagnosis met on its way.
    public var loadFailures: [InputError] {
        (failures.withLock { Array($0.values) } + cluster.decodeFailures).sorted { ($0.source, $0.line ?? 0) < ($1.source, $1.line ?? 0) }
    }

    /// Reads every collected netns now, so a malformed file is reported as the input error it is
    /// rather than surfacing mid-diagnosis as a missing peer or an unsimulated hop.
    public func loadAllNetns() throws(InputError) {
        for node in collectedNodes {
            for id in netnsIDs(node: node) { _ = try netns(node: node, id: id) }
        }
    }

    /// Asks the node source, once per node, to write `nodes/NODE/` (no-op without a source or
    /// when the folder already exists); throws why the node has no data. Thread-safe: nodes are
    /// materialized one at a time.
    public func prepare(node: String) throws(NodeCollectionFailure) {
        guard let nodeSource, nodeSource.nodes.contains(node) else { return }
        let failure: NodeCollectionFailure? = materialized.withLock { done in
            if let known = done[node] { return known }
            var failure: NodeCollectionFailure?
            if (try? directory.subdirectories("nodes/\(node)/netns"))?.isEmpty ?? true {
                do {
                    try nodeSource.materialize(node: node, into: URL(fileURLWithPath: directory.root))
                } catch let error as NodeCollectionFailure {
                    failure = error
                } catch {
                    failure = NodeCollectionFailure(node: node, reason: "\(error)")
                }
            }
            done[node] = .some(failure)
            return failure
        }
        if let failure { throw failure }
    }

    /// The netns of `node` that holds `address` (pods are matched to netns by their IPs).
    public func netns(node: String, owning address: IPAddress) -> String? {
        for id in netnsIDs(node: node) where id != "host" {
            if let peek = addressing(node: node, id: id), peek.owns(address) { return id }
        }
        return nil
    }
}

/// A router or gateway collected with `skoop collect --infra NAME` (`SNAP/infra/NAME/`). Its
/// netns are read through the same API as a node's, under a key no Kubernetes node name can
/// take (node names never hold a colon).
public enum InfraDevice {
    /// The snapshot folder of infrastructure devices.
    public static let folder = "infra"
    /// The key of device `name` where an API takes a node name.
    public static func key(_ name: String) -> String { "infra:\(name)" }
    /// The device name of a key, nil for a node's name.
    public static func name(ofKey key: String) -> String? {
        key.hasPrefix("infra:") ? String(key.dropFirst("infra:".count)) : nil
    }
}

/// Materializes a node's data into the snapshot directory the first time the diagnosis needs
/// it (live clusters); `CollectorManager` reads the files it writes like any snapshot.
public protocol NodeDataSource: Sendable {
    /// The nodes this source can collect (they count as collected nodes).
    var nodes: [String] { get }
    /// Writes `SNAP/nodes/NODE/netns/...` into `snapshot`; throws (ideally a
    /// `NodeCollectionFailure`) saying why the node has no data.
    func materialize(node: String, into snapshot: URL) throws
}

/// Held while one netns is read, so that it is read once.
private final class NetNSGate: Sendable {
    let lock = Lock()
}
