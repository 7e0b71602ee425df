import ArgumentParser

/// `skoop collect`: the node-side collector.
struct CollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect", abstract: "Collect this machine's network stacks into a snapshot directory.")

    func run() async throws {}
}
