import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// Where a CNI enforces NetworkPolicy (and AdminNetworkPolicy), which decides how the walk treats it.
public enum PolicyEnforcement: Sendable, Equatable {
    /// Outside the collected rules (Cilium's eBPF, Antrea's OVS): Skoop evaluates the objects at
    /// the points the CNI enforces them.
    case objects
    /// In the collected iptables rules (Calico's cali-* chains, kube-router, weave-npc): the rules
    /// decide, and the objects are checked against them.
    case rules
    /// The CNI does not enforce policies (flannel alone, a plain bridge).
    case none
    /// Unknown CNI.
    case unknown

    /// The enforcement of a CNI.
    public init(plugin kind: CNIKind) {
        switch kind {
        case .cilium, .antrea: self = .objects
        case .calico, .canal, .kubeRouter, .weave: self = .rules
        case .flannel, .bridge, .kubenet: self = .none
        case .unknown, .other: self = .unknown
        }
    }

    /// True when a diagnosis decides or checks policies hop by hop (so the cluster-level
    /// suspicion, evaluated before any translation, is not needed).
    public var isEvaluatedOnThePath: Bool { self == .objects || self == .rules }

    /// Why each evaluated rule does not match, one per line, then what else the fix needs.
    static func hint(_ verdict: DirectionVerdict, fix: PolicyFix?) -> String? {
        let lines = verdict.explanations.filter { !$0.matches }.map { "\($0)" } + (fix?.notes ?? [])
        return lines.isEmpty ? nil : lines.joined(separator: "\n")
    }

    /// Chains holding a CNI's policy rules, by name prefix.
    static let policyChainPrefixes = ["cali-", "KUBE-NWPLCY-", "KUBE-POD-FW-", "KUBE-ROUTER-", "WEAVE-NPC"]
}

extension LinuxNetNode {
    var policyEnforcement: PolicyEnforcement { PolicyEnforcement(plugin: network.plugin.kind) }

    /// The pod whose policies apply at this hop (host-network pods are never selected).
    private var selectablePod: Pod? { pod.flatMap { $0.hostNetwork ? nil : $0 } }

    /// Hook of ``send(to:protocol:)``: with a CNI that enforces the objects, the source pod's
    /// egress is decided here, against the destinations the packet can reach after service
    /// translation (the pod, or every backend of a Service). When no destination is allowed the
    /// request is dropped at the source; when some are, the others are dropped where they arrive.
    func egressDecision(for packet: Packet) -> NodeOutcome? {
        guard policyEnforcement == .objects, let pod = selectablePod else { return nil }
        let cluster = network.cluster
        var targets = [(packet.dst, packet.dport)]
        if let frontend = cluster.serviceFrontend(ip: packet.dst, port: packet.dport, protocol: packet.proto) {
            targets = cluster.backends(of: frontend.service, port: frontend.port).map { ($0.ip, $0.port ?? packet.dport) }
        }
        guard !targets.isEmpty else { return nil }
        let decisions = targets.map { ip, port in
            cluster.evaluateNetworkPolicies(PolicyFlow(source: PolicyFlowEnd(ip: packet.src, pod: pod),
                                                       destination: cluster.policyFlowEnd(ip: ip), port: port, protocol: packet.proto))
        }
        guard decisions.allSatisfy({ !$0.egress.allowed }) else { return nil }
        var unique: [Suspicion] = []
        for decision in decisions {
            let suspicion = enforcementSuspicion(decision, direction: .egress)
            if !unique.contains(suspicion) { unique.append(suspicion) }
        }
        return NodeOutcome(transmissions: [drop(packet, direction: .request, uncertain: false)], suspicions: unique)
    }

