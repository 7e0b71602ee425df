import SkoopModel

/// The packet a `PACKET:` line of `xtables-monitor --trace` describes (the fields the verifier
/// matches on: the tuple, the TCP flags and the IP id that tells retransmissions apart).
public struct XtablesTracePacket: Hashable, Sendable {
    /// Incoming interface (IN=), nil for a locally generated packet.
    public var inInterface: String?
    /// Outgoing interface (OUT=), once routed.
    public var outInterface: String?
    /// The tuple as the hook saw it (after any NAT applied before this hook).
    public var tuple: LabTuple
    /// The TCP flags (SYN, ACK, FIN, RST, ...), in the printed order.
    public var flags: [String]
    /// The IP header id (ID=).
    public var ipID: String

    /// Makes a packet record.
    public init(inInterface: String? = nil, outInterface: String? = nil, tuple: LabTuple, flags: [String], ipID: String) {
        self.inInterface = inInterface
        self.outInterface = outInterface
        self.tuple = tuple
        self.flags = flags
        self.ipID = ipID
    }

    /// A connection's first packet (a bare SYN).
    public var isSYN: Bool { flags == ["SYN"] }
    /// The answer to a connection's first packet (SYN ACK).
    public var isSYNACK: Bool { Set(flags) == ["SYN", "ACK"] }
}

/// A connection tuple (one direction), as conntrack and the trace print it.
public struct LabTuple: Hashable, Sendable, CustomStringConvertible {
    /// Source address.
    public var src: String
    /// Destination address.
    public var dst: String
    /// Source port (0 without ports).
    public var sport: Int
    /// Destination port (0 without ports).
    public var dport: Int

    /// Makes a tuple.
    public init(src: String, dst: String, sport: Int, dport: Int) {
        self.src = src
        self.dst = dst
        self.sport = sport
        self.dport = dport
    }

    /// The other direction.
    public var reversed: LabTuple { LabTuple(src: dst, dst: src, sport: dport, dport: sport) }

    public var description: String { "\(src):\(sport) > \(dst):\(dport)" }
}

/// One rule hit reported by `xtables-monitor --trace` (or decoded from a legacy NFLOG TRACE capture), with the trace id it belongs to.
public struct XtablesTraceLine: Hashable, Sendable {
    /// The kernel's trace id (it can change after NAT: match flows by tuple, not id).
    public var traceID: String
    /// The rule evaluation.
    public var entry: NetfilterTraceEntry
    /// The verdict field exactly as printed ("JUMP:KUBE-SVC-X", "0xfffffffb", "ACCEPT"; the
    /// policy's verdict for a policy line, empty for a return line).
    public var monitorVerdict: String = ""
    /// The packet of the `PACKET:` line that opened this (hook, table) segment, when it was printed.
    public var packet: XtablesTracePacket?
}

/// Parses `xtables-monitor --trace` output (nft backend) into structured rule hits.
public enum XtablesTraceParser {
    private static let builtinHooks: Set<String> = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]

    /// The TRACE lines of `text`; PACKET lines set the packet and hook context. Unknown lines are
    /// skipped (the tool prints free text on start), malformed TRACE lines throw `InputError`.
    /// Native nft base chains ("TABLE:CHAIN") and their hooks: the lines of a native table name
    /// no built-in hook, so its base chains place the packet (kube-proxy's nftables mode).
    public static let nativeBaseChainHooks: [String: String] = Dictionary(
        uniqueKeysWithValues: KubeProxyNftRules.baseChainHooks.map { ("\(KubeProxyNftRules.table):\($0.key)", $0.value) })

    public static func parse(_ text: String, source: String) throws -> [XtablesTraceLine] {
        var lines: [XtablesTraceLine] = []
        var hookByTrace: [String: String] = [:]
        var packetByTrace: [String: XtablesTracePacket] = [:]
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("PACKET:") {
                let words = line.split(separator: " ")
                if words.count > 2, let packet = packet(words.dropFirst(3)) { packetByTrace[String(words[2])] = packet }
                continue
            }
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
            if builtinHooks.contains(chain) {
                hookByTrace[traceID] = chain
            } else if let hook = nativeBaseChainHooks["\(table):\(chain)"] {
                hookByTrace[traceID] = hook
            }
            let hook = hookByTrace[traceID] ?? chain
            let entry: NetfilterTraceEntry
            var monitorVerdict = ""
            // nft numbers handles from 1: a 0 (as a legacy trace rendered in this format writes) is none.
            let handle = kind == "rule" && parts.count > 3
                ? Int(parts[3].dropFirst(parts[3].hasPrefix("0x") ? 2 : 0), radix: 16).flatMap { $0 == 0 ? nil : $0 } : nil
            switch kind {
            case "policy":
                let verdict = parts.count > 3 && !parts[3].isEmpty ? parts[3] : "ACCEPT"
                monitorVerdict = verdict
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "-P \(chain) \(verdict)",
                                            matched: true, verdict: "POLICY \(verdict)")
            case "return":
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "", matched: true, verdict: "RETURN")
            default:
                // rule:HANDLE:VERDICT[:TARGET]; the rule text starts with "-4 -t TABLE ".
                let verdict = parts.count > 4 ? parts[4] : (parts.count > 3 ? parts[3] : "")
                monitorVerdict = parts.dropFirst(4).joined(separator: ":")
                var rule = ruleText
                if let range = rule.range(of: "-A ") { rule = String(rule[range.lowerBound...]) }
                entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: rule, matched: true,
                                            verdict: verdict, note: parts.count > 5 ? "target \(parts[5])" : nil)
            }
            var placed = entry
            placed.handle = handle
            lines.append(XtablesTraceLine(traceID: traceID, entry: placed, monitorVerdict: monitorVerdict,
                                          packet: packetByTrace[traceID]))
        }
        return lines
    }

    /// The fields of a PACKET line after its family and id: KEY=VALUE pairs, then bare TCP flags.
    static func packet(_ words: ArraySlice<Substring>) -> XtablesTracePacket? {
        var values: [String: String] = [:]
        var flags: [String] = []
        for word in words {
            if let equals = word.firstIndex(of: "=") {
                values[String(word[..<equals])] = String(word[word.index(after: equals)...])
            } else if word.allSatisfy({ $0.isUppercase }) && word != "DF" && word != "MF" && word != "CE" {
                flags.append(String(word))
            }
        }
        guard let src = values["SRC"], let dst = values["DST"] else { return nil }
        let tuple = LabTuple(src: src, dst: dst, sport: values["SPORT"].flatMap { Int($0) } ?? 0,
                             dport: values["DPORT"].flatMap { Int($0) } ?? 0)
        return XtablesTracePacket(inInterface: values["IN"], outInterface: values["OUT"], tuple: tuple, flags: flags,
                                  ipID: values["ID"] ?? "")
    }
}
