import SkoopModel

extension DiagnosisReport {
    /// A Graphviz digraph: NetNodes as boxes (coloured by their worst suspicion), links as edges.
    public func dot() -> String {
        var lines = ["digraph skoop {", "  rankdir=LR;", "  node [shape=box, fontname=\"monospace\"];"]
        for node in path.nodes {
            let colour: String
            switch node.worstLevel {
            case .fatal?, .critical?: colour = "red"
            case .warning?: colour = "orange"
            case .info?, nil: colour = "black"
            }
            lines.append("  \(quoted(node.hop.description)) [label=\(quoted("\(node.type.rawValue)\n\(node.id)")), color=\(colour)];")
        }
        for link in path.links {
            let target: String
            if let destination = link.destination {
                target = quoted(destination.description)
            } else {
                target = quoted("end-\(link.id)")
                lines.append("  \(target) [shape=point, label=\"\", xlabel=\(quoted(link.action == .drop ? "drop" : "served"))];")
            }
            var label = "\(link.type.rawValue) \(link.action.rawValue)"
            if link.direction == .reply { label += " (reply)" }
            lines.append("  \(quoted(link.source.description)) -> \(target) [label=\(quoted(label))];")
        }
        lines.append("  label=\(quoted("\(query) : \((verdict ?? .unknown).rawValue)"));")
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func quoted(_ text: String) -> String {
        // Line breaks are ours (labels); everything else from data is made safe first.
        let safe = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TerminalSafe.strip(String($0)) }.joined(separator: "\n")
        var escaped = "\""
        for character in safe {
            switch character {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped + "\""
    }
}
