import Foundation

/// A command's own peak memory, written where `skoop bench` asks (an environment variable names
/// the file). The bench cannot measure it from outside: Linux carries the parent's high-water
/// mark into a child across exec, so wait4 would report the bench's memory for a small child.
enum PeakMemory {
    static let environmentKey = "SKOOP_PEAK_MEMORY_FILE"

    /// Writes VmHWM (bytes) to the file the environment names, if it names one.
    static func writeIfAsked() {
        guard let path = ProcessInfo.processInfo.environment[environmentKey],
              let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kibibytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Int($0) })
        else { return }
        try? String(kibibytes * 1024).write(toFile: path, atomically: true, encoding: .utf8)
    }
}
