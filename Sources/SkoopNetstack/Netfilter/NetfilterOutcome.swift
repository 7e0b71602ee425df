import SkoopModel

/// What netfilter finally does with the packet.
public enum NetfilterVerdict: Hashable, Sendable, CustomStringConvertible {
    case accept
    case drop
    /// REJECT with its `--reject-with` type (icmp-port-unreachable by default).
    case reject(String)

    public var description: String {
        switch self {
        case .accept: "ACCEPT"
        case .drop: "DROP"
        case .reject(let type): "REJECT (\(type))"
        }
    }
}

/// How sure an outcome is.
public struct NetfilterOutcomeFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// Depends on something Skoop could not evaluate (unsupported match, unknown ipset, ...);
    /// both the match and the no-match branch are reported.
    public static let uncertain = NetfilterOutcomeFlags(rawValue: 1)
    /// Depends on a recent-match hit (session affinity).
    public static let affinity = NetfilterOutcomeFlags(rawValue: 2)
}

/// One possible result of a traversal.
public struct NetfilterOutcome: Sendable {
    /// Accept, drop or reject.
    public var verdict: NetfilterVerdict
    /// The context after the traversal (rewritten packet, marks, NAT status): feed it to the next hook.
    public var context: PacketContext
    /// The share of packets that take this outcome (statistic ladders). Branches that exist
    /// only because of uncertainty or affinity do not split the probability: each keeps its parent's.
    public var probability: Double
    /// Uncertain and affinity flags.
    public var flags: NetfilterOutcomeFlags
    /// What the simulation could not do exactly.
    public var warnings: [String]
    /// Every rule evaluated (matched or not) and every policy applied.
    public var trace: [NetfilterTraceEntry]

    /// The packet as it leaves (after DNAT/SNAT/MASQUERADE/REDIRECT and MARK).
    public var packet: Packet { context.packet }

    /// Makes an outcome.
    public init(verdict: NetfilterVerdict, context: PacketContext, probability: Double = 1,
                flags: NetfilterOutcomeFlags = [], warnings: [String] = [], trace: [NetfilterTraceEntry] = []) {
        self.verdict = verdict
        self.context = context
        self.probability = probability
        self.flags = flags
        self.warnings = warnings
        self.trace = trace
    }

    /// The rules that matched, in order (the sequence `xtables-monitor --trace` shows).
    public var matchedRules: [NetfilterTraceEntry] { trace.filter(\.matched) }
}

extension NetfilterOutcome {
    /// Runs `hooks` in sequence, feeding each accepted outcome to the next hook (`between` lets
    /// the caller route the packet between hooks); probabilities, flags, warnings and traces join.
    static func inSequence(hooks: [Hook], packet: PacketContext, between: (Hook, PacketContext) -> PacketContext,
                           traverse: (Hook, PacketContext) -> [NetfilterOutcome]) -> [NetfilterOutcome] {
        var live = [NetfilterOutcome(verdict: .accept, context: packet)]
        var finished: [NetfilterOutcome] = []
        for (position, hook) in hooks.enumerated() {
            var next: [NetfilterOutcome] = []
            for previous in live {
                let context = position == 0 ? previous.context : between(hook, previous.context)
                for outcome in traverse(hook, context) {
                    var joined = outcome
                    joined.probability *= previous.probability
                    joined.flags.formUnion(previous.flags)
                    joined.warnings = previous.warnings + outcome.warnings
                    joined.trace = previous.trace + outcome.trace
                    if joined.verdict == .accept { next.append(joined) } else { finished.append(joined) }
                }
            }
            live = next
        }
        return live + finished
    }
}
