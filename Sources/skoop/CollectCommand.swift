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
            OUTPUT/nodes/NODE/netns/<host|name|inode>/. Failures go to collect-errors.txt. \
            With --infra NAME, a router or gateway on the path is collected instead, into \
            OUTPUT/infra/NAME/netns/host/ (the netns given by --host-netns, or the current one).
            """)

    @Option(help: "The snapshot directory to write.")
    var output: String

    @Option(help: "The node name (folder under nodes/).")
    var node: String?

    @Option(help: "A router or gateway on the path to collect instead of a node (folder under infra/).")
    var infra: String?

    @Option(name: .customLong("host-netns"), help: "A named netns to treat as the node's own (default: the current one).")
    var hostNetns: String?

    @Option(name: .customLong("pod-netns"), help: "A named netns to collect as a pod netns (repeatable; default: every other netns).")
    var podNetns: [String] = []

    func validate() throws {
        switch (node, infra) {
        case (nil, nil): throw ValidationError("--node NAME or --infra NAME is required: which node (or router) this is")
        case (.some, .some): throw ValidationError("--node and --infra exclude each other: collect a node or a router, not both")
        default: break
        }
        if infra != nil && !podNetns.isEmpty {
            throw ValidationError("--pod-netns is for nodes: --infra collects only its host netns (--host-netns)")
        }
        for name in [node, infra].compactMap({ $0 }) where name.isEmpty || name.contains("/") || name == "." || name == ".." {
            throw ValidationError("--\(node == nil ? "infra" : "node") must be a single folder name, found \"\(name)\"")
        }
    }

    func run() async throws {
        let targets: CollectTargets
        do {
            targets = try CollectTargets.resolve(hostNetns: hostNetns, podNetns: podNetns)
        } catch {
            throw ValidationError("\(error)")
        }
        let snapshot = URL(fileURLWithPath: output)
        let report = if let infra {
            try await NodeCollector().collect(infra: infra, into: snapshot, host: targets.host)
        } else {
            try await NodeCollector().collect(node: node ?? "", into: snapshot, host: targets.host, pods: targets.pods)
        }
        for namespace in report.namespaces {
            let errors = namespace.errors.isEmpty ? "" : ", \(namespace.errors.count) tool error(s)"
            print("\(namespace.directoryName): \(namespace.files.count) files\(errors)")
        }
    }
}
