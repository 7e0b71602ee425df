import Foundation
import SkoopModel

/// A policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy, or the cluster's single
/// BaselineAdminNetworkPolicy (``isBaseline``, no priority).
///
/// ANPs are evaluated before NetworkPolicies, lowest priority number first, each one's rules in
/// order; the first matching rule decides (Allow, Deny) or hands the flow to the NetworkPolicy
/// tier (Pass). The baseline is evaluated only when no NetworkPolicy isolates the pod.
public struct AdminNetworkPolicy: Hashable, Sendable {
    /// What a matching rule does.
    public enum Action: String, Hashable, Sendable {
        case allow = "Allow"
        case deny = "Deny"
        /// Skips the remaining admin rules: NetworkPolicies (then the baseline) decide.
        case pass = "Pass"
    }

    /// Pods chosen by namespace labels and, optionally, pod labels (nil: every pod of those namespaces).
    public struct PodSet: Hashable, Sendable, CustomStringConvertible {
        /// The namespaces.
        public var namespaceSelector: LabelSelector
        /// The pods within them; nil selects all.
        public var podSelector: LabelSelector?

        /// "namespaces {…} pods {…}".
        public var description: String {
            "namespaces \(namespaceSelector)" + (podSelector.map { " pods \($0)" } ?? "")
        }
    }

    /// One entry of a rule's from/to list.
    public enum Peer: Hashable, Sendable, CustomStringConvertible {
        /// Pods (the `namespaces` and `pods` forms).
        case pods(PodSet)
        /// Host-network ends whose node matches (egress only).
        case nodes(LabelSelector)
        /// Addresses (egress only).
        case networks([IPPrefix])

        public var description: String {
            switch self {
            case .pods(let set): set.description
            case .nodes(let selector): "nodes \(selector)"
            case .networks(let prefixes): "networks " + prefixes.map(\.description).joined(separator: ",")
            }
        }
    }

    /// One entry of a rule's ports list.
    public enum Port: Hashable, Sendable, CustomStringConvertible {
        /// A protocol and port number.
        case number(KubeProtocol, Int)
        /// A container port name on the destination pod.
        case named(String)
        /// A protocol and an inclusive range.
        case range(KubeProtocol, Int, Int)

        public var description: String {
            switch self {
            case .number(let proto, let port): "\(proto.rawValue) \(port)"
            case .named(let name): "port named \(name)"
            case .range(let proto, let start, let end): "\(proto.rawValue) \(start)-\(end)"
            }
        }
    }

    /// An ingress or egress rule.
    public struct Rule: Hashable, Sendable {
        /// The rule's name (may be empty).
        public var name: String
        /// What it does to matching traffic.
        public var action: Action
        /// from (ingress) or to (egress).
        public var peers: [Peer]
        /// The ports; nil matches every port.
        public var ports: [Port]?
    }

    /// The object's name (cluster-scoped).
    public var name: String
    /// 0-1000, lower first; nil for the baseline.
    public var priority: Int?
    /// The pods the policy applies to.
    public var subject: PodSet
    /// Ingress rules, in order.
    public var ingress: [Rule]
    /// Egress rules, in order.
    public var egress: [Rule]

    /// True for the BaselineAdminNetworkPolicy.
    public var isBaseline: Bool { priority == nil }

    /// "adminnetworkpolicy/NAME" or "baselineadminnetworkpolicy/NAME".
    public var qualifiedName: String { (isBaseline ? "baselineadminnetworkpolicy/" : "adminnetworkpolicy/") + name }

    /// The rules of one direction.
    public func rules(_ direction: NetworkPolicy.PolicyType) -> [Rule] { direction == .ingress ? ingress : egress }

