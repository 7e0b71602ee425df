import Foundation
import SkoopModel

/// Decodes `kubectl get KIND -A -o json` output: a List with items, or a single object.
///
/// Unknown fields are ignored and missing optional fields take the API's defaults; malformed
/// input throws an ``InputError`` naming the line and the coding path, e.g.
/// `pods.json:42: expected a Kubernetes List of pods (items[3].metadata.name: a string), found "5"`.
public enum KubernetesJSON {
    /// Nodes from `kubectl get nodes -o json`.
    public static func nodes(_ data: Data, source: String) throws(InputError) -> [Node] {
        try decode(data, source: source, kind: "Node", plural: "nodes", Node.init(json:))
    }

    /// Pods from `kubectl get pods -A -o json`.
    public static func pods(_ data: Data, source: String) throws(InputError) -> [Pod] {
        try decode(data, source: source, kind: "Pod", plural: "pods", Pod.init(json:))
    }

    /// Services from `kubectl get services -A -o json`.
    public static func services(_ data: Data, source: String) throws(InputError) -> [Service] {
        try decode(data, source: source, kind: "Service", plural: "services", Service.init(json:))
    }

    /// EndpointSlices from `kubectl get endpointslices -A -o json`.
    public static func endpointSlices(_ data: Data, source: String) throws(InputError) -> [EndpointSlice] {
        try decode(data, source: source, kind: "EndpointSlice", plural: "endpoint slices", EndpointSlice.init(json:))
    }

    /// core/v1 Endpoints from `kubectl get endpoints -A -o json`.
    public static func endpoints(_ data: Data, source: String) throws(InputError) -> [Endpoints] {
        try decode(data, source: source, kind: "Endpoints", plural: "endpoints", Endpoints.init(json:))
    }

    /// NetworkPolicies from `kubectl get networkpolicies -A -o json`.
    public static func networkPolicies(_ data: Data, source: String) throws(InputError) -> [NetworkPolicy] {
        try decode(data, source: source, kind: "NetworkPolicy", plural: "network policies", NetworkPolicy.init(json:))
    }

    /// ConfigMaps from `kubectl get configmaps -A -o json`.
    public static func configMaps(_ data: Data, source: String) throws(InputError) -> [ConfigMap] {
        try decode(data, source: source, kind: "ConfigMap", plural: "config maps", ConfigMap.init(json:))
    }

    /// Namespaces from `kubectl get namespaces -o json`.
    public static func namespaces(_ data: Data, source: String) throws(InputError) -> [Namespace] {
        try decode(data, source: source, kind: "Namespace", plural: "namespaces", Namespace.init(json:))
    }

    /// Calico's blocks from `kubectl get blockaffinities.crd.projectcalico.org -o json`.
    public static func calicoBlockAffinities(_ data: Data, source: String) throws(InputError) -> [CalicoBlock] {
        try decode(data, source: source, kind: "BlockAffinity", plural: "block affinities", CalicoBlock.init(affinity:))
    }

    /// Calico's host-affine blocks from `kubectl get ipamblocks.crd.projectcalico.org -o json`.
    public static func calicoIPAMBlocks(_ data: Data, source: String) throws(InputError) -> [CalicoBlock] {
        try decode(data, source: source, kind: "IPAMBlock", plural: "IPAM blocks", CalicoBlock.ipamBlock(json:)).compactMap { $0 }
    }

    /// Parses a document and decodes its items (or the single object it holds).
    static func decode<T>(_ data: Data, source: String, kind: String, plural: String,
                          _ decodeItem: (JSONNode) throws(InputError) -> T) throws(InputError) -> [T] {
        try decode([UInt8](data), source: source, kind: kind, plural: plural, decodeItem)
    }

    /// Parses a document given as bytes and decodes its items (or the single object it holds).
    static func decode<T>(_ data: [UInt8], source: String, kind: String, plural: String,
                          _ decodeItem: (JSONNode) throws(InputError) -> T) throws(InputError) -> [T] {
        // Items are decoded as they are read: a big List is never held as one tree.
        var result: [T] = []
        let json = try DecodingContext.root(of: data, source: source, expectation: "a Kubernetes List of \(plural)",
                                            streamingElementsOf: "items") { item throws(InputError) in
            if item.context.rootPath == "items[0]" { result.removeAll() }  // a repeated "items": the last one counts
            try checkKind(item, kind: kind)
            result.append(try decodeItem(item))
        }
        guard json.value?.members != nil else { throw json.error("an object") }
        if json.has("items") {
            _ = try json["items"].array()  // not an array: say so
            return result
        }
        guard json.has("metadata") else { throw json.error("an object with \"items\"") }
        try checkKind(json, kind: kind)
        return [try decodeItem(json)]
    }

    /// Catches swapped files early: an item's kind, when present, must be the expected one.
    static func checkKind(_ item: JSONNode, kind: String) throws(InputError) {
        try item.requireObject()
        if item.isAbsent { throw item.error("an object") }
        if let found = try item["kind"].optionalString(), found != kind {
            throw item["kind"].error("\"\(kind)\"")
        }
    }
}
