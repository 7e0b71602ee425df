import Foundation
import SkoopModel
import SkoopKubernetes
import SkoopCollector

/// Who is who in a cluster, for writing a netns in a form where a node's own identity (its
/// addresses, pod CIDR, VTEP) and its peers' identities are placeholders.
struct ClusterIdentities: Sendable {
    var nodeOfAddress: [IPAddress: String] = [:]
    var nodeOfCIDR: [IPPrefix: String] = [:]
    var cidrLengths: Set<Int> = []
    /// Flannel VTEP MACs (lowercased) by node.
    var nodeOfVTEP: [String: String] = [:]
    /// Pod addresses stay as collected outside their own pod's entries: a rule or route naming
    /// one pod must not read like one naming another.
    var podAddresses: Set<IPAddress> = []

    init(cluster: ClusterState, pods: [Pod]) {
        for pod in pods { podAddresses.formUnion(pod.podIPs) }
        for node in cluster.nodes {
            for address in node.ipAddresses { nodeOfAddress[address] = node.name }
            for cidr in node.podCIDRs {
                nodeOfCIDR[cidr] = node.name
                cidrLengths.insert(Int(cidr.length))
            }
            if let data = node.metadata.annotations["flannel.alpha.coreos.com/backend-data"]?.data(using: .utf8),
               let backend = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               let mac = backend["VtepMAC"] as? String {
                nodeOfVTEP[mac.lowercased()] = node.name
            }
        }
    }

    /// The node whose pod CIDR holds `address`, and the address's offset in it.
    func podCIDR(holding address: IPAddress) -> (node: String, offset: String)? {
        for length in cidrLengths {
            guard let prefix = IPPrefix(address, length: length), let node = nodeOfCIDR[prefix] else { continue }
            let offset: String = switch (address, prefix.network) {
            case (.v4(let a), .v4(let n)): String(a.value - n.value)
            case (.v6(let a), .v6(let n)): "\(a.high ^ n.high):\(a.low ^ n.low)"
            default: address.description
            }
            return (node, offset)
        }
        return nil
    }
}

/// One netns's collected files written with placeholders for identities, so that two nodes
/// whose files differ only in who they are produce the same text.
///
/// What is replaced, and why it cannot change a diagnosis:
/// - the node's own addresses, pod CIDR addresses and VTEP MAC -> NODE.*: used consistently
///   within the node, they only name it;
/// - another node's -> PEERn.* numbered per entry (a route to a peer's CIDR via that peer's
///   VTEP reads PEER1 via PEER1; an entry naming two peers makes the node unlike any other);
///   the caller checks that every peer has the same entries (`NodeEquivalence`);
/// - the MAC of one of the node's own links -> NODE.mac(NAME);
/// - inside the pod's own entries, its addresses, MAC, veth name and veth MAC -> POD.*, and
///   interface indexes, netns ids and bridge port numbers (the kernel's bookkeeping, consistent
///   by construction) -> #; IPv6 link-local addresses (derived from those MACs) -> LL.
/// Everything else is kept as collected; text files (rules, sysctls, sockets) are compared whole.
struct NetnsCanonicalForm {
    let identities: ClusterIdentities
    let node: String
    /// Placeholders of strings that name the node's links or the pod in context.
    var named: [String: String] = [:]
    /// Set when an entry names two peers: the node is then kept apart.
    private(set) var namesTwoPeers = false

    init(identities: ClusterIdentities, node: String) {
        self.identities = identities
        self.node = node
    }

