import SkoopModel
import SkoopKubernetes

extension DiagnosisSession {
    /// The address in a -s/-d argument that is one ("10.0.0.1", "[fd00::1]"), else nil.
    static func queriedAddress(_ argument: String) -> IPAddress? {
        let text = argument.trimmingCharacters(in: .whitespaces)
        return IPAddress(text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text)
    }

    /// Checks --via-node and --src-ip against the resolved source and records them on the network.
    static func applyEntryOptions(_ query: DiagnosisQuery, source: ResolvedTarget,
                                  to network: inout Network) throws(DiagnosisSetupError) {
        if let viaNode = query.viaNode {
            guard case .external = source else {
                throw DiagnosisSetupError(description: "--via-node: the source must be an address outside the cluster (traffic entering at node \(viaNode)); \(source) is inside it")
            }
            guard network.cluster.node(named: viaNode) != nil else {
                throw DiagnosisSetupError(description: "--via-node: no node \(viaNode); nodes: \(network.cluster.nodeCatalog.names.sorted().prefix(10).joined(separator: ", "))")
            }
            network.entryNode = viaNode
        }
        if let sourceIP = query.sourceIP {
            guard case .node(let node) = source else {
                throw DiagnosisSetupError(description: "--src-ip: needs -s node/NAME (the address that node sends from); the source is \(source)")
            }
            guard sourceIP.isLoopback || node.addresses.contains(where: { $0.ip == sourceIP })
                    || network.cluster.ipCache.services(ip: sourceIP).contains(where: { $0.loadBalancerIngressIPs.contains(sourceIP) })
                    || (try? network.collector.netns(node: node.name, id: "host"))?.owns(sourceIP) == true else {
                throw DiagnosisSetupError(description: "--src-ip: \(sourceIP) is not an address of node \(node.name) (expected one of its addresses, a loopback address or a LoadBalancer IP)")
            }
            network.sourceAddressOverride = sourceIP
        }
    }
}

extension DiagnosisSession {
    /// A source with no address of the flow's family can't send it: say so, with the addresses it has.
    static func requireSourceAddress(_ source: ResolvedTarget, family: AddressFamily,
                                     query: DiagnosisQuery) throws(DiagnosisSetupError) {
        if query.sourceIP?.family == family { return }
        if case .external = source { return }
        guard source.address(family: family) == nil else { return }
        throw DiagnosisSetupError(description: "-s/--src: \(source) has no \(family.displayName) address (its addresses: \(addressList(source))); "
                                  + "choose the family with --ip-family or give a destination address of the source's family")
    }

    /// A target's addresses, for messages.
    static func addressList(_ target: ResolvedTarget) -> String {
        let addresses = target.addresses
        return addresses.isEmpty ? "none" : addresses.map(\.description).joined(separator: ", ")
    }
}

extension AddressFamily {
    /// "IPv4" or "IPv6".
    public var displayName: String { self == .inet ? "IPv4" : "IPv6" }
}
