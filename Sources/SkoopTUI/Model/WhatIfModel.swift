import SkoopModel
import SkoopDiagnosis

/// An edit asked for in the TUI, on a hop of the diagnosis. The caller turns it into a checked
/// `WhatIfEdit` (finding the hop's netns, reading a policy file) and re-runs the diagnosis.
public enum WhatIfRequest: Hashable, Sendable {
    /// Disable a rule (`x` in the rules browser); `rule` is its `-A CHAIN ...` text.
    case disableRule(hop: Hop, table: String, chain: String, rule: String)
    /// `:route del SPEC`.
    case deleteRoute(hop: Hop, spec: String)
    /// `:route add SPEC`.
    case addRoute(hop: Hop, spec: String)
    /// `:sysctl KEY VALUE`.
    case sysctl(hop: Hop, key: String, value: String)
    /// `:link DEV down|up`.
    case link(hop: Hop, name: String, up: Bool)
    /// `:policy add FILE`.
    case addPolicy(file: String)
    /// `:policy del NAMESPACE/NAME`.
    case removePolicy(String)
}

/// The diagnosis before and after the edits: both verdicts and the branches that changed.
public struct WhatIfSummary: Hashable, Sendable {
    /// The verdict of the unedited state.
    public var verdictBefore: Verdict?
    /// The verdict of the edited state.
    public var verdictAfter: Verdict?
    /// Branches of the unedited diagnosis the edits took away.
    public var gone: [PathBranch]
    /// Branches the edits brought.
    public var new: [PathBranch]
    /// The last links (in the edited path) of the new branches, marked in the tree.
    public var newLeaves: Set<Int>

    /// "partial → reachable" or "reachable (unchanged)".
    public var verdictLine: String {
        let old = verdictBefore?.rawValue ?? "running"
        let new = verdictAfter?.rawValue ?? "running"
        return old == new ? "\(new) (unchanged)" : "\(old) → \(new)"
    }

    /// Compares a finished unedited path with a finished edited one.
    static func compare(before: PacketPath, verdictBefore: Verdict?, after: PacketPath, verdictAfter: Verdict?) -> WhatIfSummary {
        let old = PathBranch.branches(of: before)
        let new = PathBranch.branches(of: after)
        // The branches come one per leaf link, in path order: pair them to mark the tree.
        let parents = Set(after.links.compactMap(\.parent))
        let leaves = after.links.filter { !parents.contains($0.id) }.map(\.id)
        var unmatched = Array(new.indices)
        var gone: [PathBranch] = []
        for branch in old {
            if let position = unmatched.firstIndex(where: { new[$0] == branch }) {
                unmatched.remove(at: position)
            } else {
                gone.append(branch)
            }
        }
        return WhatIfSummary(verdictBefore: verdictBefore, verdictAfter: verdictAfter, gone: gone,
                             new: unmatched.map { new[$0] },
                             newLeaves: Set(unmatched.compactMap { leaves.indices.contains($0) ? leaves[$0] : nil }))
    }
}

/// The unedited diagnosis of a query, run to its end once, for comparisons.
struct WhatIfBaseline {
    var query: TUIQuery
    var path: PacketPath
    var verdict: Verdict?
}

extension WhatIfPlace {
    /// Whether this place is the netns `hop` stands for (as `WhatIfPlace.of` resolves it).
    func isPlace(of hop: Hop) -> Bool {
        switch (hop.type, hop.identity) {
        case (.node, _): netns == "host" && node == hop.id
        case (.pod, _): pod == hop.id
        case (.generic, .netns(let node, let netns)): self.node == node && self.netns == netns
        default: false
        }
    }
}

extension WhatIfEdit {
    /// Whether this edit disables `rule` of `table`/`chain` in the netns of `hop`.
    func disables(rule: String, table: String, chain: String, at hop: Hop) -> Bool {
        guard case .disableRule(_, table, chain, rule) = change, let place else { return false }
        return place.isPlace(of: hop)
    }
}

extension DiagnosisDriver {
    /// Steps until the verdict (bounded, as `runToEnd`).
    mutating func finish() {
        var count = 0
        while verdict == nil, count < 1_000_000, step() != nil { count += 1 }
    }
}
