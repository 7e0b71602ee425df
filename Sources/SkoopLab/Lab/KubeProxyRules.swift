import SkoopModel

/// kube-proxy (iptables mode) rules generated from the lab's services, as iptables-restore text.
public enum KubeProxyRules {
    /// The kube-proxy style chain suffix: 16 base32 characters of a digest of the port name.
    public static func chainHash(_ text: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let bytes = SHA1.digest(Array(text.utf8))
        var bits = 0, value = 0, out = ""
        for byte in bytes {
            value = value << 8 | Int(byte)
            bits += 8
            while bits >= 5 && out.count < 16 {
                out.append(alphabet[(value >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        return out
    }

    /// The probability kube-proxy gives endpoint `index` of `count` (1/(count-index)), 10 decimals.
    public static func probability(index: Int, count: Int) -> String {
        let value = 1.0 / Double(count - index)
        let scaled = Int((value * 1e10).rounded())
        let whole = scaled / 10_000_000_000, fraction = scaled % 10_000_000_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 10 - digits.count) + digits
    }

    /// The nat and filter tables for `services`; `extraFilterForward` rules go first in FORWARD,
    /// `extraNatPostrouting` rules after KUBE-POSTROUTING (the CNI's masquerade). `family` inet6
    /// writes ip6tables-restore text of the same shape, as kube-proxy's IPv6 proxier does: /128
    /// hosts, `[addr]:port` DNAT targets, icmp6 rejects, and no IPv4 localnet rule.
    public static func restoreText(services: [LabService], clusterCIDR: String,
                                   extraFilterForward: [String] = [], extraNatPostrouting: [String] = [],
                                   extraNatChains: [String] = [], family: AddressFamily = .inet) -> String {
        let v6 = family == .inet6
        let host = v6 ? "/128" : "/32"
        let reject = v6 ? "icmp6-port-unreachable" : "icmp-port-unreachable"
        var natChains = ["KUBE-MARK-MASQ", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-SERVICES"] + extraNatChains
        var natRules = [
            "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j KUBE-POSTROUTING",
        ] + extraNatPostrouting + [
            "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000",
            "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully",
        ]
        var filterServices: [String] = [], filterExternal: [String] = [], filterFirewall: [String] = []
        var serviceRules: [String] = []
        for service in services {
            let portName = "\(service.namespace)/\(service.name):\(service.portName)"
            let hash = chainHash("\(portName)tcp")
            let svc = "KUBE-SVC-\(hash)", ext = "KUBE-EXT-\(hash)"
            let dst = "-d \(service.clusterIP)\(host) -p tcp -m comment --comment \"\(portName) cluster IP\" -m tcp --dport \(service.port)"
            // LoadBalancer IPs and externalIPs, in the order and shape kube-proxy writes them
            // (proxier_test.go): `-m comment ... -m tcp -p tcp -d IP --dport P`.
            func external(_ ip: String) -> String { "-m tcp -p tcp -d \(ip) --dport \(service.port)" }
            guard !service.endpoints.isEmpty else {
                for ip in service.externalIPs + (service.loadBalancerIP.map { [$0] } ?? []) {
                    filterExternal.append("-A KUBE-EXTERNAL-SERVICES -m comment --comment \"\(portName) has no endpoints\" \(external(ip)) -j REJECT --reject-with \(reject)")
                }
                filterServices.append("-A KUBE-SERVICES \(dst.replacingOccurrences(of: "cluster IP", with: "has no endpoints")) -j REJECT --reject-with \(reject)")
                if let nodePort = service.nodePort {
                    filterExternal.append("-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"\(portName) has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport \(nodePort) -j REJECT --reject-with \(reject)")
                }
                continue
            }
            natChains.append(svc)
            serviceRules.append("-A KUBE-SERVICES \(dst) -j \(svc)")
            natRules.append("-A \(svc) ! -s \(clusterCIDR) \(dst) -j KUBE-MARK-MASQ")
            for ip in service.externalIPs {
                serviceRules.append("-A KUBE-SERVICES -m comment --comment \"\(portName) external IP\" \(external(ip)) -j \(ext)")
            }
            if let ingress = service.loadBalancerIP {
                if service.sourceRanges.isEmpty {
                    serviceRules.append("-A KUBE-SERVICES -m comment --comment \"\(portName) loadbalancer IP\" \(external(ingress)) -j \(ext)")
                } else {
                    // KUBE-FW admits the source ranges; what it lets fall through is dropped by
                    // KUBE-PROXY-FIREWALL in filter (the packet was never translated).
                    let firewall = "KUBE-FW-\(hash)"
                    natChains.append(firewall)
                    serviceRules.append("-A KUBE-SERVICES -m comment --comment \"\(portName) loadbalancer IP\" \(external(ingress)) -j \(firewall)")
                    for range in service.sourceRanges {
                        natRules.append("-A \(firewall) -m comment --comment \"\(portName) loadbalancer IP\" -s \(range) -j \(ext)")
                    }
                    natRules.append("-A \(firewall) -m comment --comment \"other traffic to \(portName) will be dropped by KUBE-PROXY-FIREWALL\"")
                    filterFirewall.append("-A KUBE-PROXY-FIREWALL -m comment --comment \"\(portName) traffic not accepted by \(firewall)\" \(external(ingress)) -j DROP")
                }
            }
            if let nodePort = service.nodePort {
                natRules.append("-A KUBE-NODEPORTS -p tcp -m comment --comment \"\(portName)\" -m tcp --dport \(nodePort) -j \(ext)")
            }
            if service.nodePort != nil || service.loadBalancerIP != nil || !service.externalIPs.isEmpty {
                natChains.append(ext)
                natRules.append("-A \(ext) -m comment --comment \"masquerade traffic for \(portName) external destinations\" -j KUBE-MARK-MASQ")
                natRules.append("-A \(ext) -j \(svc)")
            }
            for (index, endpoint) in service.endpoints.enumerated() {
                let sep = "KUBE-SEP-" + chainHash("\(portName)tcp\(endpoint.ip):\(service.targetPort)")
                natChains.append(sep)
                let statistic = index == service.endpoints.count - 1 ? ""
                    : " -m statistic --mode random --probability \(probability(index: index, count: service.endpoints.count))"
                natRules.append("-A \(svc) -m comment --comment \"\(portName) -> \(endpoint.ip):\(service.targetPort)\"\(statistic) -j \(sep)")
                natRules.append("-A \(sep) -s \(endpoint.ip)\(host) -m comment --comment \"\(portName)\" -j KUBE-MARK-MASQ")
                natRules.append("-A \(sep) -p tcp -m comment --comment \"\(portName)\" -m tcp -j DNAT --to-destination \(v6 ? "[\(endpoint.ip)]" : endpoint.ip):\(service.targetPort)")
            }
        }
        serviceRules.append("-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS")
        var text = "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        text += natChains.map { ":\($0) - [0:0]\n" }.joined()
        text += (natRules + serviceRules).map { $0 + "\n" }.joined() + "COMMIT\n"
        text += "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        text += ["KUBE-EXTERNAL-SERVICES", "KUBE-FIREWALL", "KUBE-FORWARD", "KUBE-NODEPORTS",
                 "KUBE-PROXY-FIREWALL", "KUBE-SERVICES"].map { ":\($0) - [0:0]\n" }.joined()
        let filterRules = extraFilterForward + [
            "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
            "-A INPUT -m comment --comment \"kubernetes health check service ports\" -j KUBE-NODEPORTS",
            "-A INPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            "-A INPUT -j KUBE-FIREWALL",
            "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
            "-A FORWARD -m comment --comment \"kubernetes forwarding rules\" -j KUBE-FORWARD",
            "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A FORWARD -m conntrack --ctstate NEW -m comment --comment \"kubernetes externally-visible service portals\" -j KUBE-EXTERNAL-SERVICES",
            "-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes load balancer firewall\" -j KUBE-PROXY-FIREWALL",
            "-A OUTPUT -m conntrack --ctstate NEW -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES",
            "-A OUTPUT -j KUBE-FIREWALL",
        ] + (v6 ? [] : [
            "-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment \"block incoming localnet connections\" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP",
        ]) + [
            "-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP",
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x4000/0x4000 -j ACCEPT",
            "-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ] + filterServices + filterExternal + filterFirewall
        text += filterRules.map { $0 + "\n" }.joined() + "COMMIT\n"
        return text
    }
}
