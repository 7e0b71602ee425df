import ArgumentParser

/// `skoop lab`: real mini-clusters from network namespaces.
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab", abstract: "Build, tear down and verify lab clusters made of network namespaces.")
}
