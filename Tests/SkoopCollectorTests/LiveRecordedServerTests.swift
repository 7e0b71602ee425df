import Foundation
import Testing
import SkoopModel
import SkoopTestSupport
@testable import SkoopCollector

/// Whether kubectl and python3 are installed (the recorded-server tests run them for real).
let hasKubectlAndPython = ["kubectl", "python3"].allSatisfy { tool in
    (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
    }
}

/// Whether kubectl execs over WebSockets (kubectl >= 1.30), the protocol the recorded server
/// speaks; older ones only speak SPDY, which it does not record.
let kubectlExecsOverWebSockets: Bool = {
    guard hasKubectlAndPython else { return false }
    let process = Process()
    let pipe = Pipe()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["kubectl", "version", "--client", "-o", "json"]
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return false }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let version = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["clientVersion"] as? [String: Any]
    let major = Int((version?["major"] as? String ?? "").filter(\.isNumber)) ?? 0
    let minor = Int((version?["minor"] as? String ?? "").filter(\.isNumber)) ?? 0
    return major > 1 || (major == 1 && minor >= 30)
}()

/// Tests/Live/fake-apiserver.py on 127.0.0.1, answering with recorded API responses built from a
/// snapshot (no real API server exists here); it stops by itself when idle.
final class RecordedAPIServer: @unchecked Sendable {
    let directory: URL
    let process: Process
    let kubeconfig: String
    let logPath: String

    init(snapshot: String = "lab-basic", arguments: [String] = []) throws {
        directory = try makeTemporaryDirectory("apiserver")
        logPath = directory.appendingPathComponent("requests.log").path
        let portFile = directory.appendingPathComponent("port").path
        let script = Fixtures.root.deletingLastPathComponent().appendingPathComponent("Live/fake-apiserver.py").path
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, "--snapshot", Fixtures.url(snapshot).path,
                             "--port-file", portFile, "--log", logPath, "--idle", "300", "--lifetime", "900"] + arguments
        try process.run()
        var found: String?
        var attempts = 0
        while found == nil && attempts < 100 {
            attempts += 1
            found = try? String(contentsOfFile: portFile, encoding: .utf8)
            if found == nil { usleep(50_000) }
        }
        guard let port = found else { throw InputError(source: "fake-apiserver.py", expected: "a port within 5s") }
        kubeconfig = directory.appendingPathComponent("kubeconfig").path
        try """
            apiVersion: v1
            kind: Config
            clusters: [{name: recorded, cluster: {server: "http://127.0.0.1:\(port)"}}]
            contexts: [{name: recorded, context: {cluster: recorded, user: nobody}}]
            current-context: recorded
            users: [{name: nobody, user: {}}]
            """.write(toFile: kubeconfig, atomically: true, encoding: .utf8)
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The requests so far, "METHOD PATH" each.
    var requests: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Pods created (as the server logged them) and deleted (DELETE), by name.
    var podsCreatedAndDeleted: (created: Set<String>, deleted: Set<String>) {
        var created: Set<String> = [], deleted: Set<String> = []
        for request in requests {
            let words = request.split(separator: " ").map(String.init)
            guard words.count == 2 else { continue }
            if words[0] == "CREATED" { created.insert(words[1]) }
            if words[0] == "DELETE", let name = words[1].split(separator: "?")[0].split(separator: "/").last {
                deleted.insert(String(name))
            }
        }
        return (created, deleted)
    }

    /// Options for a collection; the default timeout stretches under the sanitizers (TestTime).
    func options(nodes: [String]? = nil, timeout: Double = TestTime.seconds(20)) -> LiveClusterOptions {
        LiveClusterOptions(kubeconfig: kubeconfig, nodes: nodes,
                           collector: LiveCollectorOptions(timeout: timeout, parallelism: 2, pollInterval: 0.2),
                           kubectlArguments: ["--cache-dir", directory.appendingPathComponent("cache").path])
    }
}

@Suite("Live: real kubectl against a recorded API server (no real API server here)", .serialized,
       .enabled(if: hasKubectlAndPython, "needs kubectl and python3 (Debian: kubernetes-client, python3)"))
