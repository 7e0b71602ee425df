import Foundation
import Testing
@testable import SkoopCollector

/// A lab built for one test, with its own state folder and unique netns prefix.
struct TestLab {
    let controller: LabController
    let state: LabState
    let stateDirectory: URL
    var truth: GroundTruth { GroundTruth(state: state) }

    /// Builds a lab; the caller must `await lab.remove()`.
    static func up(_ scenario: LabScenario, fault: LabFault? = nil, backend: IptablesBackend = .nft) async throws -> TestLab {
        let number = UInt32.random(in: 0..<1_000_000)  // unique enough per process; the pid does the rest
        let directory = try makeTemporaryDirectory("labstate")
        let controller = LabController(stateDirectory: directory)
        let state = try await controller.up(LabTopology(scenario: scenario, fault: fault, backend: backend),
                                            prefix: "sklt\(getpid())x\(number)")
        return TestLab(controller: controller, state: state, stateDirectory: directory)
    }

    /// Tears the lab down and checks nothing of it is left.
    func remove() async throws {
        try await controller.down()
        try? FileManager.default.removeItem(at: stateDirectory)
        let left = await SubprocessToolRunner().run(["ip", "netns", "list"]).stdout
        #expect(!left.contains(state.prefix + "-"), "netns left behind: \(left)")
        for process in state.processes {
            #expect(kill(process.pid, 0) != 0, "process \(process.pid) still running")
        }
    }

    /// Probes and returns whether the flow worked.
    func works(_ source: String, _ destination: String, _ port: Int? = nil, _ proto: TransportProtocolAlias = .tcp,
               size: Int? = nil, df: Bool = false) async -> Bool {
        await truth.probe(LabFlow(source: source, destination: destination, port: port, proto: proto,
                                  payloadSize: size, dontFragment: df)).succeeded
    }
}

import SkoopModel
@testable import SkoopLab
typealias TransportProtocolAlias = TransportProtocol
