import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector

/// The data a diagnosis reads: the Kubernetes objects and the nodes' collected network stacks
/// (the seed's CollectorManager, as a protocol). A snapshot on disk, a live cluster collected on
/// demand (both `CollectorManager`) and test doubles implement it; the diagnosis knows no other.
public protocol NodeDataProvider: AnyObject, Sendable {
    /// snapshot.json's detection hints.
    var hints: SnapshotHints { get }
    /// The Kubernetes objects and the IPCache.
    var cluster: ClusterState { get }
    /// Nodes with collected (or collectable) data.
    var collectedNodes: [String] { get }
    /// Collected routers and gateways (`SNAP/infra/NAME/`); their netns are read with
    /// `InfraDevice.key(NAME)` as the node.
    var infraDevices: [String] { get }
    /// Problems met while loading the Kubernetes objects.
    var warnings: [String] { get }
    /// The netns folders of `node`, "host" first.
    func netnsIDs(node: String) -> [String]
    /// The netns `id` of `node`, read on first use.
    func netns(node: String, id: String) throws(InputError) -> NetNSInfo
    /// Only the interfaces and addresses of a netns (cheap: for finding peers and owners).
    func addressing(node: String, id: String) -> NetNSAddressing?
    /// The netns of `node` holding `address`, other than its host netns.
    func netns(node: String, owning address: IPAddress) -> String?
    /// Makes `node`'s data available (a live node is collected here), or says why it can't be.
    func prepare(node: String) throws(NodeCollectionFailure)
    /// Reads the host netns of `nodes` in the background, calling `then` for each.
    @discardableResult
    func prefetch(hostsOf nodes: [String], then: @escaping @Sendable (String) -> Void) -> DispatchGroup
}

extension NodeDataProvider {
    /// No infrastructure device unless the provider collects some.
    public var infraDevices: [String] { [] }
}

extension CollectorManager: NodeDataProvider {}
