import SkoopModel
import SkoopNetstack

/// Compares simulations of the same packet with indexed and linear rule dispatch.
public enum SimulationEquivalence {
    /// The rules that matched (jumps, returns, translations, verdicts, policies), in order. The
    /// rules passed over are reported differently by the two walks — one NOMATCH entry per rule
    /// linearly, one "N rule(s) skipped" summary through the index — and are left out.
    public static func ruleTrace(_ trace: [NetfilterTraceEntry]) -> [NetfilterTraceEntry] {
        trace.filter { $0.matched && $0.verdict != "SKIPPED" }
    }

    /// Whether both took the same branches: same kinds, packets, probabilities and rule traces.
    public static func same(_ a: [NetNSDecision], _ b: [NetNSDecision]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x.kind == y.kind && x.packet == y.packet && x.packetIn == y.packetIn && x.probability == y.probability
                && x.isUncertain == y.isUncertain && ruleTrace(x.netfilter) == ruleTrace(y.netfilter)
        }
    }
}
