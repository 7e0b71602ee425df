import ArgumentParser
import Foundation
import SkoopModel
import SkoopNetstack
import SkoopCollector
import SkoopDiagnosis
import SkoopTUI

/// `skoop tui`: the interactive terminal UI.
struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui", abstract: "Step through a diagnosis in the terminal UI (the bundled demo by default).")

    @Option(help: "The snapshot directory, or \"demo\" (the default) for the bundled demo.")
    var snapshot: String?

    @OptionGroup var queryOptions: QueryOptions
    @OptionGroup var networkOptions: NetworkOptions
    @OptionGroup(title: "Live cluster") var live: LiveOptions

    @Option(help: "Diagnose the live cluster and save its snapshot here (default with --kubeconfig/--context: ~/.cache/skoop/snapshots/CONTEXT-TIME).")
    var save: String?

    @Flag(name: .customLong("no-color"), help: "No colours (NO_COLOR is honoured too).")
    var noColor = false

    @Flag(name: .customLong("no-mouse"), help: "Don't use the mouse.")
    var noMouse = false

    @Flag(help: "ASCII glyphs only.")
    var ascii = false

    /// For `skoop bench`: the first frame, made as on a terminal, printed as text; exit 1 when
    /// it shows an error instead of a diagnosis.
    @Flag(name: .customLong("print-first-frame"), help: .hidden)
    var printFirstFrame = false

    /// How long a signal waits for the collector pods' deletion before the TUI exits anyway.
    static let podDeletionBound = 15.0

    func validate() throws {
        if (queryOptions.src == nil) != (queryOptions.dst == nil) {
            throw ValidationError("-s/--src and -d/--dst go together (or neither, to pick a query on the start screen)")
        }
        if printFirstFrame && (live.isLive || save != nil) {
            throw ValidationError("--print-first-frame takes a snapshot, not a live cluster")
        }
    }

    func run() throws {
        if snapshot == nil && (live.isLive || save != nil) {
            // Nodes are collected inside steps; their pods are deleted before each step returns,
            // and on a signal (after the terminal is restored) before the process dies.
            let activity = TUIActivity()
            let (collector, cluster) = try live.openCollector(save: save, events: { event in
                switch event {
                case .started(let node): activity.started(node)
                case .finished(let node, let seconds, let failure): activity.finished(node, seconds: seconds, failure: failure)
                }
            }, onWait: { _, _ in activity.refresh() })
            let pods = cluster.collector
            defer { _ = pods.deleteRemainingPodsBlocking(timeout: Self.podDeletionBound) }
            try reportingFailures {
                var launcher = TUILauncher(collector: collector, title: "\(cluster.contextName) (live, \(cluster.snapshot.path))",
                                           context: networkOptions.context)
                launcher.activity = activity
                launcher.editsFile = queryOptions.whatIf
                launcher.onSignal = { _ in
                    guard !pods.podsCreated.isEmpty else { return }
                    printError("deleting the collector pods ...")
                    if !pods.deleteRemainingPodsBlocking(timeout: Self.podDeletionBound) {
                        printError("some collector pods may be left: kubectl delete pod -l app.kubernetes.io/name=skoop-collector")
                    }
                }
                try launcher.run(query: queryOptions.query, noColor: noColor, noMouse: noMouse, ascii: ascii)
            }
            return
        }
        try reportingFailures {
            var launcher = try TUILauncher(snapshot: snapshot, context: networkOptions.context)
            launcher.editsFile = queryOptions.whatIf
            if printFirstFrame {
                let configuration = try launcher.configuration(query: queryOptions.query, noColor: true, noMouse: true, ascii: ascii)
                let (state, frame) = renderFirstFrame(configuration: configuration, size: Size(columns: 120, rows: 40),
                                                      glyphs: ascii ? .ascii : .unicode)
                print(frame.text)
                if state.message?.isError == true || (queryOptions.query != nil && state.query == nil) { throw ExitCode(1) }
                return
            }
            try launcher.run(query: queryOptions.query, noColor: noColor, noMouse: noMouse, ascii: ascii)
        }
    }
}

/// Opens a snapshot and runs the TUI on it.
struct TUILauncher {
    let collector: CollectorManager
    let title: String
    let isDemo: Bool
    let context: DiagnosisContext
    /// The status line of live collections.
    var activity: TUIActivity?
    /// Cleanup when a signal ends the TUI (live: delete the collector pods).
    var onSignal: (@Sendable (Int32) -> Void)?
    /// `--what-if FILE`: edits the TUI starts with (checked before the screen opens).
    var editsFile: String?

    /// A launcher on an open collector (a live cluster).
    init(collector: CollectorManager, title: String, context: DiagnosisContext) {
        self.collector = collector
        self.title = title
        self.isDemo = false
        self.context = context
    }

