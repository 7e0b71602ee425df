import Foundation
import SkoopModel

/// The optional hints of `snapshot.json`.
public struct SnapshotHints: Hashable, Sendable, Codable {
    /// Layout version (1).
    public var version: Int
    /// The CNI ("flannel", "calico", "bridge", ...), when the collector knew it.
    public var cni: String?
    /// The CNI's mode ("vxlan", "host-gw", "bgp", "ipip", ...).
    public var mode: String?
    /// kube-proxy's mode ("iptables", "ipvs", "nftables").
    public var kubeProxyMode: String?
    /// The pod network.
    public var clusterCIDR: String?
    /// The service network.
    public var serviceCIDR: String?

    /// Makes hints.
    public init(version: Int = 1, cni: String? = nil, mode: String? = nil, kubeProxyMode: String? = nil,
                clusterCIDR: String? = nil, serviceCIDR: String? = nil) {
        self.version = version
        self.cni = cni
        self.mode = mode
        self.kubeProxyMode = kubeProxyMode
        self.clusterCIDR = clusterCIDR
        self.serviceCIDR = serviceCIDR
    }

    /// Decodes `snapshot.json` with the line-accurate JSON reader; errors name the file, the
    /// line and what was expected there. Unknown members are ignored (newer collectors may add some).
    public static func decode(_ data: Data, source: String) throws(InputError) -> SnapshotHints {
        let shape = "a JSON object like {\"version\": 1}"
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: [UInt8](data), source: source)
        } catch {
            let expected = error.problem == .tooDeep ? "at most \(JSONDocument.maximumDepth) levels of nesting" : error.expected
            throw InputError(source: source, line: error.line, expected: "\(shape) (the document: \(expected))",
                             found: data.isEmpty ? "an empty file" : error.inputError.found)
        }
        let root = document.root
        func mistake(_ value: JSONValue, _ expected: String) -> InputError {
            InputError(source: source, line: document.line(of: value), expected: expected,
                       found: document.excerpt(at: value.offset) ?? value.summary)
        }
        guard root.members != nil else { throw mistake(root, shape) }
        guard let versionValue = root["version"] else {
            throw InputError(source: source, line: document.line(of: root), expected: "a \"version\" member (\(shape))",
                             found: document.excerpt(at: root.offset))
        }
        guard versionValue.integer == 1 else { throw mistake(versionValue, "\"version\": 1") }
        func text(_ key: String) throws(InputError) -> String? {
            guard let value = root[key], !value.isNull else { return nil }
            guard let string = value.string else { throw mistake(value, "\"\(key)\": a string or null") }
            return string
        }
        return SnapshotHints(version: 1, cni: try text("cni"), mode: try text("mode"),
                             kubeProxyMode: try text("kubeProxyMode"), clusterCIDR: try text("clusterCIDR"),
                             serviceCIDR: try text("serviceCIDR"))
    }
}
