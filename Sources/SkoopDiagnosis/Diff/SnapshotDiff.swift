import Foundation
import SkoopModel
import SkoopNetstack
import SkoopKubernetes

/// One flow diagnosed on two snapshots ("it worked yesterday"): both verdicts and, when the
/// paths differ, the hop where they part and what changed there between the snapshots.
public struct FlowDiff: Sendable {
    /// The flow.
    public var query: DiagnosisQuery
    /// The diagnosis on the earlier snapshot.
    public var before: DiagnosisReport
    /// The diagnosis on the later snapshot.
    public var after: DiagnosisReport
    /// The last hop both paths share before they part (nil when nothing changed, or from the start).
    public var partingHop: Hop?
    /// What differs at the parting hop (routes, rules, sysctls, links) and in the cluster's objects.
    public var changes: [String]

    /// True when the verdicts differ.
    public var verdictChanged: Bool { before.verdict != after.verdict }

    /// Diagnoses `query` on both and compares.
    public static func compare(query: DiagnosisQuery, before: any NodeDataProvider, after: any NodeDataProvider,
                               context: DiagnosisContext = DiagnosisContext()) throws(DiagnosisSetupError) -> FlowDiff {
        var first = try DiagnosisSession(query: query, collector: before, context: context)
        first.diagnostor.run()
        var second = try DiagnosisSession(query: query, collector: after, context: context)
        second.diagnostor.run()
        let old = PathBranch.branches(of: first.report.path)
        let new = PathBranch.branches(of: second.report.path)
        let (gone, added) = PathBranch.changes(before: old, after: new)
        var parting: Hop?
        if let branch = gone.first ?? added.first {
            let others = gone.isEmpty ? old : new
            parting = others.compactMap { branch.partingHop(from: $0) }
                .max { lhs, rhs in branch.hops.firstIndex(of: lhs) ?? 0 < branch.hops.firstIndex(of: rhs) ?? 0 }
        }
        var changes: [String] = []
        if !gone.isEmpty || !added.isEmpty {
            if let parting { changes += NetNSDiff.changes(at: parting, before: before, after: after) }
            changes += NetNSDiff.objectChanges(before: before.cluster, after: after.cluster)
        }
        return FlowDiff(query: query, before: first.report, after: second.report, partingHop: parting, changes: changes)
    }

