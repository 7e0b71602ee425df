import Foundation
import SkoopModel
import SkoopNetstack

/// The rules of an `iptables-save` text by table and chain, in order, and the chain policies:
/// what a legacy TRACE line's rule number points into.
public struct IptablesSaveRules: Hashable, Sendable {
    /// table -> chain -> its `-A CHAIN ...` lines, in order.
    public var rules: [String: [String: [String]]] = [:]
    /// table -> chain -> policy ("ACCEPT", "DROP"; "-" for a user chain).
    public var policies: [String: [String: String]] = [:]

    /// Reads `iptables-save` output (counters, with `-c`, are dropped from rule lines).
    public init(_ text: String) {
        var table = ""
        for raw in text.split(separator: "\n") {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { line = String(line.drop { $0 != "]" }.dropFirst()).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":") {
                let words = line.dropFirst().split(separator: " ")
                if words.count >= 2 { policies[table, default: [:]][String(words[0])] = String(words[1]) }
            } else if line.hasPrefix("-A ") {
                let words = line.split(separator: " ", maxSplits: 2)
                if words.count >= 2 { rules[table, default: [:]][String(words[1]), default: []].append(line) }
            }
        }
    }

    /// Whether `chain` is a user-defined chain of `table`.
    public func isUserChain(_ chain: String, table: String) -> Bool { policies[table]?[chain] == "-" }

    /// The rule's outcome as Skoop's trace names it: the target for ACCEPT, DROP, RETURN and the
    /// NAT and REJECT targets, JUMP or GOTO for a user chain, CONTINUE for other targets.
    public func verdict(of rule: String, table: String) -> String {
        let words = Self.words(rule)
        guard let at = words.lastIndex(where: { $0 == "-j" || $0 == "-g" }), at + 1 < words.count else { return "CONTINUE" }
        let target = words[at + 1]
        if words[at] == "-g" { return "GOTO" }
        if isUserChain(target, table: table) { return "JUMP" }
        return ["ACCEPT", "DROP", "RETURN", "DNAT", "SNAT", "MASQUERADE", "REDIRECT", "REJECT"].contains(target) ? target : "CONTINUE"
    }

