import Foundation
import SkoopModel

/// kube-proxy's mode and CIDRs, from its ConfigMap's config.conf (a KubeProxyConfiguration).
public struct KubeProxyConfig: Hashable, Sendable {
    /// The proxy mode.
    public enum Mode: Hashable, Sendable {
        case iptables
        case ipvs
        case nftables
        /// A mode Skoop does not simulate (e.g. "kernelspace").
        case other(String)
    }

    /// The mode; iptables when config.conf leaves it empty (the Linux default).
    public var mode: Mode
    /// clusterCIDR (comma-separated for dual stack); empty when unset.
    public var clusterCIDRs: [IPPrefix]
    /// ipvs.scheduler; nil when unset or empty (kube-proxy then uses rr).
    public var ipvsScheduler: String?
    /// iptables.masqueradeAll.
    public var masqueradeAll: Bool

    /// Reads the keys Skoop needs with a tolerant line reader (no YAML library): top-level
    /// `mode`/`clusterCIDR` and the `scheduler`/`masqueradeAll` keys of the `ipvs`/`iptables` sections.
    public init(configConf text: String) {
        var section = ""
        var values: [String: String] = [:]
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            let indented = line.first == " " || line.first == "\t"
            if !indented { section = value.isEmpty ? key : "" }
            values[indented ? "\(section).\(key)" : key] = value
        }
        switch values["mode"]?.lowercased() ?? "" {
        case "", "iptables": mode = .iptables
        case "ipvs": mode = .ipvs
        case "nftables": mode = .nftables
        case let other: mode = .other(other)
        }
        clusterCIDRs = (values["clusterCIDR"] ?? "").split(separator: ",").compactMap {
            IPPrefix($0.trimmingCharacters(in: .whitespaces))
        }
        let scheduler = values["ipvs.scheduler"] ?? ""
        ipvsScheduler = scheduler.isEmpty ? nil : scheduler
        masqueradeAll = values["iptables.masqueradeAll"] == "true"
    }
}

/// flannel's network configuration, from the kube-flannel-cfg ConfigMap's net-conf.json.
public struct FlannelConfig: Hashable, Sendable {
    /// Network: the cluster's pod CIDR.
    public var network: IPPrefix?
    /// IPv6Network, for dual stack.
    public var ipv6Network: IPPrefix?
    /// Backend.Type, e.g. "vxlan", "host-gw"; vxlan when unset (flannel's default).
    public var backendType: String
    /// Backend.VNI (vxlan), 1 when unset.
    public var vni: Int
    /// Backend.Port (vxlan UDP port), 8472 when unset (the Linux kernel default flannel uses).
    public var port: UInt16
    /// Backend.DirectRouting (vxlan falling back to direct routes on a shared subnet).
    public var directRouting: Bool

    /// Parses net-conf.json; `source` names it in errors.
    public init(netConf data: Data, source: String) throws(InputError) {
        let json = try DecodingContext.root(of: data, source: source, expectation: "flannel's net-conf.json")
        try json.requireObject()
        network = json["Network"].isAbsent ? nil : try json["Network"].prefix()
        ipv6Network = json["IPv6Network"].isAbsent ? nil : try json["IPv6Network"].prefix()
        let backend = json["Backend"]
        backendType = try backend["Type"].optionalString()?.lowercased() ?? "vxlan"
        vni = try backend["VNI"].optionalInt() ?? 1
        port = try backend["Port"].optionalPort() ?? 8472
        directRouting = try backend["DirectRouting"].optionalBool() ?? false
    }
}

/// calico's settings from its calico-config ConfigMap (IP pools are CRDs, not in ConfigMaps).
public struct CalicoConfig: Hashable, Sendable {
    /// calico_backend: "bird" (BGP, IPIP possible), "vxlan" or "none".
    public var backend: String?
    /// veth_mtu, when set.
    public var vethMTU: Int?

    /// Makes the settings.
    public init(backend: String?, vethMTU: Int?) {
        self.backend = backend
        self.vethMTU = vethMTU
    }
}

/// What the ConfigMaps reveal about the cluster's networking.
public struct NetworkHints: Hashable, Sendable {
    /// kube-proxy's configuration, when its ConfigMap is present.
    public var kubeProxy: KubeProxyConfig?
    /// flannel's configuration, when kube-flannel-cfg is present.
    public var flannel: FlannelConfig?
    /// calico's configuration, when calico-config is present.
    public var calico: CalicoConfig?
    /// Problems with ConfigMaps that were present but unreadable (the rest is still usable).
    public var warnings: [InputError]
}

extension ClusterState {
    /// Detects kube-proxy, flannel and calico settings from the ConfigMaps (in any namespace).
    public func networkHints(source: String = "k8s/configmaps.json") -> NetworkHints {
        var hints = NetworkHints(kubeProxy: nil, flannel: nil, calico: nil, warnings: [])
        for map in configMaps {
            switch map.metadata.name {
            case "kube-proxy":
                if let conf = map.data["config.conf"] { hints.kubeProxy = KubeProxyConfig(configConf: conf) }
            case "kube-flannel-cfg":
                guard let text = map.data["net-conf.json"] else { continue }
                do {
                    hints.flannel = try FlannelConfig(netConf: Data(text.utf8),
                                                      source: "\(source) (\(map.metadata.qualifiedName) net-conf.json)")
                } catch {
                    hints.warnings.append(error)
                }
            case "calico-config":
                hints.calico = CalicoConfig(backend: map.data["calico_backend"],
                                            vethMTU: map.data["veth_mtu"].flatMap { Int($0) })
            default:
                continue
            }
        }
        return hints
    }
}
