import Foundation
import SkoopModel
import SkoopKubernetes
import SkoopCollector

/// Nodes, and pods apart from their node, that a diagnosis cannot tell apart: their collected
/// files are the same once each node's own identity and its peers' are placeholders
/// (`NetnsCanonicalForm`), every peer is reached by the same entries, and their Kubernetes
/// objects agree on what the checks read. A matrix cell whose source and destination are
/// alike in this sense (same pod signatures, same node classes, same node relation) is answered
/// by one simulation.
///
/// Reuse is off for the whole cluster when something can single out a node or a pod by its
/// address or name alone: a policy with ipBlock peers, an admin policy with networks or nodes
/// peers, or collected routers (`--infra`) a path may cross.
struct NodeEquivalence: Sendable {
    /// The class number of each node like others; a node missing is diagnosed on its own.
    var nodeClass: [String: Int] = [:]
    /// The signature number of each pod (its node aside); a pod missing is diagnosed on its own.
    var podSignature: [String: Int] = [:]

    /// One end of a cell: a pod's signature and its node's class.
    struct Side: Hashable {
        var pod: Int
        var node: Int
    }

    /// The side of `pod` on `node`, nil when either is unlike any other.
    func side(_ pod: String, node: String?) -> Side? {
        guard let node, let signature = podSignature[pod], let nodeClass = nodeClass[node] else { return nil }
        return Side(pod: signature, node: nodeClass)
    }

    static func compute(collector: CollectorManager, pods: [Pod], relevantKeys: Set<String>) -> NodeEquivalence {
        let cluster = collector.cluster
        guard collector.infraDevices.isEmpty, !singlesOutByAddress(cluster) else { return NodeEquivalence() }
        let identities = ClusterIdentities(cluster: cluster, pods: pods)
        let podsByNode = Dictionary(grouping: pods.filter { !$0.hostNetwork && $0.nodeName != nil }) { $0.nodeName! }
        let nodes = collector.collectedNodes.filter { cluster.node(named: $0) != nil }
        let peers = cluster.nodes.map(\.name)
        let forms = Locked([NodeForm?](repeating: nil, count: nodes.count))
        DispatchQueue.concurrentPerform(iterations: nodes.count) { index in
            let form = NodeForm(node: nodes[index], pods: podsByNode[nodes[index]] ?? [], peers: peers, collector: collector,
                                identities: identities, relevantKeys: relevantKeys)
            forms.withLock { $0[index] = form }
        }
        var equivalence = NodeEquivalence()
        var nodeNumbers = SignatureNumbers(), podNumbers = SignatureNumbers()
        for (index, form) in forms.withLock({ $0 }).enumerated() {
            guard let form else { continue }
            if let signature = form.signature { equivalence.nodeClass[nodes[index]] = nodeNumbers.number(of: signature) }
            for (pod, signature) in form.pods { equivalence.podSignature[pod] = podNumbers.number(of: signature) }
        }
        return equivalence
    }

    /// Whether a policy selects by address or by node: then a pod's or node's identity matters.
    static func singlesOutByAddress(_ cluster: ClusterState) -> Bool {
        let ipBlocks = cluster.networkPolicies.contains { policy in
            (policy.ingress + policy.egress).contains { rule in rule.peers.contains { $0.ipBlock != nil } }
        }
        let adminPeers = cluster.adminNetworkPolicies.contains { policy in
            (policy.ingress + policy.egress).contains { rule in
                rule.peers.contains { peer in if case .pods = peer { false } else { true } }
            }
        }
        return ipBlocks || adminPeers
    }
}

/// Numbers signatures in order of first appearance; equal numbers only for equal texts.
private struct SignatureNumbers {
    private var byHash: [Int: [(text: String, number: Int)]] = [:]
    private var count = 0

    mutating func number(of text: String) -> Int {
        let hash = text.hashValue
        if let known = byHash[hash]?.first(where: { $0.text == text }) { return known.number }
        count += 1
        byHash[hash, default: []].append((text, count))
        return count
    }
}

/// One node's signature and its pods', from the snapshot's files.
private struct NodeForm {
    /// Nil: the node is unlike any other.
    var signature: String?
    /// Pod ("NAMESPACE/NAME") -> signature, for the pods that have one.
    var pods: [(String, String)] = []

