import Foundation
import SkoopModel
import SkoopCollector

/// A running trace listener in one node netns: `xtables-monitor --trace` (nft backend) or
/// `tcpdump -i nflog:0` (legacy backend, `capture` set).
struct TraceMonitor: Sendable {
    /// The node name.
    var node: String
    /// The monitor's process.
    var pid: Int32
    /// Where its output goes.
    var file: String
    /// Whether the file is an NFLOG pcap (legacy backend) rather than xtables-monitor text.
    var capture = false
    /// Whether the file is `nft -a monitor trace` text (kube-proxy in nftables mode).
    var nftMonitor = false
}

extension GroundTruth {
    /// The TRACE rules the verifier adds on every node (either backend): every tcp packet, in raw
    /// PREROUTING (arriving) and raw OUTPUT (locally generated), whatever its NAT, so each node
    /// of a masqueraded path is traced; the connection's lines are picked out by tuple afterwards.
    public static let traceRules: [[String]] = [["-t", "raw", "PREROUTING", "-p", "tcp", "-j", "TRACE"],
                                                ["-t", "raw", "OUTPUT", "-p", "tcp", "-j", "TRACE"]]

    /// Whether traces can be captured in this lab: the nft backend through xtables-monitor (nf_tables
    /// trace events), the legacy backend through tcpdump on nflog:0 (TRACE logs through nf_log).
    /// (A legacy TRACE does not reach native nft tables: kube-proxy in nftables mode needs the nft backend.)
    public var canTrace: Bool {
        topology.backend == .nft || (Self.tcpdumpPath != nil && topology.proxyMode == .iptables)
    }

    /// Whether flows of `family` can be traced: IPv4 always; IPv6 on the nft backend in a lab with
    /// IPv6, through `nft monitor trace` (xtables-monitor 1.8.9 quits on the first ip6tables rule
    /// with `-p tcp` it prints, "unsupported layer 4 protocol value"; the legacy NFLOG capture is
    /// decoded as IPv4).
    public func canTrace(_ family: AddressFamily) -> Bool {
        canTrace && (family == .inet || (topology.backend == .nft && topology.ipFamily.hasIPv6))
    }

    /// The families whose tables get TRACE rules.
    private var tracedFamilies: [AddressFamily] { [.inet] + (canTrace(.inet6) ? [.inet6] : []) }

    private func traceRule(_ action: String, _ rule: [String], node: String, family: AddressFamily = .inet) -> [String] {
        let tool = (family == .inet6 ? "ip6tables" : "iptables") + (topology.backend == .nft ? "-nft" : "-legacy")
        return ["ip", "netns", "exec", state.netns(node), tool, rule[0], rule[1], action] + rule.dropFirst(2)
    }

    /// Adds the TRACE rules on every node (before the snapshot is written, so Skoop simulates the
    /// same ruleset the kernel runs). Harmless while nobody listens: the kernel only marks packets.
    public func installTraceRules() async {
        guard canTrace else { return }
        _ = await addMissingTraceRules()
    }

    /// Adds the TRACE rules where missing (legacy: and makes sure their messages reach
    /// nfnetlink_log); returns the nodes that got them.
    func addMissingTraceRules() async -> [String] {
        if topology.backend == .legacy { await enableNFLOG() }
        var added: [String] = []
        for node in topology.nodes {
            var missing = false
            for family in tracedFamilies {
                for rule in Self.traceRules where !(await runner.run(traceRule("-C", rule, node: node.name, family: family)).succeeded) {
                    missing = true
                    _ = await runner.run(traceRule("-I", rule, node: node.name, family: family))
                }
            }
            if missing { added.append(node.name) }
        }
        return added
    }

    /// Removes the TRACE rules from `node`.
    func removeTraceRules(node: String) async {
        for family in tracedFamilies {
            for rule in Self.traceRules { _ = await runner.run(traceRule("-D", rule, node: node, family: family)) }
        }
    }

    /// Starts the listener for a flow of `family` in every node netns: the NFLOG capture (legacy),
    /// `nft monitor trace` (kube-proxy in nftables mode, or an IPv6 flow), else `xtables-monitor --trace`.
    func startTraceMonitors(tag: Int, family: AddressFamily = .inet) -> [TraceMonitor] {
        if topology.backend == .legacy { return startCaptures(tag: tag) }
        if topology.proxyMode == .nftables || family == .inet6 { return startNftMonitors(tag: tag) }
        return topology.nodes.compactMap { node -> TraceMonitor? in
            let netns = state.netns(node.name)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("skoop-trace-\(netns)-\(tag).txt").path
            guard let pid = try? BackgroundProcess.spawn(
                ["stdbuf", "-oL", "nsenter", "--net=/run/netns/\(netns)", "xtables-monitor", "--trace"], outputFile: file) else {
                return nil
            }
            return TraceMonitor(node: node.name, pid: pid, file: file)
        }
    }

