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

    /// Broken pipes are errors to handle, not a signal that kills Skoop: a tool that exits
    /// without reading all its input (an error, a usage message) closes the pipe under us.
    private static let brokenPipesIgnored: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs the command; a tool that cannot be started gives status 127.
    public func run(_ command: [String], input: String?) async -> ToolOutput {
        _ = Self.brokenPipesIgnored
        guard let name = command.first, !name.isEmpty else {
            return ToolOutput(status: 127, stderr: "empty command")
        }
        let executable: Executable = name.contains("/") ? .path(.init(name)) : .name(name)
        let arguments = Arguments(Array(command.dropFirst()))
        do {
            let result = try await Subprocess.run(
                executable, arguments: arguments,
                input: InputTheToolMayLeaveUnread(bytes: Array((input ?? "").utf8)),
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

/// Standard input for a tool that may exit before reading it: the tool's exit status and output
/// are its answer, so a write refused because the pipe closed (EPIPE) is no failure of the run.
struct InputTheToolMayLeaveUnread: InputProtocol {
    let bytes: [UInt8]

    func write(with writer: StandardInputWriter) async throws {
        guard !bytes.isEmpty else { return }
        do {
            _ = try await writer.write(bytes)
        } catch {
            // The tool closed its standard input; what it printed and its status tell why.
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
