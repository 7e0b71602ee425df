import Foundation
import Subprocess

/// What one tool run produced.
public struct ToolOutput: Hashable, Sendable {
    /// The exit status; 127 when the tool could not be started (missing executable).
    public var status: Int32
    /// Standard output, decoded as UTF-8.
    public var stdout: String
    /// Standard error, decoded as UTF-8.
    public var stderr: String

    /// Makes an output record.
    public init(status: Int32, stdout: String = "", stderr: String = "") {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Whether the tool exited with status 0.
    public var succeeded: Bool { status == 0 }

    /// The first line of standard error, trimmed (for error reports).
    public var firstErrorLine: String {
        let line = stderr.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.trimmingCharacters(in: .whitespaces)
    }
}

/// Runs one tool given as an argument array (never a shell string).
public protocol ToolRunner: Sendable {
    /// Runs `command` (argv[0] is looked up in PATH), feeding `input` on standard input.
    func run(_ command: [String], input: String?) async -> ToolOutput
}

extension ToolRunner {
    /// Runs `command` with no standard input.
    public func run(_ command: [String]) async -> ToolOutput {
        await run(command, input: nil)
    }
}

/// The real runner: spawns processes with swift-subprocess.
public struct SubprocessToolRunner: ToolRunner {
    /// The most bytes kept of each output stream.
    public var outputLimit: Int

    /// Makes a runner keeping at most `outputLimit` bytes per stream.
    public init(outputLimit: Int = 256 << 20) {
        self.outputLimit = outputLimit
    }

    /// Runs the command; a tool that cannot be started gives status 127.
    public func run(_ command: [String], input: String?) async -> ToolOutput {
        guard let name = command.first, !name.isEmpty else {
            return ToolOutput(status: 127, stderr: "empty command")
        }
        let executable: Executable = name.contains("/") ? .path(.init(name)) : .name(name)
        let arguments = Arguments(Array(command.dropFirst()))
        do {
            let result = try await Subprocess.run(
                executable, arguments: arguments,
                input: .string(input ?? ""),
                output: .string(limit: outputLimit), error: .string(limit: outputLimit))
            let status: Int32
            switch result.terminationStatus {
            case .exited(let code): status = code
            case .signaled(let signal): status = 128 + signal
            }
            return ToolOutput(status: status, stdout: result.standardOutput,
                              stderr: result.standardError)
        } catch {
            return ToolOutput(status: 127, stderr: "\(name): cannot run: \(error)")
        }
    }
}

/// A runner answering from recorded outputs (tests, replay); it logs every command it was asked.
public final class RecordedToolRunner: ToolRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [[String]: ToolOutput]
    private var log: [[String]] = []
    private let fallback: ToolOutput

    /// Makes a runner answering `answers[command]`, else `fallback` (default: tool missing).
    public init(answers: [[String]: ToolOutput] = [:],
                fallback: ToolOutput = ToolOutput(status: 127, stderr: "command not found")) {
        self.answers = answers
        self.fallback = fallback
    }

    /// Records the answer for a command.
    public func record(_ command: [String], _ output: ToolOutput) {
        lock.withLock { answers[command] = output }
    }

    /// Every command run so far, in order.
    public var commands: [[String]] { lock.withLock { log } }

    /// Answers from the recording.
    public func run(_ command: [String], input: String?) async -> ToolOutput {
        lock.withLock {
            log.append(command)
            return answers[command] ?? fallback
        }
    }
}
