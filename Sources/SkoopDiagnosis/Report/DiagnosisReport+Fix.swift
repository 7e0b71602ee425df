import SkoopModel

extension DiagnosisReport {
    /// A suspicion's hint (one line per line it holds) and its fix, indented under it in the
    /// text report; every line made terminal-safe.
    func suspicionDetailLines(_ suspicion: Suspicion) -> [String] {
        let safe = TerminalSafe.strip
        var lines: [String] = []
        if let hint = suspicion.hint {
            let parts = hint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.append("      hint: \(safe(parts[0]))")
            lines += parts.dropFirst().map { "            \(safe($0))" }
        }
        if let fix = suspicion.fix {
            lines.append("      fix (review, then kubectl apply -f -):")
            lines += fix.split(separator: "\n").map { "        \(safe(String($0)))" }
        }
        return lines
    }
}
