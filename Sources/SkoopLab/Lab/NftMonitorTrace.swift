import Foundation
import SkoopModel
import SkoopNetstack

/// Reads `nft -a monitor trace` output into the rule hits `xtables-monitor --trace` would give
/// (xtables-monitor cannot print kube-proxy's verdict maps and quits): xtables tables' rules are
/// named by their iptables-save line (the handle's position in its chain, from `nft -a -j list
/// ruleset`, picks the line), native tables' rules by their handle, verdicts in xtables-monitor's
/// words ("JUMP:services", "ACCEPT", ...).
public enum NftMonitorTraceParser {
    private static let builtinHooks: Set<String> = ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"]
    private static let xtablesTables: Set<String> = ["raw", "mangle", "nat", "filter", "security"]

    /// The hits of `text`; `ruleset` is the netns's `nft -a -j list ruleset`, `saved` its
    /// iptables-nft-save and `saved6` its ip6tables-nft-save (IPv6 packets' xtables rules).
    /// Lines of other shapes (the tool's own messages, other families) are skipped.
    public static func parse(_ text: String, ruleset: NftRuleset, saved: IptablesSaveRules,
                             saved6: IptablesSaveRules = IptablesSaveRules("")) -> [XtablesTraceLine] {
        var lines: [XtablesTraceLine] = []
        var packetByTrace: [String: XtablesTracePacket] = [:]
        var hookByTrace: [String: String] = [:]
        for raw in text.split(separator: "\n") {
            // "trace id ID FAMILY TABLE CHAIN (packet: ...|rule ... # handle N (verdict V)|policy P|return)"
            var words = raw.split(separator: " ").map(String.init)
            guard words.count >= 6, words[0] == "trace", words[1] == "id" else { continue }
            let traceID = words[2], family = words[3], table = words[4], chain = words[5]
            words.removeFirst(6)
            guard let nftFamily = family == "ip" ? NftFamily.ip : family == "ip6" ? NftFamily.ip6 : nil,
                  let kind = words.first else { continue }
            if builtinHooks.contains(chain) && xtablesTables.contains(table) {
                hookByTrace[traceID] = chain
            } else if let hook = XtablesTraceParser.nativeBaseChainHooks["\(table):\(chain)"] {
                hookByTrace[traceID] = hook
            }
            let hook = hookByTrace[traceID] ?? chain
            switch kind {
            case "packet:":
                if let packet = packet(Array(words.dropFirst())) { packetByTrace[traceID] = packet }
            case "policy":
                let policy = (words.count > 1 ? words[1] : "accept").uppercased()
                let entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "-P \(chain) \(policy)",
                                                matched: true, verdict: "POLICY \(policy)")
                lines.append(XtablesTraceLine(traceID: traceID, entry: entry, monitorVerdict: policy, packet: packetByTrace[traceID]))
            case "rule":
                guard let handle = handle(raw), let packet = packetByTrace[traceID] else { continue }
                let verdict = monitorVerdict(raw)
                if xtablesTables.contains(table) {
                    let position = ruleset.table(nftFamily, table)?.chains[chain]?.rules.firstIndex { $0.handle == handle }
                    let location = LegacyTraceDecoder.Location(table: table, chain: chain, kind: "rule", number: (position ?? -1) + 1)
                    lines.append(LegacyTraceDecoder.line(location, hook: hook, traceID: traceID, packet: packet,
                                                         rules: nftFamily == .ip6 ? saved6 : saved))
                } else {
                    var entry = NetfilterTraceEntry(hook: hook, table: table, chain: chain, rule: "handle \(handle)", matched: true,
                                                    verdict: String(verdict.prefix { $0 != ":" }))
                    entry.family = family
                    entry.handle = handle
                    lines.append(XtablesTraceLine(traceID: traceID, entry: entry, monitorVerdict: verdict, packet: packet))
                }
            default:
                continue
            }
        }
        return lines
    }

    /// The handle of a rule line ("... # handle 12 (verdict ...)").
    static func handle(_ line: Substring) -> Int? {
        guard let range = line.range(of: "# handle ", options: .backwards) else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// The verdict of a rule line in xtables-monitor's words: "accept" -> "ACCEPT",
    /// "jump services" -> "JUMP:services".
    static func monitorVerdict(_ line: Substring) -> String {
        guard let range = line.range(of: "(verdict ", options: .backwards) else { return "CONTINUE" }
        let words = line[range.upperBound...].prefix { $0 != ")" }.split(separator: " ")
        return ([words.first.map { $0.uppercased() } ?? "CONTINUE"] + words.dropFirst().map(String.init)).joined(separator: ":")
    }

    /// A `packet:` line's tuple, IP id (none in IPv6) and TCP flags.
    static func packet(_ words: [String]) -> XtablesTracePacket? {
        func value(_ keys: String...) -> String? {
            guard let at = words.indices.first(where: { Array(words[$0...].prefix(keys.count)) == keys }),
                  at + keys.count < words.count else { return nil }
            return words[at + keys.count]
        }
        guard let src = value("ip", "saddr") ?? value("ip6", "saddr"),
              let dst = value("ip", "daddr") ?? value("ip6", "daddr") else { return nil }
        let tuple = LabTuple(src: src, dst: dst, sport: value("tcp", "sport").flatMap { Int($0) } ?? 0,
                             dport: value("tcp", "dport").flatMap { Int($0) } ?? 0)
        var flags: [String] = []
        if let flagText = value("tcp", "flags", "==") {
            let names: [(String, Int)] = [("FIN", 1), ("SYN", 2), ("RST", 4), ("PSH", 8), ("ACK", 16), ("URG", 32)]
            if flagText.hasPrefix("0x"), let bits = Int(flagText.dropFirst(2), radix: 16) {
                flags = names.filter { bits & $0.1 != 0 }.map(\.0)
            } else {
                flags = flagText.split(separator: "|").map { $0.uppercased() }
            }
        }
        func unquoted(_ text: String?) -> String? { text.map { $0.replacingOccurrences(of: "\"", with: "") } }
        return XtablesTracePacket(inInterface: unquoted(value("iif")), outInterface: unquoted(value("oif")), tuple: tuple,
                                  flags: flags, ipID: value("ip", "id") ?? "")
    }
}

