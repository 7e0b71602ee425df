import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes
import SkoopCollector
import SkoopTUI

/// One fuzz target: feeds arbitrary bytes to a parser or loader through its public API.
/// Clean errors (InputError and friends) are expected; a trap, a sanitizer report or a hang is a bug.
struct Harness: Sendable {
    /// The name given in SKOOP_FUZZ_TARGET.
    let name: String
    /// fnmatch patterns of the fixture files (paths relative to Tests/Fixtures) that seed the corpus.
    let seeds: [String]
    /// Runs one input.
    let run: @Sendable (Data) -> Void
}

/// Bytes as text the way a tolerant reader sees them (invalid UTF-8 repaired).
private func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

/// Every harness, by name.
let harnesses: [Harness] = [
    Harness(name: "iptables", seeds: ["*/ip*tables.txt", "*/xtables*"]) { data in
        // Every rule decoded with the byte-level fast path and without it: the same result or error.
        func outcome(fastRules: Bool) -> (result: IPTablesParseResult?, error: String?) {
            do { return (try IPTablesSaveParser.parse(text(data), source: "iptables.txt", fastRules: fastRules), nil) } catch {
                return (nil, "\(error)")
            }
        }
        precondition(outcome(fastRules: true) == outcome(fastRules: false),
                     "iptables-save decoded with the fast path differs from the reference")
    },
    Harness(name: "nft", seeds: ["*/nft.json", "kube-proxy-nftables/*.json", "nft-samples/*"]) { data in
        // Every rule decoded, rendered in nft syntax, and each base chain's engine set up.
        let strict = Result { () throws(InputError) in try NftJSONParser.parse(Array(data), source: "nft.json", splittingAbove: .max) }
        // Decoded in pieces (as files above 1 MiB are): the same ruleset, or the same error.
        let pieces = Result { () throws(InputError) in try NftJSONParser.parse(Array(data), source: "nft.json", splittingAbove: 0) }
        precondition(strict == pieces, "nft.json decoded in pieces differs from the strict read")
        guard let ruleset = try? strict.get() else { return }
        for table in ruleset.tables {
            for chain in table.chains.values { for rule in chain.rules { _ = rule.text } }
        }
        _ = NftEngine(ruleset: ruleset, excludedTables: [])
    },
    Harness(name: "ip-link", seeds: ["*/ip-link.json"]) { data in
        _ = try? NetInterface.parse(data, source: "ip-link.json")
    },
    Harness(name: "ip-addr", seeds: ["*/ip-addr.json"]) { data in
        _ = try? InterfaceAddress.parse(data, source: "ip-addr.json")
    },
    Harness(name: "ip-route", seeds: ["*/ip-route.json", "*/ip-route6.json", "*/route-*.json"]) { data in
        _ = try? Route.parse(data, source: "ip-route.json", family: .inet)
        _ = try? Route.parse(data, source: "ip-route6.json", family: .inet6)
    },
    Harness(name: "ip-rule", seeds: ["*/ip-rule.json", "*/ip-rule6.json"]) { data in
        _ = try? PolicyRule.parse(data, source: "ip-rule.json", family: .inet)
        _ = try? PolicyRule.parse(data, source: "ip-rule6.json", family: .inet6)
    },
    Harness(name: "ip-neigh", seeds: ["*/ip-neigh.json"]) { data in
        _ = try? Neighbor.parse(data, source: "ip-neigh.json")
    },
    Harness(name: "bridge-fdb", seeds: ["*/bridge-fdb.json"]) { data in
        _ = try? FDBEntry.parse(data, source: "bridge-fdb.json")
    },
    Harness(name: "ipset", seeds: ["*/ipset.txt"]) { data in
        _ = try? IPSetParser.parse(text(data), source: "ipset.txt")
    },
    Harness(name: "ipvs", seeds: ["*/ipvs.txt"]) { data in
        _ = try? IPVSParser.parse(text(data), source: "ipvs.txt")
    },
    Harness(name: "ss", seeds: ["*/sockets.txt"]) { data in
        _ = try? SocketTableParser.parse(text(data), source: "sockets.txt")
    },
    Harness(name: "sysctl", seeds: ["*/sysctl.txt"]) { data in
        _ = try? SysctlParser.parse(text(data), source: "sysctl.txt")
    },
    Harness(name: "kubectl", seeds: ["*/k8s/*.json", "k8s-samples/*"]) { data in
        fuzzKubernetes(data)
    },
    Harness(name: "pod-index", seeds: ["*/k8s/pods.json", "k8s-samples/*"]) { data in
        fuzzPodIndex(data)
    },
    Harness(name: "snapshot", seeds: ["*/snapshot.json"]) { data in
        SnapshotFuzzer.run(data)
    },
    Harness(name: "tui-command", seeds: []) { data in
        let line = text(data)
        _ = try? TUICommand.parse(line)
        _ = TUICommand.complete(line, names: ["default/client", "default/web-0", "svc/default/web", "10.96.0.10"])
    },
]

