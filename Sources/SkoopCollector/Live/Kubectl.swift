import Foundation
import SkoopModel

/// Why a kubectl call failed, for the user.
public struct KubectlError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The kubectl arguments (after the connection flags).
    public var arguments: [String]
    /// kubectl's exit status (127: kubectl missing).
    public var status: Int32
    /// The first line of kubectl's standard error.
    public var message: String

    public var description: String {
        if status == 127 && message.isEmpty {
            return "kubectl \(arguments.joined(separator: " ")): kubectl is not installed (Debian: apt-get install kubernetes-client)"
        }
        return "kubectl \(arguments.joined(separator: " ")): \(message.isEmpty ? "exit \(status)" : message)"
    }

    /// Whether the server said the resource type does not exist.
    public var isUnknownResource: Bool {
        message.contains("doesn't have a resource type") || message.contains("the server could not find the requested resource")
    }
}

/// The user's own `kubectl` (so every auth method of their kubeconfig works), run with argument
/// arrays through a `ToolRunner`, every request bounded by `--request-timeout`.
public struct Kubectl: Sendable {
    /// Runs kubectl.
    public var runner: any ToolRunner
    /// The kubectl executable.
    public var executable: String
    /// `--kubeconfig`, when given.
    public var kubeconfig: String?
    /// `--context`, when given (else the kubeconfig's current context).
    public var context: String?
    /// The bound of each API request, in seconds.
    public var requestTimeout: Int
    /// More global flags (e.g. `--cache-dir DIR`).
    public var globalArguments: [String]

    /// Makes a client.
    public init(runner: any ToolRunner = SubprocessToolRunner(), executable: String = "kubectl",
                kubeconfig: String? = nil, context: String? = nil, requestTimeout: Int = 30,
                globalArguments: [String] = []) {
        self.globalArguments = globalArguments
        self.runner = runner
        self.executable = executable
        self.kubeconfig = kubeconfig
        self.context = context
        self.requestTimeout = max(1, requestTimeout)
    }

    /// The full command line for `arguments`.
    public func command(_ arguments: [String]) -> [String] {
        var command = [executable]
        if let kubeconfig { command += ["--kubeconfig", kubeconfig] }
        if let context { command += ["--context", context] }
        return command + globalArguments + ["--request-timeout", "\(requestTimeout)s"] + arguments
    }

    /// Runs kubectl; throws `KubectlError` on a non-zero exit.
    @discardableResult
    public func run(_ arguments: [String], input: String? = nil) async throws(KubectlError) -> String {
        let output = await runner.run(command(arguments), input: input)
        guard output.succeeded else {
            throw KubectlError(arguments: arguments, status: output.status,
                               message: TerminalSafe.strip(output.firstErrorLine))
        }
        return output.stdout
    }

    /// The context in use: `--context`, else the kubeconfig's current context.
    public func contextName() async throws(KubectlError) -> String {
        if let context { return context }
        return try await run(["config", "current-context"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `kubectl get RESOURCE -A -o json` (or `-n NAMESPACE`).
    public func list(_ resource: String, namespace: String? = nil) async throws(KubectlError) -> String {
        try await run(["get", resource] + (namespace.map { ["-n", $0] } ?? ["-A"]) + ["-o", "json"])
    }
}
