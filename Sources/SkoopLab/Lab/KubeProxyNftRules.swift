import SkoopModel

/// kube-proxy (nftables mode, v1.33+) rules generated from the lab's services, as `nft -f` text
/// in the knftables dump form Kubernetes' proxier_test.go asserts: declarations, then rules,
/// then set and map elements, all in table `ip kube-proxy` (IPv4) or `ip6 kube-proxy` (IPv6: the
/// same structure with IPv6 addresses, as kube-proxy's IPv6 proxier writes it).
public enum KubeProxyNftRules {
    /// The table kube-proxy owns.
    public static let table = "kube-proxy"

    /// The base chains and the netfilter hook each is attached to (as xtables-monitor's hooks
    /// are named), so a trace line of a base chain can be placed on its hook.
    public static let baseChainHooks: [String: String] = [
        "filter-prerouting-pre-dnat": "PREROUTING", "nat-prerouting": "PREROUTING",
        "filter-input": "INPUT", "filter-forward": "FORWARD",
        "filter-output-pre-dnat": "OUTPUT", "filter-output": "OUTPUT", "nat-output": "OUTPUT",
        "nat-postrouting": "POSTROUTING",
    ]

    /// kube-proxy's chain-name base: 8 base32 characters of SHA-256 of `name`, a dash, `name`
    /// (truncated with "..." past 220 characters, as upstream's hashAndTruncate does).
    public static func hashAndTruncate(_ name: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let digest = SHA256.digest(Array(name.utf8))
        var bits = 0, value = 0, prefix = ""
        for byte in digest where prefix.count < 8 {
            value = (value << 8 | Int(byte)) & 0xFFFF
            bits += 8
            while bits >= 5 && prefix.count < 8 {
                prefix.append(alphabet[(value >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        let full = prefix + "-" + name
        return full.count > 220 ? String(full.prefix(217)) + "..." : full
    }

    /// The service chain base of a service port: "HASH-NAMESPACE/NAME/tcp/PORTNAME".
    public static func serviceBase(_ service: LabService) -> String {
        hashAndTruncate("\(service.namespace)/\(service.name)/tcp/\(service.portName)")
    }

    /// The endpoint chain of one backend: "endpoint-HASH-NAMESPACE/NAME/tcp/PORTNAME__IP/PORT", an
    /// IPv6 address's colons made dots (a chain name cannot hold colons), as upstream does.
    public static func endpointChain(_ service: LabService, _ endpoint: LabEndpoint) -> String {
        let address = endpoint.ip.replacingOccurrences(of: ":", with: ".")
        return "endpoint-" + hashAndTruncate("\(service.namespace)/\(service.name)/tcp/\(service.portName)__\(address)/\(service.targetPort)")
    }

    /// The whole table for one node: `nodeIPs` accept NodePort traffic. With `family` .inet6 the
    /// services, CIDRs and node IPs are IPv6 ones and the table is `ip6 kube-proxy`.
    public static func nftText(services: [LabService], clusterCIDR: String, serviceCIDR: String, nodeIPs: [String],
                               family: AddressFamily = .inet) -> String {
        let ip = family == .inet6 ? "ip6" : "ip"
        let t = "\(ip) \(table)"
        let addressType = family == .inet6 ? "ipv6_addr" : "ipv4_addr"
        var declarations = [
            "add table \(t) { comment \"rules for kube-proxy\" ; }",
            "add set \(t) cluster-ips { type \(addressType) ; comment \"Active ClusterIPs\" ; }",
            "add set \(t) nodeport-ips { type \(addressType) ; comment \"IPs that accept NodePort traffic\" ; }",
            "add map \(t) firewall-ips { type \(addressType) . inet_proto . inet_service : verdict ; comment \"destinations that are subject to LoadBalancerSourceRanges\" ; }",
            "add map \(t) no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to service nodeports with no endpoints\" ; }",
            "add map \(t) no-endpoint-services { type \(addressType) . inet_proto . inet_service : verdict ; comment \"vmap to drop or reject packets to services with no endpoints\" ; }",
            "add map \(t) service-ips { type \(addressType) . inet_proto . inet_service : verdict ; comment \"ClusterIP, ExternalIP and LoadBalancer IP traffic\" ; }",
            "add map \(t) service-nodeports { type inet_proto . inet_service : verdict ; comment \"NodePort traffic\" ; }",
            "add chain \(t) cluster-ips-check",
            "add chain \(t) filter-prerouting-pre-dnat { type filter hook prerouting priority -110 ; }",
            "add chain \(t) filter-output-pre-dnat { type filter hook output priority -110 ; }",
            "add chain \(t) filter-forward { type filter hook forward priority 0 ; }",
            "add chain \(t) filter-input { type filter hook input priority 0 ; }",
            "add chain \(t) filter-output { type filter hook output priority 0 ; }",
            "add chain \(t) firewall-check",
            "add chain \(t) mark-for-masquerade",
            "add chain \(t) masquerading",
            "add chain \(t) nat-output { type nat hook output priority -100 ; }",
            "add chain \(t) nat-postrouting { type nat hook postrouting priority 100 ; }",
            "add chain \(t) nat-prerouting { type nat hook prerouting priority -100 ; }",
            "add chain \(t) nodeport-endpoints-check",
            "add chain \(t) reject-chain { comment \"helper for @no-endpoint-services / @no-endpoint-nodeports\" ; }",
            "add chain \(t) services",
            "add chain \(t) service-endpoints-check",
        ]
        var rules = [
            "add rule \(t) cluster-ips-check \(ip) daddr @cluster-ips reject comment \"Reject traffic to invalid ports of ClusterIPs\"",
            "add rule \(t) cluster-ips-check \(ip) daddr { \(serviceCIDR) } drop comment \"Drop traffic to unallocated ClusterIPs\"",
            "add rule \(t) filter-prerouting-pre-dnat ct state new jump firewall-check",
            "add rule \(t) filter-forward ct state new jump service-endpoints-check",
            "add rule \(t) filter-forward ct state new jump cluster-ips-check",
            "add rule \(t) filter-input ct state new jump nodeport-endpoints-check",
            "add rule \(t) filter-input ct state new jump service-endpoints-check",
            "add rule \(t) filter-output ct state new jump service-endpoints-check",
            "add rule \(t) filter-output-pre-dnat ct state new jump firewall-check",
            "add rule \(t) filter-output ct state new jump cluster-ips-check",
            "add rule \(t) firewall-check \(ip) daddr . meta l4proto . th dport vmap @firewall-ips",
            "add rule \(t) mark-for-masquerade mark set mark or 0x4000",
            "add rule \(t) masquerading mark and 0x4000 == 0 return",
            "add rule \(t) masquerading mark set mark xor 0x4000",
            "add rule \(t) masquerading masquerade fully-random",
            "add rule \(t) nat-output jump services",
            "add rule \(t) nat-postrouting jump masquerading",
            "add rule \(t) nat-prerouting jump services",
            "add rule \(t) nodeport-endpoints-check \(ip) daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports",
            "add rule \(t) reject-chain reject",
            "add rule \(t) services \(ip) daddr . meta l4proto . th dport vmap @service-ips",
            "add rule \(t) services \(ip) daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports",
            "add rule \(t) service-endpoints-check \(ip) daddr . meta l4proto . th dport vmap @no-endpoint-services",
        ]
        var elements = nodeIPs.map { "add element \(t) nodeport-ips { \($0) }" }
        for service in services {
            let portName = "\(service.namespace)/\(service.name):\(service.portName)"
            elements.append("add element \(t) cluster-ips { \(service.clusterIP) }")
            // LoadBalancer and external IPs take the service's external chain, as NodePorts do.
            let externalAddresses = service.externalIPs + (service.loadBalancerIP.map { [$0] } ?? [])
            guard !service.endpoints.isEmpty else {
                for address in [service.clusterIP] + externalAddresses {
                    elements.append("add element \(t) no-endpoint-services { \(address) . tcp . \(service.port) comment \"\(portName)\" : goto reject-chain }")
                }
                if let nodePort = service.nodePort {
                    elements.append("add element \(t) no-endpoint-nodeports { tcp . \(nodePort) comment \"\(portName)\" : goto reject-chain }")
                }
                continue
            }
            let base = serviceBase(service)
            let serviceChain = "service-\(base)", externalChain = "external-\(base)"
            declarations.append("add chain \(t) \(serviceChain)")
            rules.append("add rule \(t) \(serviceChain) \(ip) daddr \(service.clusterIP) \(ip) saddr != \(clusterCIDR) jump mark-for-masquerade")
            let branches = service.endpoints.enumerated().map { "\($0.offset) : goto \(endpointChain(service, $0.element))" }
            rules.append("add rule \(t) \(serviceChain) numgen random mod \(service.endpoints.count) vmap { \(branches.joined(separator: " , ")) }")
            elements.append("add element \(t) service-ips { \(service.clusterIP) . tcp . \(service.port) : goto \(serviceChain) }")
            if service.nodePort != nil || !externalAddresses.isEmpty {
                declarations.append("add chain \(t) \(externalChain)")
                rules.append("add rule \(t) \(externalChain) jump mark-for-masquerade")
                rules.append("add rule \(t) \(externalChain) goto \(serviceChain)")
            }
            if let nodePort = service.nodePort {
                elements.append("add element \(t) service-nodeports { tcp . \(nodePort) : goto \(externalChain) }")
            }
            for address in externalAddresses {
                elements.append("add element \(t) service-ips { \(address) . tcp . \(service.port) : goto \(externalChain) }")
            }
            // loadBalancerSourceRanges: the firewall chain drops every other source of the LB IP.
            if let loadBalancerIP = service.loadBalancerIP, !service.sourceRanges.isEmpty {
                let firewallChain = "firewall-\(base)"
                declarations.append("add chain \(t) \(firewallChain)")
                rules.append("add rule \(t) \(firewallChain) \(ip) saddr != { \(service.sourceRanges.joined(separator: ", ")) } drop")
                elements.append("add element \(t) firewall-ips { \(loadBalancerIP) . tcp . \(service.port) : goto \(firewallChain) }")
            }
            for endpoint in service.endpoints {
                let chain = endpointChain(service, endpoint)
                declarations.append("add chain \(t) \(chain)")
                rules.append("add rule \(t) \(chain) \(ip) saddr \(endpoint.ip) jump mark-for-masquerade")
                let target = family == .inet6 ? "[\(endpoint.ip)]" : endpoint.ip
                rules.append("add rule \(t) \(chain) meta l4proto tcp dnat to \(target):\(service.targetPort)")
            }
        }
        return (declarations + rules + elements).map { $0 + "\n" }.joined()
    }
}

/// kube-proxy's mode in a lab.
public enum LabProxyMode: String, CaseIterable, Hashable, Sendable, Codable {
    /// KUBE-* chains loaded with iptables-restore.
    case iptables
    /// Table `ip kube-proxy` loaded with `nft -f`.
    case nftables
}

extension KubeProxyRules {
    /// What the CNI and the lab's faults add to iptables beside kube-proxy in nftables mode: the
    /// nat table's masquerade chain (`natPostrouting` rules, `natChains` declared) and the
    /// filter table's FORWARD rules.
    public static func cniRestoreText(filterForward: [String], natPostrouting: [String], natChains: [String]) -> String {
        var text = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        text += natChains.map { ":\($0) - [0:0]\n" }.joined() + natPostrouting.map { $0 + "\n" }.joined() + "COMMIT\n"
        text += "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        return text + filterForward.map { $0 + "\n" }.joined() + "COMMIT\n"
    }
}
