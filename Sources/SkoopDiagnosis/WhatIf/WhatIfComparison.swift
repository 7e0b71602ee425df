import Foundation
import SkoopModel

/// A diagnosis before and after what-if edits: the two verdicts and the branches that changed.
public struct WhatIfComparison: Sendable {
    /// The edits.
    public var edits: [WhatIfEdit]
    /// The diagnosis of the unedited state.
    public var before: DiagnosisReport
    /// The diagnosis of the edited state.
    public var after: DiagnosisReport

    /// Makes a comparison of two finished diagnoses.
    public init(edits: [WhatIfEdit], before: DiagnosisReport, after: DiagnosisReport) {
        self.edits = edits
        self.before = before
        self.after = after
    }

    /// Branches the edits removed and those they brought.
    public var branchChanges: (gone: [PathBranch], new: [PathBranch]) {
        PathBranch.changes(before: PathBranch.branches(of: before.path), after: PathBranch.branches(of: after.path))
    }

    /// "partial → reachable" or "unreachable (unchanged)".
    public var verdictLine: String {
        let old = before.verdict?.rawValue ?? "running"
        let new = after.verdict?.rawValue ?? "running"
        return old == new ? "\(new) (unchanged)" : "\(old) → \(new)"
    }

    /// The what-if section of the text report.
    public func text() -> String {
        var lines = ["What-if (\(edits.count) edit\(edits.count == 1 ? "" : "s"), applied to Skoop's copy only):"]
        for edit in edits {
            lines.append("  \(edit)")
            lines.append("      command: \(edit.shellCommand)")
        }
        lines.append("Verdict: \(verdictLine)")
        let changes = branchChanges
        if changes.gone.isEmpty && changes.new.isEmpty {
            lines.append("No branch changed.")
        } else {
            lines.append("Branches changed:")
            lines += changes.gone.map { "  - \($0)" }
            lines += changes.new.map { "  + \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `"whatIf"` member of the JSON report.
    public var jsonObject: [String: Any] {
        let changes = branchChanges
        return [
            "edits": edits.map { ["edit": $0.description, "command": $0.shellCommand] },
            "verdictBefore": before.verdict?.rawValue ?? NSNull(),
            "verdictAfter": after.verdict?.rawValue ?? NSNull(),
            "branchesGone": changes.gone.map(\.description),
            "branchesNew": changes.new.map(\.description),
        ]
    }

    /// The after report's JSON with `"whatIf"` added last (every other key, and their order,
    /// as without edits).
    public func jsonData() throws -> Data {
        try Self.appending(member: "whatIf", jsonObject, to: after.jsonData())
    }

    /// `object` with `member` added after its last key.
    static func appending(member: String, _ value: Any, to object: Data) throws -> Data {
        let text = String(decoding: object, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let valueText = String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]),
                               as: UTF8.self).replacingOccurrences(of: "\n", with: "\n  ")
        guard text.hasSuffix("}") else { return object }
        let body = text.dropLast().trimmingCharacters(in: .whitespacesAndNewlines)
        let separator = body.hasSuffix("{") ? "" : ","
        return DiagnosisReport.escapingTerminalControls(Data((body + separator + "\n  \"\(member)\" : " + valueText + "\n}").utf8))
    }
}
