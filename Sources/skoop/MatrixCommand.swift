import ArgumentParser
import Foundation
import SkoopModel
import SkoopCollector
import SkoopDiagnosis

/// `skoop matrix`: who can reach whom, through the full simulation of a representative per class.
struct MatrixCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Who can reach whom: pods grouped into classes, a representative pair per cell diagnosed through routes, rules, services and policies.",
        discussion: """
        Exit status: 0, or with --expect 1 when a cell differs from the expectations (listed on stderr); 64+ usage or input errors.
        --expect FILE lists expected pairs, later entries winning (YAML, or the same as a JSON list):
          - from: x/a          # NAMESPACE/POD, NAMESPACE/* or *
            to: svc/y/web      # the same, or svc/NAMESPACE/NAME, svc/NAMESPACE/*
            expect: deny       # allow or deny
        """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, csv
    }

    enum MatrixProtocol: String, ExpressibleByArgument, CaseIterable {
        case tcp, udp
    }

    @Option(help: "The snapshot directory (or demo).")
    var snapshot: String

    @Option(name: .customLong("namespace"), help: "Only the pods and Services of this namespace (repeatable; all when absent).")
    var namespaces: [String] = []

    @Option(name: [.customShort("p"), .customLong("dport")], help: "The destination port.")
    var port: UInt16 = 80

    @Option(name: .customLong("protocol"), help: "tcp or udp.")
    var proto: MatrixProtocol = .tcp

    @Option(name: .customLong("output"), help: "text, json or csv (one line per pod pair).")
    var output: OutputFormat = .text

    @Option(help: "Expected allow/deny pairs (YAML or JSON); exit 1 listing the cells that differ.")
    var expect: String?

    @OptionGroup var networkOptions: NetworkOptions

    func validate() throws {
        if port == 0 { throw ValidationError("-p/--dport: expected a port from 1 to 65535, found 0") }
    }

    func run() throws {
        let expectations = try reportingFailures { () throws -> MatrixExpectations? in
            guard let expect else { return nil }
            guard let data = FileManager.default.contents(atPath: expect) else {
                printError("--expect: cannot read \(expect)")
                throw ExitCode(ExitStatus.noInput)
            }
            return try MatrixExpectations(text: String(decoding: data, as: UTF8.self), source: expect)
        }
        let path = snapshot == "demo" ? DemoSnapshot.path ?? snapshot : snapshot
        let collector = try reportingFailures { try CollectorManager(snapshot: path) }
        let matrix = try reportingFailures { () throws -> ReachabilityMatrix in
            let matrix = try ReachabilityMatrix.build(collector: collector, namespaces: namespaces, port: port,
                                                      protocol: proto == .tcp ? .tcp : .udp, context: networkOptions.context)
            if let failure = collector.loadFailures.first { throw failure }
            return matrix
        }
        let unknownNamespaces = namespaces.filter { collector.cluster.namespaces[$0] == nil }
        if !unknownNamespaces.isEmpty {
            printError("warning: --namespace \(unknownNamespaces.joined(separator: ", ")): no such namespace in the snapshot")
        }
        switch output {
        case .text: print(matrix.text(), terminator: "")
        case .json: print(String(decoding: try matrix.jsonData(), as: UTF8.self))
        case .csv: print(matrix.csv(), terminator: "")
        }
        if let expectations {
            let differences = expectations.differences(matrix)
            if !differences.isEmpty {
                printError("\(differences.count) cell(s) differ from \(expect ?? "the expectations"):")
                for line in differences { FileHandle.standardError.write(Data(("  " + TerminalSafe.strip(line) + "\n").utf8)) }
                throw ExitCode(1)
            }
        }
    }
}