/// Every kubectl decoder, then the whole cluster with the input as each document in turn.
private func fuzzKubernetes(_ data: Data) {
    _ = try? KubernetesJSON.nodes(data, source: "nodes.json")
    _ = try? KubernetesJSON.pods(data, source: "pods.json")
    _ = try? KubernetesJSON.services(data, source: "services.json")
    _ = try? KubernetesJSON.endpointSlices(data, source: "endpointslices.json")
    _ = try? KubernetesJSON.endpoints(data, source: "endpoints.json")
    _ = try? KubernetesJSON.networkPolicies(data, source: "networkpolicies.json")
    _ = try? KubernetesJSON.configMaps(data, source: "configmaps.json")
    _ = try? KubernetesJSON.namespaces(data, source: "namespaces.json")
    _ = try? KubernetesJSON.calicoBlockAffinities(data, source: "blockaffinities.json")
    _ = try? KubernetesJSON.calicoIPAMBlocks(data, source: "ipamblocks.json")
    let admin = (try? KubernetesJSON.adminNetworkPolicies(data, source: "adminnetworkpolicies.json")) ?? []
    let baseline = (try? KubernetesJSON.baselineAdminNetworkPolicies(data, source: "baselineadminnetworkpolicies.json")) ?? []
    if let policies = try? KubernetesJSON.networkPolicies(data, source: "networkpolicies.json"), !policies.isEmpty || !admin.isEmpty {
        // Every tier evaluated, explained and fixed for a flow between two pods its selectors could pick.
        let pods = ["x", "y"].map { name in
            try? KubernetesJSON.pods(Data(#"{"metadata":{"namespace":"\#(policies.first?.metadata.namespace ?? "x")","name":"\#(name)","labels":{"app":"\#(name)"}},"spec":{"containers":[{"ports":[{"name":"http","containerPort":80}]}]},"status":{"podIP":"10.0.0.\#(name == "x" ? 1 : 2)"}}"#.utf8), source: "pods.json")
        }.compactMap { $0?.first }
        let cluster = ClusterState(pods: pods, networkPolicies: policies).with(adminNetworkPolicies: admin + baseline)
        for proto in [TransportProtocol.tcp, .udp, .icmp] {
            let decision = cluster.evaluateNetworkPolicies(PolicyFlow(
                source: cluster.policyFlowEnd(ip: IPAddress("10.0.0.1")!), destination: cluster.policyFlowEnd(ip: IPAddress("10.0.0.2")!),
                port: 80, protocol: proto))
            _ = decision.suspicion
            _ = decision.fix
        }
    }
    let source = SourceData(data: data, source: "fuzz.json")
    for documents in [KubernetesDocuments(nodes: source), KubernetesDocuments(pods: source),
                      KubernetesDocuments(services: source, endpointSlices: source),
                      KubernetesDocuments(endpoints: source), KubernetesDocuments(networkPolicies: source),
                      KubernetesDocuments(configMaps: source), KubernetesDocuments(adminNetworkPolicies: source),
                      KubernetesDocuments(baselineAdminNetworkPolicies: source)] {
        if let cluster = try? ClusterState.decode(documents) { _ = cluster.networkHints() }
    }
}

/// Any pods.json that can be indexed reads back from its index as the skim reads it: the same
/// pods by name, the same owners of their addresses (a difference traps, for the fuzzer).
private func fuzzPodIndex(_ data: Data) {
    let source = SourceData(data: data, source: "pods.json")
    let stamp = PodIndexStamp(size: data.count, seconds: 1, nanoseconds: 0)
    guard let index = try? PodCatalog.makeIndex(of: source, stamp: stamp),
          let skimmed = try? ClusterState.decode(KubernetesDocuments(pods: source)) else { return }
    let input = PodIndexInput(source: "pods.index", podsStamp: stamp,
                              indexStamp: PodIndexStamp(size: index.bytes.count, seconds: 2, nanoseconds: 0)) { index.bytes }
    guard let indexed = try? ClusterState.decode(KubernetesDocuments(pods: source, podIndex: input)) else {
        preconditionFailure("pods.json skims but not with its own index")
    }
    precondition(indexed.pods.isFromIndex && indexed.pods.qualifiedNames == skimmed.pods.qualifiedNames)
    for position in 0..<min(skimmed.pods.count, 64) {
        guard let pod = skimmed.pods.pod(at: position) else { continue }
        precondition(indexed.pod(namespace: pod.namespace, name: pod.name) == skimmed.pod(namespace: pod.namespace, name: pod.name))
        for address in pod.podIPs {
            precondition(indexed.ipCache.owner(of: address) == skimmed.ipCache.owner(of: address))
        }
    }
}
