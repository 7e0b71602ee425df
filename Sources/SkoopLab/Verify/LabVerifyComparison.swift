import SkoopDiagnosis
import SkoopModel
import SkoopCollector

/// Skoop's answer and the kernel's for one flow, and whether they agree.
public struct FlowComparison: Hashable, Sendable {
    /// The flow.
    public var flow: LabVerifyFlow
    /// Whether Skoop agrees with the kernel.
    public var agrees: Bool
    /// What the kernel did ("ok", "failed", or per backend).
    public var kernel: String
    /// What Skoop said (verdict, or per backend).
    public var skoop: String

    /// One line for the report.
    public var line: String {
        "\(flow.name) (\(flow.query)): kernel \(kernel), skoop \(skoop)"
    }
}

/// The key of a branch that never reached a backend (refused or dropped before DNAT).
public let noBackend = "-"

extension FlowComparison {
    /// Compares a single-connection flow: the kernel's success must match a reachable verdict,
    /// its failure an unreachable one.
    public static func single(_ flow: LabVerifyFlow, report: DiagnosisReport, probe: ProbeResult) -> FlowComparison {
        let verdict = report.verdict ?? .unknown
        let agrees = probe.succeeded ? verdict == .reachable : verdict == .unreachable
        var kernel = probe.succeeded ? "ok" : "failed"
        if !probe.succeeded && !probe.detail.isEmpty { kernel += " (\(probe.detail.split(whereSeparator: \.isNewline).first ?? ""))" }
        return FlowComparison(flow: flow, agrees: agrees, kernel: kernel, skoop: verdict.rawValue)
    }

    /// Compares a load-balanced flow per backend: every backend the kernel used must behave as
    /// Skoop's branch to it does, and every branch Skoop predicts must have been seen. A failed try
    /// whose backend the kernel forgot (no conntrack entry: refused, or dropped before it was
    /// confirmed) stands for any failing branch.
    public static func perBackend(_ flow: LabVerifyFlow, report: DiagnosisReport, probes: [ProbeResult]) -> FlowComparison {
        let predicted = backendOutcomes(report, perEntryNode: flow.perEntryNode)
        let observed = observedOutcomes(flow, probes: probes)
        var agrees = unseen(predicted, observed: observed).isEmpty
        for (backend, outcomes) in observed {
            if backend == noBackend {
                // Only an anonymous failure (or success) Skoop also predicts somewhere is explained.
                if !outcomes.allSatisfy({ outcome in predicted.values.contains(outcome) }) { agrees = false }
            } else if outcomes.count != 1 || predicted[backend].map({ outcomes.contains($0) }) != true {
                agrees = false
            }
        }
        return FlowComparison(flow: flow, agrees: agrees,
                              kernel: describe(observed.mapValues { $0.count == 1 ? ($0.contains(true) ? "ok" : "failed") : "mixed" })
                                + " in \(probes.count) tries",
                              skoop: "\(report.verdict?.rawValue ?? "unknown") " + describe(predicted.mapValues { $0 ? "ok" : "failed" }))
    }

    /// What the kernel did per backend (`noBackend` when conntrack no longer knew it).
    public static func observedOutcomes(_ flow: LabVerifyFlow, probes: [ProbeResult]) -> [String: Set<Bool>] {
        var observed: [String: Set<Bool>] = [:]
        for probe in probes {
            var backend = probe.backendIP.flatMap { $0 == flow.probe.destination ? nil : $0 } ?? noBackend
            if flow.perEntryNode, backend != noBackend { backend = "\(probe.entryNode ?? "?")>\(backend)" }
            observed[backend, default: []].insert(probe.succeeded)
        }
        return observed
    }

    /// Predicted branches the kernel never showed: a working backend must have been seen
    /// working; a failing one seen failing, by name or anonymously.
    public static func unseen(_ predicted: [String: Bool], observed: [String: Set<Bool>]) -> [String] {
        predicted.filter { backend, served in
            if observed[backend]?.contains(served) == true { return false }
            return served || observed[noBackend]?.contains(false) != true
        }.map(\.key).sorted()
    }

    /// Backends Skoop predicts, each served (all its branches end with the reply delivered) or not.
    /// A branch's backend is the destination of the first DNAT on its way; branches without one
    /// count under `noBackend`. `perEntryNode`: keyed "NODE>BACKEND" by the first node the
    /// request crossed (where a load balancer handed it to the cluster).
    public static func backendOutcomes(_ report: DiagnosisReport, perEntryNode: Bool = false) -> [String: Bool] {
        var outcomes: [String: Bool] = [:]
        for leaf in report.path.links where leaf.isTerminal {
            var backend = leaf.translations.first { $0.original.dst != $0.translated.dst }?.translated.dst.description ?? noBackend
            if perEntryNode, backend != noBackend {
                let entry = (leaf.requestHops + [leaf.source]).first { $0.type == .node }?.id ?? "?"
                backend = "\(entry)>\(backend)"
            }
            let served = leaf.action == .serve && !leaf.isUncertain
            outcomes[backend] = (outcomes[backend] ?? true) && served
        }
        return outcomes
    }

    private static func describe(_ outcomes: [String: String]) -> String {
        "{" + outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
    }
}