    init(json: JSONNode, baseline: Bool) throws(InputError) {
        name = try ObjectMeta(json: json["metadata"]).name
        let spec = json["spec"]
        if baseline {
            priority = nil
        } else {
            guard let value = try spec["priority"].optionalInt(), (0...1000).contains(value) else {
                throw spec["priority"].error("a priority from 0 to 1000")
            }
            priority = value
        }
        subject = try AdminNetworkPolicy.podSet(spec["subject"], what: "a subject with namespaces or pods")
        ingress = try spec["ingress"].list { node throws(InputError) in
            try AdminNetworkPolicy.rule(node, peersKey: "from", baseline: baseline)
        }
        egress = try spec["egress"].list { node throws(InputError) in
            try AdminNetworkPolicy.rule(node, peersKey: "to", baseline: baseline)
        }
    }

    /// `{namespaces: SELECTOR}` or `{pods: {namespaceSelector, podSelector}}`.
    private static func podSet(_ json: JSONNode, what: String) throws(InputError) -> PodSet {
        if !json["namespaces"].isAbsent {
            return PodSet(namespaceSelector: try LabelSelector.decode(json["namespaces"]) ?? LabelSelector(), podSelector: nil)
        }
        if !json["pods"].isAbsent {
            let pods = json["pods"]
            return PodSet(namespaceSelector: try LabelSelector.decode(pods["namespaceSelector"]) ?? LabelSelector(),
                          podSelector: try LabelSelector.decode(pods["podSelector"]) ?? LabelSelector())
        }
        throw json.error(what)
    }

    private static func rule(_ json: JSONNode, peersKey: String, baseline: Bool) throws(InputError) -> Rule {
        let actionText = try json["action"].string()
        guard let action = Action(rawValue: actionText), !(baseline && action == .pass) else {
            throw json["action"].error(baseline ? "Allow or Deny" : "Allow, Deny or Pass")
        }
        let peers = try json[peersKey].list { node throws(InputError) -> Peer in
            if !node["networks"].isAbsent {
                return .networks(try node["networks"].list { item throws(InputError) in try item.prefix() })
            }
            if !node["nodes"].isAbsent {
                return .nodes(try LabelSelector.decode(node["nodes"]) ?? LabelSelector())
            }
            return .pods(try podSet(node, what: "a peer with namespaces, pods, nodes or networks"))
        }
        if peers.isEmpty { throw json[peersKey].error("at least one peer") }
        var ports: [Port]?
        if !json["ports"].isAbsent {
            ports = try json["ports"].list { node throws(InputError) -> Port in
                if !node["portNumber"].isAbsent {
                    let entry = node["portNumber"]
                    guard let port = try entry["port"].optionalPort() else { throw entry["port"].error("a port number") }
                    return .number(try KubeProtocol.decode(entry["protocol"]), Int(port))
                }
                if let name = try node["namedPort"].optionalString() { return .named(name) }
                if !node["portRange"].isAbsent {
                    let entry = node["portRange"]
                    guard let start = try entry["start"].optionalPort(), let end = try entry["end"].optionalPort(), start <= end else {
                        throw entry.error("a portRange with start <= end")
                    }
                    return .range(try KubeProtocol.decode(entry["protocol"]), Int(start), Int(end))
                }
                throw node.error("portNumber, namedPort or portRange")
            }
        }
        return Rule(name: try json["name"].optionalString() ?? "", action: action, peers: peers, ports: ports)
    }
}

extension KubernetesJSON {
    /// AdminNetworkPolicies from `kubectl get adminnetworkpolicies -o json`.
    public static func adminNetworkPolicies(_ data: Data, source: String) throws(InputError) -> [AdminNetworkPolicy] {
        try decode(data, source: source, kind: "AdminNetworkPolicy", plural: "admin network policies") {
            json throws(InputError) in try AdminNetworkPolicy(json: json, baseline: false)
        }
    }

    /// BaselineAdminNetworkPolicies from `kubectl get baselineadminnetworkpolicies -o json`.
    public static func baselineAdminNetworkPolicies(_ data: Data, source: String) throws(InputError) -> [AdminNetworkPolicy] {
        try decode(data, source: source, kind: "BaselineAdminNetworkPolicy", plural: "baseline admin network policies") {
            json throws(InputError) in try AdminNetworkPolicy(json: json, baseline: true)
        }
    }
}
