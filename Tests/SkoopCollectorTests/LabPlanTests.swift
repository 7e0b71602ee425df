import Foundation
import Testing
import SkoopModel
import SkoopKubernetes
import SkoopTestSupport
@testable import SkoopCollector
@testable import SkoopLab

@Suite("Lab plans: pure values, no root needed")
struct LabPlanTests {
    func plan(_ scenario: LabScenario, _ fault: LabFault? = nil) -> LabPlan {
        LabPlanner(topology: LabTopology(scenario: scenario, fault: fault), prefix: "t").plan()
    }

    func has(_ plan: LabPlan, _ argv: [String]) -> Bool { plan.commands.contains { $0.argv == argv } }

    @Test("SHA-1 matches the standard test vectors")
    func sha1() {
        #expect(SHA1.hex(of: "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex(of: "") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    }

    @Test("calico host veths are cali + 11 hex of sha1(namespace.pod), without a bridge")
    func calicoVeths() throws {
        let pod = try #require(LabTopology(scenario: .calicoBGP).pod("web-0"))
        let veth = pod.hostVeth(.calicoBGP)
        #expect(veth == "cali" + SHA1.hex(of: "default.web-0").prefix(11))
        #expect(veth.count == 15)
        let p = plan(.calicoBGP)
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "10.244.1.2/32", "dev", veth, "scope", "link"]))
        #expect(has(p, ["ip", "-n", "t-pod-web-0", "route", "add", "default", "via", "169.254.1.1", "dev", "eth0", "onlink"]))
        #expect(has(p, ["ip", "netns", "exec", "t-node1", "sysctl", "-qw", "net.ipv4.conf.\(veth).proxy_arp=1",
                        "net.ipv4.neigh.\(veth).proxy_delay=0"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "10.244.2.0/26", "via", "192.168.56.12", "dev", "ens4", "proto", "bird"]))
        #expect(!p.commands.contains { $0.argv.contains("cni0") })
    }

    @Test("flannel vxlan: VTEP, onlink route, permanent neighbour, FDB to the remote node, MTU 1450")
    func flannelVXLAN() {
        let p = plan(.flannelVXLAN)
        #expect(has(p, ["ip", "-n", "t-node1", "link", "add", "flannel.1", "type", "vxlan", "id", "1", "local",
                        "192.168.56.11", "dev", "ens4", "dstport", "8472", "nolearning"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "10.244.2.0/24", "via", "10.244.2.0", "dev", "flannel.1", "onlink"]))
        #expect(has(p, ["ip", "-n", "t-node1", "neigh", "add", "10.244.2.0", "lladdr", "0e:5c:00:00:00:02", "dev",
                        "flannel.1", "nud", "permanent"]))
        #expect(has(p, ["bridge", "-n", "t-node1", "fdb", "append", "0e:5c:00:00:00:02", "dev", "flannel.1", "dst", "192.168.56.12"]))
        #expect(p.commands.contains { $0.argv.starts(with: ["ip", "-n", "t-node1", "link", "add"]) && $0.argv.contains("eth0")
            && $0.argv.contains("1450") })
        let calico = plan(.calicoVXLAN)
        #expect(calico.commands.contains { $0.argv.contains("vxlan.calico") && $0.argv.contains("4096") })
    }

    @Test("vxlan faults drop only node1's entry; mtu-mismatch gives node1's pods 1500")
    func vxlanFaults() {
        let fdb = plan(.flannelVXLAN, .vxlanFDBMissing)
        #expect(!fdb.commands.contains { $0.argv.starts(with: ["bridge", "-n", "t-node1", "fdb"]) })
        #expect(fdb.commands.contains { $0.argv.starts(with: ["bridge", "-n", "t-node2", "fdb"]) })
        let neigh = plan(.flannelVXLAN, .vxlanNeighMissing)
        #expect(!neigh.commands.contains { $0.argv.starts(with: ["ip", "-n", "t-node1", "neigh", "add"]) })
        let mtu = plan(.flannelVXLAN, .mtuMismatch)
        let node1Veths = mtu.commands.filter { $0.argv.starts(with: ["ip", "-n", "t-node1", "link", "add"]) && $0.argv.contains("eth0") }
        #expect(node1Veths.count == 2 && node1Veths.allSatisfy { $0.argv.contains("1500") })
    }

    @Test("faults map to commands on the right netns", arguments: [
        (LabFault.podEth0Down, ["ip", "-n", "t-pod-web-1", "link", "set", "eth0", "down"]),
        (.bridgeDown, ["ip", "-n", "t-node2", "link", "set", "cni0", "down"]),
        (.remoteRouteDeleted, ["ip", "-n", "t-node1", "route", "del", "10.244.2.0/24"]),
        (.blackholeRoute, ["ip", "-n", "t-node1", "route", "add", "blackhole", "10.244.2.2/32"]),
        (.ipForwardOff, ["ip", "netns", "exec", "t-node2", "sysctl", "-qw", "net.ipv4.ip_forward=0"]),
    ])
    func faultCommands(fault: LabFault, argv: [String]) {
        #expect(has(plan(.flannelHostGW, fault), argv))
        #expect(!has(plan(.flannelHostGW), argv))
    }

    @Test("asymmetric-return: a third node with the CNI's routes both ways, node2's replies to node1 sent through it")
    func asymmetricReturn() throws {
        let topology = LabTopology(scenario: .flannelHostGW, fault: .asymmetricReturn)
        #expect(topology.nodes.map(\.name) == ["node1", "node2", "node3"])
        #expect(LabTopology(scenario: .flannelHostGW).nodes.count == 2)
        let p = plan(.flannelHostGW, .asymmetricReturn)
        #expect(p.netns.contains("t-node3"))
        #expect(has(p, ["ip", "-n", "t-node3", "route", "add", "10.244.1.0/24", "via", "192.168.56.11", "dev", "ens4"]))
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "10.244.3.0/24", "via", "192.168.56.13", "dev", "ens4"]))
        #expect(has(p, ["ip", "-n", "t-node2", "route", "replace", "10.244.1.0/24", "via", "192.168.56.13", "dev", "ens4"]))
        // node3 runs kube-proxy too: its KUBE-FORWARD drops what its conntrack finds INVALID.
        let node3Rules = try #require(p.commands.first { $0.argv.prefix(4) == ["ip", "netns", "exec", "t-node3"] && $0.input != nil })
        #expect(node3Rules.input?.contains("-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP") == true)
        let vxlan = plan(.flannelVXLAN, .asymmetricReturn)
        #expect(has(vxlan, ["ip", "-n", "t-node2", "route", "replace", "10.244.1.0/24", "via", "10.244.3.0", "dev", "flannel.1", "onlink"]))
        #expect(has(vxlan, ["bridge", "-n", "t-node3", "fdb", "append", "0e:5c:00:00:00:01", "dev", "flannel.1", "dst", "192.168.56.11"]))
    }

    @Test("mark-crossing: node1 marks in mangle PREROUTING, node2's FORWARD drops the mark first")
    func markCrossing() throws {
        let p = plan(.calicoBGP, .markCrossing)
        let node1 = p.commands.filter { $0.argv.prefix(4) == ["ip", "netns", "exec", "t-node1"] }.compactMap(\.input)
        #expect(node1.contains { $0.contains("*mangle") && $0.contains("-A PREROUTING -m comment --comment \"lab fault: mark-crossing\" -j MARK --set-xmark 0x1000/0x1000") })
        let node2 = try #require(p.commands.first { $0.argv.prefix(4) == ["ip", "netns", "exec", "t-node2"] && $0.input?.contains("*filter") == true })
        let forward = node2.input?.split(separator: "\n").filter { $0.hasPrefix("-A FORWARD") }.first
        #expect(forward == "-A FORWARD -m mark --mark 0x1000/0x1000 -m comment --comment \"lab fault: mark-crossing\" -j DROP")
        #expect(!(plan(.calicoBGP).commands.compactMap(\.input).contains { $0.contains("mark-crossing") }))
    }

    @Test("rp-filter-local: strict rp_filter on node1, client2 routed back over ens4; vxlan only")
    func rpFilterLocal() {
        let p = plan(.calicoVXLAN, .rpFilterLocal)
        #expect(has(p, ["ip", "-n", "t-node1", "route", "add", "10.244.2.3/32", "via", "192.168.56.12", "dev", "ens4"]))
        #expect(has(p, ["ip", "netns", "exec", "t-node1", "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"]))
        #expect(LabFault.rpFilterLocal.scenarios == [.flannelVXLAN, .calicoVXLAN])
        #expect(LabFault.asymmetricReturn.scenarios == LabScenario.allCases && LabFault.markCrossing.scenarios == LabScenario.allCases)
    }

    @Test("faults apply only where meaningful")
    func applicability() async throws {
        #expect(!LabFault.bridgeDown.applies(to: .calicoBGP))
        #expect(!LabFault.vxlanFDBMissing.applies(to: .flannelHostGW))
        #expect(LabFault.forwardDrop.scenarios == LabScenario.allCases)
        let runner = RecordedToolRunner(fallback: ToolOutput(status: 0))
        let dir = try makeTemporaryDirectory("labstate")
        defer { try? FileManager.default.removeItem(at: dir) }
        await #expect(throws: LabError.self) {
            try await LabController(runner: runner, stateDirectory: dir)
                .up(LabTopology(scenario: .calicoBGP, fault: .hairpinOff), prefix: "t")
        }
        #expect(runner.commands.isEmpty)
    }

    @Test("hairpin is on for every bridge port except web-0's under hairpin-off")
    func hairpin() throws {
        let topology = LabTopology(scenario: .bridge)
        let web0 = try #require(topology.pod("web-0")).hostVeth(.bridge)
        let on = ["bridge", "-n", "t-node1", "link", "set", "dev", web0, "hairpin", "on"]
        #expect(has(plan(.bridge), on))
        #expect(!has(plan(.bridge, .hairpinOff), on))
        #expect(has(plan(.bridge), ["ip", "-n", "t-router", "route", "add", "10.244.2.0/24", "via", "192.168.56.12"]))
        #expect(!has(plan(.flannelHostGW), ["ip", "-n", "t-router", "route", "add", "10.244.2.0/24", "via", "192.168.56.12"]))
    }
}

