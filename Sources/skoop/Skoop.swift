import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopLab
import SkoopDiagnosis

/// The `skoop` command: why can't this pod reach that service?
@main
struct Skoop: AsyncParsableCommand {
    /// What `skoop --version` prints.
    static let version = "skoop 0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "skoop",
        abstract: "Simulates a packet's path through a Kubernetes cluster's Linux network stacks and explains where it breaks.",
        discussion: "With no subcommand: the TUI on the bundled demo snapshot when run on a terminal, otherwise the demo's diagnosis as text.",
        version: Skoop.version,
        subcommands: [
            TUICommand.self, DiagnoseCommand.self, InspectCommand.self, CollectCommand.self, SnapshotCommand.self, LabCommand.self,
            BenchCommand.self, IndexCommand.self, MatrixCommand.self, DiffCommand.self,
        ]
    )

    /// No subcommand: the TUI on the demo on a terminal; otherwise the demo's diagnosis as text
    /// (pass-through for pipes and scripts).
    func run() async throws {
        if isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 {
            try reportingFailures {
                try TUILauncher(snapshot: nil, context: DiagnosisContext()).run(query: nil, noColor: false, noMouse: false, ascii: false)
            }
            return
        }
        try reportingFailures {
            guard let demo = DemoSnapshot.path else {
                throw InputError(source: "the bundled demo", expected: "the resource bundle next to the skoop binary")
            }
            let first = DemoSnapshot.suggestions[0]
            var session = try DiagnosisSession(
                query: DiagnosisQuery(src: first.src, dst: first.dst, dport: first.port),
                collector: try CollectorManager(snapshot: demo))
            session.diagnostor.run()
            print(session.report.text(), terminator: "")
        }
    }
}
