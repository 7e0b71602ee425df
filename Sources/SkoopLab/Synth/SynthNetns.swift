/// The collected network namespaces of a synthetic flannel-VXLAN node, in the shapes iproute2
/// prints (`ip -j -d link`, `ip -j addr`, …): lo, eth0, cni0, flannel.1 and one veth per pod on
/// the host, one route/neighbour/FDB entry per remote node, and each pod's own netns.
struct SynthNetns {
    let layout: SynthLayout
    /// The kube-proxy ruleset every node shares.
    let iptables: String
    /// kube-proxy's nft table every node shares (nftables mode), as `nft -j list ruleset` prints it.
    let nftJSON: String?
    /// Per remote node: its flannel route, VTEP neighbour and FDB entry (precomputed once).
    private let remoteRoutes: [String]
    private let remoteNeighbors: [String]
    private let remoteFDB: [String]

    init(layout: SynthLayout, iptables: String, nftJSON: String? = nil) {
        self.layout = layout
        self.iptables = iptables
        self.nftJSON = nftJSON
        let nodes = 0..<layout.spec.nodes
        remoteRoutes = nodes.map { m in
            "{\"dst\":\"\(layout.podCIDR(m))\",\"gateway\":\"\(layout.podNet(m)).0\",\"dev\":\"flannel.1\",\"flags\":[\"onlink\"]}"
        }
        remoteNeighbors = nodes.map { m in
            "{\"dst\":\"\(layout.podNet(m)).0\",\"dev\":\"flannel.1\",\"lladdr\":\"\(layout.vtepMAC(m))\",\"state\":[\"PERMANENT\"]}"
        }
        remoteFDB = nodes.map { m in
            "{\"mac\":\"\(layout.vtepMAC(m))\",\"ifname\":\"flannel.1\",\"dst\":\"\(layout.nodeIP(m))\",\"flags\":[\"self\"],\"state\":\"permanent\"}"
        }
    }

    /// Writes node `n`'s host netns and the netns of its pods.
    func write(node n: Int, to writer: SynthWriter) throws {
        let base = "nodes/\(layout.nodeName(n))/netns"
        try writer.makeDirectory(base + "/host")
        let pods = (0..<layout.podCount(onNode: n)).map { layout.pod(node: n, slot: $0) }
        let host = base + "/host/"
        try writer.write(host + "ip-link.json", hostLinks(n, pods))
        try writer.write(host + "ip-addr.json", hostAddresses(n, pods))
        try writer.write(host + "ip-route.json", hostRoutes(n))
        try writer.write(host + "ip-neigh.json", hostNeighbors(n, pods))
        try writer.write(host + "bridge-fdb.json", hostFDB(n, pods))
        try writer.writeShared(host + "ip-rule.json", key: "rule", SynthNetns.rules)
        try writer.writeShared(host + "iptables.txt", key: "iptables-host", iptables)
        try writer.writeShared(host + "iptables-backend.txt", key: "backend", "legacy\n")
        if let nftJSON { try writer.writeShared(host + "nft.json", key: "nft-host", nftJSON) }
        try writer.writeShared(host + "sockets.txt", key: "sockets-host", SynthNetns.hostSockets)
        try writer.writeShared(host + "sysctl.txt", key: "sysctl-host", SynthNetns.sysctls(interfaces: ["lo", "eth0", "cni0", "flannel.1"]))
        for (slot, p) in pods.enumerated() {
            let folder = "\(base)/\(layout.netnsID(ofPod: p))/"
            try writer.makeDirectory(folder)
            try writer.write(folder + "ip-link.json", podLinks(p, slot: slot))
            try writer.write(folder + "ip-addr.json", podAddresses(p))
            try writer.write(folder + "ip-route.json", podRoutes(p))
            try writer.write(folder + "ip-neigh.json", "[{\"dst\":\"\(layout.podNet(n)).1\",\"dev\":\"eth0\",\"lladdr\":\"\(layout.bridgeMAC(n))\",\"state\":[\"REACHABLE\"]}]\n")
            try writer.writeShared(folder + "ip-rule.json", key: "rule", SynthNetns.rules)
            try writer.writeShared(folder + "iptables.txt", key: "iptables-pod", "")
            try writer.writeShared(folder + "iptables-backend.txt", key: "backend", "legacy\n")
            try writer.writeShared(folder + "sockets.txt", key: "sockets-pod", SynthNetns.podSockets)
            try writer.writeShared(folder + "sysctl.txt", key: "sysctl-pod", SynthNetns.sysctls(interfaces: ["lo", "eth0"]))
        }
    }

