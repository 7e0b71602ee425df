import Foundation
import SkoopModel

/// The smallest change that would let a denied flow through, for the user to review and apply.
public struct PolicyFix: Hashable, Sendable {
    /// NetworkPolicies to add, as YAML documents separated by "---"; empty when no
    /// NetworkPolicy can help (an AdminNetworkPolicy denies).
    public var yaml: String
    /// What else must change, when a NetworkPolicy is not enough or has side effects.
    public var notes: [String]
}

extension PolicyDecision {
    /// For a denied flow: one NetworkPolicy per denied direction, selecting exactly the denied
    /// pod's labels and allowing exactly this peer, protocol and port. nil when the flow is allowed.
    public var fix: PolicyFix? {
        guard !allowed else { return nil }
        var documents: [String] = []
        var notes: [String] = []
        for verdict in deniedDirections {
            if verdict.decidedBy == .admin, let rule = verdict.decidingRule {
                notes.append("\(rule) takes precedence over every NetworkPolicy: change or remove that rule (or add an earlier Allow rule to a higher-priority AdminNetworkPolicy).")
                continue
            }
            let subject = verdict.direction == .ingress ? flow.destination : flow.source
            let peer = verdict.direction == .ingress ? flow.source : flow.destination
            guard let pod = subject.pod else { continue }
            if verdict.decidedBy == .baseline {
                notes.append("A NetworkPolicy overrides \(verdict.decidingRule ?? "the baseline") but isolates \(pod.qualifiedName) for \(verdict.direction.rawValue): everything else it must accept needs a rule too.")
            }
            documents.append(policyYAML(direction: verdict.direction, pod: pod, peer: peer))
        }
        return PolicyFix(yaml: documents.joined(separator: "---\n"), notes: notes)
    }

    private func policyYAML(direction: NetworkPolicy.PolicyType, pod: Pod, peer: PolicyFlowEnd) -> String {
        let ingress = direction == .ingress
        let peerName = peer.selectablePod?.name ?? peer.ip.description
        let ownName = pod.name
        let portPart = flow.protocol == .icmp ? "icmp" : "\(flow.protocol.rawValue)-\(flow.port)"
        let name = PolicyFix.dnsLabel(ingress ? "allow-\(peerName)-to-\(ownName)-\(portPart)"
                                              : "allow-\(ownName)-to-\(peerName)-\(portPart)")
        var lines = [
            "apiVersion: networking.k8s.io/v1",
            "kind: NetworkPolicy",
            "metadata:",
            "  name: \(name)",
            "  namespace: \(PolicyFix.quoted(pod.namespace))",
            "spec:",
            "  podSelector:",
        ]
        lines += PolicyFix.matchLabels(pod.labels, indent: "    ")
        lines += ["  policyTypes:", "  - \(direction.rawValue)", "  \(ingress ? "ingress" : "egress"):", "  - \(ingress ? "from" : "to"):"]
        if let other = peer.selectablePod {
            // Both selectors in one peer: exactly that pod's labels in exactly its namespace.
            lines += ["    - namespaceSelector:", "        matchLabels:",
                      "          kubernetes.io/metadata.name: \(PolicyFix.quoted(other.namespace))", "      podSelector:"]
            lines += PolicyFix.matchLabels(other.labels, indent: "        ")
        } else {
            let bits = peer.ip.family == .inet ? 32 : 128
            lines += ["    - ipBlock:", "        cidr: \(peer.ip)/\(bits)"]
        }
        if let proto = KubeProtocol(flow.protocol) {
            lines += ["    ports:", "    - protocol: \(proto.rawValue)", "      port: \(flow.port)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension PolicyFix {
    /// Labels as a matchLabels block, or `{}` for a pod without labels.
    static func matchLabels(_ labels: [String: String], indent: String) -> [String] {
        // Controller hashes change on every rollout: a policy naming them breaks on the next one.
        let stable = labels.filter { !["pod-template-hash", "controller-revision-hash", "pod-template-generation"].contains($0.key) }
        guard !stable.isEmpty else { return [indent + "matchLabels: {}"] }
        return [indent + "matchLabels:"] + stable.sorted { $0.key < $1.key }.map { "\(indent)  \(quoted($0.key)): \(quoted($0.value))" }
    }

    /// A YAML scalar, quoted when plain style could misread it.
    static func quoted(_ text: String) -> String {
        let plain = !text.isEmpty && text.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
            && !["true", "false", "yes", "no", "on", "off", "null", "~", "y", "n"].contains(text.lowercased())
            && Double(text) == nil && text.first != "-"
        if plain { return text }
        return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// A lowercase RFC 1123 label of at most 63 characters.
    static func dnsLabel(_ text: String) -> String {
        var label = String(text.lowercased().map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII ? $0 : "-" })
        while label.contains("--") { label = label.replacingOccurrences(of: "--", with: "-") }
        label = String(label.prefix(63))
        while label.hasSuffix("-") { label.removeLast() }
        return label.isEmpty ? "allow-flow" : label
    }
}
