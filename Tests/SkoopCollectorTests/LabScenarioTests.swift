import Foundation
import Testing
import SkoopModel
@testable import SkoopCollector
@testable import SkoopLab

@Suite("Lab: every scenario really forwards the expected flows", .enabled(if: isRoot, Comment(rawValue: needsRoot)))
struct LabScenarioTests {
    @Test("healthy flows work and the lab leaves nothing behind", arguments: LabScenario.allCases)
    func healthy(scenario: LabScenario) async throws {
        let lab = try await TestLab.up(scenario, backend: scenario == .bridge ? .legacy : .nft)
        do {
            try #require(lab.state.processes.count == 2)
            #expect(await lab.works("client", "10.244.1.2", 8080), "pod to pod, same node")
            #expect(await lab.works("client", "10.244.2.2", 8080), "pod to pod, across nodes")
            #expect(await lab.works("client2", "10.244.1.2", 8080), "pod to pod, back across")
            #expect(await lab.works("client", "10.96.0.10", 80), "pod to ClusterIP")
            #expect(await lab.works("node1", "10.244.2.2", 8080), "node to remote pod")
            #expect(await lab.works("ext", "192.168.56.11", 30080), "external to NodePort")
            #expect(await lab.works("client", LabTopology.externalIP, nil, .icmp), "pod to external")
            #expect(!(await lab.works("client", "10.96.0.20", 80)), "service without endpoints is rejected")
            let viaService = await lab.truth.probe(LabFlow(source: "client2", destination: "10.96.0.11", port: 80))
            #expect(viaService.succeeded && viaService.backendPod == "web-0", "\(viaService.detail)")
            // The source netns is asked twice: without and with the source address (the kernel's choice of source shows).
            #expect(viaService.routes.map(\.netnsID) == ["pod-client2", "pod-client2", "node2", "node1"])
            #expect(viaService.routes.first?.decision?.preferredSource == "10.244.2.3")
            #expect(viaService.routes.last?.decision?.destination == "10.244.1.2")
            if scenario.usesBridge {
                #expect(await lab.works("web-0", "10.96.0.11", 80), "a pod reaches itself through its service")
            }
            if scenario.usesVXLAN {
                #expect(await lab.works("client", "10.244.2.2", nil, .icmp, size: 1422, df: true), "full-MTU DF ping")
            }
        } catch {
            Issue.record(error)
        }
        try await lab.remove()
    }

    @Test("ground truth: conntrack names the backend, routes and the nft trace show the path")
    func groundTruth() async throws {
        let lab = try await TestLab.up(.flannelHostGW, backend: .nft)
        let result = await lab.truth.probe(LabFlow(source: "client", destination: "10.96.0.10", port: 80), trace: true)
        #expect(result.succeeded)
        let backend = try #require(result.backendPod)
        #expect(["web-0", "web-1"].contains(backend))
        let node1 = result.routes.first { $0.netnsID == "node1" }?.decision
        #expect(node1?.destination == result.backendIP)
        #expect(node1?.outInterface == (backend == "web-0" ? "cni0" : "ens4"))
        let hits = result.trace["node1"] ?? []
        #expect(hits.contains { $0.entry.chain == "KUBE-SERVICES" && $0.entry.verdict == "JUMP" })
        #expect(hits.contains { $0.entry.chain.hasPrefix("KUBE-SEP-") && $0.entry.rule.contains("DNAT") })
        let blocked = await lab.truth.probe(LabFlow(source: "client", destination: "10.96.0.20", port: 80))
        #expect(!blocked.succeeded)
        try await lab.remove()
    }