    // MARK: Host netns

    /// ifindex of the host veth of the pod in `slot` (lo 1, eth0 2, cni0 3, flannel.1 4).
    private func vethIndex(slot: Int) -> Int { 5 + slot }

    private static let linkTail = "\"linkmode\":\"DEFAULT\",\"group\":\"default\",\"txqlen\":1000"
    private static let linkSizes = "\"num_tx_queues\":1,\"num_rx_queues\":1,\"gso_max_size\":65536,\"gso_max_segs\":65535,\"tso_max_size\":524280,\"tso_max_segs\":65535,\"gro_max_size\":65536"
    private static let loopback = "{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\",\"LOWER_UP\"],\"mtu\":65536,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\(linkTail),\"link_type\":\"loopback\",\"address\":\"00:00:00:00:00:00\",\"broadcast\":\"00:00:00:00:00:00\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":0,\"max_mtu\":0,\"inet6_addr_gen_mode\":\"eui64\",\(linkSizes)}"
    private static let up = "[\"BROADCAST\",\"MULTICAST\",\"UP\",\"LOWER_UP\"]"

    private func hostLinks(_ n: Int, _ pods: [Int]) -> String {
        var items = [SynthNetns.loopback]
        items.append("{\"ifindex\":2,\"ifname\":\"eth0\",\"flags\":\(SynthNetns.up),\"mtu\":9001,\"qdisc\":\"mq\",\"operstate\":\"UP\",\(SynthNetns.linkTail),\"link_type\":\"ether\",\"address\":\"\(layout.uplinkMAC(n))\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":128,\"max_mtu\":9216,\"parentbus\":\"pci\",\"parentdev\":\"0000:00:05.0\",\"inet6_addr_gen_mode\":\"eui64\",\(SynthNetns.linkSizes)}")
        items.append("{\"ifindex\":3,\"ifname\":\"cni0\",\"flags\":\(SynthNetns.up),\"mtu\":8951,\"qdisc\":\"noqueue\",\"operstate\":\"UP\",\(SynthNetns.linkTail),\"link_type\":\"ether\",\"address\":\"\(layout.bridgeMAC(n))\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"bridge\",\"info_data\":{\"forward_delay\":1500,\"hello_time\":200,\"max_age\":2000,\"ageing_time\":30000,\"stp_state\":0,\"priority\":32768,\"vlan_filtering\":0,\"vlan_protocol\":\"802.1Q\",\"bridge_id\":\"8000.\(layout.bridgeMAC(n))\",\"root_id\":\"8000.\(layout.bridgeMAC(n))\",\"root_port\":0,\"root_path_cost\":0,\"topology_change\":0,\"topology_change_detected\":0,\"group_fwd_mask\":\"0\",\"group_addr\":\"01:80:c2:00:00:00\",\"mcast_snooping\":1,\"mcast_router\":1,\"nf_call_iptables\":0,\"nf_call_ip6tables\":0,\"nf_call_arptables\":0}},\"inet6_addr_gen_mode\":\"eui64\",\(SynthNetns.linkSizes)}")
        items.append("{\"ifindex\":4,\"ifname\":\"flannel.1\",\"flags\":\(SynthNetns.up),\"mtu\":8951,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\(SynthNetns.linkTail),\"link_type\":\"ether\",\"address\":\"\(layout.vtepMAC(n))\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"vxlan\",\"info_data\":{\"id\":1,\"local\":\"\(layout.nodeIP(n))\",\"link\":\"eth0\",\"port_range\":{\"low\":0,\"high\":0},\"port\":8472,\"learning\":false,\"ttl\":0,\"df\":\"unset\",\"ageing\":300,\"udp_csum\":true,\"udp_zero_csum6_tx\":false,\"udp_zero_csum6_rx\":false}},\"inet6_addr_gen_mode\":\"eui64\",\(SynthNetns.linkSizes)}")
        for (slot, p) in pods.enumerated() {
            items.append("{\"ifindex\":\(vethIndex(slot: slot)),\"link_index\":2,\"ifname\":\"\(layout.vethName(ofPod: p))\",\"flags\":\(SynthNetns.up),\"mtu\":8951,\"qdisc\":\"noqueue\",\"master\":\"cni0\",\"operstate\":\"UP\",\(SynthNetns.linkTail),\"link_type\":\"ether\",\"address\":\"\(layout.vethMAC(p))\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"link_netnsid\":\(slot),\"promiscuity\":1,\"allmulti\":1,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"veth\",\"info_slave_kind\":\"bridge\",\"info_slave_data\":{\"state\":\"forwarding\",\"priority\":32,\"cost\":2,\"hairpin\":true,\"guard\":false,\"root_block\":false,\"fastleave\":false,\"learning\":true,\"flood\":true,\"id\":\"0x\(layout.hex(0x8001 + slot, 4))\",\"no\":\"0x\(layout.hex(slot + 1, 1))\"}},\"inet6_addr_gen_mode\":\"eui64\",\(SynthNetns.linkSizes)}")
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }

    private func address(_ family: String, _ local: String, _ length: Int, _ scope: String, label: String?) -> String {
        "{\"family\":\"\(family)\",\"local\":\"\(local)\",\"prefixlen\":\(length),\"scope\":\"\(scope)\",\(label.map { "\"label\":\"\($0)\"," } ?? "")\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295}"
    }

    private func addressEntry(_ index: Int, _ name: String, _ mac: String, _ mtu: Int, extra: String = "", _ infos: [String]) -> String {
        "{\"ifindex\":\(index),\(extra)\"ifname\":\"\(name)\",\"flags\":\(SynthNetns.up),\"mtu\":\(mtu),\"qdisc\":\"noqueue\",\"operstate\":\"UP\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"ether\",\"address\":\"\(mac)\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"addr_info\":[\(infos.joined(separator: ","))]}"
    }

    private static let loopbackAddress = "{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\",\"UP\",\"LOWER_UP\"],\"mtu\":65536,\"qdisc\":\"noqueue\",\"operstate\":\"UNKNOWN\",\"group\":\"default\",\"txqlen\":1000,\"link_type\":\"loopback\",\"address\":\"00:00:00:00:00:00\",\"broadcast\":\"00:00:00:00:00:00\",\"addr_info\":[{\"family\":\"inet\",\"local\":\"127.0.0.1\",\"prefixlen\":8,\"scope\":\"host\",\"label\":\"lo\",\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295},{\"family\":\"inet6\",\"local\":\"::1\",\"prefixlen\":128,\"scope\":\"host\",\"valid_life_time\":4294967295,\"preferred_life_time\":4294967295}]}"

    private func hostAddresses(_ n: Int, _ pods: [Int]) -> String {
        var items = [SynthNetns.loopbackAddress]
        items.append(addressEntry(2, "eth0", layout.uplinkMAC(n), 9001, [address("inet", layout.nodeIP(n), 16, "global", label: "eth0")]))
        items.append(addressEntry(3, "cni0", layout.bridgeMAC(n), 8951, [address("inet", "\(layout.podNet(n)).1", 24, "global", label: "cni0")]))
        items.append(addressEntry(4, "flannel.1", layout.vtepMAC(n), 8951, [address("inet", "\(layout.podNet(n)).0", 32, "global", label: "flannel.1")]))
        for (slot, p) in pods.enumerated() {
            items.append(addressEntry(vethIndex(slot: slot), layout.vethName(ofPod: p), layout.vethMAC(p), 8951,
                                      extra: "\"link_index\":2,\"master\":\"cni0\",\"link_netnsid\":\(slot),",
                                      [address("inet6", layout.vethLinkLocal(ofPod: p), 64, "link", label: nil)]))
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }

    private func kernelRoute(_ dst: String, _ dev: String, src: String) -> String {
        "{\"dst\":\"\(dst)\",\"dev\":\"\(dev)\",\"protocol\":\"kernel\",\"scope\":\"link\",\"prefsrc\":\"\(src)\",\"flags\":[]}"
    }

    private func localRoute(_ type: String, _ dst: String, _ dev: String, src: String) -> String {
        "{\"type\":\"\(type)\",\"dst\":\"\(dst)\",\"dev\":\"\(dev)\",\"table\":\"local\",\"protocol\":\"kernel\",\"scope\":\"\(type == "local" ? "host" : "link")\",\"prefsrc\":\"\(src)\",\"flags\":[]}"
    }

    private func hostRoutes(_ n: Int) -> String {
        let ip = layout.nodeIP(n), bridge = "\(layout.podNet(n)).1", vtep = "\(layout.podNet(n)).0"
        var items = ["{\"dst\":\"default\",\"gateway\":\"172.20.0.1\",\"dev\":\"eth0\",\"protocol\":\"dhcp\",\"prefsrc\":\"\(ip)\",\"metric\":100,\"flags\":[]}"]
        items.append(kernelRoute(layout.podCIDR(n), "cni0", src: bridge))
        items += remoteRoutes[0..<n]
        items += remoteRoutes[(n + 1)...]
        items.append(kernelRoute("172.20.0.0/16", "eth0", src: ip))
        items += [
            localRoute("local", vtep, "flannel.1", src: vtep), localRoute("local", bridge, "cni0", src: bridge),
            localRoute("broadcast", "\(layout.podNet(n)).255", "cni0", src: bridge),
            localRoute("local", "127.0.0.0/8", "lo", src: "127.0.0.1"), localRoute("local", "127.0.0.1", "lo", src: "127.0.0.1"),
            localRoute("broadcast", "127.255.255.255", "lo", src: "127.0.0.1"),
            localRoute("local", ip, "eth0", src: ip), localRoute("broadcast", "172.20.255.255", "eth0", src: ip),
        ]
        return "[" + items.joined(separator: ",") + "]\n"
    }

    private func hostNeighbors(_ n: Int, _ pods: [Int]) -> String {
        var items = ["{\"dst\":\"172.20.0.1\",\"dev\":\"eth0\",\"lladdr\":\"02:00:00:00:00:01\",\"state\":[\"REACHABLE\"]}"]
        items += pods.map { "{\"dst\":\"\(layout.podIP($0))\",\"dev\":\"cni0\",\"lladdr\":\"\(layout.podMAC($0))\",\"state\":[\"REACHABLE\"]}" }
        items += remoteNeighbors[0..<n]
        items += remoteNeighbors[(n + 1)...]
        return "[" + items.joined(separator: ",") + "]\n"
    }

    private func hostFDB(_ n: Int, _ pods: [Int]) -> String {
        var items = ["{\"mac\":\"33:33:00:00:00:01\",\"ifname\":\"eth0\",\"flags\":[\"self\"],\"state\":\"permanent\"}",
                     "{\"mac\":\"01:00:5e:00:00:01\",\"ifname\":\"cni0\",\"flags\":[\"self\"],\"state\":\"permanent\"}"]
        items += remoteFDB[0..<n]
        items += remoteFDB[(n + 1)...]
        for p in pods {
            let veth = layout.vethName(ofPod: p)
            items.append("{\"mac\":\"\(layout.podMAC(p))\",\"ifname\":\"\(veth)\",\"flags\":[],\"master\":\"cni0\",\"state\":\"\"}")
            items.append("{\"mac\":\"\(layout.vethMAC(p))\",\"ifname\":\"\(veth)\",\"flags\":[],\"master\":\"cni0\",\"state\":\"permanent\"}")
        }
        return "[" + items.joined(separator: ",") + "]\n"
    }

    // MARK: Pod netns

    private func podLinks(_ p: Int, slot: Int) -> String {
        let eth0 = "{\"ifindex\":2,\"link_index\":\(vethIndex(slot: slot)),\"ifname\":\"eth0\",\"flags\":\(SynthNetns.up),\"mtu\":8951,\"qdisc\":\"noqueue\",\"operstate\":\"UP\",\(SynthNetns.linkTail),\"link_type\":\"ether\",\"address\":\"\(layout.podMAC(p))\",\"broadcast\":\"ff:ff:ff:ff:ff:ff\",\"link_netnsid\":0,\"promiscuity\":0,\"allmulti\":0,\"min_mtu\":68,\"max_mtu\":65535,\"linkinfo\":{\"info_kind\":\"veth\"},\"inet6_addr_gen_mode\":\"eui64\",\(SynthNetns.linkSizes)}"
        return "[" + SynthNetns.loopback + "," + eth0 + "]\n"
    }

    private func podAddresses(_ p: Int) -> String {
        let eth0 = addressEntry(2, "eth0", layout.podMAC(p), 8951, extra: "\"link_index\":\(vethIndex(slot: layout.slot(ofPod: p))),\"link_netnsid\":0,",
                                [address("inet", layout.podIP(p), 24, "global", label: "eth0")])
        return "[" + SynthNetns.loopbackAddress + "," + eth0 + "]\n"
    }

    private func podRoutes(_ p: Int) -> String {
        let n = layout.node(ofPod: p), ip = layout.podIP(p), net = layout.podNet(n)
        let items = [
            "{\"dst\":\"default\",\"gateway\":\"\(net).1\",\"dev\":\"eth0\",\"flags\":[]}",
            "{\"dst\":\"\(SynthLayout.clusterCIDR)\",\"gateway\":\"\(net).1\",\"dev\":\"eth0\",\"flags\":[]}",
            kernelRoute(layout.podCIDR(n), "eth0", src: ip),
            localRoute("local", ip, "eth0", src: ip), localRoute("broadcast", "\(net).255", "eth0", src: ip),
            localRoute("local", "127.0.0.0/8", "lo", src: "127.0.0.1"), localRoute("local", "127.0.0.1", "lo", src: "127.0.0.1"),
            localRoute("broadcast", "127.255.255.255", "lo", src: "127.0.0.1"),
        ]
        return "[" + items.joined(separator: ",") + "]\n"
    }

    // MARK: Shared files

    static let rules = "[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},{\"priority\":32766,\"src\":\"all\",\"table\":\"main\"},{\"priority\":32767,\"src\":\"all\",\"table\":\"default\"}]\n"
    static let hostSockets = """
        tcp   LISTEN 0      4096       127.0.0.1:10248      0.0.0.0:*    users:(("kubelet",pid=1203,fd=21))
        tcp   LISTEN 0      4096       127.0.0.1:10249      0.0.0.0:*    users:(("kube-proxy",pid=1542,fd=11))
        tcp   LISTEN 0      4096               *:10250            *:*    users:(("kubelet",pid=1203,fd=17))
        tcp   LISTEN 0      4096               *:10256            *:*    users:(("kube-proxy",pid=1542,fd=12))
        tcp   LISTEN 0      128          0.0.0.0:22         0.0.0.0:*    users:(("sshd",pid=811,fd=3))
        udp   UNCONN 0      0            0.0.0.0:8472       0.0.0.0:*

        """
    static let podSockets = "tcp   LISTEN 0      4096               *:\(SynthLayout.targetPort)             *:*    users:((\"app\",pid=7,fd=3))\ntcp   LISTEN 0      4096               *:9090             *:*    users:((\"app\",pid=7,fd=4))\n"

    /// A net.* sysctl listing like `sysctl -a` prints for these interfaces.
    static func sysctls(interfaces: [String]) -> String {
        let perInterface: [(String, String)] = [
            ("accept_local", "0"), ("accept_redirects", "1"), ("accept_source_route", "0"), ("arp_accept", "0"),
            ("arp_announce", "0"), ("arp_filter", "0"), ("arp_ignore", "0"), ("arp_notify", "0"), ("bc_forwarding", "0"),
            ("bootp_relay", "0"), ("disable_policy", "0"), ("disable_xfrm", "0"), ("drop_gratuitous_arp", "0"),
            ("forwarding", "1"), ("log_martians", "0"), ("mc_forwarding", "0"), ("medium_id", "0"),
            ("promote_secondaries", "1"), ("proxy_arp", "0"), ("proxy_arp_pvlan", "0"), ("route_localnet", "0"),
            ("rp_filter", "0"), ("secure_redirects", "1"), ("send_redirects", "1"), ("shared_media", "1"),
            ("src_valid_mark", "0"), ("tag", "0"),
        ]
        var lines = ["net.bridge.bridge-nf-call-arptables = 1", "net.bridge.bridge-nf-call-ip6tables = 1",
                     "net.bridge.bridge-nf-call-iptables = 1", "net.core.somaxconn = 4096",
                     "net.ipv4.ip_forward = 1", "net.ipv4.ip_local_port_range = 32768\t60999",
                     "net.netfilter.nf_conntrack_max = 262144"]
        for name in ["all", "default"] + interfaces {
            lines += perInterface.map { "net.ipv4.conf.\(name).\($0.0) = \($0.1)" }
        }
        return lines.sorted().joined(separator: "\n") + "\n"
    }
}
