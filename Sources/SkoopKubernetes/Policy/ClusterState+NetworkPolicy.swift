import SkoopModel

extension ClusterState {
    /// The flow end for an address: with its pod when a (non-host-network) pod owns it.
    public func policyFlowEnd(ip: IPAddress) -> PolicyFlowEnd {
        PolicyFlowEnd(ip: ip, pod: ipCache.pod(ip: ip))
    }

    /// Evaluates NetworkPolicies with the API's semantics: a pod is isolated in a direction only
    /// when a policy selects it for that direction; then the flow passes only when some selecting
    /// policy has a rule whose peers AND ports match. Both the source's egress and the
    /// destination's ingress must allow. Host-network pods and non-pod ends are never isolated.
    /// - Complexity: O(policies × rules).
    public func evaluateNetworkPolicies(_ flow: PolicyFlow) -> PolicyDecision {
        PolicyDecision(flow: flow,
                       egress: verdict(.egress, subject: flow.source, peer: flow.destination, flow: flow),
                       ingress: verdict(.ingress, subject: flow.destination, peer: flow.source, flow: flow))
    }

    /// The policies selecting `pod` for `direction`.
    public func policies(selecting pod: Pod, for direction: NetworkPolicy.PolicyType) -> [NetworkPolicy] {
        guard !pod.hostNetwork else { return [] }
        return networkPolicies.filter { policy in
            policy.metadata.namespace == pod.namespace && policy.policyTypes.contains(direction)
                && policy.podSelector.matches(pod.labels)
        }
    }

    private func verdict(_ direction: NetworkPolicy.PolicyType, subject: PolicyFlowEnd, peer: PolicyFlowEnd,
                         flow: PolicyFlow) -> DirectionVerdict {
        guard let pod = subject.selectablePod else {
            return DirectionVerdict(direction: direction, pod: nil, isolated: false, allowed: true,
                                    selectingPolicies: [], allowingPolicies: [])
        }
        let selecting = policies(selecting: pod, for: direction)
        let allowing = selecting.filter { policy in
            policy.rules(direction).contains { rule in
                (rule.peers.isEmpty || rule.peers.contains { matches($0, end: peer, policyNamespace: policy.metadata.namespace) })
                    && (rule.ports.isEmpty || rule.ports.contains { matches($0, flow: flow) })
            }
        }
        return DirectionVerdict(direction: direction, pod: pod.qualifiedName, isolated: !selecting.isEmpty,
                                allowed: selecting.isEmpty || !allowing.isEmpty,
                                selectingPolicies: selecting.map(\.qualifiedName),
                                allowingPolicies: allowing.map(\.qualifiedName))
    }

    /// A peer matches by ipBlock (any address, pod IPs included), or by pod and namespace selectors
    /// (both must hold when both are given; a pod selector alone means the policy's namespace).
    private func matches(_ peer: NetworkPolicy.Peer, end: PolicyFlowEnd, policyNamespace: String) -> Bool {
        if let block = peer.ipBlock { return block.contains(end.ip) }
        guard let pod = end.selectablePod else { return false }
        if let namespaceSelector = peer.namespaceSelector {
            guard namespaceSelector.matches(namespaceLabels(pod.namespace)) else { return false }
        } else if pod.namespace != policyNamespace {
            return false
        }
        return peer.podSelector?.matches(pod.labels) ?? true
    }

    /// A port entry matches the protocol and the port: a number, a range up to endPort, or a
    /// name resolved against the destination pod's container ports.
    private func matches(_ entry: NetworkPolicy.Port, flow: PolicyFlow) -> Bool {
        guard let proto = KubeProtocol(flow.protocol), proto == entry.protocol else { return false }
        switch entry.port {
        case nil:
            return true
        case .int(let start)?:
            let port = Int(flow.port)
            if let end = entry.endPort { return (start...max(start, end)).contains(port) }
            return start == port
        case .string(let name)?:
            guard let pod = flow.destination.selectablePod else { return false }
            return pod.containerPort(named: name, protocol: proto) == flow.port
        }
    }
}
