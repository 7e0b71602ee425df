import SkoopModel

extension ClusterState {
    /// The flow end for an address: with its pod when a (non-host-network) pod owns it.
    public func policyFlowEnd(ip: IPAddress) -> PolicyFlowEnd {
        PolicyFlowEnd(ip: ip, pod: ipCache.pod(ip: ip))
    }

    /// Evaluates the policy tiers with the APIs' semantics, for the source's egress and the
    /// destination's ingress (both must allow):
    /// 1. AdminNetworkPolicies selecting the pod, lowest priority first, each one's rules in order:
    ///    the first matching rule allows, denies, or passes to the next tiers.
    /// 2. NetworkPolicies: a pod is isolated in a direction only when one selects it for that
    ///    direction; then the flow passes only when some selecting policy has a rule whose peers
    ///    AND ports match (the union of all of them).
    /// 3. When no NetworkPolicy isolates it, the BaselineAdminNetworkPolicy's first matching rule.
    /// 4. Otherwise allowed. Host-network pods and non-pod ends are never selected.
    /// - Complexity: O(policies × rules).
    public func evaluateNetworkPolicies(_ flow: PolicyFlow) -> PolicyDecision {
        PolicyDecision(flow: flow,
                       egress: verdict(.egress, subject: flow.source, peer: flow.destination, flow: flow),
                       ingress: verdict(.ingress, subject: flow.destination, peer: flow.source, flow: flow))
    }

    /// The NetworkPolicies selecting `pod` for `direction`.
    public func policies(selecting pod: Pod, for direction: NetworkPolicy.PolicyType) -> [NetworkPolicy] {
        guard !pod.hostNetwork else { return [] }
        return networkPolicies.filter { policy in
            policy.metadata.namespace == pod.namespace && policy.policyTypes.contains(direction)
                && policy.podSelector.matches(pod.labels)
        }
    }

    /// The admin policies (ANPs by priority, then the baseline) whose subject is `pod`.
    public func adminPolicies(selecting pod: Pod) -> [AdminNetworkPolicy] {
        guard !pod.hostNetwork else { return [] }
        return adminNetworkPolicies.filter { matches($0.subject, pod: pod) }
    }

    private func verdict(_ direction: NetworkPolicy.PolicyType, subject: PolicyFlowEnd, peer: PolicyFlowEnd,
                         flow: PolicyFlow) -> DirectionVerdict {
        var result = DirectionVerdict(direction: direction, pod: nil, isolated: false, allowed: true,
                                      selectingPolicies: [], allowingPolicies: [])
        guard let pod = subject.selectablePod else { return result }
        result.pod = pod.qualifiedName
        let admin = adminPolicies(selecting: pod)
        // Tier 1: the first matching admin rule decides, unless it passes.
        for policy in admin where !policy.isBaseline {
            result.adminPolicies.append(policy.qualifiedName)
            if let (name, action) = firstMatch(policy, direction: direction, peer: peer, flow: flow, into: &result) {
                if action == .pass { break }
                result.allowed = action == .allow
                result.decidedBy = .admin
                result.decidingRule = "\(policy.qualifiedName) rule \(name) (\(action.rawValue))"
                return result
            }
        }
        // Tier 2: NetworkPolicies isolate and allow by union.
        let selecting = policies(selecting: pod, for: direction)
        if !selecting.isEmpty {
            var allowing: [String] = []
            for policy in selecting {
                var allows = false
                for (index, rule) in policy.rules(direction).enumerated() {
                    let reasons = mismatches(rule, policyNamespace: policy.metadata.namespace, peer: peer, flow: flow,
                                             direction: direction)
                    result.explanations.append(RuleExplanation(policy: "networkpolicy/\(policy.qualifiedName)",
                                                               rule: "\(direction == .ingress ? "ingress" : "egress")[\(index)]",
                                                               matches: reasons.isEmpty, reasons: reasons))
                    if reasons.isEmpty { allows = true }
                }
                if policy.rules(direction).isEmpty {
                    result.explanations.append(RuleExplanation(
                        policy: "networkpolicy/\(policy.qualifiedName)", rule: "(none)", matches: false,
                        reasons: ["it selects \(pod.qualifiedName) for \(direction.rawValue) and has no \(direction == .ingress ? "ingress" : "egress") rule: it allows nothing"]))
                }
                if allows { allowing.append(policy.qualifiedName) }
            }
            result.isolated = true
            result.selectingPolicies = selecting.map(\.qualifiedName)
            result.allowingPolicies = allowing
            result.allowed = !allowing.isEmpty
            result.decidedBy = .networkPolicy
            return result
        }
        // Tier 3: the baseline.
        for policy in admin where policy.isBaseline {
            result.adminPolicies.append(policy.qualifiedName)
            if let (name, action) = firstMatch(policy, direction: direction, peer: peer, flow: flow, into: &result) {
                result.allowed = action == .allow
                result.decidedBy = .baseline
                result.decidingRule = "\(policy.qualifiedName) rule \(name) (\(action.rawValue))"
                return result
            }
        }
        return result
    }

