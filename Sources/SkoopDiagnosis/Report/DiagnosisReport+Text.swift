import SkoopModel

extension DiagnosisReport {
    /// Hop by hop, then the suspicions per node, the verdict last. Data is made terminal-safe.
    public func text() -> String {
        var lines: [String] = []
        let safe = TerminalSafe.strip
        lines.append("Diagnosis: \(safe(query.description))")
        if let sourceAddress, let destinationAddress {
            lines.append("  resolved: \(sourceAddress) -> \(destinationAddress)")
        }
        lines.append("")
        lines.append("Path:")
        for link in path.links {
            let indent = String(repeating: "  ", count: min(link.level, 30) + 1)
            let target = link.destination.map { safe($0.id) } ?? (link.action == .drop ? "DROPPED" : "DELIVERED")
            var line = "\(indent)[\(link.id)] \(safe(link.source.id)) --\(link.type.rawValue)/\(link.action.rawValue)--> \(target)"
            if link.direction == .reply { line += " (reply)" }
            if link.probability < 1 { line += " p=\(formatProbability(link.probability))" }
            if link.isUncertain { line += " (uncertain)" }
            lines.append(line)
            var details: [String] = ["packet \(link.packet)"]
            if let before = link.packetIn, before != link.packet { details.insert("in \(before)", at: 0) }
            let attributes = link.sourceAttributes.map { "\($0.key)=\(safe($0.value))" }
                + link.destinationAttributes.map { "peer.\($0.key)=\(safe($0.value))" }
            if !attributes.isEmpty { details.append(attributes.joined(separator: " ")) }
            for route in link.routes {
                details.append("route: \(safe(route.route ?? route.outcome)) (table \(safe(route.table)))")
            }
            for entry in link.netfilter where entry.matched {
                details.append("\(entry.hook) \(entry.table)/\(safe(entry.chain)): \(safe(entry.rule)) => \(entry.verdict)")
            }
            for detail in details { lines.append(indent + "      " + detail) }
        }
        let found = suspicions()
        if !found.isEmpty {
            lines.append("")
            lines.append("Suspicions:")
            for (node, suspicion) in found {
                let place = node.map { safe($0.id) } ?? "cluster"
                lines.append("  [\(suspicion.level.name.uppercased())] \(place): \(safe(suspicion.message))")
                if let evidence = suspicion.evidence { lines.append("      evidence: \(safe(evidence))") }
                lines += suspicionDetailLines(suspicion)
            }
        }
        lines.append("")
        lines.append("Verdict: \((verdict ?? .unknown).rawValue)")
        let assumed = path.assumptions
        if !assumed.isEmpty {
            lines.append("Assumptions (what the verdict rests on that the snapshot does not prove):")
            for assumption in assumed {
                lines.append("  - \(assumption.node.map { safe($0.id) + ": " } ?? "")\(safe(assumption.text))")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func formatProbability(_ value: Double) -> String {
        let percent = (value * 1000).rounded() / 10
        return "\(percent)%"
    }
}
