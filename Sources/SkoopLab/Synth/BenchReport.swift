import Foundation

/// One line of the benchmark table: what was measured, the figures, the ratio and its goal.
public struct BenchRow: Sendable {
    /// What was measured.
    public var name: String
    /// The figures, already formatted (medians, sizes, memory).
    public var figures: String
    /// The ratio measured in the same run, formatted, when there is one.
    public var ratio: String
    /// The goal, as a human reads it.
    public var goal: String
    /// Whether the goal holds; nil when it was not measured (e.g. not root).
    public var passed: Bool?

    /// Makes a row.
    public init(name: String, figures: String, ratio: String = "", goal: String = "", passed: Bool? = nil) {
        self.name = name
        self.figures = figures
        self.ratio = ratio
        self.goal = goal
        self.passed = passed
    }
}

/// Statistics, formatting and the README table of `skoop bench`.
public enum BenchReport {
    /// The median of `values` (the mean of the middle two for an even count); 0 for none.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// A duration in seconds, in the unit that reads best.
    public static func duration(_ seconds: Double) -> String {
        if seconds >= 1 { return String(format: "%.2f s", seconds) }
        if seconds >= 1e-3 { return String(format: "%.1f ms", seconds * 1e3) }
        return String(format: "%.1f µs", seconds * 1e6)
    }

    /// A byte count in MiB or GiB.
    public static func bytes(_ count: Int) -> String {
        count >= 1 << 30 ? String(format: "%.2f GiB", Double(count) / Double(1 << 30))
            : String(format: "%.0f MiB", Double(count) / Double(1 << 20))
    }

    /// A ratio like "63.2×".
    public static func ratio(_ value: Double) -> String { String(format: "%.1f×", value) }

    /// The machine the benchmarks ran on: cores, memory and CPU model (Linux /proc).
    public static func machine() -> String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = ProcessInfo.processInfo.physicalMemory
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return "\(cores) cores (nproc), \(bytes(Int(memory))) RAM, \(model)"
    }

    /// The results as a Markdown table with a header line naming the machine.
    public static func markdown(rows: [BenchRow], machine: String, mode: String, notes: [String]) -> String {
        var lines = ["Measured by `skoop bench\(mode)` on \(machine). Medians of repeated runs; ratios come from the same run.", ""]
        lines.append("| Benchmark | Figures (median) | Ratio | Goal | Result |")
        lines.append("|---|---|---|---|---|")
        for row in rows {
            let result = row.passed.map { $0 ? "pass" : "FAIL" } ?? "not measured"
            lines.append("| \(row.name) | \(row.figures) | \(row.ratio) | \(row.goal) | \(result) |")
        }
        if !notes.isEmpty {
            lines.append("")
            lines += notes.map { "- \($0)" }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static let begin = "<!-- skoop bench: begin -->"
    static let end = "<!-- skoop bench: end -->"

    /// `readme` with the text between the bench markers replaced by `table` (markers and a
    /// Performance section appended when missing).
    public static func replacingTable(in readme: String, with table: String) -> String {
        let block = "\(begin)\n\(table)\(end)"
        if let start = readme.range(of: begin), let stop = readme.range(of: end, range: start.upperBound..<readme.endIndex) {
            return readme.replacingCharacters(in: start.lowerBound..<stop.upperBound, with: block)
        }
        let separator = readme.hasSuffix("\n") ? "\n" : "\n\n"
        return readme + separator + "## Performance\n\n" + block + "\n"
    }
}