    /// Splits a rule into words, keeping a double-quoted comment as one word.
    static func words(_ rule: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in rule {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == " " && !quoted {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}

/// Turns a legacy-backend TRACE capture (`tcpdump -i nflog:0 -w`, DLT_NFLOG) into the rule hits
/// `xtables-monitor --trace` gives for the nft backend, so both compare the same way.
///
/// A legacy TRACE message says only "TRACE: TABLE:CHAIN:rule|return|policy:N"; the rule text is
/// the Nth rule of that chain in the node's iptables-save. The kernel names an unconditional
/// ACCEPT/DROP/RETURN rule "policy"/"return" too: a number within the chain's rules is that rule,
/// one past them the chain's end. The rule that set the trace flag is not logged (the flag is
/// set after the kernel's log call), whereas xtables-monitor prints it: a pass that starts in raw
/// after a `-j TRACE` rule gets that rule's hit first.
public enum LegacyTraceDecoder {
    /// The rule hits of a capture; frames that are not TRACE messages of IPv4 packets are skipped.
    /// A capture that is not a pcap of link type NFLOG throws `InputError`.
    public static func lines(pcap bytes: [UInt8], rules: IptablesSaveRules, source: String) throws -> [XtablesTraceLine] {
        let file = try PcapFile(bytes: bytes, source: source)
        guard file.linkType == PcapFile.nflogLinkType else {
            throw InputError(source: source, line: 1, expected: "link type NFLOG (239)", found: "link type \(file.linkType)")
        }
        var lines: [XtablesTraceLine] = []
        var traceNumber = 0
        var previous: (hook: String, table: String, packet: XtablesTracePacket)?
        for (index, record) in file.records.enumerated() {
            let message = try NFLOGMessage(frame: record.bytes, bigEndian: file.bigEndian, source: source, frameNumber: index + 1)
            guard message.family == 2, let hook = message.hookName, let packet = message.packet,
                  let location = location(message.prefix) else { continue }
            if previous.map({ $0.hook != hook || $0.packet != packet }) ?? true { traceNumber += 1 }
            let traceID = String(traceNumber, radix: 16)
            let continuing = previous.map { $0.hook == hook && $0.table == location.table && $0.packet == packet } ?? false
            if !continuing, let trace = traceSetter(location, hook: hook, rules: rules) {
                lines.append(line(trace, hook: hook, traceID: traceID, packet: packet, rules: rules))
            }
            lines.append(line(location, hook: hook, traceID: traceID, packet: packet, rules: rules))
            previous = (hook, location.table, packet)
        }
        return lines
    }

    /// Where a TRACE prefix points: table, chain, kind ("rule", "return", "policy") and rule number.
    struct Location {
        var table: String
        var chain: String
        var kind: String
        var number: Int
    }

    static func location(_ prefix: String?) -> Location? {
        guard let prefix, prefix.hasPrefix("TRACE: ") else { return nil }
        let parts = prefix.dropFirst(7).trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 4, let number = Int(parts[parts.count - 1]) else { return nil }
        return Location(table: String(parts[0]), chain: parts[1..<(parts.count - 2)].joined(separator: ":"),
                        kind: String(parts[parts.count - 2]), number: number)
    }

    /// The `-j TRACE` rule before the first logged rule of a raw pass (nil when the pass is not in
    /// raw's own chain of the hook or no TRACE rule precedes the logged one).
    static func traceSetter(_ location: Location, hook: String, rules: IptablesSaveRules) -> Location? {
        guard location.table == "raw", location.chain == hook else { return nil }
        let chainRules = rules.rules["raw"]?[hook] ?? []
        let before = chainRules.prefix(min(max(location.number - 1, 0), chainRules.count))
        guard let index = before.lastIndex(where: { IptablesSaveRules.words($0).suffix(2) == ["-j", "TRACE"] }) else { return nil }
        return Location(table: "raw", chain: hook, kind: "rule", number: index + 1)
    }

    static func line(_ location: Location, hook: String, traceID: String, packet: XtablesTracePacket,
                     rules: IptablesSaveRules) -> XtablesTraceLine {
        let (table, chain) = (location.table, location.chain)
        let chainRules = rules.rules[table]?[chain] ?? []
        let entry: NetfilterTraceEntry
        var monitorVerdict = ""
        if location.number >= 1 && location.number <= chainRules.count {
            let rule = chainRules[location.number - 1]
            monitorVerdict = NetfilterTraceText.monitorVerdict(
                NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: rule, matched: true,
                                    verdict: rules.verdict(of: rule, table: table)))
            // The entry as XtablesTraceParser makes it: "JUMP" plus a "target X" note, or the monitor's verdict.
            let parts = monitorVerdict.split(separator: ":", maxSplits: 1).map(String.init)
            entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: rule, matched: true,
                                        verdict: parts.first ?? monitorVerdict, note: parts.count > 1 ? "target \(parts[1])" : nil)
        } else if location.kind == "policy" || !rules.isUserChain(chain, table: table) {
            let policy = rules.policies[table]?[chain] ?? "ACCEPT"
            monitorVerdict = policy
            entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "-P \(chain) \(policy)",
                                        matched: true, verdict: "POLICY \(policy)")
        } else if location.kind == "return" {
            entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "", matched: true, verdict: "RETURN")
        } else {
            // A rule number the ruleset does not have (it changed after the capture): keep it visible.
            entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain,
                                        rule: "(rule \(location.number) of \(chain), not in iptables-save)",
                                        matched: true, verdict: "UNKNOWN")
        }
        return XtablesTraceLine(traceID: traceID, entry: entry, monitorVerdict: monitorVerdict, packet: packet)
    }

    /// The hits as `xtables-monitor --trace` prints them (a PACKET line per trace id and table,
    /// the rule number in the handle's place), readable again by `XtablesTraceParser`.
    public static func render(_ lines: [XtablesTraceLine]) -> String {
        var text = ""
        var segment: (String, String, String)?
        for line in lines {
            let entry = line.entry
            if segment.map({ $0 != (line.traceID, entry.hook, entry.table) }) ?? true, let packet = line.packet {
                segment = (line.traceID, entry.hook, entry.table)
                let tuple = packet.tuple
                text += "PACKET: 2 \(line.traceID) SRC=\(tuple.src) DST=\(tuple.dst) ID=\(packet.ipID)"
                    + " SPORT=\(tuple.sport) DPORT=\(tuple.dport) \(packet.flags.joined(separator: " ")) \n"
            }
            let prefix = " TRACE: 2 \(line.traceID) \(entry.table):\(entry.chain):"
            if entry.verdict.hasPrefix("POLICY ") {
                text += prefix + "policy:\(line.monitorVerdict) \n"
            } else if entry.rule.isEmpty {
                text += prefix + "return \n"
            } else {
                text += prefix + "rule:0x0:\(line.monitorVerdict)  -4 -t \(entry.table) \(entry.rule)\n"
            }
        }
        return text
    }
}
