import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Long-running lab processes (listeners): started detached, stopped by PID.
public enum BackgroundProcess {
    /// Starts `argv` (looked up in PATH) in its own session, standard output to `outputFile` (else
    /// /dev/null), the other streams on /dev/null;
    /// returns its PID. It outlives the caller.
    public static func spawn(_ argv: [String], outputFile: String? = nil) throws -> Int32 {
        guard !argv.isEmpty else { throw LabError.command(argv, "empty command") }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The caller's runtime blocks signals such as SIGTERM; a listener must not inherit that.
        var emptyMask = sigset_t(), allSignals = sigset_t()
        sigemptyset(&emptyMask)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        // POSIX_SPAWN_SETSID | SETSIGMASK | SETSIGDEF (glibc values; the macros are not imported)
        posix_spawnattr_setflags(&attributes, 0x80 | 0x08 | 0x04)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in Int32(0)...2 {
            let path = fd == 1 ? (outputFile ?? "/dev/null") : "/dev/null"
            posix_spawn_file_actions_addopen(&actions, fd, path, fd == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        guard status == 0 else { throw LabError.command(argv, String(cString: strerror(status))) }
        return pid
    }

    /// Stops a process with SIGTERM and reaps it if it is our child.
    public static func stop(_ pid: Int32) {
        guard pid > 1 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<50 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || reaped == -1 { return }  // -1: not our child (reaped by init)
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        _ = waitpid(pid, &status, 0)
    }
}

/// A failure while building or removing a lab.
public enum LabError: Error, CustomStringConvertible, Sendable {
    /// A lab command failed.
    case command([String], String)
    /// A fault used with a scenario where it means nothing.
    case faultNotApplicable(LabFault, LabScenario)
    /// No root privileges.
    case notRoot

    /// One line for the user.
    public var description: String {
        switch self {
        case .command(let argv, let message): "lab command failed: \(argv.joined(separator: " ")): \(message)"
        case .faultNotApplicable(let fault, let scenario):
            "fault \(fault.rawValue) does not apply to \(scenario.rawValue) (valid: \(fault.scenarios.map(\.rawValue).joined(separator: ", ")))"
        case .notRoot: "the lab needs root (network namespaces)"
        }
    }
}