    init?(node: String, pods: [Pod], peers: [String], collector: CollectorManager, identities: ClusterIdentities,
          relevantKeys: Set<String>) {
        let directory = collector.directory
        let root = NetNSLoader.netnsRoot(node: node)
        guard let host = RawNetns(directory: directory, folder: root + "/host"),
              let object = collector.cluster.node(named: node) else { return nil }
        // Each pod's own names: addresses, eth0 MAC, and its host-side veth's name and MAC.
        var podNetns: [(pod: Pod, raw: RawNetns, tokens: [String: String])] = []
        let hostLinks = host.entries["ip-link.json"] ?? []
        for pod in pods {
            guard let address = pod.podIPs.first, let id = collector.netns(node: node, owning: address),
                  let raw = RawNetns(directory: directory, folder: root + "/" + id) else { continue }
            var tokens: [String: String] = [:]
            for ip in pod.podIPs { tokens[ip.description] = "POD.ip" }
            let eth0 = (raw.entries["ip-link.json"] ?? []).compactMap { $0 as? [String: Any] }.first { ($0["ifname"] as? String) != "lo" }
            if let mac = eth0?["address"] as? String { tokens[mac.lowercased()] = "POD.mac" }
            if let peerIndex = eth0?["link_index"] as? Int,
               let veth = hostLinks.compactMap({ $0 as? [String: Any] }).first(where: { ($0["ifindex"] as? Int) == peerIndex }) {
                if let name = veth["ifname"] as? String { tokens[name] = "POD.veth" }
                if let mac = veth["address"] as? String { tokens[mac.lowercased()] = "POD.vethmac" }
            }
            podNetns.append((pod, raw, tokens))
        }
        let tokenSets = podNetns.map { Set($0.tokens.keys) }
        let allTokens = Set(tokenSets.joined())
        var form = NetnsCanonicalForm(identities: identities, node: node)
        for case let link as [String: Any] in hostLinks where !NetnsCanonicalForm.mentions(link, allTokens) {
            if let name = link["ifname"] as? String, let mac = link["address"] as? String, mac != "00:00:00:00:00:00" {
                form.named[mac.lowercased()] = "NODE.mac(\(name))"
            }
        }
        let nodeNames = form.named
        // The host's entries: a pod's own go to its signature, a peer's are grouped by peer.
        var own: [String] = [], byPeer: [String: [String]] = [:]
        var podEntries = Array(repeating: [String](), count: podNetns.count)
        var podApart = Array(repeating: false, count: podNetns.count)
        for (file, entries) in host.entries.sorted(by: { $0.key < $1.key }) {
            for entry in entries {
                let owners = NetnsCanonicalForm.mentions(entry, allTokens)
                    ? podNetns.indices.filter { NetnsCanonicalForm.mentions(entry, tokenSets[$0]) } : []
                if let owner = owners.first {
                    owners.dropFirst().forEach { podApart[$0] = true }
                    form.named = nodeNames.merging(podNetns[owner].tokens) { $1 }
                    let (text, peer) = form.entry(entry, podEntry: true)
                    if peer != nil || owners.count > 1 { podApart[owner] = true }
                    podEntries[owner].append(file + " " + text)
                } else {
                    form.named = nodeNames
                    let (text, peer) = form.entry(entry, podEntry: false)
                    if let peer { byPeer[peer, default: []].append(file + " " + text) } else { own.append(file + " " + text) }
                }
            }
        }
        // Every peer must be reached by the same entries, else which peer it is matters.
        let perPeer = Set(peers.filter { $0 != node }.map { (byPeer[$0] ?? []).sorted().joined(separator: "\n") })
        let uniform = perPeer.count <= 1 && !form.namesTwoPeers
        let k8s = "ready=\(String(describing: object.isReady)) taints=\(object.taints.map { "\($0.key)=\($0.value ?? ""):\($0.effect)" }) unschedulable=\(object.unschedulable) cidrs=\(object.podCIDRs.map(\.length)) backend=\(object.flannelBackendType ?? "")"
        if uniform {
            let files: [String] = host.hashes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            var parts: [String] = [k8s]
            parts += own.sorted()
            parts += files
            parts += ["peers:", perPeer.first ?? ""]
            signature = parts.joined(separator: "\n")
        }
        for (index, entry) in podNetns.enumerated() where !podApart[index] {
            var podForm = NetnsCanonicalForm(identities: identities, node: node)
            podForm.named = nodeNames.merging(entry.tokens) { $1 }
            var lines: [String] = []
            var apart = false
            for (file, entries) in entry.raw.entries.sorted(by: { $0.key < $1.key }) {
                for item in entries {
                    let (text, peer) = podForm.entry(item, podEntry: true)
                    if peer != nil { apart = true }
                    lines.append(file + " " + text)
                }
            }
            if apart { continue }
            let pod = entry.pod
            let ports = pod.containers.flatMap(\.ports).map { "\($0.name ?? "")/\($0.containerPort)/\($0.protocol.rawValue)" }.sorted()
            let labels = pod.labels.filter { relevantKeys.contains($0.key) }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            let header = "ns=\(pod.namespace) labels=\(labels) ports=\(ports) phase=\(pod.phase ?? "") unready=\(pod.unreadyContainers.map(\.name))"
            let files: [String] = entry.raw.hashes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            var parts: [String] = [header]
            parts += lines.sorted()
            parts += files
            parts.append("host:")
            parts += podEntries[index].sorted()
            self.pods.append((pod.qualifiedName, parts.joined(separator: "\n")))
        }
    }
}
