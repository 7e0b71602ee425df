import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector

/// A provider that answers with `base`'s data as the edits would leave it: the snapshot on
/// disk (or the live cluster) is never changed. A diagnosis over it is the what-if diagnosis.
public final class WhatIfProvider: NodeDataProvider {
    /// The unedited data.
    public let base: any NodeDataProvider
    /// The edits, in the order they apply.
    public let edits: [WhatIfEdit]
    public let cluster: ClusterState
    private let edited = Locked<[String: NetNSInfo]>([:])

    /// Wraps `base` with `edits`.
    public init(base: any NodeDataProvider, edits: [WhatIfEdit]) {
        self.base = base
        self.edits = edits
        var policies = base.cluster.networkPolicies
        for edit in edits {
            switch edit.change {
            case .addPolicies(_, let added):
                // As kubectl apply: an object of the same name is replaced.
                let names = Set(added.map(\.qualifiedName))
                policies.removeAll { names.contains($0.qualifiedName) }
                policies += added
            case .removePolicy(let namespace, let name):
                policies.removeAll { $0.qualifiedName == "\(namespace)/\(name)" }
            default: break
            }
        }
        cluster = base.cluster.with(networkPolicies: policies)
    }

    public var hints: SnapshotHints { base.hints }
    public var collectedNodes: [String] { base.collectedNodes }
    public var warnings: [String] { base.warnings }
    public func netnsIDs(node: String) -> [String] { base.netnsIDs(node: node) }

    public func netns(node: String, id: String) throws(InputError) -> NetNSInfo {
        let key = "\(node)/\(id)"
        if let cached = edited.withLock({ $0[key] }) { return cached }
        var info = try base.netns(node: node, id: id)
        for edit in edits where edit.place?.node == node && edit.place?.netns == id {
            info = info.applying(edit.change)
        }
        edited.withLock { $0[key] = info }
        return info
    }

    public func addressing(node: String, id: String) -> NetNSAddressing? { base.addressing(node: node, id: id) }
    public func netns(node: String, owning address: IPAddress) -> String? { base.netns(node: node, owning: address) }
    public func prepare(node: String) throws(NodeCollectionFailure) { try base.prepare(node: node) }

    @discardableResult
    public func prefetch(hostsOf nodes: [String], then: @escaping @Sendable (String) -> Void) -> DispatchGroup {
        base.prefetch(hostsOf: nodes, then: then)
    }
}

extension WhatIfPlace {
    /// Resolves a place as written: `node` (and `netns`), or `pod` NAMESPACE/NAME (its node and
    /// netns found from its address). Errors name `source` and what exists.
    public static func resolve(node: String?, netns: String?, pod: String?, provider: any NodeDataProvider,
                               source: String, line: Int? = nil) throws(InputError) -> WhatIfPlace {
        if let pod {
            let parts = pod.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw InputError(source: source, line: line, expected: "pod: NAMESPACE/POD", found: pod)
            }
            guard let found = provider.cluster.pod(namespace: parts[0], name: parts[1]) else {
                throw InputError(source: source, line: line, expected: "a pod of k8s/pods.json", found: pod)
            }
            guard let nodeName = found.nodeName, provider.collectedNodes.contains(nodeName),
                  let address = found.podIPs.first, let id = provider.netns(node: nodeName, owning: address) else {
                throw InputError(source: source, line: line, expected: "a pod whose netns was collected", found: pod)
            }
            return WhatIfPlace(node: nodeName, netns: id, pod: pod)
        }
        guard let node else {
            throw InputError(source: source, line: line, expected: "node: NAME (and netns: ID) or pod: NAMESPACE/POD", found: "neither")
        }
        guard provider.collectedNodes.contains(node) else {
            throw InputError(source: source, line: line, expected: "a collected node (\(provider.collectedNodes.joined(separator: ", ")))", found: node)
        }
        let id = netns ?? "host"
        guard provider.netnsIDs(node: node).contains(id) else {
            throw InputError(source: source, line: line,
                             expected: "a netns of node \(node) (\(provider.netnsIDs(node: node).joined(separator: ", ")))", found: id)
        }
        return WhatIfPlace(node: node, netns: id)
    }
}

extension WhatIfPlace {
    /// The netns a hop of a diagnosis stands for (a pod's, a node's host netns, another netns
    /// of a node), for edits made on a hop (the TUI); nil for hops with no collected netns.
    public static func of(_ hop: Hop, in provider: any NodeDataProvider) -> WhatIfPlace? {
        NetNSDiff.place(of: hop, in: provider)
    }
}
