import SkoopModel

/// A ConfigMap (only its string data; binaryData is ignored).
public struct ConfigMap: Hashable, Sendable {
    /// Namespace and name.
    public var metadata: ObjectMeta
    /// The string data.
    public var data: [String: String]

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        data = try json["data"].stringMap()
    }
}

/// A namespace: its name and labels (what namespaceSelectors match).
public struct Namespace: Hashable, Sendable {
    /// The name.
    public var name: String
    /// Labels, always including `kubernetes.io/metadata.name` (the API server sets it).
    public var labels: [String: String]

    /// Makes a namespace; the implied metadata.name label is added.
    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        var all = labels
        all["kubernetes.io/metadata.name"] = name
        self.labels = all
    }

    init(json: JSONNode) throws(InputError) {
        let metadata = try ObjectMeta(json: json["metadata"])
        self.init(name: metadata.name, labels: metadata.labels)
    }
}