@Suite("Lab: kube-proxy rules and k8s JSON come from the same services")
struct LabRulesTests {
    @Test("probabilities are kube-proxy's 1/(n-i) with 10 decimals")
    func probabilities() {
        #expect(KubeProxyRules.probability(index: 0, count: 2) == "0.5000000000")
        #expect(KubeProxyRules.probability(index: 0, count: 3) == "0.3333333333")
        #expect(KubeProxyRules.probability(index: 1, count: 3) == "0.5000000000")
        #expect(KubeProxyRules.chainHash("default/web:httptcp").count == 16)
    }

    @Test("every endpoint in the EndpointSlices has a DNAT rule and every service without one a REJECT",
          arguments: [nil, LabFault.serviceNoEndpoints])
    func agreement(fault: LabFault?) throws {
        let topology = LabTopology(scenario: .flannelHostGW, fault: fault)
        let rules = KubeProxyRules.restoreText(services: topology.services, clusterCIDR: LabTopology.clusterCIDR)
        let files = LabKubernetesObjects.files(for: topology)
        let slices = try #require(files["endpointslices.json"]?["items"] as? [[String: Any]])
        var sliceTargets: Set<String> = []
        var rejected: Set<String> = []
        for slice in slices {
            let name = ((slice["metadata"] as? [String: Any])?["labels"] as? [String: String])?["kubernetes.io/service-name"] ?? ""
            guard let endpoints = slice["endpoints"] as? [[String: Any]] else { rejected.insert(name); continue }
            for endpoint in endpoints { sliceTargets.formUnion((endpoint["addresses"] as? [String] ?? []).map { "\($0):8080" }) }
        }
        let dnatTargets = Set(rules.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: "--to-destination ") else { return nil }
            return String(line[range.upperBound...])
        })
        #expect(sliceTargets == dnatTargets)
        let rejects = rules.split(separator: "\n").filter { $0.contains("-j REJECT") }
        #expect(rejects.count == rejected.count + (fault == .serviceNoEndpoints ? 1 : 0))
        #expect(rejected.contains("empty"))
        if fault == .serviceNoEndpoints {
            #expect(rejected.contains("web"))
            #expect(rules.contains("KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment \"default/web:http has no endpoints\""))
        } else {
            #expect(rules.contains("-m statistic --mode random --probability 0.5000000000"))
            #expect(rules.contains("-m tcp --dport 30080 -j KUBE-EXT-"))
        }
    }

    @Test("k8s JSON has the kubectl list shape and the pods' addresses")
    func kubernetesShape() throws {
        let files = LabKubernetesObjects.files(for: LabTopology(scenario: .calicoVXLAN))
        #expect(Set(files.keys) == ["nodes.json", "pods.json", "services.json", "endpointslices.json",
                                    "networkpolicies.json", "configmaps.json", "blockaffinities.json"])
        let pods = try #require(files["pods.json"]?["items"] as? [[String: Any]])
        let ips = pods.compactMap { ($0["status"] as? [String: Any])?["podIP"] as? String }
        #expect(ips == ["10.244.1.2", "10.244.1.3", "10.244.2.2", "10.244.2.3"])
        #expect(files["pods.json"]?["kind"] as? String == "List")
        // No detection hints: detection must work from the objects, as on a real cluster.
        let data = try LabKubernetesObjects.data(LabKubernetesObjects.snapshotDocument)
        let hints = try SnapshotHints.decode(data, source: "snapshot.json")
        #expect(hints == SnapshotHints(version: 1))
    }

    @Test("the lab's ConfigMaps are what detection reads on a real cluster", arguments: LabScenario.allCases)
    func configMapsDetect(scenario: LabScenario) throws {
        let object = try #require(LabKubernetesObjects.files(for: LabTopology(scenario: scenario))["configmaps.json"])
        let cluster = ClusterState(configMaps: try KubernetesJSON.configMaps(try LabKubernetesObjects.data(object),
                                                                             source: "configmaps.json"))
        let hints = cluster.networkHints()
        #expect(hints.warnings.isEmpty)
        #expect(hints.kubeProxy?.mode == .iptables)
        #expect(hints.kubeProxy?.clusterCIDRs.map(\.description) == [LabTopology.clusterCIDR])
        switch scenario {
        case .flannelHostGW, .flannelVXLAN:
            #expect(hints.flannel?.backendType == (scenario == .flannelVXLAN ? "vxlan" : "host-gw"))
            #expect(hints.flannel?.network?.description == LabTopology.clusterCIDR && hints.calico == nil)
        case .calicoBGP, .calicoVXLAN:
            #expect(hints.calico?.backend == (scenario == .calicoVXLAN ? "vxlan" : "bird") && hints.flannel == nil)
        case .bridge:
            #expect(hints.flannel == nil && hints.calico == nil)
        }
    }
}