    /// The placeholder form of a string value of an entry; `peers` numbers the peers met in it.
    mutating func string(_ value: String, peers: inout [String: Int]) -> String {
        // Lookups first, lowercasing only what has upper case (iproute2 prints MACs in lower case).
        let lower = NetnsCanonicalForm.lowercased(value)
        if let known = named[lower] { return known }
        let utf8 = value.utf8
        if utf8.count > 17, let dot = lower.utf8.firstIndex(of: UInt8(ascii: ".")) {
            // bridge_id / root_id: "8000.<mac>"
            if let mac = named[String(lower[lower.index(after: dot)...])] { return String(lower[..<dot]) + "." + mac }
        }
        if let owner = identities.nodeOfVTEP[lower] { return role(owner, peers: &peers) + ".vtep" }
        let slash = utf8.firstIndex(of: UInt8(ascii: "/"))
        guard let address = IPAddress(value[..<(slash ?? value.endIndex)]) else { return value }
        let length = slash.flatMap { Int(value[value.index(after: $0)...]) }
        let suffix = slash.map { String(value[$0...]) } ?? ""
        if case .v6(let v6) = address, v6.high >> 54 == 0x3fa { return "LL" + suffix }  // fe80::/10
        if identities.podAddresses.contains(address) { return value }
        if let owner = identities.nodeOfAddress[address] { return role(owner, peers: &peers) + ".ip" + suffix }
        // A prefix wider than a node's pod CIDR (the cluster CIDR) names no node, even when it
        // starts where node 0's does.
        let wider = length.map { length in identities.cidrLengths.contains { length < $0 } } == true
        if !wider, let (owner, offset) = identities.podCIDR(holding: address) {
            return role(owner, peers: &peers) + ".cidr+" + offset + suffix
        }
        return value
    }

    private mutating func role(_ owner: String, peers: inout [String: Int]) -> String {
        if owner == node { return "NODE" }
        if let index = peers[owner] { return "PEER\(index)" }
        peers[owner] = peers.count + 1
        if peers.count > 1 { namesTwoPeers = true }
        return "PEER\(peers.count)"
    }

    /// Keys whose values are kernel bookkeeping inside a pod's own entries.
    static let indexKeys: Set<String> = ["ifindex", "link_index", "link_netnsid", "id", "no"]

    /// The placeholder form of one JSON value (keys sorted).
    mutating func value(_ value: Any, key: String? = nil, podEntry: Bool, peers: inout [String: Int]) -> String {
        if podEntry, let key, NetnsCanonicalForm.indexKeys.contains(key) { return "#" }
        switch value {
        case let text as String: return "\"" + string(text, peers: &peers) + "\""
        case let list as [Any]: return "[" + list.map { self.value($0, podEntry: podEntry, peers: &peers) }.joined(separator: ",") + "]"
        case let object as [String: Any]:
            return "{" + object.keys.sorted().map { "\($0):" + self.value(object[$0]!, key: $0, podEntry: podEntry, peers: &peers) }
                .joined(separator: ",") + "}"
        default: return "\(value)"
        }
    }

    /// The placeholder form of one top-level entry of an iproute2 JSON file, and the peer it names.
    mutating func entry(_ entry: Any, podEntry: Bool) -> (text: String, peer: String?) {
        var peers: [String: Int] = [:]
        let text = value(entry, podEntry: podEntry, peers: &peers)
        return (text, peers.keys.first)
    }

    /// Whether `entry` mentions one of `tokens` anywhere (a pod's own entry on the host).
    static func mentions(_ entry: Any, _ tokens: Set<String>) -> Bool {
        switch entry {
        case let text as String:
            let lower = lowercased(text)
            if tokens.contains(lower) { return true }
            guard let slash = lower.utf8.firstIndex(of: UInt8(ascii: "/")) else { return false }
            return tokens.contains(String(lower[..<slash]))
        case let list as [Any]: return list.contains { mentions($0, tokens) }
        case let object as [String: Any]: return object.values.contains { mentions($0, tokens) }
        default: return false
        }
    }

    /// `text` in lower case, without a copy when it has no upper-case ASCII letter.
    static func lowercased(_ text: String) -> String {
        text.utf8.contains { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") } ? text.lowercased() : text
    }
}

/// A netns folder's files, read raw: iproute2 JSON files as entry lists, the rest as content hashes.
struct RawNetns {
    var entries: [String: [Any]] = [:]
    var hashes: [String: UInt64] = [:]

    /// Nil when the folder cannot be read or a JSON file does not parse as a list.
    init?(directory: SnapshotDirectory, folder: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.root + "/" + folder) else { return nil }
        for name in names.sorted() {
            guard let data = try? directory.read(folder + "/" + name) else { return nil }
            if name.hasSuffix(".json") && name != "nft.json" {
                guard let list = try? JSONSerialization.jsonObject(with: data) as? [Any] else { return nil }
                entries[name] = list
            } else {
                hashes[name] = data.withUnsafeBytes { ContentHash.xxh64($0) }
            }
        }
    }
}