extension GroundTruth {
    /// Starts `nft -a monitor trace` in every node netns (kube-proxy in nftables mode).
    func startNftMonitors(tag: Int) -> [TraceMonitor] {
        topology.nodes.compactMap { node -> TraceMonitor? in
            let netns = state.netns(node.name)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-nfttrace-\(netns)-\(tag).txt").path
            guard let pid = try? BackgroundProcess.spawn(
                ["stdbuf", "-oL", "nsenter", "--net=/run/netns/\(netns)", "nft", "-a", "monitor", "trace"], outputFile: file) else {
                return nil
            }
            return TraceMonitor(node: node.name, pid: pid, file: file, nftMonitor: true)
        }
    }

    /// Stops an `nft monitor trace` and reads its hits against the node's rules as they are now.
    func stopNftMonitor(_ monitor: TraceMonitor) async -> ([XtablesTraceLine]?, String) {
        var status: Int32 = 0
        let exited = waitpid(monitor.pid, &status, WNOHANG) == monitor.pid
        if !exited { BackgroundProcess.stop(monitor.pid) }
        var text = (try? String(contentsOfFile: monitor.file, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: monitor.file)
        if exited { text += "cannot trace: nft monitor trace exited before it was stopped\n" }
        let netns = ["ip", "netns", "exec", state.netns(monitor.node)]
        let json = await runner.run(netns + ["nft", "-a", "-j", "list", "ruleset"]).stdout
        let saved = await runner.run(netns + ["iptables-nft-save"]).stdout
        let saved6 = await runner.run(netns + ["ip6tables-nft-save"]).stdout
        guard Self.traceFailure(text) == nil,
              let ruleset = try? NftJSONParser.parse(Array(json.utf8), source: "nft -j list ruleset") else {
            return (nil, text + (text.contains("cannot ") ? "" : "cannot read the node's nft ruleset\n"))
        }
        return (NftMonitorTraceParser.parse(text, ruleset: ruleset, saved: IptablesSaveRules(saved),
                                            saved6: IptablesSaveRules(saved6)), text)
    }
}
