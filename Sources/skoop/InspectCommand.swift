import ArgumentParser

/// `skoop inspect`: a human summary of what a snapshot holds.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Summarize what a snapshot directory holds.")

    @Option(help: "The snapshot directory.")
    var snapshot: String

    func run() async throws {
        print("not yet")
    }
}
