import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopLab

@Suite("Lab: kube-proxy's nftables-mode rules from the lab's services")
struct KubeProxyNftRulesTests {
    @Test("SHA-256 matches the standard test vectors")
    func sha256() {
        func hex(_ text: String) -> String { SHA256.digest(Array(text.utf8)).map { String(format: "%02x", $0) }.joined() }
        #expect(hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(String(repeating: "a", count: 100)).hasPrefix("2816597888e4a0d3"))
    }

    @Test("chain names are upstream's: 8 base32 characters of SHA-256, as in proxier_test.go")
    func chainNames() {
        // Names from Kubernetes' pkg/proxy/nftables/proxier_test.go (Tests/Fixtures/kube-proxy-nftables/overall.nft).
        #expect(KubeProxyNftRules.hashAndTruncate("ns1/svc1/tcp/p80") == "ULMVA6XW-ns1/svc1/tcp/p80")
        #expect(KubeProxyNftRules.hashAndTruncate("ns1/svc1/tcp/p80__10.180.0.1/80") == "5OJB2KTY-ns1/svc1/tcp/p80__10.180.0.1/80")
        #expect(KubeProxyNftRules.hashAndTruncate("ns2/svc2/tcp/p80") == "42NFTM6N-ns2/svc2/tcp/p80")
        let long = String(repeating: "x", count: 300)
        #expect(KubeProxyNftRules.hashAndTruncate(long).count == 220)
        #expect(KubeProxyNftRules.hashAndTruncate(long).hasSuffix("..."))
    }

    @Test("every endpoint has a DNAT in its endpoint chain, every service without one a reject element",
          arguments: [nil, LabFault.serviceNoEndpoints])
    func services(fault: LabFault?) throws {
        let topology = LabTopology(scenario: .flannelVXLAN, fault: fault, proxyMode: .nftables)
        let text = KubeProxyNftRules.nftText(services: topology.services, clusterCIDR: LabTopology.clusterCIDR,
                                             serviceCIDR: LabTopology.serviceCIDR, nodeIPs: ["192.168.56.11"])
        let lines = text.split(separator: "\n").map(String.init)
        let dnatTargets = Set(lines.compactMap { line in line.range(of: "dnat to ").map { String(line[$0.upperBound...]) } })
        let endpoints = Set(topology.services.flatMap { service in service.endpoints.map { "\($0.ip):\(service.targetPort)" } })
        #expect(dnatTargets == endpoints)
        let rejected = lines.filter { $0.hasPrefix("add element ip kube-proxy no-endpoint-services {") }
        let frontends = topology.services.filter(\.endpoints.isEmpty)
            .map { 1 + $0.externalIPs.count + ($0.loadBalancerIP == nil ? 0 : 1) }.reduce(0, +)
        #expect(rejected.count == frontends)
        // The LoadBalancer IP and the external IP go through the external chain; the LB IP's
        // loadBalancerSourceRanges through a firewall chain.
        let lb = try #require(topology.services.first { $0.name == "web-lb" })
        let lbBase = KubeProxyNftRules.serviceBase(lb)
        #expect(lines.contains("add element ip kube-proxy service-ips { \(LabTopology.loadBalancerIP) . tcp . 80 : goto external-\(lbBase) }"))
        #expect(lines.contains("add element ip kube-proxy firewall-ips { \(LabTopology.loadBalancerIP) . tcp . 80 : goto firewall-\(lbBase) }"))
        #expect(lines.contains("add rule ip kube-proxy firewall-\(lbBase) ip saddr != { \(LabTopology.externalIP)/32 } drop"))
        #expect(lines.contains("add element ip kube-proxy nodeport-ips { 192.168.56.11 }"))
        #expect(lines.contains("add rule ip kube-proxy cluster-ips-check ip daddr { 10.96.0.0/12 } drop comment \"Drop traffic to unallocated ClusterIPs\""))
        if fault == .serviceNoEndpoints {
            #expect(lines.contains { $0.hasPrefix("add element ip kube-proxy no-endpoint-nodeports { tcp . 30080 ") })
            #expect(!lines.contains { $0.hasPrefix("add element ip kube-proxy service-nodeports { tcp . 30080 ") })
        } else {
            let web = try #require(topology.services.first { $0.name == "web" })
            let service = "service-" + KubeProxyNftRules.serviceBase(web)
            #expect(lines.contains("add element ip kube-proxy service-ips { 10.96.0.10 . tcp . 80 : goto \(service) }"))
            #expect(lines.contains("add element ip kube-proxy service-nodeports { tcp . 30080 : goto external-\(KubeProxyNftRules.serviceBase(web)) }"))
            #expect(lines.contains { $0.contains("\(service) numgen random mod 2 vmap { 0 : goto endpoint-") })
        }
        // Declarations come before the rules and elements that use them (nft -f reads in order).
        let firstRule = try #require(lines.firstIndex { $0.hasPrefix("add rule") })
        let lastChain = try #require(lines.lastIndex { $0.hasPrefix("add chain") })
        #expect(lastChain < firstRule)
    }

