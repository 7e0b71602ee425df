import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis

/// `skoop diagnose`: the non-interactive diagnosis for scripts and pipelines.
struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Diagnose one flow on a snapshot and print the path, suspicions and verdict.",
        discussion: "Exit status: 0 reachable, 1 unreachable or partial, 2 unknown, 64+ usage or input errors.")

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, dot
    }

    @Option(help: "The snapshot directory, or \"demo\" for the bundled demo (without it: the live cluster of --kubeconfig/--context, or kubectl's current context).")
    var snapshot: String?

    @OptionGroup(title: "Live cluster") var live: LiveOptions

    @Option(help: "Where a live diagnosis saves its snapshot (default: ~/.cache/skoop/snapshots/CONTEXT-TIME).")
    var save: String?

    @OptionGroup var queryOptions: QueryOptions
    @OptionGroup var networkOptions: NetworkOptions

    @Option(name: .customLong("output"), help: "text, json or dot.")
    var output: OutputFormat = .text

    func validate() throws {
        guard queryOptions.src != nil else { throw ValidationError("-s/--src is required") }
        guard queryOptions.dst != nil else { throw ValidationError("-d/--dst is required") }
        if snapshot != nil && (live.isLive || save != nil) {
            throw ValidationError("--snapshot reads a saved snapshot; --kubeconfig/--context/--save are for a live cluster")
        }
    }

    func run() throws {
        guard let query = queryOptions.query else { throw ExitCode(ExitStatus.usage) }
        defer { PeakMemory.writeIfAsked() }
        let collector: CollectorManager
        var reaper: CollectorPodReaper?
        if let snapshot {
            // Node files are read lazily, as the walk reaches them: cost follows the path.
            collector = try reportingFailures { try CollectorManager(snapshot: SnapshotArgument.path(snapshot)) }
        } else {
            let progress = ProgressReporter()
            let (manager, cluster) = try live.openCollector(save: save, events: progress.handle, onWait: progress.waiting)
            (collector, reaper) = (manager, CollectorPodReaper(collector: cluster.collector))
        }
        defer { reaper?.uninstall() }
        let report = try reportingFailures { () throws -> DiagnosisReport in
            var session: DiagnosisSession
            do {
                session = try DiagnosisSession(query: query, collector: collector, context: networkOptions.context)
            } catch {
                // A Service the query names that cannot be decoded: its strict error (65), as
                // when services.json was decoded whole, not a query that names nothing.
                if snapshot != nil, let failure = collector.cluster.serviceCatalog.failures.first { throw failure }
                throw error
            }
            session.diagnostor.run()
            // A malformed file met on the way is an input error (65), not a missing peer or hop.
            if snapshot != nil, let failure = collector.loadFailures.first { throw failure }
            return session.report
        }
        if let whatIf = queryOptions.whatIf {
            let comparison = try reportingFailures {
                try WhatIfRun.compare(query: query, before: report, collector: collector, editsFile: whatIf, context: networkOptions.context)
            }
            try WhatIfRun.print(comparison, format: output)
            throw ExitCode(comparison.after.exitStatus)
        }
        switch output {
        case .text: print(report.text(), terminator: "")
        case .json: print(String(decoding: try report.jsonData(), as: UTF8.self))
        case .dot: print(report.dot(), terminator: "")
        }
        throw ExitCode(report.exitStatus)
    }
}