@Suite("Lab ground truth: parsers")
struct LabTraceTests {
    @Test("xtables-monitor trace of the lab-basic capture parses into rule hits")
    func fixtureTrace() throws {
        let name = "lab-basic/ground-truth/xtables-monitor-trace-node2-client2-to-10.96.0.10-80.txt"
        let lines = try XtablesTraceParser.parse(try Fixtures.text(name), source: name)
        let first = try #require(lines.first)
        #expect(first.entry.table == "raw" && first.entry.chain == "PREROUTING" && first.entry.verdict == "CONTINUE")
        #expect(first.entry.rule == "-A PREROUTING -p tcp -m tcp --dport 80 -j TRACE")
        #expect(lines.contains { $0.entry.verdict == "POLICY ACCEPT" && $0.entry.rule == "-P PREROUTING ACCEPT" })
        let svc = try #require(lines.first { $0.entry.chain == "KUBE-SERVICES" && $0.entry.table == "nat" })
        #expect(svc.entry.hook == "PREROUTING" && svc.entry.verdict == "JUMP" && svc.entry.note == "target KUBE-SVC-4N57TFCL4MD7ZTDA")
        #expect(lines.contains { $0.entry.chain == "KUBE-SEP-3S4CJWMX5ZP6XG2T" && $0.entry.rule.contains("DNAT --to-destination 10.244.2.2:8080") })
        #expect(lines.contains { $0.entry.hook == "FORWARD" && $0.entry.table == "filter" })
    }

    @Test("a malformed TRACE line is an InputError with its line number")
    func malformed() {
        #expect(throws: InputError(source: "t", line: 2, expected: "TRACE: FAMILY ID TABLE:CHAIN:KIND...", found: "TRACE: 2")) {
            try XtablesTraceParser.parse("PACKET: x\nTRACE: 2\n", source: "t")
        }
    }

    @Test("ip route get answers become RouteDecisions")
    func routeGet() throws {
        let name = "lab-basic/ground-truth/route-node1-10.244.2.2-from-10.244.1.3-iif-cni0.json"
        let decision = try #require(GroundTruth.routeDecision(try Fixtures.text(name)))
        #expect(decision.destination == "10.244.2.2")
        #expect(decision.gateway == "192.168.56.12" && decision.outInterface == "ens4")
        #expect(GroundTruth.routeDecision("") == nil)
    }
}
