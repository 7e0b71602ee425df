import SkoopModel

/// Renders a simulated trace the way `xtables-monitor --trace` (nft backend) prints real ones,
/// so tests can compare them line by line.
public enum NetfilterTraceText {
    /// The lines: a `PACKET:` line when a (hook, table) starts, then one ` TRACE:` line per
    /// matched rule and per policy. Rules that did not match, skipped-rule summaries and skipped
    /// tables are not printed, as xtables-monitor does not print them. Rule handles come from
    /// `handles` (rule text to nft handle), 0 when unknown; `id` stands for the trace id.
    public static func render(_ trace: [NetfilterTraceEntry], packet: Packet, family: AddressFamily = .inet,
                              id: String = "00000000", handles: [String: Int] = [:]) -> [String] {
        let familyNumber = family == .inet ? 2 : 10
        let flag = family == .inet ? "-4" : "-6"
        var lines: [String] = []
        var segment: (String, String)?
        for entry in trace where entry.matched && entry.verdict != "SKIPPED" && entry.verdict != "SKIP" {
            if segment.map({ $0 != (entry.hook, entry.table) }) ?? true {
                segment = (entry.hook, entry.table)
                lines.append("PACKET: \(familyNumber) \(id) \(packetFields(packet))")
            }
            let prefix = " TRACE: \(familyNumber) \(id) \(entry.table):\(entry.chain):"
            if entry.verdict.hasPrefix("POLICY ") {
                lines.append(prefix + "policy:" + entry.verdict.dropFirst("POLICY ".count) + " ")
                continue
            }
            let handle = handles[entry.rule] ?? 0
            lines.append(prefix + "rule:0x\(String(handle, radix: 16)):\(monitorVerdict(entry))  \(flag) -t \(entry.table) \(entry.rule)")
        }
        return lines
    }

    /// The verdict as the nft backend reports it: NAT targets accept, REJECT drops, RETURN is
    /// printed as its raw value, non-terminal targets continue.
    public static func monitorVerdict(_ entry: NetfilterTraceEntry) -> String {
        switch entry.verdict {
        case "ACCEPT", "DNAT", "SNAT", "MASQUERADE", "REDIRECT": return "ACCEPT"
        case "DROP", "REJECT": return "DROP"
        case "RETURN": return "0xfffffffb"
        case "JUMP", "GOTO": return entry.verdict + ":" + (jumpTarget(entry.rule) ?? "?")
        default: return "CONTINUE"
        }
    }

    static func jumpTarget(_ rule: String) -> String? {
        guard let words = try? ShellTokenizer.split(Substring(rule)),
              let at = words.lastIndex(where: { $0 == "-j" || $0 == "-g" }), at + 1 < words.count else { return nil }
        return words[at + 1]
    }

    static func packetFields(_ packet: Packet) -> String {
        var text = "SRC=\(packet.src) DST=\(packet.dst)"
        if packet.proto == .tcp || packet.proto == .udp { text += " SPORT=\(packet.sport) DPORT=\(packet.dport)" }
        return text + " PROTO=\(packet.proto.rawValue.uppercased())"
    }
}
