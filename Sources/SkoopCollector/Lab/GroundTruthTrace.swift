import SkoopModel

/// One rule hit reported by `xtables-monitor --trace`, with the trace id it belongs to.
public struct XtablesTraceLine: Hashable, Sendable {
    /// The kernel's trace id (it can change after NAT: match flows by tuple, not id).
    public var traceID: String
    /// The rule evaluation.
    public var entry: NetfilterTraceEntry
}

/// Parses `xtables-monitor --trace` output (nft backend) into structured rule hits.
public enum XtablesTraceParser {
    private static let builtinHooks: Set<String> = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]

    /// The TRACE lines of `text`; PACKET lines only set the hook context. Unknown lines are skipped
    /// (the tool prints free text on start), malformed TRACE lines throw `InputError`.
    public static func parse(_ text: String, source: String) throws -> [XtablesTraceLine] {
        var lines: [XtablesTraceLine] = []
        var hookByTrace: [String: String] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard line.hasPrefix("TRACE:") else { continue }
            // "TRACE: 2 8907d830 nat:KUBE-SERVICES:rule:0x1b:JUMP:KUBE-SVC-X  -4 -t nat -A ..."
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count >= 4 else {
                throw InputError(source: source, line: index + 1, expected: "TRACE: FAMILY ID TABLE:CHAIN:KIND...", found: line)
            }
            let traceID = String(fields[2])
            let rest = fields[3].split(separator: " ", maxSplits: 1)
            let location = String(rest.first ?? "")
            let ruleText = rest.count > 1 ? rest[1].trimmingCharacters(in: .whitespaces) : ""
            let parts = location.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3 else {
                throw InputError(source: source, line: index + 1, expected: "TABLE:CHAIN:rule|policy|return", found: line)
            }
            let (table, chain, kind) = (parts[0], parts[1], parts[2])
            if builtinHooks.contains(chain) { hookByTrace[traceID] = chain }
            let hook = hookByTrace[traceID] ?? chain
            let entry: NetfilterTraceEntry
            switch kind {
            case "policy":
                let verdict = parts.count > 3 ? parts[3] : "ACCEPT"
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "-P \(chain) \(verdict)",
                                            matched: true, verdict: "POLICY \(verdict)")
            case "return":
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "", matched: true, verdict: "RETURN")
            default:
                // rule:HANDLE:VERDICT[:TARGET]; the rule text starts with "-4 -t TABLE ".
                let verdict = parts.count > 4 ? parts[4] : (parts.count > 3 ? parts[3] : "")
                var rule = ruleText
                if let range = rule.range(of: "-A ") { rule = String(rule[range.lowerBound...]) }
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: rule, matched: true,
                                            verdict: verdict, note: parts.count > 5 ? "target \(parts[5])" : nil)
            }
            lines.append(XtablesTraceLine(traceID: traceID, entry: entry))
        }
        return lines
    }
}