    /// The first rule of an admin policy matching the flow (its name and action), recording why
    /// the earlier ones do not match.
    private func firstMatch(_ policy: AdminNetworkPolicy, direction: NetworkPolicy.PolicyType, peer: PolicyFlowEnd,
                            flow: PolicyFlow, into result: inout DirectionVerdict) -> (String, AdminNetworkPolicy.Action)? {
        for (index, rule) in policy.rules(direction).enumerated() {
            let name = rule.name.isEmpty ? "\(direction == .ingress ? "ingress" : "egress")[\(index)]" : "\"\(rule.name)\""
            var reasons: [String] = []
            let peerReasons = rule.peers.map { mismatch($0, end: peer) }
            if !peerReasons.contains(nil) {
                reasons.append((direction == .ingress ? "from: " : "to: ") + peerReasons.compactMap { $0 }.joined(separator: "; "))
            }
            if let ports = rule.ports, let reason = portMismatch(ports.map(PolicyPortEntry.admin), flow: flow) {
                reasons.append(reason)
            }
            result.explanations.append(RuleExplanation(policy: policy.qualifiedName, rule: "\(name) \(rule.action.rawValue)",
                                                       matches: reasons.isEmpty, reasons: reasons))
            if reasons.isEmpty { return (name, rule.action) }
        }
        return nil
    }

    /// Why a NetworkPolicy rule does not match the flow; empty when it does.
    private func mismatches(_ rule: NetworkPolicy.Rule, policyNamespace: String, peer: PolicyFlowEnd, flow: PolicyFlow,
                            direction: NetworkPolicy.PolicyType) -> [String] {
        var reasons: [String] = []
        if !rule.peers.isEmpty {
            let peerReasons = rule.peers.map { mismatch($0, end: peer, policyNamespace: policyNamespace) }
            if !peerReasons.contains(nil) {
                reasons.append((direction == .ingress ? "from: " : "to: ") + peerReasons.compactMap { $0 }.joined(separator: "; "))
            }
        }
        if !rule.ports.isEmpty, let reason = portMismatch(rule.ports.map(PolicyPortEntry.network), flow: flow) {
            reasons.append(reason)
        }
        return reasons
    }

    /// Why a NetworkPolicy peer does not match `end`; nil when it does. An ipBlock matches any
    /// address (pod IPs included); pod and namespace selectors both must hold when both are
    /// given, and a pod selector alone means the policy's namespace.
    private func mismatch(_ peer: NetworkPolicy.Peer, end: PolicyFlowEnd, policyNamespace: String) -> String? {
        if let block = peer.ipBlock {
            if !block.cidr.contains(end.ip) { return "\(end.ip) is not in ipBlock \(block.cidr)" }
            if let except = block.except.first(where: { $0.contains(end.ip) }) {
                return "\(end.ip) is in ipBlock \(block.cidr) but also in its except \(except)"
            }
            return nil
        }
        guard let pod = end.selectablePod else {
            return "\(end.ip) is not a pod's address\(end.pod != nil ? " (a host-network pod)" : ""): only an ipBlock matches it"
        }
        if let namespaceSelector = peer.namespaceSelector {
            if !namespaceSelector.matches(namespaceLabels(pod.namespace)) {
                return "namespace \(pod.namespace) does not match namespaceSelector \(namespaceSelector)"
            }
        } else if pod.namespace != policyNamespace {
            return "\(pod.qualifiedName) is not in namespace \(policyNamespace) (a podSelector without namespaceSelector means the policy's namespace)"
        }
        if let podSelector = peer.podSelector, !podSelector.matches(pod.labels) {
            return "\(pod.qualifiedName) (labels \(LabelSelector(matchLabels: pod.labels))) does not match podSelector \(podSelector)"
        }
        return nil
    }

