import SkoopDiagnosis
import SkoopModel
import SkoopNetstack
import SkoopCollector

/// One matched rule or chain policy, reduced to what `xtables-monitor --trace` and Skoop's
/// simulated trace both say: table, chain, rule text (handles and trace ids dropped) and verdict
/// as the nft backend reports it ("JUMP:KUBE-SVC-X", "ACCEPT", "RETURN", "CONTINUE", ...).
public struct TraceStep: Hashable, Sendable, CustomStringConvertible {
    /// The table.
    public var table: String
    /// The chain.
    public var chain: String
    /// The rule as iptables-save prints it, whitespace collapsed; "-P CHAIN" for a policy.
    public var rule: String
    /// The verdict.
    public var verdict: String

    /// Makes a step.
    public init(table: String, chain: String, rule: String, verdict: String) {
        self.table = table
        self.chain = chain
        self.rule = rule.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        self.verdict = verdict == "0xfffffffb" ? "RETURN" : verdict
    }

    /// The xtables tables: every other table a trace names is a native nft table.
    static let xtablesTables: Set<String> = ["raw", "mangle", "nat", "filter", "security"]

    /// The kernel's rule hit; nil for an implicit return (Skoop records no entry for it). A native
    /// nft rule is named by its handle (xtables-monitor prints it in iptables words, Skoop in nft's).
    public init?(kernel line: XtablesTraceLine) {
        let entry = line.entry
        if !Self.xtablesTables.contains(entry.table), !entry.verdict.hasPrefix("POLICY "), let handle = entry.handle {
            self.init(table: entry.table, chain: entry.chain, rule: "handle \(handle)",
                      verdict: line.monitorVerdict.isEmpty ? entry.verdict : line.monitorVerdict)
        } else if entry.verdict.hasPrefix("POLICY ") {
            self.init(table: entry.table, chain: entry.chain, rule: "-P \(entry.chain)", verdict: String(entry.verdict.dropFirst(7)))
        } else if entry.rule.isEmpty {
            return nil
        } else {
            self.init(table: entry.table, chain: entry.chain, rule: entry.rule,
                      verdict: line.monitorVerdict.isEmpty ? entry.verdict : line.monitorVerdict)
        }
    }

    /// Skoop's entry, when xtables-monitor would print it (matched rules and policies).
    public init?(skoop entry: NetfilterTraceEntry) {
        guard entry.matched, !["SKIP", "SKIPPED", "NOMATCH"].contains(entry.verdict) else { return nil }
        if entry.verdict.hasPrefix("POLICY ") {
            self.init(table: entry.table, chain: entry.chain, rule: "-P \(entry.chain)", verdict: String(entry.verdict.dropFirst(7)))
        } else if entry.family != nil, let handle = entry.handle {
            // nft's "jump services" is xtables-monitor's "JUMP:services".
            let verdict = NftTraceText.monitorVerdict(entry).split(separator: " ", maxSplits: 1)
            self.init(table: entry.table, chain: entry.chain, rule: "handle \(handle)",
                      verdict: ([verdict.first.map { $0.uppercased() } ?? ""] + verdict.dropFirst().map(String.init)).joined(separator: ":"))
        } else {
            self.init(table: entry.table, chain: entry.chain, rule: entry.rule, verdict: NetfilterTraceText.monitorVerdict(entry))
        }
    }

    public var description: String { "\(table):\(chain) \(rule) => \(verdict)" }
}

/// The kernel's rule hits for the first packet of one direction of a flow at one node, and the
/// hits of Skoop's simulated packet there, and whether they agree.
public struct TraceComparison: Hashable, Sendable {
    /// The flow's name.
    public var flow: String
    /// The node.
    public var node: String
    /// Request (the SYN) or reply (the SYN ACK).
    public var direction: FlowDirection
    /// Whether the sequences are equal.
    public var agrees: Bool
    /// The kernel's steps (empty: the packet did not pass this node).
    public var kernel: [TraceStep]
    /// Skoop's steps (empty: no simulated packet passed this node).
    public var skoop: [TraceStep]

    /// One line for the report: where the sequences part.
    public var line: String {
        let first = zip(kernel, skoop).prefix { $0 == $1 }.count
        let kernelStep = first < kernel.count ? kernel[first].description : (kernel.isEmpty ? "no packet" : "end")
        let skoopStep = first < skoop.count ? skoop[first].description : (skoop.isEmpty ? "no packet" : "end")
        return "\(flow): trace at \(node) (\(direction.rawValue)), step \(first + 1) of \(kernel.count)/\(skoop.count): kernel \(kernelStep), skoop \(skoopStep)"
    }
}

/// Splits traces into per-packet passes and compares them.
public enum TraceComparator {
    private static func rank(_ hook: String) -> Int {
        switch hook {
        case "PREROUTING", "OUTPUT": 0
        case "INPUT", "FORWARD": 1
        default: 2
        }
    }

