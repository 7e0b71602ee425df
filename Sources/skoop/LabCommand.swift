import ArgumentParser
import Foundation
import SkoopCollector

/// `skoop lab`: real mini-clusters from network namespaces.
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Build, tear down and verify lab clusters made of network namespaces.",
        subcommands: [LabUpCommand.self, LabDownCommand.self, LabListCommand.self, LabSynthCommand.self])
}

extension LabScenario: ExpressibleByArgument {}
extension LabFault: ExpressibleByArgument {}
extension IptablesBackend: ExpressibleByArgument {}

/// `skoop lab up SCENARIO [--fault F] [--iptables legacy|nft] [--output SNAP]`.
struct LabUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up", abstract: "Build a lab cluster (tearing down a running one first). Needs root.")

    @Argument(help: "The scenario (see `skoop lab list`).")
    var scenario: LabScenario

    @Option(help: "One fault to build in (see `skoop lab list`).")
    var fault: LabFault?

    @Option(help: "The iptables backend for kube-proxy's rules.")
    var iptables: IptablesBackend = .nft

    @Option(help: "Write a complete snapshot of the lab to this directory.")
    var output: String?

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError(LabError.notRoot.description) }
        let controller = LabController()
        let state: LabState
        do {
            state = try await controller.up(LabTopology(scenario: scenario, fault: fault, backend: iptables),
                                            prefix: "skoop\(getpid())")
        } catch let error as LabError {
            throw ValidationError(error.description)
        }
        print("lab \(scenario.rawValue)\(fault.map { " with fault \($0.rawValue)" } ?? ""): \(state.netns.count) netns, \(state.processes.count) listeners, netns prefix \(state.prefix)-")
        if let output {
            try await controller.writeSnapshot(of: state, to: URL(fileURLWithPath: output, isDirectory: true))
            print("snapshot written to \(output)")
        }
    }
}

/// `skoop lab down`.
struct LabDownCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "down", abstract: "Remove the running lab.")

    func run() async throws {
        guard getuid() == 0 else { throw ValidationError(LabError.notRoot.description) }
        if let state = try await LabController().down() {
            print("removed \(state.netns.count) netns and \(state.processes.count) processes")
        } else {
            print("no lab is running")
        }
    }
}

/// `skoop lab list`.
struct LabListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List scenarios and faults.")

    func run() async throws {
        print("scenarios:")
        for scenario in LabScenario.allCases { print("  \(scenario.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\(scenario.summary)") }
        print("faults:")
        for fault in LabFault.allCases {
            let scope = fault.scenarios.count == LabScenario.allCases.count ? "all" : fault.scenarios.map(\.rawValue).joined(separator: ", ")
            print("  \(fault.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0))\(fault.summary) [\(scope)]")
        }
    }
}
