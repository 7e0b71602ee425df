import SkoopModel

/// A networking.k8s.io/v1 NetworkPolicy.
public struct NetworkPolicy: Hashable, Sendable {
    /// The direction a policy isolates.
    public enum PolicyType: String, Hashable, Sendable, CaseIterable {
        case ingress = "Ingress"
        case egress = "Egress"
    }

    /// A CIDR minus exceptions.
    public struct IPBlock: Hashable, Sendable {
        /// The block.
        public var cidr: IPPrefix
        /// Ranges inside the block that do not match.
        public var except: [IPPrefix]

        /// True when `address` is in the block and in no exception.
        public func contains(_ address: IPAddress) -> Bool {
            cidr.contains(address) && !except.contains { $0.contains(address) }
        }
    }

    /// One entry of a rule's from/to list.
    public struct Peer: Hashable, Sendable {
        /// Pods (in the policy's namespace, or in namespaceSelector's namespaces when both are set).
        public var podSelector: LabelSelector?
        /// Namespaces whose pods match.
        public var namespaceSelector: LabelSelector?
        /// Addresses that match.
        public var ipBlock: IPBlock?
    }

    /// One entry of a rule's ports list.
    public struct Port: Hashable, Sendable {
        /// The protocol (TCP when unset).
        public var `protocol`: KubeProtocol
        /// A port number or a named container port; nil matches every port.
        public var port: IntOrString?
        /// The last port of a range starting at a numeric `port`.
        public var endPort: Int?
    }

    /// An ingress or egress rule: traffic matching any peer AND any port is allowed.
    public struct Rule: Hashable, Sendable {
        /// from (ingress) or to (egress); empty allows every peer.
        public var peers: [Peer]
        /// The ports; empty allows every port.
        public var ports: [Port]
    }

    /// Namespace and name.
    public var metadata: ObjectMeta
    /// The pods this policy applies to (in its namespace); empty selects all.
    public var podSelector: LabelSelector
    /// The directions it isolates, after the API's defaulting (Ingress always, Egress with egress rules).
    public var policyTypes: [PolicyType]
    /// Ingress rules.
    public var ingress: [Rule]
    /// Egress rules.
    public var egress: [Rule]

    /// "NAMESPACE/NAME".
    public var qualifiedName: String { metadata.qualifiedName }

    /// The rules of one direction.
    public func rules(_ direction: PolicyType) -> [Rule] { direction == .ingress ? ingress : egress }

    init(json: JSONNode) throws(InputError) {
        metadata = try ObjectMeta(json: json["metadata"])
        let spec = json["spec"]
        podSelector = try LabelSelector.decode(spec["podSelector"]) ?? LabelSelector()
        ingress = try spec["ingress"].list { node throws(InputError) in try NetworkPolicy.rule(node, peersKey: "from") }
        egress = try spec["egress"].list { node throws(InputError) in try NetworkPolicy.rule(node, peersKey: "to") }
        var types: [PolicyType] = []
        for node in try spec["policyTypes"].array() {
            guard let type = PolicyType(rawValue: try node.string()) else { throw node.error("Ingress or Egress") }
            if !types.contains(type) { types.append(type) }
        }
        if types.isEmpty {
            types = egress.isEmpty ? [.ingress] : [.ingress, .egress]
        }
        policyTypes = types
    }

    private static func rule(_ json: JSONNode, peersKey: String) throws(InputError) -> Rule {
        let peers = try json[peersKey].list { node throws(InputError) in
            let block: IPBlock? = node["ipBlock"].isAbsent ? nil : IPBlock(
                cidr: try node["ipBlock"]["cidr"].prefix(),
                except: try node["ipBlock"]["except"].list { item throws(InputError) in try item.prefix() })
            let peer = Peer(podSelector: try LabelSelector.decode(node["podSelector"]),
                            namespaceSelector: try LabelSelector.decode(node["namespaceSelector"]), ipBlock: block)
            if peer.podSelector == nil, peer.namespaceSelector == nil, peer.ipBlock == nil {
                throw node.error("a podSelector, namespaceSelector or ipBlock")
            }
            return peer
        }
        let ports = try json["ports"].list { node throws(InputError) in
            Port(protocol: try KubeProtocol.decode(node["protocol"]), port: try IntOrString.decode(node["port"]),
                 endPort: try node["endPort"].optionalInt())
        }
        return Rule(peers: peers, ports: ports)
    }
}
