import ArgumentParser
import SkoopCollector

/// `skoop inspect`: a human summary of what a snapshot holds.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarize what a snapshot directory holds: nodes, pods, services, netns and what each contains.",
        discussion: "Malformed files are reported as FILE:LINE: expected ..., with exit status 65.")

    @Option(help: "The snapshot directory, or \"demo\" (the default) for the bundled demo.")
    var snapshot: String?

    func run() throws {
        let text = try reportingFailures { () throws -> String in
            guard let path = try snapshot.map(SnapshotArgument.path) ?? DemoSnapshot.path else {
                throw ValidationError("--snapshot is required (the bundled demo is not installed)")
            }
            return try SnapshotSummary(collector: CollectorManager(snapshot: path)).text()
        }
        print(text, terminator: "")
    }
}