    /// Splits a sequence into passes through the stack: a new pass starts when the hook goes back
    /// (POSTROUTING then OUTPUT: an encapsulated copy) or a (hook, table) seen earlier comes again.
    static func passes<T>(_ items: [T], segment: (T) -> (hook: String, table: String)) -> [[T]] {
        var passes: [[T]] = []
        var current: [T] = []
        var seen: [String] = []
        for item in items {
            let (hook, table) = segment(item)
            let key = hook + "/" + table
            // A native table has several base chains on one hook (kube-proxy's filter-prerouting-pre-dnat
            // and nat-prerouting), so only an xtables table seen again starts a new pass.
            if let last = seen.last, last != key,
               (seen.contains(key) && TraceStep.xtablesTables.contains(table)) || rank(hook) < rank(String(last.prefix { $0 != "/" })) {
                passes.append(current)
                current = []
                seen = []
            }
            if seen.last != key { seen.append(key) }
            current.append(item)
        }
        if !current.isEmpty { passes.append(current) }
        return passes
    }

    /// The kernel's passes of the connection's packets at one node, in `direction`: lines whose
    /// packet has one of the connection's tuples (reversed for the reply), grouped by IP id and
    /// TCP flags (the trace id changes along a packet's way, after NAT), each group split into
    /// passes (a retransmission can repeat the id), in the order of their first line.
    public static func kernelPackets(_ lines: [XtablesTraceLine], tuples: [LabTuple],
                                     direction: FlowDirection) -> [(packet: XtablesTracePacket, lines: [XtablesTraceLine])] {
        var order: [String] = []
        var groups: [String: [(Int, XtablesTraceLine)]] = [:]
        for (position, line) in lines.enumerated() {
            guard let packet = line.packet,
                  tuples.contains(direction == .request ? packet.tuple : packet.tuple.reversed) else { continue }
            let key = "\(packet.ipID)/\(packet.flags.joined(separator: ","))"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((position, line))
        }
        var packets: [(Int, XtablesTracePacket, [XtablesTraceLine])] = []
        for key in order {
            for pass in passes(groups[key] ?? [], segment: { ($0.1.entry.hook, $0.1.entry.table) }) {
                guard let first = pass.first, let packet = first.1.packet else { continue }
                packets.append((first.0, packet, pass.map(\.1)))
            }
        }
        return packets.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
    }

    /// The kernel's steps for the connection's first packet in `direction` at a node: the first
    /// SYN (request) or SYN ACK (reply) pass.
    public static func kernelSteps(_ lines: [XtablesTraceLine], tuples: [LabTuple], direction: FlowDirection) -> [TraceStep] {
        let first = kernelPackets(lines, tuples: tuples, direction: direction).first {
            direction == .request ? $0.packet.isSYN : $0.packet.isSYNACK
        }
        return (first?.lines ?? []).compactMap(TraceStep.init(kernel:))
    }

    /// Skoop's steps for a link: its first pass (the packet itself, not an encapsulated copy).
    public static func skoopSteps(_ link: Link) -> [TraceStep] {
        let printed = link.netfilter.filter { TraceStep(skoop: $0) != nil }
        return (passes(printed, segment: { ($0.hook, $0.table) }).first ?? []).compactMap(TraceStep.init(skoop:))
    }

    /// The backend a link's branch reached: the destination of its first DNAT.
    static func backend(_ link: Link) -> String? {
        link.translations.first { $0.original.dst != $0.translated.dst }?.translated.dst.description
    }

    /// Compares the traced probe of `flow` with Skoop's report, node by node, per direction. The
    /// kernel's pass is compared with the best-matching of Skoop's links from that node in that
    /// direction (Skoop has a branch per random choice; a SYN dropped before conntrack confirmed
    /// it is retransmitted and may be balanced elsewhere, so the kernel's first pass need not be
    /// on the final backend's branch). Where the kernel's packet did not pass, Skoop's links on
    /// branches to the backend the kernel used must not either; with no known backend nothing
    /// is compared there. Nodes whose trace was lost are not compared.
    public static func compare(flow: String, probe: ProbeResult, report: DiagnosisReport) -> [TraceComparison] {
        let knownBackend = probe.backendIP.flatMap { $0 == probe.flow.destination ? nil : $0 }
        var comparisons: [TraceComparison] = []
        for node in probe.trace.keys.sorted() {
            let hop = Hop(type: .node, id: node)
            for direction in [FlowDirection.request, .reply] {
                let kernel = kernelSteps(probe.trace[node] ?? [], tuples: probe.tuples, direction: direction)
                var candidates = report.path.links.filter { $0.source == hop && $0.direction == direction }
                if kernel.isEmpty {
                    guard let knownBackend else { continue }
                    candidates = candidates.filter { backend($0) == nil || backend($0) == knownBackend }
                }
                let options = candidates.map(skoopSteps).filter { !$0.isEmpty }
                if kernel.isEmpty && options.isEmpty { continue }
                let best = options.max { commonPrefix($0, kernel) < commonPrefix($1, kernel) } ?? []
                comparisons.append(TraceComparison(flow: flow, node: node, direction: direction, agrees: best == kernel,
                                                   kernel: kernel, skoop: best))
            }
        }
        return comparisons
    }

    private static func commonPrefix(_ a: [TraceStep], _ b: [TraceStep]) -> Int {
        if a == b { return Int.max }
        return zip(a, b).prefix { $0 == $1 }.count
    }
}
