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

    /// Decodes `snapshot.json`; errors name the file.
    public static func decode(_ data: Data, source: String) throws(InputError) -> SnapshotHints {
        do {
            let hints = try JSONDecoder().decode(SnapshotHints.self, from: data)
            guard hints.version == 1 else {
                throw InputError(source: source, expected: "\"version\": 1", found: "version \(hints.version)")
            }
            return hints
        } catch let error as InputError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw InputError(source: source, expected: "a \"\(key.stringValue)\" field")
        } catch let DecodingError.typeMismatch(_, context) {
            throw InputError(source: source, expected: "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)")
        } catch {
            throw InputError(source: source, expected: "a JSON object like {\"version\":1}", found: "malformed JSON")
        }
    }
}