    /// Stops the monitors; returns what each printed, parsed and raw. A monitor that reported an
    /// error (a flood, such as a routing loop, overflows its netlink socket) gives no parsed trace:
    /// its node is left out, and the raw text says why.
    func stop(_ monitors: [TraceMonitor]) async -> ([String: [XtablesTraceLine]], [String: String]) {
        var traces: [String: [XtablesTraceLine]] = [:]
        var texts: [String: String] = [:]
        for monitor in monitors {
            if monitor.capture {
                (traces[monitor.node], texts[monitor.node]) = await stopCapture(monitor)
                continue
            }
            if monitor.nftMonitor {
                (traces[monitor.node], texts[monitor.node]) = await stopNftMonitor(monitor)
                continue
            }
            // Its error goes nowhere: a monitor already gone lost events (a flood overflowed it).
            var status: Int32 = 0
            let exited = waitpid(monitor.pid, &status, WNOHANG) == monitor.pid
            if !exited { BackgroundProcess.stop(monitor.pid) }
            var text = (try? String(contentsOfFile: monitor.file, encoding: .utf8)) ?? ""
            if exited { text += "cannot trace: xtables-monitor exited before it was stopped (its netlink socket overflowed?)\n" }
            texts[monitor.node] = text
            defer { try? FileManager.default.removeItem(atPath: monitor.file) }
            guard Self.traceFailure(text) == nil else { continue }
            traces[monitor.node] = (try? XtablesTraceParser.parse(text, source: monitor.file)) ?? []
        }
        return (traces, texts)
    }

    /// Why a trace is incomplete, if it is: the line `stop` adds when the monitor was gone early
    /// (xtables-monitor quits on "No buffer space available" when events come faster than it reads).
    public static func traceFailure(_ text: String) -> String? {
        text.split(separator: "\n").first { $0.hasPrefix("cannot ") }.map(String.init)
    }

    /// The connection's tuples in its original direction on every node: the entry the probe
    /// created (found by its source port and destination), then, hop by hop, the tuple each NAT
    /// made of it (the inverse of an entry's reply tuple, and the tuple between DNAT and SNAT,
    /// which FORWARD sees), until nothing new appears.
    func connectionTuples(_ flow: LabFlow, sourcePort: Int) async -> [LabTuple] {
        var entries: [(LabTuple, LabTuple)] = []
        for node in topology.nodes {
            let output = await runner.run(["ip", "netns", "exec", state.netns(node.name), "conntrack", "-L"]
                                          + Self.conntrackFamily(flow.family) + ["-p", flow.proto.rawValue])
            entries += Self.conntrackEntries(output.stdout)
        }
        return Self.chain(entries, sourcePort: sourcePort, destination: flow.destination, port: flow.port ?? 0)
    }

    /// Links conntrack entries into the tuples of one connection, starting from the probe's.
    static func chain(_ entries: [(LabTuple, LabTuple)], sourcePort: Int, destination: String, port: Int) -> [LabTuple] {
        var known = entries.map(\.0).filter { $0.sport == sourcePort && $0.dst == destination && $0.dport == port }
        var grew = true
        while grew {
            grew = false
            for (original, reply) in entries where known.contains(original) {
                let destinationNATed = LabTuple(src: original.src, dst: reply.src, sport: original.sport, dport: reply.sport)
                for tuple in [original, destinationNATed, reply.reversed] where !known.contains(tuple) {
                    known.append(tuple)
                    grew = true
                }
            }
        }
        return known
    }

    /// The (original, reply) tuples of `conntrack -L` lines.
    public static func conntrackEntries(_ text: String) -> [(LabTuple, LabTuple)] {
        text.split(separator: "\n").compactMap { line in
            var values: [(String, String)] = []
            for word in line.split(separator: " ") {
                guard let equals = word.firstIndex(of: "=") else { continue }
                let key = String(word[..<equals])
                if ["src", "dst", "sport", "dport"].contains(key) { values.append((key, String(word.suffix(from: equals).dropFirst()))) }
            }
            func tuple(_ pairs: ArraySlice<(String, String)>) -> LabTuple? {
                let map = Dictionary(pairs.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
                guard let src = map["src"], let dst = map["dst"] else { return nil }
                return LabTuple(src: src, dst: dst, sport: map["sport"].flatMap { Int($0) } ?? 0,
                                dport: map["dport"].flatMap { Int($0) } ?? 0)
            }
            let sources = values.indices.filter { values[$0].0 == "src" }
            guard sources.count >= 2, let original = tuple(values[sources[0]..<sources[1]]),
                  let reply = tuple(values[sources[1]...]) else { return nil }
            return (original, reply)
        }
    }
}