    /// Why an admin policy peer does not match `end`; nil when it does.
    private func mismatch(_ peer: AdminNetworkPolicy.Peer, end: PolicyFlowEnd) -> String? {
        switch peer {
        case .networks(let prefixes):
            return prefixes.contains { $0.contains(end.ip) } ? nil
                : "\(end.ip) is in none of networks \(prefixes.map(\.description).joined(separator: ","))"
        case .nodes(let selector):
            guard let node = ipCache.node(ip: end.ip) ?? end.pod.flatMap({ $0.hostNetwork ? node(of: $0) : nil }) else {
                return "\(end.ip) is not a node's address"
            }
            return selector.matches(node.metadata.labels) ? nil : "node \(node.name) does not match nodes \(selector)"
        case .pods(let set):
            guard let pod = end.selectablePod else { return "\(end.ip) is not a pod's address" }
            return matches(set, pod: pod) ? nil : "\(pod.qualifiedName) is not among \(set)"
        }
    }

    private func matches(_ set: AdminNetworkPolicy.PodSet, pod: Pod) -> Bool {
        set.namespaceSelector.matches(namespaceLabels(pod.namespace)) && (set.podSelector?.matches(pod.labels) ?? true)
    }

    /// Why no port entry matches the flow; nil when one does. Ports are the destination's (the
    /// backend's, after any service translation); named ports resolve on the destination pod.
    private func portMismatch(_ entries: [PolicyPortEntry], flow: PolicyFlow) -> String? {
        guard let proto = KubeProtocol(flow.protocol) else {
            return "ports: ICMP has no port, and only a rule without ports matches it"
        }
        var notes: [String] = []
        for entry in entries {
            switch entry.resolved(on: flow.destination.selectablePod) {
            case .any(let entryProtocol):
                if entryProtocol == proto { return nil }
            case .range(let entryProtocol, let range):
                if entryProtocol == proto && range.contains(Int(flow.port)) { return nil }
            case .unresolved(let name):
                notes.append("\(flow.destination) has no \(proto.rawValue) container port named \(name)")
            }
        }
        let listed = entries.map(\.description).joined(separator: ", ")
        return "ports: \(proto.rawValue) \(flow.port) is not in [\(listed)]" + (notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))")
    }
}

/// A port entry of either API, for one matcher.
enum PolicyPortEntry: CustomStringConvertible {
    case network(NetworkPolicy.Port)
    case admin(AdminNetworkPolicy.Port)

    enum Resolved {
        case any(KubeProtocol)
        case range(KubeProtocol, ClosedRange<Int>)
        case unresolved(String)
    }

    /// The numbers the entry stands for on `pod` (a named port's number there).
    func resolved(on pod: Pod?) -> Resolved {
        func named(_ name: String, _ proto: KubeProtocol?) -> Resolved {
            // ANP named ports carry no protocol: the container port's own protocol decides.
            for candidate in proto.map({ [$0] }) ?? KubeProtocol.allCases {
                if let port = pod?.containerPort(named: name, protocol: candidate) {
                    return .range(candidate, Int(port)...Int(port))
                }
            }
            return .unresolved(name)
        }
        switch self {
        case .network(let entry):
            switch entry.port {
            case nil: return .any(entry.protocol)
            case .int(let start)?: return .range(entry.protocol, start...max(start, entry.endPort ?? start))
            case .string(let name)?: return named(name, entry.protocol)
            }
        case .admin(.number(let proto, let port)): return .range(proto, port...port)
        case .admin(.range(let proto, let start, let end)): return .range(proto, start...end)
        case .admin(.named(let name)): return named(name, nil)
        }
    }

    var description: String {
        switch self {
        case .network(let entry):
            switch entry.port {
            case nil: return "\(entry.protocol.rawValue) any port"
            case .int(let start)?: return "\(entry.protocol.rawValue) \(start)" + (entry.endPort.map { "-\($0)" } ?? "")
            case .string(let name)?: return "\(entry.protocol.rawValue) \(name)"
            }
        case .admin(let port): return port.description
        }
    }
}
