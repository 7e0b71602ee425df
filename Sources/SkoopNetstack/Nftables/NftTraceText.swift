import SkoopModel

/// Renders a simulated trace of native nft rules the way `nft monitor trace` reports verdicts,
/// so tests and lab checks can compare them line by line: "TABLE CHAIN (verdict V)" per matched
/// rule and "TABLE CHAIN policy P" per base chain policy applied (rule texts differ in spelling
/// between nft versions and are left out).
public enum NftTraceText {
    /// One line per matched nft rule or policy of `trace` (iptables entries are skipped).
    public static func render(_ trace: [NetfilterTraceEntry]) -> [String] {
        trace.compactMap { entry in
            guard let family = entry.family, entry.matched, entry.verdict != "SKIP", entry.verdict != "SKIPPED" else { return nil }
            let place = "\(family) \(entry.table) \(entry.chain)"
            if entry.verdict.hasPrefix("POLICY ") { return "\(place) policy \(entry.verdict.dropFirst(7).lowercased())" }
            return "\(place) (verdict \(monitorVerdict(entry)))"
        }
    }

    /// The verdict as nft monitor prints it: NAT accepts, reject drops, marks continue.
    public static func monitorVerdict(_ entry: NetfilterTraceEntry) -> String {
        switch entry.verdict {
        case "ACCEPT", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "QUEUE": return "accept"
        case "DROP", "REJECT": return "drop"
        case "RETURN": return "return"
        case "JUMP", "GOTO":
            let kind = entry.verdict.lowercased()
            // The matched element's verdict (in the note) names the chain a map chose.
            for text in [entry.note ?? "", entry.rule] {
                if let range = text.range(of: "\(kind) ", options: .backwards) {
                    let target = text[range.upperBound...].prefix { $0 != " " && $0 != ";" }
                    return "\(kind) \(target)"
                }
            }
            return kind
        default: return "continue"
        }
    }

    /// The lines of a real `nft monitor trace` capture in the same form: "trace id ID " prefixes
    /// and packet lines dropped, rule texts cut.
    public static func monitorLines(_ capture: String) -> [String] {
        capture.split(separator: "\n").compactMap { (line: Substring) -> String? in
            var words = line.split(separator: " ").map(String.init)
            if words.first == "trace" { words.removeFirst(words.count > 1 && words[1] == "id" ? 3 : 1) }
            guard words.count >= 4, words[3] != "packet:" else { return nil }
            let place = words[0...2].joined(separator: " ")
            if words[3] == "policy", words.count >= 5 { return "\(place) policy \(words[4])" }
            guard words[3] == "rule", let open = line.range(of: "(verdict ", options: .backwards) else { return nil }
            return "\(place) (verdict \(line[open.upperBound...].prefix { $0 != ")" }))"
        }
    }
}
