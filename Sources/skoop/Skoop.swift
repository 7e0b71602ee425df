import ArgumentParser
import SkoopModel

/// The `skoop` command: why can't this pod reach that service?
@main
struct Skoop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skoop",
        abstract: "Simulates a packet's path through a Kubernetes cluster's Linux network stacks and explains where it breaks.",
        subcommands: [
            InspectCommand.self, DiagnoseCommand.self, CollectCommand.self, LabCommand.self,
        ]
    )
}