    init(snapshot: String?, context: DiagnosisContext) throws {
        if let snapshot, !SnapshotArgument.isDemo(snapshot) {
            // Lazy: a malformed node file shows as a suspicion naming FILE:LINE on the hop that needs it.
            collector = try CollectorManager(snapshot: snapshot)
            title = snapshot
            isDemo = false
        } else {
            guard let demo = DemoSnapshot.path else {
                throw InputError(source: "the bundled demo", expected: "the resource bundle next to the skoop binary",
                                 found: "nothing; pass --snapshot DIR")
            }
            collector = try CollectorManager(snapshot: demo)
            title = "demo (flannel vxlan, FORWARD DROP on node2)"
            isDemo = true
        }
        self.context = context
    }

    func run(query: DiagnosisQuery?, noColor: Bool, noMouse: Bool, ascii: Bool) throws {
        let configuration = try configuration(query: query, noColor: noColor, noMouse: noMouse, ascii: ascii)
        do {
            try runTUI(configuration: configuration)
        } catch let error as TUIError {
            printError(error.description)
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// What the TUI is given: its drivers, start-screen queries and completions (the first frame
    /// of `skoop bench` is made from the same).
    func configuration(query: DiagnosisQuery?, noColor: Bool, noMouse: Bool, ascii: Bool) throws -> TUIConfiguration {
        let collector = self.collector
        let context = self.context
        // Lazily: detecting the network may need a node's data, which a live cluster collects
        // only inside the TUI (with its status line), not before the screen opens.
        var network: Network?
        var configuration = TUIConfiguration(
            makeDriver: { query in
                let session = try DiagnosisSession(
                    query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port, proto: query.proto),
                    collector: collector, context: context)
                return session.diagnostor
            },
            snapshotTitle: title,
            initialQuery: query.map { TUIQuery(src: $0.src, dst: $0.dst, port: $0.dport, proto: $0.proto) },
            suggestedQueries: suggestions(),
            completionNames: completionNames(),
            rulesetProvider: { hop in
                let known = network ?? GenericProvider().network(collector: collector, context: context)
                network = known
                return RulesetChainView.chains(of: known.netns(of: hop))
            },
            noColor: noColor, noMouse: noMouse, ascii: ascii)
        configuration.activity = activity
        configuration.onSignal = onSignal
        configuration.initialEdits = try editsFile.map { try WhatIfRun.edits($0, provider: collector) } ?? []
        configuration.makeEdit = { try WhatIfBackend.edit($0, provider: collector, readFile: WhatIfRun.read) }
        configuration.makeWhatIfDriver = { query, edits in
            try DiagnosisSession(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port, proto: query.proto),
                                 collector: WhatIfProvider(base: collector, edits: edits), context: context).diagnostor
        }
        configuration.makeDiff = { query, directory in
            let other = try CollectorManager(snapshot: SnapshotArgument.path(directory))
            let flow = try FlowDiff.compare(query: DiagnosisQuery(src: query.src, dst: query.dst, dport: query.port, proto: query.proto),
                                            before: collector, after: other, context: context)
            if let failure = other.loadFailures.first { throw failure }
            return flow
        }
        configuration.makeMatrix = { request in
            let matrix = try ReachabilityMatrix.build(collector: collector, namespaces: request.namespaces, port: request.port,
                                                      protocol: request.proto, context: context)
            if let failure = collector.loadFailures.first { throw failure }
            return matrix
        }
        return configuration
    }

    /// The start screen's queries: the demo's tour, or one per service for other snapshots.
    func suggestions() -> [SuggestedQuery] {
        if isDemo {
            return DemoSnapshot.suggestions.map {
                SuggestedQuery(title: $0.title, query: TUIQuery(src: $0.src, dst: $0.dst, port: $0.port,
                                                                proto: TransportProtocol(rawValue: $0.proto) ?? .tcp))
            }
        }
        let cluster = collector.cluster
        guard let client = cluster.pods.first(where: { !$0.hostNetwork && $0.podIPs.first != nil }) else { return [] }
        let services = cluster.serviceCatalog
        return (0..<min(services.count, 10)).compactMap(services.service(at:)).compactMap { service in
            guard let port = service.ports.first, let proto = port.protocol.transport else { return nil }
            return SuggestedQuery(title: "\(client.qualifiedName) -> svc/\(service.qualifiedName):\(port.port)",
                                  query: TUIQuery(src: client.qualifiedName, dst: "svc/\(service.qualifiedName)",
                                                  port: port.port, proto: proto))
        }
    }

    /// Pods, services and nodes, as `:diag` takes them.
    func completionNames() -> [String] {
        let cluster = collector.cluster
        return cluster.pods.qualifiedNames + cluster.serviceCatalog.qualifiedNames.map { "svc/\($0)" }
            + cluster.nodeCatalog.names.map { "node/\($0)" }
    }
}
