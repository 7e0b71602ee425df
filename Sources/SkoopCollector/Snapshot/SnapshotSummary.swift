import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// What a snapshot holds, for `skoop inspect`.
public struct SnapshotSummary: Sendable {
    /// One netns's contents.
    public struct NetNSSummary: Sendable {
        public var id: String
        /// The pod whose address this netns holds, if any.
        public var pod: String?
        public var interfaces: Int
        public var addresses: [String]
        public var routes: Int
        public var rules: Int
        public var iptablesRules: Int
        public var iptablesBackend: String?
        /// Native nft tables (`nft -j list ruleset`, every rule decoded) and their rule counts,
        /// "FAMILY NAME" each; iptables-nft's tables read from iptables-save say so.
        public var nftTables: [(table: String, rules: Int, readAsIptables: Bool)] = []
        public var ipsets: Int
        public var ipvsServices: Int
        public var listeningSockets: Int
        public var warnings: [String]
    }

    /// One node's contents.
    public struct NodeSummary: Sendable {
        public var name: String
        public var inKubernetes: Bool
        public var netns: [NetNSSummary]
        /// A router or gateway collected with `skoop collect --infra` (no Kubernetes node).
        public var isInfraDevice = false
    }

    public var hints: SnapshotHints
    public var nodes: [NodeSummary]
    public var pods: Int
    public var services: Int
    public var endpointSlices: Int
    public var networkPolicies: Int
    /// True when the pods were catalogued from the snapshot's pod index, not skimmed.
    public var podsFromIndex: Bool
    public var warnings: [String]

    /// Reads every netns of the snapshot (errors in any file stop it: the caller reports them).
    public init(collector: CollectorManager) throws(InputError) {
        let cluster = collector.cluster
        hints = collector.hints
        pods = cluster.pods.count
        podsFromIndex = cluster.pods.isFromIndex
        services = cluster.serviceCatalog.count
        endpointSlices = cluster.endpointSlices.count
        // A diagnosis decodes the nodes, Services and slices it meets; the summary checks them all.
        _ = try cluster.nodeCatalog.all()
        _ = try cluster.serviceCatalog.all()
        _ = try cluster.endpointSlices.all()
        networkPolicies = cluster.networkPolicies.count
        warnings = collector.warnings + cluster.networkHints().warnings.map(\.description)
        var nodes: [NodeSummary] = []
        let names = Set(collector.collectedNodes).union(cluster.nodeCatalog.names).sorted()
        for name in names + collector.infraDevices.map(InfraDevice.key) {
            let device = InfraDevice.name(ofKey: name)
            var node = NodeSummary(name: device ?? name, inKubernetes: cluster.node(named: name) != nil, netns: [],
                                   isInfraDevice: device != nil)
            if device != nil {
                // A router is no Kubernetes node: nothing to cross-check.
            } else if !collector.collectedNodes.contains(name) {
                warnings.append("node \(name) is in k8s/nodes.json but has no collected data under nodes/")
            } else if !node.inKubernetes {
                warnings.append("nodes/\(name) is not a node in k8s/nodes.json")
            }
            for id in collector.netnsIDs(node: name) {
                let info = try collector.netns(node: name, id: id)
                // A diagnosis decodes only the chains its packets reach; the summary reads every rule.
                let folder = NetNSLoader.folder(node: name, netns: id)
                let rulesetWarnings = try (info.iptables?.validate(source: "\(folder)/iptables.txt") ?? [])
                    + (info.ip6tables?.validate(source: "\(folder)/ip6tables.txt") ?? [])
                // A diagnosis treats an unreadable nft.json as unknown rules; the summary decodes every rule, strictly.
                if let bytes = try collector.directory.readBytes("\(folder)/nft.json") {
                    _ = try NftJSONParser.parse(bytes, source: "\(folder)/nft.json")
                }
                let pod = info.routableAddresses.lazy.compactMap { cluster.ipCache.pod(ip: $0) }.first
                node.netns.append(NetNSSummary(
                    id: id, pod: pod?.qualifiedName, interfaces: info.interfaces.count,
                    addresses: info.routableAddresses.map(\.description), routes: info.routes.count, rules: info.rules.count,
                    iptablesRules: [info.iptables, info.ip6tables].compactMap { $0 }
                        .reduce(0) { $0 + $1.tables.reduce(0) { $0 + $1.chains.reduce(0) { $0 + $1.rules.count } } },
                    iptablesBackend: info.iptablesBackend, ipsets: info.ipsets.sets.count,
                    ipvsServices: info.ipvs.services.count,
                    listeningSockets: info.sockets.filter(\.isListening).count,
                    warnings: info.warnings + info.rulesetWarnings + rulesetWarnings.map(\.description)))
                node.netns[node.netns.count - 1].nftTables = (info.nftables?.tables ?? []).map {
                    ($0.description, $0.ruleCount, info.nftablesReadElsewhere.contains($0.description))
                }
            }
            nodes.append(node)
        }
        self.nodes = nodes
        let podsWithNetns = Set(nodes.flatMap(\.netns).compactMap(\.pod))
        for pod in try cluster.pods.all() where !pod.hostNetwork && pod.phase == "Running" && !podsWithNetns.contains(pod.qualifiedName) {
            if let node = pod.nodeName, collector.collectedNodes.contains(node) {
                warnings.append("pod \(pod.qualifiedName) on \(node) has no collected netns holding its address")
            }
        }
    }

