import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopLab

@Suite("Dual-stack lab plans: pure values, no root needed")
struct LabDualStackPlanTests {
    func plan(_ scenario: LabScenario, _ fault: LabFault? = nil, _ family: LabIPFamily = .dual) -> LabPlan {
        LabPlanner(topology: LabTopology(scenario: scenario, fault: fault, ipFamily: family), prefix: "t").plan()
    }

    func has(_ plan: LabPlan, _ argv: [String]) -> Bool { plan.commands.contains { $0.argv == argv } }

    @Test("IPv6 twins read like their IPv4 addresses and are canonical")
    func twins() {
        #expect(LabIPv6.address("10.244.1.2") == "fd00:10:244:1::2")
        #expect(LabIPv6.address("10.96.0.10") == "fd00:10:96::10")
        #expect(LabIPv6.address("10.244.2.0") == "fd00:10:244:2::")
        #expect(LabIPv6.prefix("10.244.1.0/24") == "fd00:10:244:1::/64")
        #expect(LabIPv6.prefix("172.30.0.10/32") == "fd00:172:30::10/128")
        #expect(LabTopology.clusterCIDR6 == "fd00:10:244::/48")
    }

    @Test("an IPv4 lab has no IPv6 command, listener or address")
    func ipv4Unchanged() {
        let p = plan(.flannelVXLAN, nil, .ipv4)
        #expect(!p.commands.contains { $0.argv.contains { $0.hasPrefix("fd00:") } || $0.argv.first?.hasPrefix("ip6tables") == true })
        #expect(p.listeners.allSatisfy { $0.argv.contains("-4") })
        #expect(LabTopology(scenario: .bridge).pods.allSatisfy { $0.ip6 == nil })
    }