    @Test("nftables mode: kube-proxy's table by nft -f, the CNI's masquerade and fault rules by iptables-restore, the ConfigMap says so")
    func plan() throws {
        let topology = LabTopology(scenario: .flannelVXLAN, fault: .forwardDrop, proxyMode: .nftables)
        let plan = LabPlanner(topology: topology, prefix: "t").plan()
        let node2 = plan.commands.filter { $0.argv.starts(with: ["ip", "netns", "exec", "t-node2"]) }
        let nft = try #require(node2.first { $0.argv.suffix(2) == ["-f", "-"] })
        #expect(nft.input?.contains("add element ip kube-proxy nodeport-ips { 192.168.56.12 }") == true)
        let restore = try #require(node2.first { $0.argv.last == "iptables-nft-restore" })
        #expect(restore.input?.contains("lab fault: forward-drop") == true)
        #expect(restore.input?.contains("FLANNEL-POSTRTG") == true)
        #expect(restore.input?.contains("KUBE-") == false)
        let maps = try #require(LabKubernetesObjects.files(for: topology)["configmaps.json"]?["items"] as? [[String: Any]])
        let config = maps.compactMap { ($0["data"] as? [String: String])?["config.conf"] }.first ?? ""
        #expect(config.contains("mode: \"nftables\""))
        let iptablesConfig = (LabKubernetesObjects.files(for: LabTopology(scenario: .flannelVXLAN))["configmaps.json"]?["items"]
            as? [[String: Any]])?.compactMap { ($0["data"] as? [String: String])?["config.conf"] }.first ?? ""
        #expect(iptablesConfig.contains("mode: \"iptables\""))
    }

    @Test("dual-stack nftables mode: an ip6 kube-proxy table with IPv6 keys, bracketed DNATs and dotted endpoint chains, and the CNI's ip6tables rules")
    func dualStackPlan() throws {
        let topology = LabTopology(scenario: .flannelVXLAN, fault: .forwardDrop, proxyMode: .nftables, ipFamily: .dual)
        let node2 = LabPlanner(topology: topology, prefix: "t").plan().commands.filter { $0.argv.starts(with: ["ip", "netns", "exec", "t-node2"]) }
        let tables = node2.filter { $0.argv.suffix(2) == ["-f", "-"] }.compactMap(\.input)
        #expect(tables.count == 2)
        let ip6 = try #require(tables.first { $0.contains("add table ip6 kube-proxy") })
        #expect(ip6.contains("add map ip6 kube-proxy service-ips { type ipv6_addr . inet_proto . inet_service : verdict ;"))
        #expect(ip6.contains("add element ip6 kube-proxy nodeport-ips { fd00:192:168:56::12 }"))
        #expect(ip6.contains("meta l4proto tcp dnat to [fd00:10:244:2::2]:8080"))
        #expect(ip6.contains("__fd00.10.244.2..2/8080"))
        #expect(!ip6.contains(" ip daddr ") && !ip6.contains("ipv4_addr") && !ip6.contains("10.96."))
        let restore6 = try #require(node2.first { $0.argv.last == "ip6tables-nft-restore" })
        #expect(restore6.input?.contains("lab fault: forward-drop") == true && restore6.input?.contains("KUBE-") == false)
        // IPv6-only: no IPv4 service table.
        let ipv6Only = LabTopology(scenario: .flannelVXLAN, proxyMode: .nftables, ipFamily: .ipv6)
        let inputs = LabPlanner(topology: ipv6Only, prefix: "t").plan().commands.filter { $0.argv.suffix(2) == ["-f", "-"] }.compactMap(\.input)
        #expect(!inputs.isEmpty && inputs.allSatisfy { $0.contains("add table ip6 kube-proxy") })
    }
}