    /// Hook of ``delivered(_:direction:arrivedFrom:)`` for a request reaching this pod: with a CNI
    /// that enforces the objects, the destination pod's ingress is decided against the source as
    /// it arrives (after any SNAT), and the client's egress against this pod, the backend (a
    /// branch the source did not drop as a whole). With a CNI whose rules enforce them, the
    /// rules have already let the packet through: objects that deny it are a Warning.
    func ingressDecision(for decision: NetNSDecision, arrivedFrom link: Link?) -> NodeOutcome? {
        guard policyEnforcement.isEvaluatedOnThePath, let pod = selectablePod else { return nil }
        let packet = decision.packet
        let cluster = network.cluster
        let client = link?.translations.first?.original.src ?? packet.src
        let arriving = cluster.policyFlowEnd(ip: packet.src)
        let here = PolicyFlowEnd(ip: packet.dst, pod: pod)
        let ingress = cluster.evaluateNetworkPolicies(PolicyFlow(source: arriving, destination: here, port: packet.dport,
                                                                 protocol: packet.proto))
        let egress = cluster.evaluateNetworkPolicies(PolicyFlow(source: cluster.policyFlowEnd(ip: client), destination: here,
                                                                port: packet.dport, protocol: packet.proto))
        var suspicions: [Suspicion] = []
        if !egress.egress.allowed { suspicions.append(enforcementSuspicion(egress, direction: .egress)) }
        if !ingress.ingress.allowed { suspicions.append(enforcementSuspicion(ingress, direction: .ingress)) }
        guard !suspicions.isEmpty else { return nil }
        if policyEnforcement == .rules {
            // The rules let it through: report, and let the walk go on as the kernel would.
            let denying = suspicions.compactMap(\.evidence).joined(separator: ", ")
            return NodeOutcome(suspicions: [Suspicion(
                level: .warning,
                message: "The collected \(network.plugin.name) rules let \(client) reach \(hop.id) on \(packet.proto.rawValue.uppercased()) \(packet.dport), but the policy objects deny it (\(denying)): the CNI's rules and the objects disagree (an agent that has not synced, or stale rules).",
                evidence: denying + (decision.netfilter.last { $0.matched }.map { "; last rule matched: \($0.rule)" } ?? ""),
                hint: "Check the CNI agent on \(node) and its policy status; the objects are what the API server holds.")])
        }
        var dropLink = drop(packet, direction: .request, uncertain: false).link
        dropLink.packetIn = decision.packetIn
        dropLink.routes = decision.routes
        dropLink.netfilter = decision.netfilter
        dropLink.probability = decision.probability
        dropLink.translations = translations(of: decision, direction: .request)
        return NodeOutcome(transmissions: [Transmission(link: dropLink)], suspicions: suspicions)
    }

    /// Hook of ``transmissions(for:direction:served:arrivedFrom:)`` for a drop: with a CNI whose
    /// rules enforce policies, a drop by one of its policy chains that the objects do not explain
    /// is a Warning naming both.
    func policyCrossCheck(dropped decision: NetNSDecision, direction: FlowDirection, arrivedFrom link: Link?) -> [Suspicion] {
        guard policyEnforcement == .rules, direction == .request,
              let rule = decision.netfilter.last(where: { $0.matched && ($0.verdict == "DROP" || $0.verdict == "REJECT") }),
              PolicyEnforcement.policyChainPrefixes.contains(where: { rule.chain.hasPrefix($0) }) else { return [] }
        let cluster = network.cluster
        let packet = decision.packet
        let client = link?.translations.first?.original.src ?? packet.src
        let destination = cluster.policyFlowEnd(ip: packet.dst)
        guard destination.pod != nil || cluster.policyFlowEnd(ip: client).pod != nil else { return [] }
        let decisionByObjects = cluster.evaluateNetworkPolicies(PolicyFlow(source: cluster.policyFlowEnd(ip: client), destination: destination,
                                                                           port: packet.dport, protocol: packet.proto))
        guard decisionByObjects.allowed else { return [] }
        let explained = [decisionByObjects.egress, decisionByObjects.ingress].flatMap(\.allowingPolicies)
        return [Suspicion(
            level: .warning,
            message: "\(network.plugin.name)'s rule in \(rule.chain) drops \(client) -> \(destination) \(packet.proto.rawValue.uppercased()) \(packet.dport), but the policy objects allow it\(explained.isEmpty ? " (no policy isolates either end)" : " (allowed by \(explained.map { "networkpolicy/\($0)" }.joined(separator: ", ")))"): the CNI's rules and the objects disagree.",
            evidence: rule.rule,
            hint: "Check the CNI agent on \(node): its rules may be stale, or come from a policy kind Skoop does not read.")]
    }

    /// A Critical suspicion for a direction the objects deny, naming every policy and rule and
    /// carrying the fix.
    private func enforcementSuspicion(_ decision: PolicyDecision, direction: NetworkPolicy.PolicyType) -> Suspicion {
        let verdict = direction == .egress ? decision.egress : decision.ingress
        let flow = decision.flow
        let side = direction == .egress ? "egress from \(flow.source) to \(flow.destination)" : "ingress to \(flow.destination) from \(flow.source)"
        let service = flow.protocol == .icmp ? "ICMP" : "\(flow.protocol.rawValue.uppercased()) \(flow.port)"
        let why: String
        if let rule = verdict.decidingRule {
            why = "\(rule) denies it"
        } else {
            why = "isolated by \(verdict.selectingPolicies.map { "networkpolicy/\($0)" }.joined(separator: ", ")) and no rule allows it"
        }
        let enforcedAt = direction == .egress && flow.source.pod?.qualifiedName != hop.id
            ? " (enforced by \(network.plugin.name) at \(flow.source); dropped on the branch to this backend)" : ""
        var single = decision
        if direction == .egress { single.ingress.allowed = true } else { single.egress.allowed = true }
        return Suspicion(level: .critical, message: "\(network.plugin.name) drops \(side) (\(service)): \(why)\(enforcedAt).",
                         evidence: verdict.denyingPolicies.joined(separator: ", "),
                         hint: PolicyEnforcement.hint(verdict, fix: single.fix), fix: single.fix.flatMap { $0.yaml.isEmpty ? nil : $0.yaml })
    }
}
