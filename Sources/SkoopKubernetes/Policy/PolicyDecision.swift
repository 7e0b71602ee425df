import SkoopModel

/// One end of a flow as NetworkPolicy sees it: an address, and the pod owning it if any.
public struct PolicyFlowEnd: Hashable, Sendable, CustomStringConvertible {
    /// The address (for a pod, the pod IP used after any service translation).
    public var ip: IPAddress
    /// The pod, when the address is a pod's (host-network pods are treated as their node).
    public var pod: Pod?

    /// Makes an end.
    public init(ip: IPAddress, pod: Pod? = nil) {
        self.ip = ip
        self.pod = pod
    }

    /// The pod that policies can select (not a host-network pod).
    var selectablePod: Pod? { pod.flatMap { $0.hostNetwork ? nil : $0 } }

    /// The pod's name, else the address.
    public var description: String { selectablePod?.qualifiedName ?? ip.description }
}

/// A flow to check: from a source to a destination port after service translation.
public struct PolicyFlow: Hashable, Sendable {
    public var source: PolicyFlowEnd
    public var destination: PolicyFlowEnd
    /// The destination port (the backend's port; ignored for ICMP).
    public var port: UInt16
    public var `protocol`: TransportProtocol

    /// Makes a flow.
    public init(source: PolicyFlowEnd, destination: PolicyFlowEnd, port: UInt16, protocol: TransportProtocol) {
        self.source = source
        self.destination = destination
        self.port = port
        self.protocol = `protocol`
    }

    /// "default/client -> default/web-0 TCP 8080".
    public var summary: String {
        let service = `protocol` == .icmp ? "ICMP" : "\(`protocol`.rawValue.uppercased()) \(port)"
        return "\(source) -> \(destination) \(service)"
    }
}

/// The tier that decided a direction.
public enum PolicyTier: String, Hashable, Sendable {
    case admin = "AdminNetworkPolicy"
    case networkPolicy = "NetworkPolicy"
    case baseline = "BaselineAdminNetworkPolicy"
}

/// Whether one rule of a policy matches a flow, and if not, why.
public struct RuleExplanation: Hashable, Sendable, CustomStringConvertible {
    /// "networkpolicy/NAMESPACE/NAME", "adminnetworkpolicy/NAME" or "baselineadminnetworkpolicy/NAME".
    public var policy: String
    /// "ingress[0]", or an admin rule's name and action.
    public var rule: String
    /// True when the rule matches the flow.
    public var matches: Bool
    /// Why it does not match: which peer selector, port or namespace.
    public var reasons: [String]

    /// "networkpolicy/x/allow ingress[0]: from: ...; ports: ...".
    public var description: String {
        "\(policy) \(rule): " + (matches ? "matches" : reasons.joined(separator: "; "))
    }
}

/// What the policies of one direction (the source's egress or the destination's ingress) decide.
public struct DirectionVerdict: Hashable, Sendable {
    /// Ingress or egress.
    public var direction: NetworkPolicy.PolicyType
    /// The pod whose policies apply ("NAMESPACE/NAME"); nil when that end is not a pod.
    public var pod: String?
    /// True when some policy selects the pod for this direction.
    public var isolated: Bool
    /// True when the flow may pass in this direction.
    public var allowed: Bool
    /// The policies selecting the pod for this direction ("NAMESPACE/NAME").
    public var selectingPolicies: [String]
    /// Those among them with a rule matching the flow.
    public var allowingPolicies: [String]
    /// The admin policies (ANPs, the baseline) whose subject is the pod, in evaluation order.
    public var adminPolicies: [String] = []
    /// The tier that decided; nil when no policy applies (allowed by default).
    public var decidedBy: PolicyTier?
    /// The admin rule that decided ("adminnetworkpolicy/NAME rule \"x\" (Deny)"), when one did.
    public var decidingRule: String?
    /// Every rule evaluated, in order, and why it does or does not match.
    public var explanations: [RuleExplanation] = []

    /// The policies that deny this direction: the deciding admin policy's rule, or every isolating NetworkPolicy.
    public var denyingPolicies: [String] {
        guard !allowed else { return [] }
        if let decidingRule { return [decidingRule] }
        return selectingPolicies.map { "networkpolicy/\($0)" }
    }
}

/// The NetworkPolicy decision for a flow: both the source's egress and the destination's ingress.
public struct PolicyDecision: Hashable, Sendable {
    /// The flow decided.
    public var flow: PolicyFlow
    /// The source pod's egress.
    public var egress: DirectionVerdict
    /// The destination pod's ingress.
    public var ingress: DirectionVerdict

    /// True when both directions allow the flow.
    public var allowed: Bool { egress.allowed && ingress.allowed }

    /// The directions that deny the flow.
    public var deniedDirections: [DirectionVerdict] { [egress, ingress].filter { !$0.allowed } }

    /// The policies that deny: every NetworkPolicy isolating a denying direction ("NAMESPACE/NAME").
    public var denyingPolicies: [String] { deniedDirections.flatMap(\.selectingPolicies) }

    /// A critical suspicion naming the denying policies; nil when the flow is allowed.
    public var suspicion: Suspicion? {
        guard !allowed else { return nil }
        let parts = deniedDirections.map { verdict in
            let side = verdict.direction == .ingress ? "ingress to \(flow.destination) from \(flow.source)"
                                                     : "egress from \(flow.source) to \(flow.destination)"
            if let rule = verdict.decidingRule { return "\(rule) denies \(side)" }
            let names = verdict.selectingPolicies.joined(separator: ", ")
            let noun = verdict.selectingPolicies.count == 1 ? "NetworkPolicy" : "NetworkPolicies"
            return "\(noun) \(names) isolate\(verdict.selectingPolicies.count == 1 ? "s" : "") \(side) and no rule allows it"
        }
        let protocolText = flow.protocol == .icmp ? "ICMP" : "\(flow.protocol.rawValue.uppercased()) port \(flow.port)"
        return Suspicion(level: .critical,
                         message: parts.joined(separator: "; ") + " (\(protocolText))",
                         evidence: deniedDirections.flatMap(\.denyingPolicies).joined(separator: ", "),
                         hint: "add a rule allowing this peer and port to one of these policies, or fix their selectors",
                         fix: fix.flatMap { $0.yaml.isEmpty ? nil : $0.yaml })
    }
}
