import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopCollector

/// A kubectl that answers from a closure and records every call (arguments after the global flags).
final class ScriptedKubectl: ToolRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var calls: [[String]] = []
    private let answer: @Sendable ([String]) -> ToolOutput

    init(_ answer: @escaping @Sendable ([String]) -> ToolOutput) { self.answer = answer }

    func run(_ command: [String], input: String?) async -> ToolOutput {
        // kubectl --request-timeout 30s ARGS...
        let arguments = Array(command.drop { $0 != "--request-timeout" }.dropFirst(2))
        lock.withLock { calls.append(arguments) }
        return answer(arguments)
    }

    var verbs: [String] { lock.withLock { calls.map { $0.first ?? "" } } }
    var kubectl: Kubectl { Kubectl(runner: self) }
}

@Suite("Live: reading an archive larger than kubelet's log rotation")
struct LiveArchiveRetrievalTests {
    static let boundary = "SKOOP-B"
    static let archive = makeArchive(boundary: boundary, namespaces: [
        (kind: "host", name: "host", outputs: ["ip -j addr show": ToolOutput(status: 0, stdout: "[]")]),
        (kind: "named", name: "pod-a", outputs: ["ip -j addr show": ToolOutput(status: 0, stdout: "[{\"ifname\":\"eth0\"}]")]),
    ])
    static var log: String { archive + "\n\(boundary) READY \(archive.utf8.count)\n" }
    /// What `kubectl logs` returns once kubelet rotated the log: only its end.
    static var rotatedLog: String { String(log.suffix(90)) }

    func retriever(_ kubectl: ScriptedKubectl) -> ArchiveRetriever {
        ArchiveRetriever(kubectl: kubectl.kubectl, namespace: "default", pod: "skoop-collector-n1-x", node: "n1",
                         boundary: Self.boundary)
    }

    @Test("the READY line gives the archive's size; the archive is the log without it")
    func readyLine() {
        #expect(CollectorLog.readyBytes(in: "\(Self.boundary) READY 1234\n", boundary: Self.boundary) == 1234)
        #expect(CollectorLog.readyBytes(in: Self.log, boundary: Self.boundary) == Self.archive.utf8.count)
        #expect(CollectorLog.readyBytes(in: "", boundary: Self.boundary) == nil)
        #expect(CollectorLog.readyBytes(in: "OTHER READY 12\n", boundary: Self.boundary) == nil)
        #expect(CollectorLog.readyBytes(in: "\(Self.boundary) READY x\n", boundary: Self.boundary) == nil)
        #expect(CollectorLog.archiveText(of: Self.log, boundary: Self.boundary) == Self.archive)
    }

    @Test("a complete log is used as is: no kubectl exec")
    func completeLog() async throws {
        let kubectl = ScriptedKubectl { _ in ToolOutput(status: 0, stdout: Self.log) }
        let archive = try await retriever(kubectl).read(podRunning: true)
        #expect(archive.namespaces.map(\.name) == ["host", "pod-a"])
        #expect(kubectl.verbs == ["logs"])
    }

    @Test("a rotated log: the archive comes from kubectl exec cat of the pod's copy")
    func rotatedLogUsesExec() async throws {
        let kubectl = ScriptedKubectl { arguments in
            if arguments.first == "exec" {
                #expect(arguments == ["exec", "skoop-collector-n1-x", "-n", "default", "-c", "collect", "--", "cat", "/tmp/skoop-archive"])
                return ToolOutput(status: 0, stdout: Self.archive)
            }
            return ToolOutput(status: 0, stdout: Self.rotatedLog)
        }
        let archive = try await retriever(kubectl).read(podRunning: true)
        #expect(archive.namespaces.map(\.name) == ["host", "pod-a"])
        #expect(archive.namespaces[1].outputs["ip -j addr show"]?.stdout == "[{\"ifname\":\"eth0\"}]")
        #expect(kubectl.verbs == ["logs", "exec"])
    }

    @Test("a rotated log and a failing exec: the node's failure says both")
    func rotatedLogAndExecFails() async throws {
        let kubectl = ScriptedKubectl { arguments in
            arguments.first == "exec"
                ? ToolOutput(status: 1, stderr: "Error from server (Forbidden): pods \"x\" is forbidden: cannot create resource \"pods/exec\"")
                : ToolOutput(status: 0, stdout: Self.rotatedLog)
        }
        do {
            _ = try await retriever(kubectl).read(podRunning: true)
            Issue.record("a rotated log without exec must fail")
        } catch let failure as NodeCollectionFailure {
            #expect(failure.node == "n1")
            #expect(failure.reason.contains("the logs of pod default/skoop-collector-n1-x"))
            #expect(failure.reason.contains("(the log kept \(CollectorLog.archiveText(of: Self.rotatedLog, boundary: Self.boundary).utf8.count) of \(Self.archive.utf8.count) bytes: rotated by kubelet?)"))
            #expect(failure.reason.contains("reading /tmp/skoop-archive in pod default/skoop-collector-n1-x (kubectl exec) failed too"))
            #expect(failure.reason.contains("cannot create resource \"pods/exec\""))
        }
        #expect(kubectl.verbs == ["logs", "exec"])
    }

    @Test("a pod that already ended has no copy to read: no exec, a clear failure")
    func endedPodNoExec() async throws {
        let kubectl = ScriptedKubectl { _ in ToolOutput(status: 0, stdout: Self.rotatedLog) }
        await #expect(throws: NodeCollectionFailure.self) { _ = try await retriever(kubectl).read(podRunning: false) }
        #expect(kubectl.verbs == ["logs"])
    }

    @Test("the pod's wrapper keeps the archive, prints it with the READY line; a failure ends the pod")
    func wrapperForReal() async throws {
        let folder = try makeTemporaryDirectory("wrapper")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("archive").path
        let runner = SubprocessToolRunner()
        let body = "\n\(Self.boundary) SKOOP-ARCHIVE 1\n\n\(Self.boundary) END\n"
        let ok = await runner.run(["sh", "-c", CollectorPodManifest.wrapper, "skoop-pod", path, "0", Self.boundary,
                                   "printf", "%s", body])
        #expect(ok.status == 0)
        #expect(ok.stdout == body + "\n\(Self.boundary) READY \(body.utf8.count)\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == body)
        let failed = await runner.run(["sh", "-c", CollectorPodManifest.wrapper, "skoop-pod", path, "0", Self.boundary,
                                       "sh", "-c", "echo 'nsenter: not found' >&2; exit 127"])
        #expect(failed.status == 127)
        #expect(failed.stdout == "")
        #expect(failed.stderr == "nsenter: not found\n")
    }
}
