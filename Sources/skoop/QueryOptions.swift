import ArgumentParser
import SkoopModel
import SkoopDiagnosis
import SkoopTUI

/// The flags KubeSkoop users know: -s, -d, -p, --protocol.
struct QueryOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("src")],
            help: "Source: an IP address, NAMESPACE/POD or node/NAME.")
    var src: String?

    @Option(name: [.customShort("d"), .customLong("dst")],
            help: "Destination: an IP address, NAMESPACE/POD, svc/NAMESPACE/NAME or node/NAME.")
    var dst: String?

    @Option(name: [.customShort("p"), .customLong("dport")], help: "Destination port (1-65535; none for icmp).")
    var dport: UInt16 = 0

    @Option(name: .customLong("protocol"), help: "tcp, udp or icmp (icmpv6: icmp to an IPv6 destination).")
    var proto: String = "tcp"

    @Option(name: .customLong("via-node"),
            help: "External traffic enters the cluster at this node (NodePort, LoadBalancer IP, externalIP from outside).")
    var viaNode: String?

    @Option(name: .customLong("src-ip"),
            help: "With -s node/NAME: the address that node sends from (e.g. 127.0.0.1, or a LoadBalancer IP).")
    var srcIP: String?

    @Option(name: .customLong("ip-family"),
            help: "4 or 6: which address of a named pod, service or node (default: the destination's primary one).")
    var ipFamily: Int?

    @Option(name: .customLong("what-if"),
            help: "A file of edits (YAML or JSON: disable a rule, delete/add a route, set a sysctl, a link down/up, add/remove a NetworkPolicy) applied to Skoop's copy before diagnosing; the output shows the verdict before and after.")
    var whatIf: String?

    var transport: TransportProtocol? {
        // ICMP's family follows the addresses: icmpv6 is icmp asked of an IPv6 destination.
        let name = ["icmpv6", "ipv6-icmp", "icmp6"].contains(proto.lowercased()) ? "icmp" : proto.lowercased()
        return TransportProtocol(rawValue: name).flatMap { TransportProtocol.queryable.contains($0) ? $0 : nil }
    }

    func validate() throws {
        guard let transport else {
            throw ValidationError("--protocol: expected tcp, udp or icmp, found \"\(proto)\"")
        }
        for (flag, value) in [("-s/--src", src), ("-d/--dst", dst)] {
            if let value, let problem = TUIQuery.endpointProblem(value) { throw ValidationError("\(flag): \(problem)") }
        }
        if src != nil, dst != nil, let problem = TUIQuery.portProblem(dport, proto: transport) {
            throw ValidationError("-p/--dport: " + problem.replacingOccurrences(of: "only icmp", with: "only --protocol icmp"))
        }
        if let ipFamily, ipFamily != 4 && ipFamily != 6 {
            throw ValidationError("--ip-family: expected 4 or 6, found \(ipFamily)")
        }
        if let srcIP, IPAddress(srcIP) == nil {
            throw ValidationError("--src-ip: expected an IP address such as 127.0.0.1, found \"\(srcIP)\"")
        }
    }

    /// The query, when both ends are given.
    var query: DiagnosisQuery? {
        guard let src, let dst, let transport else { return nil }
        return DiagnosisQuery(src: src, dst: dst, dport: dport, proto: transport, viaNode: viaNode,
                              sourceIP: srcIP.flatMap { IPAddress($0) }, ipFamily: ipFamily.map { $0 == 6 ? .inet6 : .inet })
    }
}

/// Flags that override what Skoop detects from the snapshot.
struct NetworkOptions: ParsableArguments {
    @Option(name: .customLong("network-plugin"), help: "CNI plugin (flannel, calico, bridge); detected when absent.")
    var networkPlugin: String?

    @Option(name: .customLong("proxy-mode"), help: "kube-proxy mode (iptables, ipvs, nftables); detected when absent.")
    var proxyMode: String?

    @Option(name: .customLong("cluster-cidr"), help: "Pod network CIDR; detected when absent.")
    var clusterCIDR: String?

    @Option(name: .customLong("hop-limit"), help: "Deepest branch followed before it is cut.")
    var hopLimit: Int = 64

    func validate() throws {
        if let clusterCIDR, IPPrefix(clusterCIDR) == nil {
            throw ValidationError("--cluster-cidr: expected a CIDR such as 10.244.0.0/16, found \"\(clusterCIDR)\"")
        }
        if let proxyMode, case .other = ProxyMode(name: proxyMode) {
            throw ValidationError("--proxy-mode: expected iptables, ipvs or nftables, found \"\(proxyMode)\"")
        }
        if hopLimit < 1 || hopLimit > 1000 {
            throw ValidationError("--hop-limit: expected 1 to 1000, found \(hopLimit)")
        }
    }

    var context: DiagnosisContext {
        DiagnosisContext(networkPlugin: networkPlugin.map(CNIKind.init(name:)), proxyMode: proxyMode.map(ProxyMode.init(name:)), clusterCIDR: clusterCIDR.flatMap { IPPrefix($0) },
                         limits: DiagnosisLimits(hopLimit: hopLimit))
    }
}