    /// The human summary.
    public func text() -> String {
        let safe = TerminalSafe.strip
        var lines: [String] = []
        var header = "Snapshot: \(nodes.filter { !$0.isInfraDevice }.count) node(s), \(pods) pod(s), \(services) service(s), \(endpointSlices) EndpointSlice(s), \(networkPolicies) NetworkPolicy(ies)"
        let detected = [hints.cni.map { "cni \($0)" }, hints.mode.map { "mode \($0)" },
                        hints.kubeProxyMode.map { "kube-proxy \($0)" }].compactMap { $0 }
        if !detected.isEmpty { header += "\n  hints: " + detected.map(safe).joined(separator: ", ") }
        if podsFromIndex { header += "\n  pods catalogued from \(PodIndexWriter.path)" }
        lines.append(header)
        for node in nodes {
            lines.append("")
            lines.append(node.isInfraDevice ? "infra \(safe(node.name)): \(node.netns.count) netns"
                         : "node \(safe(node.name))\(node.inKubernetes ? "" : " (not in k8s/nodes.json)"): \(node.netns.count) netns")
            for netns in node.netns {
                var line = "  \(safe(netns.id))"
                if let pod = netns.pod { line += " (pod \(safe(pod)))" }
                line += ": \(netns.interfaces) interfaces, \(netns.routes) routes, \(netns.rules) rules, \(netns.iptablesRules) iptables rules"
                if let backend = netns.iptablesBackend { line += " (\(safe(backend)))" }
                if !netns.nftTables.isEmpty {
                    let native = netns.nftTables.filter { !$0.readAsIptables }.reduce(0) { $0 + $1.rules }
                    line += ", \(native) native nft rules (" + netns.nftTables.map {
                        "\(safe($0.table)) \($0.rules)\($0.readAsIptables ? " read from iptables-save" : "")"
                    }.joined(separator: ", ") + ")"
                }
                if netns.ipsets > 0 { line += ", \(netns.ipsets) ipsets" }
                if netns.ipvsServices > 0 { line += ", \(netns.ipvsServices) IPVS services" }
                line += ", \(netns.listeningSockets) listening sockets"
                lines.append(line)
                if !netns.addresses.isEmpty { lines.append("    addresses: \(netns.addresses.joined(separator: ", "))") }
                for warning in netns.warnings { lines.append("    warning: \(safe(warning))") }
            }
        }
        if !warnings.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            for warning in warnings { lines.append("  \(safe(warning))") }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
