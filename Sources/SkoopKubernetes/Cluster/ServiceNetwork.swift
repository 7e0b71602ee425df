import Foundation
import SkoopModel

/// The service network (ClusterIP range), and where Skoop learnt it: an address inside it that
/// no Service owns is translated by nobody, so a packet to it goes nowhere.
public struct ServiceNetwork: Hashable, Sendable {
    /// Where the prefixes come from, strongest first.
    public enum Source: Hashable, Sendable, CustomStringConvertible {
        /// snapshot.json's serviceCIDR (or --service-cidr).
        case hint
        /// kubeadm's ClusterConfiguration (kube-system/kubeadm-config, networking.serviceSubnet).
        case kubeadm
        /// The smallest prefix holding every Service's ClusterIP: always inside the real range.
        case clusterIPs

        public var description: String {
            switch self {
            case .hint: "snapshot.json serviceCIDR"
            case .kubeadm: "kubeadm-config networking.serviceSubnet"
            case .clusterIPs: "the common prefix of the Services' ClusterIPs"
            }
        }
    }

    /// The prefixes (one per family at most).
    public var prefixes: [IPPrefix]
    /// Where they come from.
    public var source: Source

    /// Makes a service network.
    public init(prefixes: [IPPrefix], source: Source) {
        self.prefixes = prefixes
        self.source = source
    }

    /// The prefix holding `address`, if any.
    public func prefix(containing address: IPAddress) -> IPPrefix? {
        prefixes.first { $0.contains(address) }
    }

    /// The smallest prefix of each family that holds every address of that family; nil for a
    /// family with fewer than two addresses (one address says nothing about the range).
    public static func commonPrefixes(of addresses: [IPAddress]) -> [IPPrefix] {
        var result: [IPPrefix] = []
        for family in [AddressFamily.inet, .inet6] {
            let members = addresses.filter { $0.family == family }
            guard members.count >= 2, var prefix = Optional(IPPrefix(host: members[0])) else { continue }
            for address in members.dropFirst() {
                while !prefix.contains(address), prefix.length > 0 {
                    prefix = IPPrefix(prefix.network, length: Int(prefix.length) - 1) ?? prefix
                }
            }
            result.append(prefix)
        }
        return result
    }

    /// serviceSubnet from a kubeadm ClusterConfiguration (YAML), read with a tolerant line reader.
    public static func kubeadmServiceSubnets(clusterConfiguration text: String) -> [IPPrefix] {
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("serviceSubnet:") else { continue }
            let value = trimmed.dropFirst("serviceSubnet:".count).trimmingCharacters(in: .whitespaces)
                .trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            return value.split(separator: ",").compactMap { IPPrefix($0.trimmingCharacters(in: .whitespaces)) }
        }
        return []
    }
}

extension ClusterState {
    /// The service network: from `hint` when given, else kubeadm's ClusterConfiguration, else the
    /// common prefix of the Services' ClusterIPs; nil when none of them tells.
    public func serviceNetwork(hint: [IPPrefix] = []) -> ServiceNetwork? {
        if !hint.isEmpty { return ServiceNetwork(prefixes: hint, source: .hint) }
        for map in configMaps where map.metadata.name == "kubeadm-config" {
            if let text = map.data["ClusterConfiguration"] {
                let subnets = ServiceNetwork.kubeadmServiceSubnets(clusterConfiguration: text)
                if !subnets.isEmpty { return ServiceNetwork(prefixes: subnets, source: .kubeadm) }
            }
        }
        let common = ServiceNetwork.commonPrefixes(of: serviceCatalog.entries.flatMap(\.clusterIPs))
        return common.isEmpty ? nil : ServiceNetwork(prefixes: common, source: .clusterIPs)
    }
}