    @Test("dual bridge scenarios: v6 on the underlay, cni0, pods, and the router's routes; one listener per family")
    func bridges() {
        let p = plan(.bridge)
        #expect(has(p, ["ip", "-n", "t-node1", "addr", "add", "fd00:192:168:56::11/64", "dev", "ens4"]))
        #expect(has(p, ["ip", "-n", "t-node1", "-6", "route", "add", "default", "via", "fd00:192:168:56::1", "dev", "ens4"]))
        #expect(has(p, ["ip", "netns", "exec", "t-node1", "sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"]))
        #expect(has(p, ["ip", "-n", "t-node1", "addr", "add", "fd00:10:244:1::1/64", "dev", "cni0"]))
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "addr", "add", "fd00:10:244:1::2/64", "dev", "eth0"]))
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "-6", "route", "add", "default", "via", "fd00:10:244:1::1", "dev", "eth0"]))
        #expect(has(p, ["ip", "-n", "t-router", "route", "add", "fd00:10:244:2::/64", "via", "fd00:192:168:56::12"]))
        #expect(has(p, ["ip", "-n", "t-router", "route", "add", "fd00:192:168:100::30/128",
                        "nexthop", "via", "fd00:192:168:56::11", "dev", "ens4", "nexthop", "via", "fd00:192:168:56::12", "dev", "ens4"]))
        let web0 = p.listeners.filter { $0.netnsID == "pod-web-0" }.map(\.argv)
        #expect(web0.map { $0.suffix(2) } == [["-4", "8080"], ["-6", "8080"]])
    }

    @Test("dual calico: /128 routes to the cali veth, the pod's default via the veth's EUI-64 link-local address, IPv6 /122 blocks routed and affine like IPv4's")
    func calico() throws {
        let p = plan(.calicoBGP)
        let veth = try #require(LabTopology(scenario: .calicoBGP).pod("web-0")).hostVeth(.calicoBGP)
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "fd00:10:244:1::2/128", "dev", veth]))
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "addr", "add", "fd00:10:244:1::2/128", "dev", "eth0"]))
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "-6", "route", "add", "default", "via", "fe80::ecee:eeff:feee:eeee", "dev", "eth0"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "blackhole", "fd00:10:244:1::/122", "proto", "bird"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "fd00:10:244:2::/122", "via", "fd00:192:168:56::12", "dev", "ens4", "proto", "bird"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "fd00:10:244:2::180/122", "via", "fd00:192:168:56::12", "dev", "ens4", "proto", "bird"]))
        #expect(!p.commands.contains { $0.argv.contains("fd00:10:244:2::/64") })
        let affinities = try #require(LabKubernetesObjects.files(for: LabTopology(scenario: .calicoBGP, ipFamily: .dual))["blockaffinities.json"])
        let cidrs = ((affinities["items"] as? [[String: Any]]) ?? []).compactMap { ($0["spec"] as? [String: Any])?["cidr"] as? String }
        #expect(cidrs.contains("fd00:10:244:2::/122") && cidrs.contains("10.244.2.0/26"))
    }

    @Test("dual pod-reject: web-1 rejects tcp 8080 in iptables and ip6tables, each with its family's ICMP error")
    func podRejectInBothFamilies() {
        let inputs = plan(.flannelHostGW, .podReject).commands.filter { $0.argv.last?.hasSuffix("tables-nft-restore") == true }
            .filter { $0.input?.contains("lab fault: pod-reject") == true }
        #expect(inputs.map { $0.argv.last ?? "" }.sorted() == ["ip6tables-nft-restore", "iptables-nft-restore"])
        #expect(inputs.contains { $0.argv.last == "iptables-nft-restore" && $0.input?.contains("--reject-with icmp-port-unreachable") == true })
        #expect(inputs.contains { $0.argv.last == "ip6tables-nft-restore" && $0.input?.contains("--reject-with icmp6-port-unreachable") == true })
        #expect(inputs.allSatisfy { $0.argv.contains("t-pod-web-1") })
    }

    @Test("dual vxlan: IPv6 inside the same VXLAN device, a v6 VTEP address sharing the node's VTEP MAC")
    func vxlan() {
        let p = plan(.flannelVXLAN)
        #expect(has(p, ["ip", "-n", "t-node1", "addr", "add", "fd00:10:244:1::/128", "dev", "flannel.1"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "fd00:10:244:2::/64", "via", "fd00:10:244:2::", "dev", "flannel.1", "onlink"]))
        #expect(has(p, ["ip", "-n", "t-node1", "neigh", "add", "fd00:10:244:2::", "lladdr", "0e:5c:00:00:00:02",
                        "dev", "flannel.1", "nud", "permanent"]))
        let neigh = plan(.flannelVXLAN, .vxlanNeighMissing)
        #expect(!neigh.commands.contains { $0.argv.starts(with: ["ip", "-n", "t-node1", "neigh", "add"]) })
    }

    @Test("kube-proxy's ip6tables rules: /128 ClusterIPs, [addr]:port DNAT, icmp6 rejects, the CNI's IPv6 masquerade")
    func ip6tables() throws {
        let p = plan(.flannelHostGW, .forwardDrop)
        let restore = try #require(p.commands.first { $0.argv.last == "ip6tables-nft-restore" && $0.argv.contains("t-node2") })
        let text = try #require(restore.input)
        #expect(text.contains("-A KUBE-SERVICES -d fd00:10:96::10/128 -p tcp -m comment --comment \"default/web:http cluster IP\""))
        #expect(text.contains("-j DNAT --to-destination [fd00:10:244:2::2]:8080"))
        #expect(text.contains("-s fd00:10:244:2::2/128 -m comment"))
        #expect(text.contains("--reject-with icmp6-port-unreachable"))
        #expect(!text.contains("127.0.0.0/8") && !text.contains("10.244."))
        #expect(text.contains("-A FLANNEL-POSTRTG -s fd00:10:244::/48 ! -d ff00::/8 -j MASQUERADE --random-fully"))
        #expect(text.contains("-A FORWARD -d fd00:10:244:2::2/128 -p tcp -m comment --comment \"lab fault: forward-drop\""))
        #expect(text.contains("-m tcp -p tcp -d fd00:192:168:100::30 --dport 80 -j KUBE-FW-"))
        #expect(text.contains("-s fd00:172:30::10/128 -j KUBE-EXT-"))
    }

    @Test("dual-stack objects: both ClusterIPs, ipFamilies, one EndpointSlice per family, pods' and nodes' two addresses")
    func objects() throws {
        let files = LabKubernetesObjects.files(for: LabTopology(scenario: .flannelVXLAN, ipFamily: .dual))
        let services = try #require(files["services.json"]?["items"] as? [[String: Any]])
        let web = try #require(services.first { ($0["metadata"] as? [String: Any])?["name"] as? String == "web" })
        let spec = try #require(web["spec"] as? [String: Any])
        #expect(spec["clusterIPs"] as? [String] == ["10.96.0.10", "fd00:10:96::10"])
        #expect(spec["ipFamilies"] as? [String] == ["IPv4", "IPv6"])
        #expect(spec["ipFamilyPolicy"] as? String == "RequireDualStack")
        let slices = try #require(files["endpointslices.json"]?["items"] as? [[String: Any]])
        let webSlices = slices.filter { (($0["metadata"] as? [String: Any])?["labels"] as? [String: String])?["kubernetes.io/service-name"] == "web" }
        #expect(Set(webSlices.compactMap { $0["addressType"] as? String }) == ["IPv4", "IPv6"])
        let v6 = try #require(webSlices.first { $0["addressType"] as? String == "IPv6" }?["endpoints"] as? [[String: Any]])
        #expect(v6.flatMap { $0["addresses"] as? [String] ?? [] } == ["fd00:10:244:1::2", "fd00:10:244:2::2"])
        let pods = try #require(files["pods.json"]?["items"] as? [[String: Any]])
        let status = try #require(pods.first?["status"] as? [String: Any])
        #expect((status["podIPs"] as? [[String: String]])?.compactMap { $0["ip"] } == ["10.244.1.2", "fd00:10:244:1::2"])
        let config = try #require((files["configmaps.json"]?["items"] as? [[String: Any]])?.first?["data"] as? [String: String])
        #expect(config["config.conf"]?.contains("clusterCIDR: 10.244.0.0/16,fd00:10:244::/48") == true)
    }

    @Test("IPv6-only: pods without IPv4 addresses, single-stack IPv6 services, no IPv4 service rules")
    func ipv6Only() throws {
        let p = plan(.calicoBGP, nil, .ipv6)
        #expect(!p.commands.contains { $0.argv.contains("10.244.1.2/32") || $0.argv.contains("169.254.1.1") })
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "addr", "add", "fd00:10:244:1::2/128", "dev", "eth0"]))
        let restore4 = try #require(p.commands.first { $0.argv.last == "iptables-nft-restore" }?.input)
        #expect(!restore4.contains("KUBE-SVC-"))
        #expect(p.listeners.allSatisfy { $0.argv.contains("-6") })
        let files = LabKubernetesObjects.files(for: LabTopology(scenario: .calicoBGP, ipFamily: .ipv6))
        let web = try #require((files["services.json"]?["items"] as? [[String: Any]])?.first?["spec"] as? [String: Any])
        #expect(web["clusterIP"] as? String == "fd00:10:96::10" && web["ipFamilies"] as? [String] == ["IPv6"])
        #expect(web["ipFamilyPolicy"] as? String == "SingleStack")
        let slices = try #require(files["endpointslices.json"]?["items"] as? [[String: Any]])
        #expect(slices.allSatisfy { $0["addressType"] as? String == "IPv6" })
        let pod = try #require((files["pods.json"]?["items"] as? [[String: Any]])?.first?["status"] as? [String: Any])
        #expect(pod["podIP"] as? String == "fd00:10:244:1::2")
    }
}