    /// Lines for the text output.
    public func text() -> String {
        let old = before.verdict?.rawValue ?? "unknown"
        let new = after.verdict?.rawValue ?? "unknown"
        var lines = ["\(query.src) -> \(query.dst)\(query.dport == 0 ? "" : ":\(query.dport)") \(query.proto.rawValue): "
                     + (old == new ? "\(new) (unchanged)" : "\(old) → \(new)")]
        let (gone, added) = PathBranch.changes(before: PathBranch.branches(of: before.path), after: PathBranch.branches(of: after.path))
        guard !gone.isEmpty || !added.isEmpty else { return lines[0] + "\n" }
        lines.append("  paths part at \(partingHop?.id ?? "the source")")
        lines += gone.map { "  - \($0)" }
        lines += added.map { "  + \($0)" }
        if changes.isEmpty {
            lines.append("  no collected difference there (the change is elsewhere on the path)")
        } else {
            lines.append("  changed:")
            lines += changes.map { "    \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The JSON object of this flow.
    public var jsonObject: [String: Any] {
        let (gone, added) = PathBranch.changes(before: PathBranch.branches(of: before.path), after: PathBranch.branches(of: after.path))
        return [
            "query": ["src": query.src, "dst": query.dst, "dport": Int(query.dport), "protocol": query.proto.rawValue],
            "verdictBefore": before.verdict?.rawValue ?? NSNull(),
            "verdictAfter": after.verdict?.rawValue ?? NSNull(),
            "partingHop": partingHop?.id ?? NSNull(),
            "branchesGone": gone.map(\.description),
            "branchesNew": added.map(\.description),
            "changes": changes,
        ]
    }
}

/// What differs between two snapshots' copies of one netns, and of the cluster's objects.
enum NetNSDiff {
    /// The netns a hop stands for: a pod's (by its address) or a node's host netns.
    static func place(of hop: Hop, in provider: any NodeDataProvider) -> WhatIfPlace? {
        switch (hop.type, hop.identity) {
        case (.node, _):
            return WhatIfPlace(node: hop.id)
        case (.pod, .pod(let namespace, let name)):
            guard let pod = provider.cluster.pod(namespace: namespace, name: name), let node = pod.nodeName,
                  let address = pod.podIPs.first, let netns = provider.netns(node: node, owning: address) else { return nil }
            return WhatIfPlace(node: node, netns: netns, pod: hop.id)
        case (.generic, .netns(let node, let netns)):
            return WhatIfPlace(node: node, netns: netns)
        default:
            return nil
        }
    }

    static func changes(at hop: Hop, before: any NodeDataProvider, after: any NodeDataProvider) -> [String] {
        guard let place = place(of: hop, in: before) ?? place(of: hop, in: after) else { return [] }
        let old = try? before.netns(node: place.node, id: place.netns)
        let new = try? after.netns(node: place.node, id: place.netns)
        guard let old, let new else {
            return ["\(place): collected only in the \(old == nil ? "later" : "earlier") snapshot"]
        }
        var lines: [String] = []
        func compare(_ kind: String, _ a: [String], _ b: [String]) {
            let (gone, added) = (Set(a).subtracting(b), Set(b).subtracting(a))
            lines += a.filter(gone.contains).map { "\(place): \(kind) removed: \($0)" }
            lines += b.filter(added.contains).map { "\(place): \(kind) added: \($0)" }
        }
        compare("route", old.routes.map(\.description), new.routes.map(\.description))
        compare("iptables rule", rules(old.iptables), rules(new.iptables))
        compare("ip6tables rule", rules(old.ip6tables), rules(new.ip6tables))
        compare("link", old.interfaces.map(linkText), new.interfaces.map(linkText))
        for key in Set(old.sysctls.values.keys).union(new.sysctls.values.keys).sorted()
        where old.sysctls[key] != new.sysctls[key] {
            lines.append("\(place): sysctl \(key) \(old.sysctls[key] ?? "unset") → \(new.sysctls[key] ?? "unset")")
        }
        return lines
    }

    private static func rules(_ ruleset: Ruleset?) -> [String] {
        guard let ruleset else { return [] }
        return ruleset.tables.flatMap { table in
            table.chains.flatMap { chain in
                ["\(table.name): :\(chain.name) policy \(chain.policy.map { "\($0)" } ?? "-")"] + chain.rules.map { "\(table.name): \($0.text)" }
            }
        }
    }

    private static func linkText(_ link: NetInterface) -> String {
        "\(link.name) \(link.isUp ? "up" : "down")\(link.mtu.map { " mtu \($0)" } ?? "")\(link.master.map { " master \($0)" } ?? "")"
    }

    /// NetworkPolicies and Services added, removed or changed.
    static func objectChanges(before: ClusterState, after: ClusterState) -> [String] {
        var lines: [String] = []
        let old = Dictionary(before.networkPolicies.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
        let new = Dictionary(after.networkPolicies.map { ($0.qualifiedName, $0) }, uniquingKeysWith: { a, _ in a })
        for name in Set(old.keys).union(new.keys).sorted() {
            switch (old[name], new[name]) {
            case (nil, _?): lines.append("NetworkPolicy \(name) added")
            case (_?, nil): lines.append("NetworkPolicy \(name) removed")
            case (let a?, let b?) where a.podSelector != b.podSelector || a.ingress != b.ingress || a.egress != b.egress || a.policyTypes != b.policyTypes:
                lines.append("NetworkPolicy \(name) changed")
            default: break
            }
        }
        let oldServices = Set(before.services.map(\.qualifiedName))
        let newServices = Set(after.services.map(\.qualifiedName))
        lines += oldServices.subtracting(newServices).sorted().map { "Service \($0) removed" }
        lines += newServices.subtracting(oldServices).sorted().map { "Service \($0) added" }
        return lines
    }
}
