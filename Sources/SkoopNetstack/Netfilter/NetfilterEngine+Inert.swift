/// Rules that cannot change the packet's fate or headers (LOG, NFLOG, TRACE, counters, a jump to
/// a chain holding only such rules) are not branched on: whichever way their matches come out,
/// the packet goes on unchanged, so an unmodelled match there decides nothing.
extension NetfilterEngine {
    /// The rule's alternatives, or a single one when several would differ only in whether an
    /// inert rule matched. Its warnings stay; uncertainty and weights, which it cannot cause, go.
    func withoutIdleBranches(_ alternatives: [MatchAlternative], _ rule: Rule, scope: Scope) -> [MatchAlternative] {
        guard alternatives.count > 1, !rule.isUnreadable, isInert(rule.target, table: scope.table, visiting: []) else {
            return alternatives
        }
        var warnings: [String] = []
        for warning in alternatives.flatMap(\.warnings) where !warnings.contains(warning) { warnings.append(warning) }
        let matched = alternatives.allSatisfy(\.matched)
        var notes: [String] = []
        if !matched && alternatives.contains(where: \.matched) {
            let why = warnings.isEmpty ? "its matches branch" : warnings.map { $0.split(separator: ": ", maxSplits: 1).last.map(String.init) ?? $0 }
                .joined(separator: "; ")
            notes.append("undecided (\(why)); not branched: the rule cannot change the packet's fate or headers")
        }
        return [MatchAlternative(matched: matched, notes: notes, warnings: warnings)]
    }

    /// True when applying `target` leaves the packet, its marks, its conntrack entry and its
    /// fate as they were.
    func isInert(_ target: Target, table: String, visiting: Set<String>) -> Bool {
        switch target {
        case .none, .log, .nflog, .trace:
            return true
        case .jump(let name):
            // A goto is not inert: returning from its chain skips the rest of the calling chain.
            guard !visiting.contains(name), visiting.count < options.maxDepth,
                  let chain = ruleset.table(table)?.chain(name) else { return false }
            return chain.rules.allSatisfy { rule in
                rule.isUnreadable ? false : rule.target == .return || isInert(rule.target, table: table, visiting: visiting.union([name]))
            }
        default:
            return false
        }
    }
}

extension Rule {
    /// True for a line that could not be decoded: its target is unknown, never inert.
    var isUnreadable: Bool {
        matches.contains { if case .unsupported(RuleDecoder.unreadableModule, _) = $0.kind { true } else { false } }
    }
}
