import ArgumentParser
import Foundation
import SkoopCollector

/// `skoop collect`: the node-side collector.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect", abstract: "Collect this machine's network stacks into a snapshot directory.",
        discussion: """
            Runs only read-only tools (ip, bridge, iptables-save, ipset, ipvsadm, nft, ss, sysctl) \
            inside each network namespace and writes their raw output to \
            OUTPUT/nodes/NODE/netns/<host|name|inode>/. Failures go to collect-errors.txt.
            """)

    @Option(help: "The snapshot directory to write.")
    var output: String

    @Option(help: "The node name (folder under nodes/).")
    var node: String

    @Option(name: .customLong("host-netns"), help: "A named netns to treat as the node's own (default: the current one).")
    var hostNetns: String?

    @Option(name: .customLong("pod-netns"), help: "A named netns to collect as a pod netns (repeatable; default: every other netns).")
    var podNetns: [String] = []

    func run() async throws {
        let targets: CollectTargets
        do {
            targets = try CollectTargets.resolve(hostNetns: hostNetns, podNetns: podNetns)
        } catch {
            throw ValidationError("\(error)")
        }
        let report = try await NodeCollector().collect(
            node: node, into: URL(fileURLWithPath: output), host: targets.host, pods: targets.pods)
        for namespace in report.namespaces {
            let errors = namespace.errors.isEmpty ? "" : ", \(namespace.errors.count) tool error(s)"
            print("\(namespace.directoryName): \(namespace.files.count) files\(errors)")
        }
    }
}