    @Test("lab up with a lab running tears the old one down first; lab down removes only the lab's netns")
    func upReplaces() async throws {
        let first = try await TestLab.up(.bridge)
        let bystander = "sklt\(getpid())-bystander"
        try await mustRun(["ip", "netns", "add", bystander])
        let second = try await first.controller.up(LabTopology(scenario: .flannelHostGW), prefix: first.state.prefix + "b")
        let listed = await SubprocessToolRunner().run(["ip", "netns", "list"]).stdout
        #expect(!listed.contains(first.state.prefix + "-"))
        #expect(listed.contains(second.prefix + "-node1"))
        for process in first.state.processes { #expect(kill(process.pid, 0) != 0) }
        #expect(first.controller.currentState()?.prefix == second.prefix)
        try await first.controller.down()
        let after = await SubprocessToolRunner().run(["ip", "netns", "list"]).stdout
        #expect(!after.contains(second.prefix + "-") && after.contains(bystander))
        #expect(first.controller.currentState() == nil)
        try await mustRun(["ip", "netns", "del", bystander])
        try? FileManager.default.removeItem(at: first.stateDirectory)
    }

    @Test("the lab snapshot holds k8s JSON, no hints and every node's netns")
    func snapshot() async throws {
        let lab = try await TestLab.up(.calicoBGP, fault: .forwardDrop)
        let dir = try makeTemporaryDirectory("labsnap")
        defer { try? FileManager.default.removeItem(at: dir) }
        try await lab.controller.writeSnapshot(of: lab.state, to: dir)
        try await lab.remove()
        let paths = relativePaths(under: dir)
        for path in ["snapshot.json", "k8s/pods.json", "k8s/services.json", "k8s/endpointslices.json", "k8s/nodes.json",
                     "k8s/networkpolicies.json", "k8s/configmaps.json", "nodes/node1/netns/host/ip-route.json",
                     "nodes/node2/netns/host/iptables.txt", "nodes/node2/netns/pod-web-1/ip-addr.json",
                     "nodes/node1/netns/pod-client/sockets.txt"] {
            #expect(paths.contains(path), "\(path)")
        }
        let rules = try String(contentsOf: dir.appendingPathComponent("nodes/node2/netns/host/iptables.txt"), encoding: .utf8)
        #expect(rules.contains("lab fault: forward-drop"))
        let sockets = try String(contentsOf: dir.appendingPathComponent("nodes/node2/netns/pod-web-1/sockets.txt"), encoding: .utf8)
        #expect(sockets.contains(":8080"))
        // No detection hints: the ConfigMaps say what a real cluster's would.
        let document = try Data(contentsOf: dir.appendingPathComponent("snapshot.json"))
        #expect(try SnapshotHints.decode(document, source: "snapshot.json") == SnapshotHints(version: 1))
        let configMaps = try String(contentsOf: dir.appendingPathComponent("k8s/configmaps.json"), encoding: .utf8)
        #expect(configMaps.contains("calico-config") && configMaps.contains("KubeProxyConfiguration"))
    }
}

@Suite("Lab: every fault really breaks its flow", .enabled(if: isRoot, Comment(rawValue: needsRoot)))
struct LabFaultTests {
    /// The scenario each fault is tried in (the first where it applies).
    static func scenario(for fault: LabFault) -> LabScenario {
        fault.applies(to: .flannelHostGW) ? .flannelHostGW : fault.scenarios[0]
    }

    @Test("the broken flow fails while a control flow works", arguments: LabFault.allCases)
    func fault(_ fault: LabFault) async throws {
        let lab = try await TestLab.up(Self.scenario(for: fault), fault: fault)
        switch fault {
        case .serviceNoEndpoints:
            #expect(!(await lab.works("client", "10.96.0.10", 80)))
            #expect(await lab.works("client", "10.244.2.2", 8080))
        case .mtuMismatch:
            #expect(!(await lab.works("client", "10.244.2.2", nil, .icmp, size: 1472, df: true)))
            #expect(await lab.works("client", "10.244.2.2", nil, .icmp))
        case .bridgeNFOff:
            #expect(!(await lab.works("client", "10.96.0.11", 80)))
            #expect(await lab.works("client", "10.244.1.2", 8080))
        case .hairpinOff:
            #expect(!(await lab.works("web-0", "10.96.0.11", 80)))
            #expect(await lab.works("client", "10.96.0.11", 80))
        case .markCrossing:
            // Harmless: node1 marks the packet, node2's DROP on that mark never matches.
            #expect(await lab.works("client", "10.244.2.2", 8080), "a mark does not cross into node2")
            let tool = "iptables-\(lab.state.topology.backend.rawValue)-save"
            let node1 = await SubprocessToolRunner().run(["ip", "netns", "exec", lab.state.netns("node1"), tool, "-c", "-t", "mangle"])
            let node2 = await SubprocessToolRunner().run(["ip", "netns", "exec", lab.state.netns("node2"), tool, "-c", "-t", "filter"])
            #expect(Self.counter(of: "mark-crossing", in: node1.stdout).map { $0 > 0 } == true, "node1 marked it")
            #expect(Self.counter(of: "mark-crossing", in: node2.stdout) == 0, "node2's DROP never matched")
        case .routeViaGateway:
            // node1 lost its route, yet the router routes pod CIDRs: the flow still works.
            #expect(await lab.works("client", "10.244.2.2", 8080), "client -> web-1 goes through the router")
            let route = await SubprocessToolRunner().run(["ip", "-n", lab.state.netns("node1"), "route", "get", "10.244.2.2"])
            #expect(route.stdout.contains("via \(LabTopology.routerIP)"), "node1 sends it to the router: \(route.stdout)")
        case .rpFilterLocal:
            #expect(!(await lab.works("client2", "10.244.1.0", nil, .icmp)), "client2 -> node1's VTEP address fails rp_filter")
            #expect(await lab.works("client", "10.244.2.2", 8080), "the tunnel still works")
        default:
            #expect(!(await lab.works("client", "10.244.2.2", 8080)), "client -> web-1 should break")
            #expect(await lab.works("client", "10.244.1.2", 8080), "client -> web-0 should still work")
        }
        try await lab.remove()
    }

    /// The packet counter of the first rule whose text contains `text` in `iptables-save -c` output.
    static func counter(of text: String, in save: String) -> Int? {
        for line in save.split(separator: "\n") where line.contains(text) && line.hasPrefix("[") {
            return line.dropFirst().split(separator: ":").first.flatMap { Int($0) }
        }
        return nil
    }
}
