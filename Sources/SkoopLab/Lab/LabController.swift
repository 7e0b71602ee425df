import Foundation
import SkoopCollector

/// A process the lab started.
public struct LabProcess: Hashable, Sendable, Codable {
    /// Its PID.
    public var pid: Int32
    /// The netns (full name) it runs in.
    public var netns: String
    /// Its command.
    public var argv: [String]
}

/// What a running lab created: all `lab down` removes.
public struct LabState: Hashable, Sendable, Codable {
    /// The netns name prefix.
    public var prefix: String
    /// The topology it was built from.
    public var topology: LabTopology
    /// The netns it created (full names).
    public var netns: [String]
    /// The processes it started.
    public var processes: [LabProcess]

    /// The real netns name of a lab id ("node1", "pod-web-0").
    public func netns(_ id: String) -> String { "\(prefix)-\(id)" }
}

/// Builds and removes labs: runs a plan's commands, starts listeners, keeps the state file.
public struct LabController: Sendable {
    /// Runs the plan's commands.
    public var runner: any ToolRunner
    /// Where state.json lives (`/run/skoop-lab` for the CLI).
    public var stateDirectory: URL

    /// The CLI's state folder.
    public static let defaultStateDirectory = URL(fileURLWithPath: "/run/skoop-lab", isDirectory: true)

    /// Makes a controller.
    public init(runner: any ToolRunner = SubprocessToolRunner(), stateDirectory: URL = LabController.defaultStateDirectory) {
        self.runner = runner
        self.stateDirectory = stateDirectory
    }

    private var stateFile: URL { stateDirectory.appendingPathComponent("state.json") }

    /// The running lab's state, if any.
    public func currentState() -> LabState? {
        guard let data = try? Data(contentsOf: stateFile) else { return nil }
        return try? JSONDecoder().decode(LabState.self, from: data)
    }

    /// Builds `topology` with netns named `PREFIX-ID`; a lab already running is torn down first.
    /// On failure everything created so far is removed.
    @discardableResult
    public func up(_ topology: LabTopology, prefix: String) async throws -> LabState {
        if let fault = topology.fault, !fault.applies(to: topology.scenario) {
            throw LabError.faultNotApplicable(fault, topology.scenario)
        }
        if currentState() != nil { try await down() }
        let plan = LabPlanner(topology: topology, prefix: prefix).plan()
        var state = LabState(prefix: prefix, topology: topology, netns: [], processes: [])
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        do {
            for command in plan.commands {
                let output = await runner.run(command.argv, input: command.input)
                if command.argv.starts(with: ["ip", "netns", "add"]) && output.succeeded, let name = command.argv.last {
                    state.netns.append(name)
                    try save(state)
                }
                guard output.succeeded else { throw LabError.command(command.argv, output.firstErrorLine) }
            }
            for listener in plan.listeners {
                let netns = state.netns(listener.netnsID)
                // nsenter execs the tool itself (ip netns exec forks), so the PID is the listener's.
                let pid = try BackgroundProcess.spawn(["nsenter", "--net=/run/netns/\(netns)"] + listener.argv)
                state.processes.append(LabProcess(pid: pid, netns: netns, argv: listener.argv))
                try save(state)
            }
            try await waitForListeners(plan.listeners, state: state)
        } catch {
            await remove(state)
            throw error
        }
        return state
    }

    /// Removes the running lab: its processes (by PID, only while still in the lab's netns),
    /// then its netns. Returns what was removed.
    @discardableResult
    public func down() async throws -> LabState? {
        guard let state = currentState() else { return nil }
        await remove(state)
        return state
    }

    /// Removes everything `state` names and the state file.
    public func remove(_ state: LabState) async {
        for process in state.processes {
            let pids = await runner.run(["ip", "netns", "pids", process.netns]).stdout
                .split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
            if pids.contains(process.pid) { BackgroundProcess.stop(process.pid) }
        }
        for netns in state.netns.reversed() {
            _ = await runner.run(["ip", "netns", "del", netns])
        }
        try? FileManager.default.removeItem(at: stateFile)
    }

    private func save(_ state: LabState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: stateFile)
    }

    /// Waits until every tcp listener is bound in its family (ss shows it), up to ~10 s each: the
    /// listeners start together, and python3 takes a while to start on a loaded machine.
    private func waitForListeners(_ listeners: [LabListener], state: LabState) async throws {
        for listener in listeners {
            guard let port = listener.argv.last else { continue }
            let family = listener.argv.dropLast().last.flatMap { ["-4", "-6"].contains($0) ? [$0] : nil } ?? []
            for _ in 0..<200 {
                let sockets = await runner.run(["ip", "netns", "exec", state.netns(listener.netnsID), "ss", "-Htln"] + family + ["sport", "= :\(port)"])
                if !sockets.stdout.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    /// Writes a complete snapshot of a running lab: k8s JSON, snapshot.json, and each node
    /// collected with the collection core (host = node netns, pods = its pods' netns).
    public func writeSnapshot(of state: LabState, to directory: URL) async throws {
        let fileManager = FileManager.default
        let k8s = directory.appendingPathComponent("k8s", isDirectory: true)
        try fileManager.createDirectory(at: k8s, withIntermediateDirectories: true)
        for (name, object) in LabKubernetesObjects.files(for: state.topology) {
            try LabKubernetesObjects.data(object).write(to: k8s.appendingPathComponent(name))
        }
        try LabKubernetesObjects.data(LabKubernetesObjects.snapshotDocument)
            .write(to: directory.appendingPathComponent("snapshot.json"))
        try PodIndexWriter.write(snapshot: directory.path)
        try? fileManager.removeItem(at: directory.appendingPathComponent("nodes"))
        let collector = NodeCollector(runner: runner)
        for node in state.topology.nodes {
            let pods = state.topology.pods(on: node.name).map {
                NetnsTarget(entry: .named(state.netns($0.netnsID)), directoryName: $0.netnsID)
            }
            _ = try await collector.collect(node: node.name, into: directory,
                                            host: .host(.named(state.netns(node.name))), pods: pods)
        }
        // The underlay router, as `skoop collect --infra router --host-netns PREFIX-router` would.
        try? fileManager.removeItem(at: directory.appendingPathComponent(InfraDevice.folder))
        _ = try await collector.collect(infra: LabTopology.routerName, into: directory,
                                        host: .host(.named(state.netns(LabTopology.routerName))))
    }
}