struct LiveRecordedServerTests {
    @Test("recorded server: the live snapshot equals the lab-basic fixture, file by file")
    func snapshotEqualsFixture() async throws {
        let server = try RecordedAPIServer()
        let save = try makeTemporaryDirectory("livesave")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(server.options(), save: save.path)
        #expect(cluster.contextName == "recorded")
        #expect(cluster.nodes == ["node1", "node2"])
        let failures = await cluster.collector.collect(nodes: cluster.nodes, into: save)
        #expect(failures.isEmpty)
        let fixture = Fixtures.url("lab-basic")
        for name in ["nodes", "pods", "services", "endpointslices", "networkpolicies", "configmaps"] {
            let live = try JSONSerialization.jsonObject(with: Data(contentsOf: save.appendingPathComponent("k8s/\(name).json")))
            let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: fixture.appendingPathComponent("k8s/\(name).json")))
            #expect(((live as? [String: Any])?["items"] as? NSArray) == ((recorded as? [String: Any])?["items"] as? NSArray), "\(name)")
        }
        var compared = 0
        for node in ["node1", "node2"] {
            let netns = fixture.appendingPathComponent("nodes/\(node)/netns")
            let ids = try FileManager.default.contentsOfDirectory(atPath: netns.path).sorted()
            #expect(try FileManager.default.contentsOfDirectory(atPath: save.appendingPathComponent("nodes/\(node)/netns").path).sorted() == ids)
            for id in ids {
                for file in try FileManager.default.contentsOfDirectory(atPath: netns.appendingPathComponent(id).path) {
                    let relative = "nodes/\(node)/netns/\(id)/\(file)"
                    #expect(try Data(contentsOf: save.appendingPathComponent(relative)) == Data(contentsOf: fixture.appendingPathComponent(relative)), "\(relative)")
                    compared += 1
                }
            }
        }
        #expect(compared == 6 * 15)
        let pods = server.podsCreatedAndDeleted
        #expect(pods.created.count == 2)
        #expect(pods.deleted == pods.created)
    }

    @Test("recorded server: a pod that never starts times out into a clear failure, and is deleted")
    func stuckPodTimesOut() async throws {
        let server = try RecordedAPIServer(arguments: ["--stuck-nodes", "node2"])
        let save = try makeTemporaryDirectory("livestuck")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(server.options(timeout: 1.5), save: save.path)
        let collector = try CollectorManager(snapshot: save.path, nodeSource: cluster.nodeSource())
        #expect(collector.collectedNodes == ["node1", "node2"])
        #expect(throws: NodeCollectionFailure.self) { try collector.prepare(node: "node2") }
        do {
            try collector.prepare(node: "node2")
        } catch {
            #expect(error.description.hasPrefix("no data for node node2: collector pod skoop-collector-node2-"))
            #expect(error.description.contains("did not finish within 1s (Pending, ContainerCreating)"))
        }
        #expect(throws: InputError.self) { try collector.netns(node: "node2", id: "host") }
        // The other node still works, collected on first use.
        #expect(try collector.netns(node: "node1", id: "host").interfaces.contains { $0.name == "cni0" })
        #expect(collector.netnsIDs(node: "node1") == ["host", "pod-client", "pod-web-0"])
        let pods = server.podsCreatedAndDeleted
        #expect(pods.created.count == 2, "node2 was tried once only")
        #expect(pods.deleted == pods.created)
    }

    @Test("recorded server: a failed pod and a missing tool on the node")
    func failedPodAndMissingTool() async throws {
        let failing = try RecordedAPIServer(arguments: ["--pod-mode", "fail"])
        let save = try makeTemporaryDirectory("livefail")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(failing.options(nodes: ["node1"]), save: save.path)
        #expect(cluster.nodes == ["node1"])
        let failures = await cluster.collector.collect(nodes: cluster.nodes, into: save)
        #expect(failures["node1"]?.reason.contains("failed (Failed, Error, exit 127): sh: nsenter: not found") == true)
        #expect(!FileManager.default.fileExists(atPath: save.appendingPathComponent("nodes/node1").path))
        let pods = failing.podsCreatedAndDeleted
        #expect(pods.created.count == 1 && pods.deleted == pods.created)

        let missing = try RecordedAPIServer(arguments: ["--missing-tools", "ss,nft"])
        let cluster2 = try await LiveCluster.open(missing.options(nodes: ["node2"]), save: save.path)
        #expect(await cluster2.collector.collect(nodes: ["node2"], into: save).isEmpty)
        let host = save.appendingPathComponent("nodes/node2/netns/host")
        #expect(!FileManager.default.fileExists(atPath: host.appendingPathComponent("sockets.txt").path))
        let errors = try String(contentsOf: host.appendingPathComponent("collect-errors.txt"), encoding: .utf8)
        #expect(errors.contains("ss\texit 127\tsh: ss: not found"))
        #expect(errors.contains("nft\texit 127\tsh: nft: not found"))
    }

    @Test("recorded server: a log rotated by kubelet is read with kubectl exec (WebSocket), then the pod is deleted",
          .enabled(if: kubectlExecsOverWebSockets, "kubectl < 1.30 execs over SPDY only, which the recorded server does not speak"))
    func rotatedLogThroughExec() async throws {
        let server = try RecordedAPIServer(arguments: ["--log-limit", "20000"])
        let save = try makeTemporaryDirectory("liverotated")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(server.options(nodes: ["node1"]), save: save.path)
        #expect(await cluster.collector.collect(nodes: ["node1"], into: save).isEmpty)
        let fixture = Fixtures.url("lab-basic")
        for file in ["nodes/node1/netns/host/ip-link.json", "nodes/node1/netns/host/iptables.txt", "nodes/node1/netns/pod-client/ip-addr.json"] {
            #expect(try Data(contentsOf: save.appendingPathComponent(file)) == Data(contentsOf: fixture.appendingPathComponent(file)), "\(file)")
        }
        #expect(server.requests.contains { $0.hasPrefix("GET /api/v1/namespaces/default/pods/skoop-collector-node1-")
            && $0.contains("/exec?command=cat&command=%2Ftmp%2Fskoop-archive&container=collect") })
        let pods = server.podsCreatedAndDeleted
        #expect(pods.created.count == 1 && pods.deleted == pods.created)
    }

    @Test("recorded server: a rotated log and kubectl exec refused (no pods/exec RBAC) is a warning; the pod is deleted")
    func rotatedLogExecRefused() async throws {
        let refusing = try RecordedAPIServer(arguments: ["--log-limit", "20000", "--no-exec"])
        let save = try makeTemporaryDirectory("liverefused")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(refusing.options(nodes: ["node1"]), save: save.path)
        let failure = try #require(await cluster.collector.collect(nodes: ["node1"], into: save)["node1"])
        #expect(failure.reason.contains("rotated by kubelet?"))
        #expect(failure.reason.contains("(kubectl exec) failed too"))
        #expect(failure.reason.contains("forbidden"))
        #expect(!FileManager.default.fileExists(atPath: save.appendingPathComponent("nodes/node1").path))
        let pods = refusing.podsCreatedAndDeleted
        #expect(pods.created.count == 1 && pods.deleted == pods.created)
    }

    @Test("recorded server: an unknown --nodes name and an unreachable server are clear errors")
    func badNodesAndUnreachable() async throws {
        let server = try RecordedAPIServer()
        await #expect(throws: InputError.self) {
            _ = try await LiveCluster.open(server.options(nodes: ["node9"]), save: server.directory.appendingPathComponent("s").path)
        }
        var options = server.options()
        options.kubeconfig = server.directory.appendingPathComponent("kubeconfig-closed").path
        try String(contentsOfFile: server.kubeconfig, encoding: .utf8)
            .replacingOccurrences(of: #"127.0.0.1:\d+"#, with: "127.0.0.1:9", options: .regularExpression)
            .write(toFile: options.kubeconfig ?? "", atomically: true, encoding: .utf8)
        do {
            _ = try await LiveCluster.open(options, save: server.directory.appendingPathComponent("t").path)
            Issue.record("a closed port must fail")
        } catch let error as KubectlError {
            #expect(error.arguments.prefix(2) == ["get", "nodes"])
            #expect(error.message.contains("127.0.0.1:9"))
        }
    }

    @Test("recorded server: interrupted collections delete their pods (the signal path)")
    func interruptionDeletesPods() async throws {
        let server = try RecordedAPIServer(arguments: ["--stuck-nodes", "node1,node2"])
        let save = try makeTemporaryDirectory("liveint")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(server.options(timeout: 60), save: save.path)
        let work = Task { await cluster.collector.collect(nodes: cluster.nodes, into: save) }
        var waited = 0
        while server.podsCreatedAndDeleted.created.count < 2 && waited < 200 {
            try await Task.sleep(for: .milliseconds(100))
            waited += 1
        }
        try await Task.sleep(for: .milliseconds(300))
        #expect(server.podsCreatedAndDeleted.deleted.isEmpty)
        await cluster.collector.deleteRemainingPods()  // what CollectorPodReaper runs on SIGINT/SIGTERM
        work.cancel()
        _ = await work.value
        let pods = server.podsCreatedAndDeleted
        #expect(pods.created.count == 2)
        #expect(pods.deleted == pods.created)
        // Once interrupted, the collector creates no more pods.
        let late = await cluster.collector.collect(nodes: ["node1"], into: save)
        #expect(late["node1"]?.reason == "interrupted")
        #expect(server.podsCreatedAndDeleted.created.count == 2)
    }

    @Test("recorded server: the bounded blocking cleanup (the TUI's signal path) deletes a slow collection's pod")
    func blockingCleanupDeletesSlowPod() async throws {
        let server = try RecordedAPIServer(arguments: ["--pod-delay", "60"])
        let save = try makeTemporaryDirectory("liveblocking")
        defer { try? FileManager.default.removeItem(at: save) }
        let cluster = try await LiveCluster.open(server.options(nodes: ["node1"], timeout: 90), save: save.path)
        let work = Task { await cluster.collector.collect(nodes: ["node1"], into: save) }
        var waited = 0
        while server.podsCreatedAndDeleted.created.isEmpty && waited < 200 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        let collector = cluster.collector
        // From a plain thread, as the TUI's thread calls it (never block a Swift concurrency thread).
        let finished = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: collector.deleteRemainingPodsBlocking(timeout: 15)) }.start()
        }
        #expect(finished)
        let pods = server.podsCreatedAndDeleted
        #expect(pods.created.count == 1 && pods.deleted == pods.created)
        work.cancel()
        #expect(await work.value["node1"] != nil)
    }
}
